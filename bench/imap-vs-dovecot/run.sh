#!/usr/bin/env bash
# Side by side in one run: mailsandbox (this checkout's dist/cli.js, in memory) and Dovecot 2.3 (Debian package,
# maildir in a temp dir, its index cache on), the same imap_bench.py against each; a copy of
# ../shared/tools/imap-vs-dovecot/ with the issue 18 commands added (SORT, THREAD, ESEARCH, ESORT, CHANGEDSINCE).
# usage: from the project root, after a build:  bash bench/imap-vs-dovecot/run.sh [N=10000] [issue18|shared|all]
#   issue18 (the default): imap_bench.py, the issue 18 commands, the first FETCH (FLAGS) straight after the APPENDs;
#   shared: shared_bench.py, the shared script's own list (header sync, BODY[], FETCH (FLAGS), SEARCH BODY/SUBJECT/FROM);
#   all: both, each against a fresh pair of servers (a warm process would flatter the second list's first commands);
#   cpu: server_cpu.py, each server's CPU per command beside the wall time (a flag sync's wall time is mostly the
#   Python client reading 10,000 lines; its CPU time is the server's own work). Not part of `all`.
# Needs root for apt (dovecot-imapd) and to run Dovecot's mail processes as `nobody`. Leaves nothing running.
# One run moves by tens of percent on a shared machine: save several runs' output and read them together with
#   python3 bench/imap-vs-dovecot/compare.py run1.txt run2.txt ...   (per command: each run's ratio and the median)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=${1:-10000}
list=${2:-issue18}
if [[ $list == all ]]; then bash "$0" "$n" shared; bash "$0" "$n" issue18; exit; fi
case $list in
  issue18) bench=$here/imap_bench.py ;;
  shared) bench=$here/shared_bench.py ;;
  cpu) bench=$here/server_cpu.py ;;
  *) echo "unknown list: $list (issue18, shared, all or cpu)" >&2; exit 2 ;;
esac
[[ -x /usr/lib/dovecot/imap ]] || { apt-get update -qq || true; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dovecot-imapd >/dev/null; }
work=$(mktemp -d); chmod 755 "$work"; pids=()   # Dovecot's mail processes run as nobody
cleanup() { [[ -f $work/run/master.pid ]] && kill "$(cat "$work/run/master.pid")" 2>/dev/null; for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; sleep 1; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
dport=$(free_port); mport=$(free_port); hport=$(free_port)
mkdir -p "$work/run" "$work/state" "$work/mail"; chown nobody:nogroup "$work/mail"
cat >"$work/dovecot.conf" <<CONF
protocols = imap
listen = 127.0.0.1
base_dir = $work/run
state_dir = $work/state
instance_name = dovecot-bench-$$
log_path = $work/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:$work/mail/%u
passdb {
  driver = static
  args = password=secret
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$work/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $dport
  }
  inet_listener imaps {
    port = 0
  }
}
service stats {
  inet_listener http {
    port = 0
  }
}
namespace inbox {
  inbox = yes
  separator = /
}
CONF
/usr/sbin/dovecot -c "$work/dovecot.conf"
node dist/cli.js --smtp-port 0 --submission-port 0 --smtps-port 0 --pop3-port 0 --pop3s-port 0 --imap-port "$mport" --imaps-port 0 \
  --http-port "$hport" --max-messages 0 --log-level error >"$work/ms.log" 2>&1 &
pids+=($!)
# Both servers take their time to listen on a loaded machine: wait for the ports, not a fixed time.
python3 -c 'import socket,sys,time
for port in sys.argv[1:]:
    for _ in range(600):
        try: socket.create_connection(("127.0.0.1", int(port)), 1).close(); break
        except OSError: time.sleep(0.1)
    else: sys.exit("port %s never opened" % port)' "$mport" "$dport"
# server_cpu.py also needs whose CPU to read: our process, or the imap process Dovecot forks for the login.
ours=(); theirs=(); [[ $list == cpu ]] && ours=("${pids[0]}") && theirs=("pgrep:^dovecot-bench-$$/imap")
echo "== mailsandbox (N=$n, $list)"; python3 "$bench" "$mport" "$n" "bench@example.test" x "${ours[@]}"
echo "== Dovecot $(/usr/sbin/dovecot --version) (maildir) (N=$n, $list)"; python3 "$bench" "$dport" "$n" "bench@example.test" secret "${theirs[@]}"
