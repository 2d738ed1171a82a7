"""Parsing ceiling: DuckDB's read_csv of the whole file into an in-memory table, nothing else.

Uses the contender's exact read_csv call (every column VARCHAR, no sniffing; the
columns of job 3's multi file for that file) so the difference to the DuckDB
contender is the work beyond parsing.

Usage: parse_duckdb.py CSV   (prints {"work_s": ..., "rows": N})
"""

import sys

import duckdb

from common import MULTI_COLUMNS, MULTI_HEADER, PROPERTIES, Stopwatch, report
from contender_duckdb import read_csv


def parse(csv_path):
    """Materialize every cell of the file in memory and return the row count."""
    with open(csv_path, encoding="utf-8", newline="") as f:
        multi = f.readline().rstrip("\r\n") == ",".join(MULTI_HEADER)
    con = duckdb.connect()
    columns = MULTI_COLUMNS if multi else PROPERTIES
    con.execute(f"CREATE TABLE parsed AS SELECT * FROM {read_csv(csv_path, columns)}")
    return con.execute("SELECT count(*) FROM parsed").fetchone()[0]


def main():
    with Stopwatch() as watch:
        rows = parse(sys.argv[1])
    report(work_s=watch.elapsed, rows=rows)


if __name__ == "__main__":
    main()
