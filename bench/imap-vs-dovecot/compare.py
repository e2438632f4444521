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
keys = [k for k in runs[0] if all(k in r and len(r[k]) == 2 for r in runs)]
print(f"{'list':8s} {'command':50s} {'ratio per run (Dovecot / ours)':>40s}  median")
for which, command in keys:
    ratios = [r[(which, command)]["dovecot"] / r[(which, command)]["ours"] for r in runs]
    median = statistics.median(ratios)
    mark = "  <- below Dovecot" if median < 1 else ""
    print(f"{which:8s} {command:50s} {' '.join(f'{x:5.2f}' for x in ratios):>40s}  {median:5.2f}{mark}")
