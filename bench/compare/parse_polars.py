"""Parsing ceiling: Polars' read_csv of the whole file into a DataFrame of strings, nothing else.

Usage: parse_polars.py CSV   (prints {"work_s": ..., "rows": N})
"""

import sys

import polars

from common import Stopwatch, report


def parse(csv_path):
    """Materialize every cell of the file as a string column and return the row count."""
    return polars.read_csv(csv_path, infer_schema=False).height


def main():
    with Stopwatch() as watch:
        rows = parse(sys.argv[1])
    report(work_s=watch.elapsed, rows=rows)


if __name__ == "__main__":
    main()
