#!/usr/bin/env bash
# The durable store (--data-dir) uses better-sqlite3, a native module that `npm ci` compiles from source here (no
# prebuilt binary can be downloaded: only the npm registry is reachable). node-gyp needs python3, make and a C++
# compiler, and Node's headers (from nodejs.org, or a local copy named by `npm config get nodedir`). Idempotent.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
missing=()
command -v python3 >/dev/null || missing+=(python3)
command -v make >/dev/null || missing+=(make)
command -v g++ >/dev/null || missing+=(g++)
if ((${#missing[@]})); then
  apt-get install -y -qq -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null
fi
# Node's headers: those installed with node (e.g. /usr/include/node) spare node-gyp a download.
if [ -f /usr/include/node/node_version.h ] && [ "$(npm config get nodedir)" = "undefined" ]; then
  npm config set nodedir /usr
fi
echo "durable store build deps: python3 $(python3 --version 2>&1 | cut -d' ' -f2), make, g++ $(g++ -dumpversion), nodedir $(npm config get nodedir)"
