"""Writes the same contacts as XLSX and Parquet, for bench/data/formats.sh.

Usage: python3 bench/data/formats.py CONTACTS.csv ROWS_XLSX OUT_DIR [PARQUET_NAME]
Reads the CSV (made by `ingest gen contacts`), writes OUT_DIR/contacts.xlsx (its first
ROWS_XLSX rows; XlsxWriter in constant-memory mode), OUT_DIR/contacts_ROWS_XLSX.csv (the same
rows as CSV) and OUT_DIR/PARQUET_NAME (every row; pyarrow's CSV reader types the columns:
numbers, dates and bools become typed Parquet columns; row groups of 128k rows).
Needs XlsxWriter and pyarrow (pip).
"""

import csv
import os
import sys

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import xlsxwriter


def main():
    src, rows, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    parquet_name = sys.argv[4] if len(sys.argv) > 4 else "contacts.parquet"
    os.makedirs(out, exist_ok=True)
    wb = xlsxwriter.Workbook(os.path.join(out, "contacts.xlsx"), {"constant_memory": True})
    ws = wb.add_worksheet("Contacts")
    with open(src, newline="", encoding="utf-8") as f, \
            open(os.path.join(out, f"contacts_{rows}.csv"), "w", newline="", encoding="utf-8") as g:
        reader = csv.reader(f)
        writer = csv.writer(g, lineterminator="\n")
        for r, row in enumerate(reader):
            if r > rows:
                break
            writer.writerow(row)
            for c, v in enumerate(row):
                ws.write_string(r, c, v)
    wb.close()
    table = pacsv.read_csv(src, parse_options=pacsv.ParseOptions(invalid_row_handler=lambda row: "skip"))
    pq.write_table(table, os.path.join(out, parquet_name), row_group_size=128 * 1024)


if __name__ == "__main__":
    main()
