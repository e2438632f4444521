#!/usr/bin/env python3
"""When the lines of a flag sync reach the client: APPENDs N messages as imap_bench.py does, then runs
`UID FETCH 1:* (FLAGS)` REPS times and prints, for each, the time of the first line, of every 2,000th line and of the
tagged OK, plus the server's on-CPU time when its process id is given (Linux /proc; 0 or absent: not shown).
A server that keeps up shows lines at the client's own pace; gaps are the server making the rest.
usage: flag_sync_pace.py PORT N USER PASSWORD [REPS=4] [PID]   (a fresh user; the folder must be empty)"""
import os, sys, time
here = os.path.dirname(os.path.abspath(__file__))
exec(open(os.path.join(here, "imap_bench.py")).read().split("N = int(sys.argv[2])")[0])  # conn, cmd, msg
port, n, user, password = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
reps = int(sys.argv[5]) if len(sys.argv) > 5 else 4
pid = sys.argv[6] if len(sys.argv) > 6 else "0"
def on_cpu_ms():
    try:
        return int(open(f"/proc/{pid}/schedstat").read().split()[0]) / 1e6
    except (OSError, ValueError):
        return None
s, f = conn(port)
cmd(s, f, "l", f"LOGIN {user} {password}")
for i in range(n):
    cmd(s, f, f"a{i}", "APPEND INBOX", msg(i))
cmd(s, f, "s", "SELECT INBOX")
for rep in range(reps):
    c0 = on_cpu_ms(); t0 = time.perf_counter(); first = None; count = 0; marks = []
    s.sendall(b"x UID FETCH 1:* (FLAGS)\r\n")
    while True:
        line = f.readline(); count += 1
        if first is None: first = time.perf_counter() - t0
        if count % 2000 == 0: marks.append(f"{(time.perf_counter() - t0) * 1000:.1f}")
        if line.startswith(b"x "): break
    total = (time.perf_counter() - t0) * 1000
    c1 = on_cpu_ms()
    cpu = f", server CPU {c1 - c0:.1f} ms" if c0 is not None and c1 is not None else ""
    print(f"#{rep + 1}: first line {first * 1000:.1f} ms, every 2,000 lines at {' '.join(marks)} ms, OK at {total:.1f} ms{cpu}")
cmd(s, f, "z", "LOGOUT")
