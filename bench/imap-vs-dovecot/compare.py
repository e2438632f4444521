#!/usr/bin/env python3
"""Reads the output of one or more `run.sh` runs and prints, per command, the ratio Dovecot's time / ours in each run
and the median of those ratios (above 1: we are faster). One run on a shared machine moves by tens of percent for
the short commands; the median over runs is what docs/benchmarks.md holds against the issue 18 bar.
usage: python3 bench/imap-vs-dovecot/compare.py RUN_OUTPUT [RUN_OUTPUT ...]"""
import re, statistics, sys

row = re.compile(r"^(\S.*?)\s{2,}([\d.]+) ms")
header = re.compile(r"^== (mailsandbox|Dovecot).*\((?:N=\d+), (\w+)\)")


def parse(path):
    """{(list, command): {'ours': ms, 'dovecot': ms}} for one run.sh output (`all` prints both lists)."""
    out, server, which = {}, None, None
    for line in open(path, encoding="utf8"):
        h = header.match(line)
        if h:
            server, which = ("ours" if h.group(1) == "mailsandbox" else "dovecot"), h.group(2)
            continue
        r = row.match(line)
        if r and server:
            out.setdefault((which, r.group(1).strip()), {})[server] = float(r.group(2))
    return out


runs = [parse(p) for p in sys.argv[1:]]
if not runs:
    sys.exit(__doc__)
# Every command any run has both figures for, in the order first seen; a run without it (one list only) shows "-".
keys = list(dict.fromkeys(k for r in runs for k in r if len(r[k]) == 2))
print(f"{'list':8s} {'command':50s} {'ratio per run (Dovecot / ours)':>48s}  median")
for key in keys:
    ratios = [r[key]["dovecot"] / r[key]["ours"] if len(r.get(key, {})) == 2 else None for r in runs]
    median = statistics.median(x for x in ratios if x is not None)
    mark = "  <- below Dovecot" if median < 1 else ""
    shown = " ".join("    -" if x is None else f"{x:5.2f}" for x in ratios)
    print(f"{key[0]:8s} {key[1]:50s} {shown:>48s}  {median:5.2f}{mark}")
