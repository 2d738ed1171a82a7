"""SQLite contender: Python's csv module + sqlite3, WAL, one transaction, one prepared upsert.

Rows are applied one by one in file order, exactly like the engine: the first row
of an email inserts the contact, a later one updates it, and a blank cell never
overwrites a value (`coalesce(excluded.col, col)`).

Usage: contender_sqlite.py {load,update} CSV DB | dump DB EMAILS_JSON
"""

import argparse
import csv
import sqlite3

from common import (PROPERTIES, SAMPLE_PROPERTIES, VALUE_PROPERTIES, Stopwatch,
                    check_header, normalize_email, read_emails, report)

EMAIL_INDEX = PROPERTIES.index("email")

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS contacts (
    id INTEGER PRIMARY KEY,
    {", ".join(f"{p} TEXT" for p in PROPERTIES)}
);
CREATE UNIQUE INDEX IF NOT EXISTS contacts_email ON contacts(email);
"""

UPSERT = f"""
INSERT INTO contacts ({", ".join(PROPERTIES)}) VALUES ({", ".join("?" * len(PROPERTIES))})
ON CONFLICT(email) DO UPDATE SET
    {", ".join(f"{p} = coalesce(excluded.{p}, {p})" for p in VALUE_PROPERTIES)}
"""


def valid_rows(csv_path):
    """Yield the file's rows as parameter lists: email normalized, blanks as NULL, invalid emails dropped."""
    with open(csv_path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for row in reader:
            email = normalize_email(row[EMAIL_INDEX])
            if email is None:
                continue
            params = [cell or None for cell in row]
            params[EMAIL_INDEX] = email
            yield params


def apply_file(csv_path, db_path):
    """Load (job 1) or update (job 2) the store: the same code path, one transaction."""
    check_header(csv_path)
    con = sqlite3.connect(db_path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.executescript(SCHEMA)
    con.execute("BEGIN")
    con.executemany(UPSERT, valid_rows(csv_path))
    con.execute("COMMIT")
    con.close()


def dump(db_path, emails):
    """Return the record count and the sampled records (None for an absent email)."""
    con = sqlite3.connect(db_path)
    count = con.execute("SELECT count(*) FROM contacts").fetchone()[0]
    query = f"SELECT {', '.join(SAMPLE_PROPERTIES)} FROM contacts WHERE email = ?"
    records = {}
    for email in emails:
        row = con.execute(query, (email,)).fetchone()
        records[email] = list(row) if row else None
    con.close()
    return count, records


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["load", "update", "dump"])
    parser.add_argument("first", help="CSV file (load, update) or DB (dump)")
    parser.add_argument("second", help="DB (load, update) or emails JSON (dump)")
    args = parser.parse_args()
    if args.action == "dump":
        count, records = dump(args.first, read_emails(args.second))
        report(count=count, records=records)
        return
    with Stopwatch() as watch:
        apply_file(args.first, args.second)
    report(work_s=watch.elapsed)


if __name__ == "__main__":
    main()
