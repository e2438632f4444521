#!/usr/bin/env python3
"""Times the same IMAP work against any server: APPEND N multipart messages (four in five replies to the one before
them, for THREAD), then FETCH/SEARCH/SORT/THREAD over the folder.
usage: imap_bench.py PORT N USER [PASSWORD]      (a fresh user; the folder must be empty)
Prints one line per command: time, bytes read. Only same-run ratios against Dovecot count (shared machines)."""
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
            if not l.split(b" ")[1] == b"OK": print("ERR", l[:200])
            return time.perf_counter() - t0, n
def msg(i):
    rnd = random.Random(i)
    words = " ".join(rnd.choice(["alpha","beta","gamma","delta","order","invoice","reset","code","team","release"]) for _ in range(150))
    b = f"b{i}"
    root = i - i % 5
    refs = "" if i == root else f"References: {' '.join(f'<m{r}@example.test>' for r in range(root, i))}\r\n"
    subject = f"Message {root} {words[:40]}" if i == root else f"Re: Message {root} {msg_words(root)}"
    return (f"From: Sender {i%50} <s{i%50}@example.test>\r\nTo: u{i%7}@example.test\r\nSubject: {subject}\r\n"
            f"Date: Mon, 1 Jan 2024 10:{i%60:02d}:00 +0000\r\nMessage-ID: <m{i}@example.test>\r\n{refs}MIME-Version: 1.0\r\n"
            f"Content-Type: multipart/alternative; boundary={b}\r\n\r\n--{b}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{words}\r\n"
            f"--{b}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>{words}</p>\r\n--{b}--\r\n").encode()
def msg_words(i):
    rnd = random.Random(i)
    return " ".join(rnd.choice(["alpha","beta","gamma","delta","order","invoice","reset","code","team","release"]) for _ in range(150))[:40]
N = int(sys.argv[2]); port = int(sys.argv[1]); user = sys.argv[3]; password = sys.argv[4] if len(sys.argv) > 4 else "secret"
s, f = conn(port)
cmd(s, f, "l", f"LOGIN {user} {password}")
t = time.perf_counter()
for i in range(N):
    cmd(s, f, f"a{i}", "APPEND INBOX", msg(i))
print(f"append {N}: {time.perf_counter()-t:.2f} s")
cmd(s, f, "s", "SELECT INBOX")
for name, c in [("UID FETCH 1:* (FLAGS)", "UID FETCH 1:* (FLAGS)"),
                ("SORT (REVERSE ARRIVAL) #1", "SORT (REVERSE ARRIVAL) UTF-8 ALL"),
                ("SORT (REVERSE ARRIVAL) #2", "SORT (REVERSE ARRIVAL) UTF-8 ALL"),
                ("SORT (SUBJECT) #1", "SORT (SUBJECT) UTF-8 ALL"),
                ("SORT (SUBJECT) #2", "SORT (SUBJECT) UTF-8 ALL"),
                ("SORT (FROM DATE)", "SORT (FROM DATE) UTF-8 ALL"),
                ("THREAD REFERENCES #1", "THREAD REFERENCES UTF-8 ALL"),
                ("THREAD REFERENCES #2", "THREAD REFERENCES UTF-8 ALL"),
                ("THREAD ORDEREDSUBJECT", "THREAD ORDEREDSUBJECT UTF-8 ALL"),
                ("UID SEARCH RETURN (MIN MAX COUNT) FROM s7@", "UID SEARCH RETURN (MIN MAX COUNT) FROM s7@example.test"),
                ("UID SEARCH RETURN (ALL) ALL", "UID SEARCH RETURN (ALL) ALL"),
                ("UID SORT RETURN (COUNT ALL) (REVERSE DATE)", "UID SORT RETURN (COUNT ALL) (REVERSE DATE) UTF-8 ALL"),
                # Last, so the rows above stay comparable with earlier runs; CHANGEDSINCE turns CONDSTORE on in both.
                ("UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1)", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1)")]:
    dt, n = cmd(s, f, "x", c)
    print(f"{name:50s} {dt*1000:9.1f} ms  {n/1e6:7.2f} MB")
cmd(s, f, "z", "LOGOUT")
