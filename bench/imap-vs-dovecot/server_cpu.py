#!/usr/bin/env python3
"""Server CPU per command, for comparing two builds of ours on a loaded machine (where wall-clock times swing 2x).
Appends N messages as imap_bench.py does, then times the first and a repeated run of the commands issue 18's
benchmark bar names, reading the server main thread's on-CPU time from /proc/PID/schedstat around each one (GC on
that thread included). Linux only; the server must run on this machine.
usage: imap_bench-style server on PORT with process id PID, fresh user:
  node dist/cli.js --imap-port PORT --max-messages 0 ... & python3 bench/imap-vs-dovecot/server_cpu.py PORT N $!"""
import os, sys
here = os.path.dirname(os.path.abspath(__file__))
bench = open(os.path.join(here, "imap_bench.py")).read().split("N = int(sys.argv[2])")[0]
exec(bench)  # conn, cmd, msg: the same messages and client as the side-by-side benchmark
port, n, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def on_cpu_ms():
    return int(open(f"/proc/{pid}/schedstat").read().split()[0]) / 1e6
s, f = conn(port)
cmd(s, f, "l", "LOGIN bench@example.test x")
for i in range(n):
    cmd(s, f, f"a{i}", "APPEND INBOX", msg(i))
cmd(s, f, "s", "SELECT INBOX")
def timed(name, line):
    c0 = on_cpu_ms()
    dt, _ = cmd(s, f, "x", line)
    print(f"{name:32s} wall {dt * 1000:7.1f} ms  server CPU {on_cpu_ms() - c0:7.1f} ms")
for name, line in [("FETCH FLAGS #1", "UID FETCH 1:* (FLAGS)"), ("FETCH FLAGS #2", "UID FETCH 1:* (FLAGS)"),
                   ("SEARCH FROM", "UID SEARCH RETURN (MIN MAX COUNT) FROM s7@example.test"),
                   ("SEARCH TO", "UID SEARCH RETURN (MIN MAX COUNT) TO u3@example.test"),
                   ("SEARCH ALL #1", "UID SEARCH RETURN (ALL) ALL"), ("SEARCH ALL #2", "UID SEARCH RETURN (ALL) ALL"),
                   ("SORT SUBJECT #1", "SORT (SUBJECT) UTF-8 ALL"), ("SORT SUBJECT #2", "SORT (SUBJECT) UTF-8 ALL"),
                   ("CHANGEDSINCE #1", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1)"),
                   ("CHANGEDSINCE #2", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1)")]:
    timed(name, line)
cmd(s, f, "z", "LOGOUT")
