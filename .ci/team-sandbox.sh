#!/usr/bin/env bash
# Set-up for the team-sandbox tests (SPEC §15): promtool, from Debian's `prometheus` package, lints GET /metrics
# (test/interop/metrics-promtool.test.ts). Idempotent; starts no service and exports nothing.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! command -v promtool >/dev/null 2>&1; then
  # --no-install-recommends: promtool is all the tests need, not the server's web assets or exporters.
  apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 prometheus >/dev/null
fi
# The Prometheus server the package ships is never needed here; make sure the package did not leave one running.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then systemctl stop prometheus || true; fi
promtool --version | head -1
