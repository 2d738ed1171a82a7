"""DuckDB contender: read_csv + SQL into a persistent database file, in several formulations.

Every formulation first folds the file into one row per normalized email (the
"staging" query), then writes the folded rows into `contacts`, which has a
unique index on email. Folding happens in SQL, set-at-a-time:

* the file order is made explicit with `row_number() OVER ()` (DuckDB guarantees
  that an empty OVER clause keeps the scan's order);
* emails are trimmed and lowercased, and rows failing the email rule dropped;
* per email and per property the last non-blank value wins (blank cells are
  NULL in read_csv), which is exactly what the engine's row-by-row
  "blank never overwrites" application yields.

Formulations (`--formulation`; all give the same records):

* `upsert`  fold with `arg_max(col, rn) FILTER (col IS NOT NULL)`;
            `INSERT ... ON CONFLICT (email) DO UPDATE SET col = coalesce(excluded.col, col)`.
* `upsert-ordered`  as `upsert`, but fold with the ordered aggregate
            `last(col ORDER BY rn) FILTER (col IS NOT NULL)`.
* `merge`   fold as `upsert`; `MERGE INTO contacts USING folded ... WHEN MATCHED
            THEN UPDATE SET col = coalesce(new, old) WHEN NOT MATCHED THEN INSERT`.
* `ctas`    job 1: `CREATE TABLE AS` the folded rows, then `CREATE UNIQUE INDEX`;
            job 2: rebuild the table as `existing FULL OUTER JOIN folded` with
            `coalesce(new, old)`, swap it in and re-create the index.
* `ctas-merge`  job 1 as `ctas`, job 2 as `merge`: the fastest of each (README.md).

Usage: contender_duckdb.py {load,update} CSV DB [--formulation F] | dump DB EMAILS_JSON
"""

import argparse

import duckdb

from common import (DUCKDB_DEFAULT_FORMULATION, DUCKDB_FORMULATIONS, EMAIL_REGEX, PROPERTIES,
                    SAMPLE_PROPERTIES, VALUE_PROPERTIES, Stopwatch, check_header, read_emails,
                    report)

#: Characters stripped from an email: what Python's str.strip() and Rust's
#: str::trim() treat as ASCII whitespace (DuckDB's one-argument trim() only strips spaces).
WHITESPACE = "' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)"
COLUMNS = ", ".join(f"{p} VARCHAR" for p in PROPERTIES)
ALL_COLUMNS = ", ".join(["id"] + PROPERTIES)


def sql_string(text):
    """Quote text as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def read_csv(csv_path):
    """The read_csv call: header skipped, every column VARCHAR, named by property, no sniffing."""
    columns = ", ".join(f"'{p}': 'VARCHAR'" for p in PROPERTIES)
    return (f"read_csv({sql_string(csv_path)}, header = true, auto_detect = false, "
            f"delim = ',', quote = '\"', escape = '\"', columns = {{{columns}}})")


def folded_query(csv_path, ordered):
    """SELECT one row per valid normalized email with last-non-blank-wins values and first_rn."""
    def fold(p):
        latest = f"last({p} ORDER BY rn)" if ordered else f"arg_max({p}, rn)"
        return f"{latest} FILTER (WHERE {p} IS NOT NULL) AS {p}"

    folds = ", ".join(fold(p) for p in VALUE_PROPERTIES)
    return f"""
        WITH numbered AS (
            SELECT row_number() OVER () AS rn, lower(trim(email, {WHITESPACE})) AS norm,
                   {", ".join(VALUE_PROPERTIES)}
            FROM {read_csv(csv_path)}
        )
        SELECT norm AS email, min(rn) AS first_rn, {folds}
        FROM numbered
        WHERE regexp_full_match(norm, {sql_string(EMAIL_REGEX)})
        GROUP BY norm
    """


#: New contacts get id = (highest id so far) + (file row of their first appearance):
#: unique, in first-appearance order, and without a sequence (whose nextval() is
#: evaluated one row at a time).
NEXT_ID_BASE = "(SELECT coalesce(max(id), 0) FROM contacts)"


def create_schema(con, _csv_path=None):
    """Create the empty contacts table and the unique email index."""
    con.execute(f"CREATE TABLE contacts (id BIGINT NOT NULL, {COLUMNS})")
    con.execute("CREATE UNIQUE INDEX contacts_email ON contacts(email)")


def upsert(con, csv_path, ordered=False):
    """INSERT the folded rows, updating existing emails with coalesce(new, old)."""
    updates = ", ".join(f"{p} = coalesce(excluded.{p}, {p})" for p in VALUE_PROPERTIES)
    con.execute(f"""
        INSERT INTO contacts ({ALL_COLUMNS})
        SELECT {NEXT_ID_BASE} + first_rn, {", ".join(PROPERTIES)}
        FROM ({folded_query(csv_path, ordered)})
        ON CONFLICT (email) DO UPDATE SET {updates}
    """)


def upsert_ordered(con, csv_path):
    """As upsert, folding with the ordered aggregate last(col ORDER BY rn)."""
    upsert(con, csv_path, ordered=True)


def merge(con, csv_path):
    """MERGE the folded rows into contacts."""
    updates = ", ".join(f"{p} = coalesce(n.{p}, contacts.{p})" for p in VALUE_PROPERTIES)
    con.execute(f"""
        MERGE INTO contacts
        USING (SELECT {NEXT_ID_BASE} + first_rn AS id, * FROM ({folded_query(csv_path, False)})) AS n
        ON contacts.email = n.email
        WHEN MATCHED THEN UPDATE SET {updates}
        WHEN NOT MATCHED THEN INSERT ({ALL_COLUMNS})
            VALUES ({", ".join(f"n.{p}" for p in ["id"] + PROPERTIES)})
    """)


def ctas_load(con, csv_path):
    """Job 1 by CREATE TABLE AS the folded rows, then index."""
    con.execute(f"""
        CREATE TABLE contacts AS
        SELECT first_rn AS id, {", ".join(PROPERTIES)} FROM ({folded_query(csv_path, False)})
    """)
    con.execute("CREATE UNIQUE INDEX contacts_email ON contacts(email)")


def ctas_update(con, csv_path):
    """Job 2 by rebuilding the table as existing FULL OUTER JOIN folded, then re-indexing."""
    merged = ", ".join(f"coalesce(n.{p}, o.{p}) AS {p}" for p in VALUE_PROPERTIES)
    con.execute(f"""
        CREATE TABLE contacts_new AS
        SELECT coalesce(o.id, {NEXT_ID_BASE} + n.first_rn) AS id,
               coalesce(o.email, n.email) AS email, {merged}
        FROM contacts AS o FULL OUTER JOIN ({folded_query(csv_path, False)}) AS n ON o.email = n.email
    """)
    con.execute("DROP TABLE contacts")
    con.execute("ALTER TABLE contacts_new RENAME TO contacts")
    con.execute("CREATE UNIQUE INDEX contacts_email ON contacts(email)")


#: Per formulation, the steps (con, csv_path) of job 1 (`load`) and of job 2 (`update`).
STEPS = {
    "upsert": {"load": [create_schema, upsert], "update": [upsert]},
    "upsert-ordered": {"load": [create_schema, upsert_ordered], "update": [upsert_ordered]},
    "merge": {"load": [create_schema, merge], "update": [merge]},
    "ctas": {"load": [ctas_load], "update": [ctas_update]},
    "ctas-merge": {"load": [ctas_load], "update": [merge]},
}
assert list(STEPS) == DUCKDB_FORMULATIONS


def apply_file(action, csv_path, db_path, formulation):
    """Run job 1 (`load`) or job 2 (`update`) in one transaction, then close (checkpoint to disk)."""
    check_header(csv_path)
    con = duckdb.connect(db_path)
    con.execute("BEGIN")
    for step in STEPS[formulation][action]:
        step(con, csv_path)
    con.execute("COMMIT")
    con.close()


def dump(db_path, emails):
    """Return the record count and the sampled records (None for an absent email)."""
    con = duckdb.connect(db_path, read_only=True)
    count = con.execute("SELECT count(*) FROM contacts").fetchone()[0]
    rows = con.execute(
        f"SELECT email, {', '.join(SAMPLE_PROPERTIES)} FROM contacts WHERE email IN (SELECT unnest(?))",
        [emails]).fetchall()
    con.close()
    found = {row[0]: list(row[1:]) for row in rows}
    return count, {email: found.get(email) for email in emails}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["load", "update", "dump"])
    parser.add_argument("first", help="CSV file (load, update) or DB (dump)")
    parser.add_argument("second", help="DB (load, update) or emails JSON (dump)")
    parser.add_argument("--formulation", choices=DUCKDB_FORMULATIONS,
                        default=DUCKDB_DEFAULT_FORMULATION)
    args = parser.parse_args()
    if args.action == "dump":
        count, records = dump(args.first, read_emails(args.second))
        report(count=count, records=records)
        return
    with Stopwatch() as watch:
        apply_file(args.action, args.first, args.second, args.formulation)
    report(work_s=watch.elapsed, formulation=args.formulation)


if __name__ == "__main__":
    main()
