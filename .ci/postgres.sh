#!/usr/bin/env bash
# Installs PostgreSQL's server binaries for the several-nodes tests (test/integration/postgres-*.test.ts), which start
# their own throwaway cluster (initdb into a temp dir as the postgres user, pg_ctl on a free loopback port; see
# test/integration/postgres-cluster.ts). The Debian package's own cluster is not started: nothing listens on 5432.
# Idempotent.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  # policy-rc.d 101: the package's postinst must not start the system cluster.
  had_policy=0
  [ -e /usr/sbin/policy-rc.d ] && had_policy=1
  if [ "$had_policy" = 0 ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d; fi
  apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends postgresql >/dev/null
  if [ "$had_policy" = 0 ]; then rm -f /usr/sbin/policy-rc.d; fi
fi
id -u postgres >/dev/null
ls /usr/lib/postgresql/*/bin/initdb
