#!/usr/bin/env bash
# Packages for the first-contact tests (test/interop/verifying-clients.test.ts): clients that verify the sandbox's
# certificate. Idempotent; installs nothing that is already there. Exports nothing.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
missing=()
command -v mbsync >/dev/null || missing+=(isync)
command -v fetchmail >/dev/null || missing+=(fetchmail)
command -v curl >/dev/null || missing+=(curl)
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get install -y -qq -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null
fi
