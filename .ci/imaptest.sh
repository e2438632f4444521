#!/usr/bin/env bash
# Builds Dovecot's imaptest into .cache/imaptest (git-ignored) for test/interop/imap-imaptest.test.ts.
# Idempotent: exits at once when .cache/imaptest/bin/imaptest already runs.
# ../shared/tools/imaptest/build.sh installs dovecot-dev, whose headers link against libdovecot.so — but Debian 12's
# dovecot-dev does not depend on dovecot-core, which ships that library, so it is installed here first. Only the
# library is needed: dovecot-core alone enables no protocol, so nothing listens even where services may start.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=.cache/imaptest
if [[ -x $prefix/bin/imaptest ]] && "$prefix/bin/imaptest" --help >/dev/null 2>&1; then
  echo "imaptest already built in $prefix"; exit 0
fi
if ! [[ -e /usr/lib/dovecot/libdovecot.so ]]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends dovecot-core >/dev/null
fi
# In CI the repo is a clone with shared/ beside it; a git worktree finds it beside the main checkout instead.
build=""
for dir in ${MAILSANDBOX_SHARED_DIR:-} ../shared "$(dirname "$(cd "$(git rev-parse --git-common-dir 2>/dev/null || echo .)" && pwd)")/../shared"; do
  if [[ -x $dir/tools/imaptest/build.sh ]]; then build=$dir/tools/imaptest/build.sh; break; fi
done
[[ -n $build ]] || { echo "imaptest.sh: no ../shared/tools/imaptest/build.sh (set MAILSANDBOX_SHARED_DIR)" >&2; exit 1; }
bash "$build" "$prefix"
