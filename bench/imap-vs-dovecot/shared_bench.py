#!/usr/bin/env python3
"""The list of ../shared/tools/imap-vs-dovecot/imap_bench.py, unchanged (issue 18 holds every command of it to
"at least as fast as Dovecot"; `run.sh N shared` or `run.sh N all`).
Times the same IMAP work against any server: APPEND N multipart messages, then FETCH/SEARCH over the folder.
usage: imap_bench.py PORT N USER [PASSWORD]      (a fresh user; the folder must be empty)
Prints one line per command: time, bytes read, MB/s. Run it against mailsandbox and against Dovecot in the same
session (run.sh does both) and compare the two columns: the machines are shared, so only same-run ratios count."""
import socket, time, sys, random, re
def conn(port):
    s = socket.create_connection(("127.0.0.1", port)); s.settimeout(120)
    f = s.makefile("rb")
    f.readline()
    return s, f
def cmd(s, f, tag, line, lit=None):
    t0 = time.perf_counter(); n = 0
    if lit is None:
        s.sendall(f"{tag} {line}\r\n".encode())
    else:
        s.sendall(f"{tag} {line} {{{len(lit)}+}}\r\n".encode() + lit + b"\r\n")
    while True:
        l = f.readline(); n += len(l)
        m = re.search(rb"\{(\d+)\}\r\n$", l)
        if m:
            k = int(m.group(1)); f.read(k); n += k; continue
        if l.startswith(tag.encode() + b" "):
            if not l.split(b" ")[1] == b"OK": print("ERR", l[:200]); 
            return time.perf_counter() - t0, n
def msg(i):
    rnd = random.Random(i)
    words = " ".join(rnd.choice(["alpha","beta","gamma","delta","order","invoice","reset","code","team","release"]) for _ in range(150))
    b = f"b{i}"
    return (f"From: Sender {i%50} <s{i%50}@example.test>\r\nTo: u{i%7}@example.test\r\nSubject: Message {i} {words[:40]}\r\n"
            f"Date: Mon, 1 Jan 2024 10:{i%60:02d}:00 +0000\r\nMessage-ID: <m{i}@example.test>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/alternative; boundary={b}\r\n\r\n--{b}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{words}\r\n"
            f"--{b}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>{words}</p>\r\n--{b}--\r\n").encode()
N = int(sys.argv[2]); port = int(sys.argv[1]); user = sys.argv[3]; password = sys.argv[4] if len(sys.argv) > 4 else "secret"
s, f = conn(port)
cmd(s, f, "l", f"LOGIN {user} {password}")
t = time.perf_counter()
for i in range(N):
    cmd(s, f, f"a{i}", "APPEND INBOX", msg(i))
print(f"append {N}: {time.perf_counter()-t:.2f} s")
cmd(s, f, "s", "SELECT INBOX")
for name, c in [("FETCH 1:* (UID FLAGS ENVELOPE BODYSTRUCTURE) #1", "FETCH 1:* (UID FLAGS ENVELOPE BODYSTRUCTURE)"),
                ("FETCH 1:* (UID FLAGS ENVELOPE BODYSTRUCTURE) #2", "FETCH 1:* (UID FLAGS ENVELOPE BODYSTRUCTURE)"),
                ("UID FETCH 1:* BODY.PEEK[] #1", "UID FETCH 1:* BODY.PEEK[]"),
                ("UID FETCH 1:* BODY.PEEK[] #2", "UID FETCH 1:* BODY.PEEK[]"),
                ("UID FETCH 1:* (FLAGS) ", "UID FETCH 1:* (FLAGS)"),
                ("SEARCH BODY invoice-not-there", "SEARCH BODY zzqqxx"),
                ("SEARCH SUBJECT 'Message 4242'", 'SEARCH SUBJECT "Message 4242 "'),
                ("SEARCH FROM s7@", "SEARCH FROM s7@example.test")]:
    dt, n = cmd(s, f, "x", c)
    print(f"{name:50s} {dt*1000:9.1f} ms  {n/1e6:7.2f} MB  {n/1e6/dt:8.1f} MB/s")
cmd(s, f, "z", "LOGOUT")
