#!/bin/sh
# Installs SpamAssassin's spamd for the spam check tests (test/protocol/spam-check.test.ts), which start their own
# throwaway spamd on a loopback port. Idempotent. sa-update needs the network, so the tests use the rules Debian
# ships; `sa-compile` output is optional (spamd falls back to uncompiled rules).
set -eu
if ! command -v spamd >/dev/null 2>&1 && [ ! -x /usr/sbin/spamd ]; then
  apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends spamassassin spamd spamc
fi
# Check that spamd can load its rules (fails early with a clear message instead of a test timeout).
spamassassin --lint
