#!/usr/bin/env python3
"""Server CPU per command: what the server spent, beside the wall time the client saw. On a shared two-core machine a
10,000-line flag sync is paced by the Python client reading it (6-20 ms from one hour to the next against a server
that only replays the lines) and by whatever else runs on the second core, so its wall time says little about the
server's own work; its CPU time does. Appends N messages as imap_bench.py does, then runs the
commands issue 18's benchmark bar names, a first and a repeated run, reading on-CPU time from /proc around each:
the process's main thread (GC on that thread included) and all its threads (V8's compiler and GC helpers too).
Linux only; the server must run on this machine.
usage: server_cpu.py PORT N USER PASSWORD PID
  PID: the server's process id, or `pgrep:PATTERN` for a server that forks a process per login (Dovecot's imap):
  the newest process matching PATTERN after LOGIN.
  node dist/cli.js --imap-port PORT --max-messages 0 ... & python3 bench/imap-vs-dovecot/server_cpu.py PORT N u x $!
  (bench/imap-vs-dovecot/run.sh N cpu runs it against mailsandbox and Dovecot in one go.)"""
import glob, os, subprocess, sys
usage = __doc__  # the exec below sets imap_bench.py's
here = os.path.dirname(os.path.abspath(__file__))
bench = open(os.path.join(here, "imap_bench.py")).read().split("N = int(sys.argv[2])")[0]
exec(bench)  # conn, cmd, msg: the same messages and client as the side-by-side benchmark
if len(sys.argv) != 6:
    sys.exit(usage)
port, n, user, password, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
s, f = conn(port)
cmd(s, f, "l", f"LOGIN {user} {password}")
if pid.startswith("pgrep:"):
    pid = subprocess.check_output(["pgrep", "-n", "-f", pid[len("pgrep:"):]]).decode().split()[0]
def on_cpu_ms():
    """(main thread, all threads) on-CPU milliseconds so far."""
    main = int(open(f"/proc/{pid}/task/{pid}/schedstat").read().split()[0]) / 1e6
    total = 0
    for path in glob.glob(f"/proc/{pid}/task/*/schedstat"):
        try:
            total += int(open(path).read().split()[0])
        except OSError:
            pass  # a thread that ended between the listing and the read
    return main, total / 1e6
for i in range(n):
    cmd(s, f, f"a{i}", "APPEND INBOX", msg(i))
cmd(s, f, "s", "SELECT INBOX")
def timed(name, line):
    main0, all0 = on_cpu_ms()
    dt, _ = cmd(s, f, "x", line)
    main1, all1 = on_cpu_ms()
    print(f"{name:32s} wall {dt * 1000:7.1f} ms  server CPU {main1 - main0:7.1f} ms  all threads {all1 - all0:7.1f} ms")
for name, line in [("FETCH FLAGS #1", "UID FETCH 1:* (FLAGS)"), ("FETCH FLAGS #2", "UID FETCH 1:* (FLAGS)"),
                   ("SEARCH FROM", "UID SEARCH RETURN (MIN MAX COUNT) FROM s7@example.test"),
                   ("SEARCH TO", "UID SEARCH RETURN (MIN MAX COUNT) TO u3@example.test"),
                   ("SEARCH ALL #1", "UID SEARCH RETURN (ALL) ALL"), ("SEARCH ALL #2", "UID SEARCH RETURN (ALL) ALL"),
                   ("SORT SUBJECT #1", "SORT (SUBJECT) UTF-8 ALL"), ("SORT SUBJECT #2", "SORT (SUBJECT) UTF-8 ALL"),
                   ("CHANGEDSINCE #1", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1)"),
                   ("CHANGEDSINCE #2", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1)")]:
    timed(name, line)
cmd(s, f, "z", "LOGOUT")
