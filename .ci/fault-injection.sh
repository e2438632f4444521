#!/usr/bin/env bash
# Fault-injection interop tests (test/interop/faults-interop.test.ts) drive mbsync (Debian isync), swaks and Python.
# Idempotent; exports nothing.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq -o DPkg::Lock::Timeout=600 isync swaks python3 >/dev/null
