#!/usr/bin/env python3
"""Writes the first N rows (all, without N) of a contacts CSV whose emails are
distinct (the first row of each email, compared trimmed and lowercased; rows
without an email are kept): a nightly file in which every row is its own record,
so that importing it again changes nothing. bench/compare's job 4 uses it too.

    ingest gen contacts --rows 1030000 --seed 1 --out data
    bench/history/unique.py data/contacts.csv 1000000 > data/unique1m.csv
"""
import csv
import sys

source, limit = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else None
seen = set()
out = csv.writer(sys.stdout, lineterminator="\n")
with open(source, newline="", encoding="utf-8") as f:
    rows = csv.reader(f)
    header = next(rows)
    out.writerow(header)
    email = header.index("Email")
    written = 0
    for row in rows:
        key = row[email].strip().lower()
        if key and key in seen:
            continue
        seen.add(key)
        out.writerow(row)
        written += 1
        if written == limit:
            break
print(f"{written} rows", file=sys.stderr)
