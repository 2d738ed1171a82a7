"""Parsing ceiling: DuckDB's read_csv of the whole file into an in-memory table, nothing else.

Uses the contender's exact read_csv call (every column VARCHAR, no sniffing) so
the difference to the DuckDB contender is the work beyond parsing.

Usage: parse_duckdb.py CSV   (prints {"work_s": ..., "rows": N})
"""

import sys

import duckdb

from common import Stopwatch, report
from contender_duckdb import read_csv


def parse(csv_path):
    """Materialize every cell of the file in memory and return the row count."""
    con = duckdb.connect()
    con.execute(f"CREATE TABLE parsed AS SELECT * FROM {read_csv(csv_path)}")
    return con.execute("SELECT count(*) FROM parsed").fetchone()[0]


def main():
    with Stopwatch() as watch:
        rows = parse(sys.argv[1])
    report(work_s=watch.elapsed, rows=rows)


if __name__ == "__main__":
    main()
