#!/usr/bin/env bash
# A Docker engine for CI runs of the container tests, on a machine with Debian's docker.io and no Docker Hub.
#
#   docker/ci-engine.sh start        start dockerd unless an engine already answers (PID kept in the state dir)
#   docker/ci-engine.sh base-image   debootstrap'd bookworm + this machine's node/npm -> `docker import` (cached)
#   docker/ci-engine.sh build-image  build docker/Dockerfile on that base (needs dist/ built first)
#   docker/ci-engine.sh env          print the `export` lines the container tests need
#   docker/ci-engine.sh cleanup      remove the containers Testcontainers left (Ryuk is disabled here)
#   docker/ci-engine.sh stop         stop the dockerd that `start` started, by its PID
#   docker/ci-engine.sh run -- CMD   all of the above around CMD: start, build, export env, CMD, cleanup, stop
#   docker/ci-engine.sh mirror       print the bookworm mirror found in apt's sources (debootstrap uses it)
#
# Only loopback: ip forwarding and masquerading are off, so containers cannot route off the machine, and
# published ports bind to 127.0.0.1 by default.
set -euo pipefail

STATE_DIR=${MAILSANDBOX_CI_STATE:-/run/mailsandbox-ci}
CACHE_DIR=${MAILSANDBOX_CI_CACHE:-/var/cache/mailsandbox-ci}
SUITE=bookworm
IMAGE=${MAILSANDBOX_IMAGE:-mailsandbox:ci}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Debian's own client matches Debian's daemon (API 1.41); a newer docker CLI elsewhere on PATH may not build with it.
DOCKER=${DOCKER:-$( [ -x /usr/bin/docker ] && echo /usr/bin/docker || command -v docker || echo docker )}
export DOCKER_BUILDKIT=0

log() { printf 'ci-engine: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

engine_up() { "$DOCKER" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

cmd_start() {
  if engine_up; then log "engine already running ($("$DOCKER" version --format '{{.Server.Version}}'))"; return 0; fi
  command -v dockerd >/dev/null || die "dockerd not found: apt-get install -y docker.io"
  mkdir -p "$STATE_DIR"
  # --ip-forward=false keeps dockerd from turning forwarding on; the machine's own setting is left as it was.
  log "starting dockerd (log: $STATE_DIR/dockerd.log)"
  dockerd --storage-driver=overlay2 --ip-forward=false --ip-masq=false --ip=127.0.0.1 \
    --pidfile="$STATE_DIR/dockerd.pidfile" >"$STATE_DIR/dockerd.log" 2>&1 &
  echo $! >"$STATE_DIR/dockerd.pid"
  for _ in $(seq 1 120); do
    if engine_up; then log "engine up (pid $(cat "$STATE_DIR/dockerd.pid"))"; return 0; fi
    kill -0 "$(cat "$STATE_DIR/dockerd.pid")" 2>/dev/null || { tail -n 30 "$STATE_DIR/dockerd.log" >&2; die "dockerd exited"; }
    sleep 0.5
  done
  tail -n 30 "$STATE_DIR/dockerd.log" >&2
  die "dockerd did not answer within 60 s"
}

cmd_stop() {
  local pidfile="$STATE_DIR/dockerd.pid"
  [ -f "$pidfile" ] || { log "no dockerd started by this script"; return 0; }
  local pid; pid=$(cat "$pidfile")
  # A stale file from an earlier run must not make us signal whatever process got that PID since.
  if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != dockerd ]; then
    log "dockerd $pid is not running any more"; rm -f "$pidfile"; return 0
  fi
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && { log "dockerd $pid still running; sending KILL"; kill -KILL "$pid"; }
  fi
  rm -f "$pidfile"
  log "dockerd $pid stopped"
}

# The bookworm mirror the machine's apt uses, from one-line `.list` or deb822 `.sources` files.
find_mirror() {
  local files=() f
  local apt=${MAILSANDBOX_CI_APT_ROOT:-/etc/apt}
  for f in "$apt/sources.list" "$apt"/sources.list.d/*.list "$apt"/sources.list.d/*.sources; do
    [ -f "$f" ] && files+=("$f")
  done
  [ ${#files[@]} -gt 0 ] && awk -v suite="$SUITE" '
    function has_suite(list,   n, i, parts) { n = split(list, parts, /[ \t]+/); for (i = 1; i <= n; i++) if (parts[i] == suite) return 1; return 0 }
    function emit(uri) { if (!found && uri != "") { print uri; found = 1 } }
    # deb822 stanzas end at a blank line or at the end of the file.
    function flush() { if (deb && has_suite(suites)) emit(uris); uris = ""; suites = ""; deb = 0 }
    FNR == 1 { flush() }
    FILENAME ~ /\.sources$/ {
      if ($0 ~ /^[ \t]*$/) { flush(); next }
      if ($1 == "Types:" && $0 ~ /[ \t]deb([ \t]|$)/) deb = 1
      if ($1 == "URIs:") uris = $2
      if ($1 == "Suites:") { suites = $0; sub(/^Suites:[ \t]*/, "", suites) }
      next
    }
    $1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == suite) emit($i) }
    END { flush() }
  ' "${files[@]}"
}

# debootstrap takes minutes; its rootfs is cached as a tarball so later runs on this machine skip it.
ensure_rootfs_tarball() {
  local tarball="$CACHE_DIR/debian-$SUITE-minbase.tar"
  if [ -s "$tarball" ]; then echo "$tarball"; return 0; fi
  command -v debootstrap >/dev/null || die "debootstrap not found: apt-get install -y debootstrap"
  local mirror; mirror=$(find_mirror || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  mkdir -p "$CACHE_DIR"
  local work; work=$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")
  log "debootstrap --variant=minbase $SUITE from $mirror (cached afterwards in $tarball)"
  debootstrap --variant=minbase "$SUITE" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log" >&2; rm -rf "$work"; die "debootstrap failed"; }
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
  tar -C "$work/rootfs" -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  rm -rf "$work"
  echo "$tarball"
}

base_image_name() { echo "mailsandbox-ci/base:$SUITE-node$(node --version | tr -d v)"; }

cmd_base_image() {
  local name; name=$(base_image_name)
  if "$DOCKER" image inspect "$name" >/dev/null 2>&1; then log "base image $name exists"; echo "$name"; return 0; fi
  local tarball; tarball=$(ensure_rootfs_tarball)
  local node_bin; node_bin=$(readlink -f "$(command -v node)")
  local npm_dir; npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  local work; work=$(mktemp -d)
  tar -C "$work" -xf "$tarball"
  install -m 0755 "$node_bin" "$work/usr/local/bin/node"
  mkdir -p "$work/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$work/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$work/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$work/usr/local/bin/npx"
  # The machine's trust store: its way to the npm registry may pass a TLS proxy with its own CA, and `npm ci`
  # inside the build has to trust what the machine trusts. minbase has no ca-certificates of its own.
  mkdir -p "$work/etc/ssl/certs"
  cp /etc/ssl/certs/ca-certificates.crt "$work/etc/ssl/certs/ca-certificates.crt"
  log "importing $name (node $(node --version), npm $(npm --version))"
  tar -C "$work" -c . | "$DOCKER" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["node"]' - "$name" >/dev/null
  rm -rf "$work"
  echo "$name"
}

cmd_build_image() {
  [ -f "$ROOT/dist/cli.js" ] || die "dist/cli.js is missing: run 'npm run build' first"
  local base; base=$(cmd_base_image)
  log "building $IMAGE on $base"
  "$DOCKER" build --network=host --build-arg "BASE_IMAGE=$base" -t "$IMAGE" -f "$ROOT/docker/Dockerfile" "$ROOT" >&2
}

cmd_env() {
  cat <<EOF
export MAILSANDBOX_REQUIRE_DOCKER=1
export MAILSANDBOX_IMAGE=$IMAGE
export TESTCONTAINERS_RYUK_DISABLED=true
export TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1
EOF
}

cmd_cleanup() {
  engine_up || return 0
  local ids; ids=$("$DOCKER" ps -aq --filter label=org.testcontainers=true)
  # Only the containers this run made: those that existed before it (someone else's) stay.
  if [ -s "$STATE_DIR/containers-before" ]; then ids=$(printf '%s\n' $ids | grep -vxF -f "$STATE_DIR/containers-before" || true); fi
  [ -n "$ids" ] || return 0
  # shellcheck disable=SC2086 # one id per word
  "$DOCKER" rm -f $ids >/dev/null && log "removed test containers: $(echo $ids)"
}

cmd_run() {
  [ "${1:-}" = "--" ] && shift
  [ $# -gt 0 ] || die "usage: $0 run -- COMMAND..."
  trap 'cmd_cleanup; cmd_stop' EXIT
  cmd_start
  mkdir -p "$STATE_DIR" && "$DOCKER" ps -aq --filter label=org.testcontainers=true >"$STATE_DIR/containers-before"
  cmd_build_image
  eval "$(cmd_env)"
  "$@"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  base-image) cmd_base_image >/dev/null ;;
  build-image) cmd_build_image ;;
  env) cmd_env ;;
  cleanup) cmd_cleanup ;;
  mirror) find_mirror ;;
  run) shift; cmd_run "$@" ;;
  *) sed -n '2,11p' "$0" >&2; exit 2 ;;
esac
