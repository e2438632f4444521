#!/usr/bin/env python3
"""Reads the output of one or more `run.sh` runs and prints, per command, the ratio Dovecot's time / ours in each run
and the median of those ratios (above 1: we are faster). One run on a shared machine moves by tens of percent for
the short commands; the median over runs is what docs/benchmarks.md holds against the issue 18 bar.
`run.sh N cpu` outputs (server_cpu.py) are read too: their wall times join the table, and a second table gives each
server's CPU time per command (ours: main thread and all threads), median over runs, and the ratio Dovecot's CPU /
ours (all threads).
usage: python3 bench/imap-vs-dovecot/compare.py RUN_OUTPUT [RUN_OUTPUT ...]"""
import re, statistics, sys

row = re.compile(r"^(\S.*?)\s{2,}([\d.]+) ms")
cpu_row = re.compile(r"^(\S.*?)\s+wall\s+([\d.]+) ms\s+server CPU\s+([\d.]+) ms\s+all threads\s+([\d.]+) ms")
header = re.compile(r"^== (mailsandbox|Dovecot).*\((?:N=\d+), (\w+)\)")


def parse(path):
    """{(list, command): {'ours': ms, 'dovecot': ms}} for one run.sh output (`all` prints both lists)."""
    out, server, which = {}, None, None
    for line in open(path, encoding="utf8"):
        h = header.match(line)
        if h:
            server, which = ("ours" if h.group(1) == "mailsandbox" else "dovecot"), h.group(2)
            continue
        c = cpu_row.match(line)
        if c and server:
            entry = out.setdefault((which, c.group(1).strip()), {})
            entry[server] = float(c.group(2))
            entry[server + " main"] = float(c.group(3))
            entry[server + " cpu"] = float(c.group(4))
            continue
        r = row.match(line)
        if r and server:
            out.setdefault((which, r.group(1).strip()), {})[server] = float(r.group(2))
    return out


runs = [parse(p) for p in sys.argv[1:]]
if not runs:
    sys.exit(__doc__)


def both(run, key, figure=""):
    """(ours, Dovecot) for one command of one run, or None when the run lacks either (`figure`: "" or " cpu")."""
    entry = run.get(key, {})
    ours, theirs = entry.get("ours" + figure), entry.get("dovecot" + figure)
    return None if ours is None or theirs is None else (ours, theirs)


def ratios_shown(pairs):
    """Each run's ratio Dovecot / ours ("-" where a run lacks the command) and their median."""
    ratios = [p[1] / p[0] if p and p[0] > 0 else None for p in pairs]
    shown = " ".join("    -" if x is None else f"{x:5.2f}" for x in ratios)
    return shown, statistics.median(x for x in ratios if x is not None)


# Every command any run has both figures for, in the order first seen; a run without it (one list only) shows "-".
keys = list(dict.fromkeys(k for r in runs for k in r if both(r, k)))
print(f"{'list':8s} {'command':50s} {'ratio per run (Dovecot / ours)':>48s}  median")
for key in keys:
    shown, median = ratios_shown([both(r, key) for r in runs])
    mark = "  <- below Dovecot" if median < 1 else ""
    print(f"{key[0]:8s} {key[1]:50s} {shown:>48s}  {median:5.2f}{mark}")

cpu_keys = [k for k in keys if any(both(r, k, " cpu") for r in runs)]
if cpu_keys:
    print(f"\n{'server CPU, median ms':58s} {'ours main':>9s} {'ours all':>8s} {'Dovecot':>8s}  {'all threads, ratio per run (Dovecot / ours)':>44s}  median")
    for key in cpu_keys:
        pairs = [both(r, key, " cpu") for r in runs]
        shown, median = ratios_shown(pairs)
        have = [p for p in pairs if p]
        ours_main = statistics.median(r[key]["ours main"] for r in runs if "ours main" in r.get(key, {}))
        ours_ms = statistics.median(p[0] for p in have)
        theirs_ms = statistics.median(p[1] for p in have)
        print(f"{key[0]:8s} {key[1]:50s}{ours_main:9.1f} {ours_ms:8.1f} {theirs_ms:8.1f}  {shown:>44s}  {median:5.2f}")
