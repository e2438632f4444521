#!/usr/bin/env bash
# SPEC §2: the product runs on Node 22 and 24 as well as 20. Runs the unit, session, protocol and interop tests
# (not the browser or container ones) under each, with a Node binary installed from the npm registry's `node` package
# into .tmp/node-versions/<major> (git-ignored, kept between runs). Native addons built for Node 20
# (build/Release/*.node, e.g. better-sqlite3) are rebuilt for each version and rebuilt for the Node on PATH again at
# the end, whatever happened. Idempotent; exports nothing. Environment (all optional):
#   MAILSANDBOX_NODE_VERSIONS  majors to test, default "22 24"
#   MAILSANDBOX_NODE_TESTS     test folders, default "test/unit test/session test/protocol test/interop"
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
versions=${MAILSANDBOX_NODE_VERSIONS:-"22 24"}
read -r -a tests <<<"${MAILSANDBOX_NODE_TESTS:-test/unit test/session test/protocol test/interop}"
cache=$root/.tmp/node-versions

# The packages whose native addon is compiled against one Node ABI (prebuilt multi-ABI binaries need nothing).
mapfile -t native < <(find node_modules -path '*/build/Release/*.node' -not -path '*/test/*' 2>/dev/null |
  sed -E 's#/build/Release/.*##' | sort -u |
  while read -r dir; do node -p "require('./$dir/package.json').name" 2>/dev/null || true; done | sort -u)

rebuild_native() { # $1: directory holding the node binary to build for
  ((${#native[@]})) || return 0
  echo "== npm rebuild ${native[*]} for $("$1/node" --version)"
  PATH="$1:$PATH" npm rebuild --no-audit --no-fund "${native[@]}" >/dev/null
}
system_node_dir=$(dirname "$(command -v node)")
restore() { rebuild_native "$system_node_dir" || echo "!! could not rebuild ${native[*]} for $(node --version); run npm rebuild" >&2; }
trap restore EXIT

status=0
for v in $versions; do
  dir=$cache/$v
  bin=$dir/node_modules/.bin
  if ! [[ -x $bin/node && $("$bin/node" --version) == v$v.* ]]; then
    echo "== installing node@$v into $dir"
    mkdir -p "$dir"
    npm install --no-save --no-audit --no-fund --prefix "$dir" "node@$v" >/dev/null
  fi
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
exit $status
