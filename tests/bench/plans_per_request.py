#!/usr/bin/env python3
"""plans_per_request.py - what make bench's plan check saw, per request.

Reads a slice of PostgreSQL's log (stderr format: an entry starts at column
0, its continuation lines with a tab) on stdin. bench.sh writes
"LOG:  bench-plan N" before request N (RAISE LOG from a superuser session)
and "bench-plan end" after the last; auto_explain (log_format json) logs
the plans of the workers' statements in between. Prints one line per
request: N, plans, plans reading items, plans reading requests, sequential
scans of items, sequential scans of requests (tab-separated)."""
import json
import re
import sys

MARK = re.compile(r"LOG:  bench-plan (\d+|end)\s*$")
TEXT_SCAN = re.compile(r"(Seq Scan|Scan|Scan Backward)(?: using \S+)? on (\w+)")
PLAN = re.compile(r"LOG:  duration: [0-9.]+ ms  plan:\s*$")


def nodes(plan):
    yield plan
    for sub in plan.get("Plans", ()):
        yield from nodes(sub)


def entries(lines):
    cur = None
    for line in lines:
        line = line.rstrip("\n")
        if line.startswith("\t") and cur is not None:
            cur.append(line[1:])
        else:
            if cur is not None:
                yield cur
            cur = [line]
    if cur is not None:
        yield cur


def main():
    counts = {}
    req = None
    for e in entries(sys.stdin):
        m = MARK.search(e[0])
        if m:
            req = None if m.group(1) == "end" else int(m.group(1))
            if req is not None:
                counts.setdefault(req, [0, 0, 0, 0, 0])
            continue
        if req is None or not PLAN.search(e[0]):
            continue
        c = counts[req]
        c[0] += 1
        rels = {}
        try:
            doc = json.loads("\n".join(e[1:]))
        except ValueError:  # auto_explain.log_format text
            for m in TEXT_SCAN.finditer("\n".join(e[1:])):
                rels.setdefault(m.group(2), 0)
                rels[m.group(2)] += m.group(1) == "Seq Scan"
        else:
            for n in nodes(doc.get("Plan", {})):
                rel = n.get("Relation Name")
                if rel:
                    rels.setdefault(rel, 0)
                    rels[rel] += n.get("Node Type") == "Seq Scan"
        if "items" in rels:
            c[1] += 1
            c[3] += rels["items"]
        if "requests" in rels:
            c[2] += 1
            c[4] += rels["requests"]
    for n in sorted(counts):
        print(n, *counts[n], sep="\t")


if __name__ == "__main__":
    main()
