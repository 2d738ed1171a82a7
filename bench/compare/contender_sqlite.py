"""SQLite contender: Python's csv module + sqlite3, WAL, one transaction, one prepared upsert.

Rows are applied one by one in file order, exactly like the engine: the first row
of an email inserts the contact, a later one updates it, and a blank cell never
overwrites a value (`coalesce(excluded.col, col)`).

Job 3 (`multi`, multi_load()): the csv module feeds the file's rows, emails and
domains normalized, into a temporary staging table through one `executemany`;
then set-based SQL: the same upsert from the staging table into contacts and into
companies (`INSERT ... SELECT ... ORDER BY rn ON CONFLICT DO UPDATE`, so the rows
still apply in file order), deals by `INSERT ... SELECT`, the rows' record IDs by
one join, and each pair's association table (a WITHOUT ROWID table keyed by the pair)
by `INSERT ... SELECT` over those IDs, then an index for the reverse direction.

Usage: contender_sqlite.py {load,update,multi} CSV DB | dump DB EMAILS_JSON | dump-multi DB SAMPLE_JSON
"""

import argparse
import csv
import sqlite3

from common import (DEAL_PIPELINE, DEAL_STAGE_KEYS, DEFAULT_DEAL_STAGE, MULTI_COLUMNS,
                    MULTI_CONTACT_PROPERTIES, MULTI_COUNTS, MULTI_HEADER, PROPERTIES,
                    SAMPLE_PROPERTIES, VALUE_PROPERTIES, Stopwatch, check_header,
                    multi_company_record, multi_contact_record, normalize_domain,
                    normalize_email, normalize_multi_email, read_emails, read_sample, report)

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


# ---------------------------------------------------------------------- job 3: multi

MULTI_SCHEMA = f"""
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY, email TEXT, {", ".join(f"{p} TEXT" for p in MULTI_CONTACT_PROPERTIES)}
);
CREATE UNIQUE INDEX contacts_email ON contacts(email);
CREATE TABLE companies (id INTEGER PRIMARY KEY, domain TEXT, name TEXT);
CREATE UNIQUE INDEX companies_domain ON companies(domain);
CREATE TABLE deals (id INTEGER PRIMARY KEY, dealname TEXT, amount REAL, dealstage TEXT, pipeline TEXT);
CREATE TABLE contact_company (
    contact_id INTEGER NOT NULL, company_id INTEGER NOT NULL, is_primary INTEGER NOT NULL,
    PRIMARY KEY (contact_id, company_id)
) WITHOUT ROWID;
CREATE TABLE contact_deal (
    contact_id INTEGER NOT NULL, deal_id INTEGER NOT NULL, PRIMARY KEY (contact_id, deal_id)
) WITHOUT ROWID;
CREATE TABLE company_deal (
    company_id INTEGER NOT NULL, deal_id INTEGER NOT NULL, is_primary INTEGER NOT NULL,
    PRIMARY KEY (company_id, deal_id)
) WITHOUT ROWID;
"""
#: The association tables' reverse direction, indexed once they are filled.
MULTI_REVERSE_INDEXES = """
CREATE INDEX contact_company_reverse ON contact_company(company_id, contact_id);
CREATE INDEX contact_deal_reverse ON contact_deal(deal_id, contact_id);
CREATE INDEX company_deal_reverse ON company_deal(deal_id, company_id);
"""
STAGING = f"""
CREATE TEMP TABLE staged (
    rn INTEGER PRIMARY KEY, {", ".join(f"{c} {'REAL' if c == 'amount' else 'TEXT'}" for c in MULTI_COLUMNS)}
)
"""
EMAIL_COLUMN = MULTI_COLUMNS.index("email")
DOMAIN_COLUMN = MULTI_COLUMNS.index("domain")


def sql_string(text):
    """Quote text as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def staged_rows(csv_path):
    """Yield the multi file's rows as parameter lists: blanks as NULL, email and domain normalized.

    An invalid email becomes NULL: the row makes no contact, but its company and deal.
    """
    with open(csv_path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for row in reader:
            params = [cell or None for cell in row]
            params[EMAIL_COLUMN] = normalize_multi_email(row[EMAIL_COLUMN])
            params[DOMAIN_COLUMN] = normalize_domain(row[DOMAIN_COLUMN])
            yield params


def upsert_from_staged(table, key, properties):
    """INSERT the staged rows having `key` into `table` in file order, later non-blank values winning."""
    updates = ", ".join(f"{p} = coalesce(excluded.{p}, {p})" for p in properties)
    return f"""
        INSERT INTO {table} ({key}, {", ".join(properties)})
        SELECT {key}, {", ".join(properties)} FROM staged WHERE {key} IS NOT NULL ORDER BY rn
        ON CONFLICT({key}) DO UPDATE SET {updates}
    """


def execute_all(con, script):
    """Run the statements of `script` one by one (executescript() would commit first)."""
    for statement in script.split(";"):
        if statement.strip():
            con.execute(statement)


def multi_load(con, csv_path):
    """Job 3 into an empty database, inside the caller's transaction.

    IDs: contacts and companies are numbered in order of first appearance (rowid),
    a deal's ID is the file row that creates it.
    """
    execute_all(con, MULTI_SCHEMA)
    con.execute(STAGING)
    columns = ", ".join(MULTI_COLUMNS)
    con.executemany(f"INSERT INTO staged ({columns}) VALUES ({', '.join('?' * len(MULTI_COLUMNS))})",
                    staged_rows(csv_path))
    con.execute(upsert_from_staged("contacts", "email", MULTI_CONTACT_PROPERTIES))
    con.execute(upsert_from_staged("companies", "domain", ["name"]))
    stages = " ".join(f"WHEN {sql_string(k)} THEN {sql_string(v)}" for k, v in DEAL_STAGE_KEYS.items())
    con.execute(f"""
        INSERT INTO deals (id, dealname, amount, dealstage, pipeline)
        SELECT rn, dealname, amount,
               CASE WHEN dealstage IS NULL THEN {sql_string(DEFAULT_DEAL_STAGE)}
                    ELSE CASE lower(trim(dealstage)) {stages} END END,
               {sql_string(DEAL_PIPELINE)}
        FROM staged WHERE dealname IS NOT NULL
    """)
    con.execute("""
        CREATE TEMP TABLE row_ids AS
        SELECT s.rn, c.id AS contact_id, co.id AS company_id, s.dealname IS NOT NULL AS has_deal
        FROM staged AS s
        LEFT JOIN contacts AS c ON c.email = s.email
        LEFT JOIN companies AS co ON co.domain = s.domain
    """)
    # A pair met on several rows is one link; a contact's primary company is the
    # company of its first row that has one. A deal is made by one row, so each of
    # its links is made once and its company is its primary.
    con.execute("""
        INSERT INTO contact_company (contact_id, company_id, is_primary)
        SELECT contact_id, company_id, first_rn = min(first_rn) OVER (PARTITION BY contact_id)
        FROM (SELECT contact_id, company_id, min(rn) AS first_rn FROM row_ids
              WHERE contact_id IS NOT NULL AND company_id IS NOT NULL GROUP BY contact_id, company_id)
    """)
    con.execute("""
        INSERT INTO contact_deal (contact_id, deal_id)
        SELECT contact_id, rn FROM row_ids WHERE has_deal AND contact_id IS NOT NULL ORDER BY contact_id, rn
    """)
    con.execute("""
        INSERT INTO company_deal (company_id, deal_id, is_primary)
        SELECT company_id, rn, 1 FROM row_ids WHERE has_deal AND company_id IS NOT NULL
        ORDER BY company_id, rn
    """)
    execute_all(con, MULTI_REVERSE_INDEXES)
    con.execute("DROP TABLE staged")
    con.execute("DROP TABLE row_ids")


def apply_multi(csv_path, db_path):
    """Job 3 in one transaction, with the settings of jobs 1 and 2 (WAL) and temporary tables in memory."""
    check_header(csv_path, MULTI_HEADER)
    con = sqlite3.connect(db_path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA temp_store=MEMORY")
    con.execute("BEGIN")
    multi_load(con, csv_path)
    con.execute("COMMIT")
    con.close()


def dump_multi(db_path, sample):
    """The counts and the sampled records of a job-3 database (common.py's shapes)."""
    con = sqlite3.connect(db_path)
    counts = dict(zip(MULTI_COUNTS, con.execute("""
        SELECT (SELECT count(*) FROM contacts), (SELECT count(*) FROM companies),
               (SELECT count(*) FROM deals), (SELECT count(*) FROM contact_company),
               (SELECT count(*) FROM contact_deal), (SELECT count(*) FROM company_deal),
               (SELECT count(*) FROM contact_company WHERE is_primary),
               (SELECT count(*) FROM company_deal WHERE is_primary)
    """).fetchone()))
    records = {}
    contact = f"SELECT id, {', '.join(MULTI_CONTACT_PROPERTIES)} FROM contacts WHERE email = ?"
    for email in sample["emails"]:
        row = con.execute(contact, (email,)).fetchone()
        if row is None:
            records[f"contact {email}"] = None
            continue
        companies = con.execute("""
            SELECT co.domain, l.is_primary
            FROM contact_company AS l JOIN companies AS co ON co.id = l.company_id WHERE l.contact_id = ?
        """, (row[0],)).fetchall()
        deals = []
        for deal_id, *deal in con.execute("""
            SELECT d.id, d.dealname, d.amount, d.dealstage, d.pipeline
            FROM contact_deal AS l JOIN deals AS d ON d.id = l.deal_id WHERE l.contact_id = ?
        """, (row[0],)).fetchall():
            deal_companies = con.execute("""
                SELECT co.domain, l.is_primary
                FROM company_deal AS l JOIN companies AS co ON co.id = l.company_id WHERE l.deal_id = ?
            """, (deal_id,)).fetchall()
            deals.append([*deal, sorted(d for d, _ in deal_companies),
                          next((d for d, primary in deal_companies if primary), None)])
        records[f"contact {email}"] = multi_contact_record(
            list(row[1:]), [d for d, _ in companies], next((d for d, primary in companies if primary), None),
            deals)
    for domain in sample["domains"]:
        row = con.execute("""
            SELECT name, (SELECT count(*) FROM contact_company WHERE company_id = co.id),
                   (SELECT count(*) FROM company_deal WHERE company_id = co.id)
            FROM companies AS co WHERE domain = ?
        """, (domain,)).fetchone()
        records[f"company {domain}"] = None if row is None else multi_company_record(*row)
    con.close()
    return counts, records


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
    parser.add_argument("action", choices=["load", "update", "multi", "dump", "dump-multi"])
    parser.add_argument("first", help="CSV file (load, update, multi) or DB (dump, dump-multi)")
    parser.add_argument("second", help="DB (load, update, multi) or sample JSON (dump, dump-multi)")
    args = parser.parse_args()
    if args.action == "dump":
        count, records = dump(args.first, read_emails(args.second))
        report(count=count, records=records)
        return
    if args.action == "dump-multi":
        counts, records = dump_multi(args.first, read_sample(args.second))
        report(count=counts, records=records)
        return
    with Stopwatch() as watch:
        if args.action == "multi":
            apply_multi(args.first, args.second)
        else:
            apply_file(args.first, args.second)
    report(work_s=watch.elapsed)


if __name__ == "__main__":
    main()
