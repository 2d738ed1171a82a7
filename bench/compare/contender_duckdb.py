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

Job 3 (`multi`: contacts, companies and deals with their associations from one
file) has one formulation, whatever `--formulation` says (multi_load(), README.md):
the file is read once into a temporary table of numbered, normalized rows; each
object's table is a `CREATE TABLE AS` of a `GROUP BY` over it (deals: a filter),
the rows' record IDs come from one join of the rows with the contacts and companies
tables, each pair's association table is a `CREATE TABLE AS` over those IDs, then
the unique indexes are built.

Usage: contender_duckdb.py {load,update,multi} CSV DB [--formulation F]
       | dump DB EMAILS_JSON | dump-multi DB SAMPLE_JSON
"""

import argparse

import duckdb

from common import (DEAL_PIPELINE, DEAL_STAGE_KEYS, DEFAULT_DEAL_STAGE, DUCKDB_DEFAULT_FORMULATION,
                    DUCKDB_FORMULATIONS, EMAIL_REGEX, HEADER, MULTI_COLUMNS, MULTI_CONTACT_PROPERTIES,
                    MULTI_COUNTS, MULTI_EMAIL_RE2, MULTI_HEADER, PROPERTIES, SAMPLE_PROPERTIES,
                    VALUE_PROPERTIES, Stopwatch, check_header, multi_company_record,
                    multi_contact_record, read_emails, read_sample, report)

#: Characters stripped from an email: what Python's str.strip() and Rust's
#: str::trim() treat as ASCII whitespace (DuckDB's one-argument trim() only strips spaces).
WHITESPACE = "' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)"
COLUMNS = ", ".join(f"{p} VARCHAR" for p in PROPERTIES)
ALL_COLUMNS = ", ".join(["id"] + PROPERTIES)


def sql_string(text):
    """Quote text as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def read_csv(csv_path, names=PROPERTIES):
    """The read_csv call: header skipped, every column VARCHAR, named by property, no sniffing."""
    columns = ", ".join(f"'{p}': 'VARCHAR'" for p in names)
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


# ---------------------------------------------------------------------- job 3: multi

def multi_load(con, csv_path):
    """Job 3 into an empty database: contacts, companies, deals, their association tables.

    IDs: a contact's and a company's is the file row (1-based) of its first
    appearance, a deal's the row that creates it (unique, first-appearance order,
    no sequence). A row with an invalid email makes no contact but still its company
    and deal, linked together (as the engine does); a deal needs a name.
    """
    def fold(p):
        return f"arg_max({p}, rn) FILTER (WHERE {p} IS NOT NULL) AS {p}"

    others = ", ".join(c for c in MULTI_COLUMNS if c not in ("email", "domain"))
    con.execute(f"""
        CREATE TEMP TABLE numbered AS
        WITH cells AS (
            SELECT row_number() OVER () AS rn, lower(trim(email, {WHITESPACE})) AS norm,
                   nullif(lower(trim(domain, {WHITESPACE})), '') AS domain, {others}
            FROM {read_csv(csv_path, MULTI_COLUMNS)}
        )
        SELECT rn, CASE WHEN regexp_full_match(norm, {sql_string(MULTI_EMAIL_RE2)}) THEN norm END AS email,
               domain, {others}
        FROM cells
    """)
    con.execute(f"""
        CREATE TABLE contacts AS
        SELECT min(rn) AS id, email, {", ".join(fold(p) for p in MULTI_CONTACT_PROPERTIES)}
        FROM numbered WHERE email IS NOT NULL GROUP BY email
    """)
    con.execute(f"""
        CREATE TABLE companies AS
        SELECT min(rn) AS id, domain, {fold("name")} FROM numbered WHERE domain IS NOT NULL GROUP BY domain
    """)
    stages = ", ".join(f"({sql_string(k)}, {sql_string(v)})" for k, v in DEAL_STAGE_KEYS.items())
    con.execute(f"""
        CREATE TABLE deals AS
        SELECT n.rn AS id, n.dealname, CAST(n.amount AS DOUBLE) AS amount,
               CASE WHEN n.dealstage IS NULL THEN {sql_string(DEFAULT_DEAL_STAGE)} ELSE s.stage END
                   AS dealstage,
               {sql_string(DEAL_PIPELINE)} AS pipeline
        FROM numbered AS n
        LEFT JOIN (VALUES {stages}) AS s(stage_key, stage) ON s.stage_key = lower(trim(n.dealstage))
        WHERE n.dealname IS NOT NULL
    """)
    con.execute("""
        CREATE TEMP TABLE row_ids AS
        SELECT n.rn, c.id AS contact_id, co.id AS company_id, n.dealname IS NOT NULL AS has_deal
        FROM numbered AS n
        LEFT JOIN contacts AS c ON c.email = n.email
        LEFT JOIN companies AS co ON co.domain = n.domain
    """)
    # A pair met on several rows is one link; a contact's primary company is the
    # company of its first row that has one. A deal is made by one row, so each of
    # its links is made once and its company is its primary.
    con.execute("""
        CREATE TABLE contact_company AS
        SELECT contact_id, company_id, min(rn) = min(min(rn)) OVER (PARTITION BY contact_id) AS is_primary
        FROM row_ids WHERE contact_id IS NOT NULL AND company_id IS NOT NULL
        GROUP BY contact_id, company_id
    """)
    con.execute("""
        CREATE TABLE contact_deal AS
        SELECT contact_id, rn AS deal_id FROM row_ids WHERE has_deal AND contact_id IS NOT NULL
    """)
    con.execute("""
        CREATE TABLE company_deal AS
        SELECT company_id, rn AS deal_id, true AS is_primary
        FROM row_ids WHERE has_deal AND company_id IS NOT NULL
    """)
    con.execute("CREATE UNIQUE INDEX contacts_email ON contacts(email)")
    con.execute("CREATE UNIQUE INDEX companies_domain ON companies(domain)")
    for table, left, right in MULTI_LINK_TABLES:
        con.execute(f"CREATE UNIQUE INDEX {table}_key ON {table}({left}, {right})")


#: The association tables: (table, first column, second column).
MULTI_LINK_TABLES = [("contact_company", "contact_id", "company_id"),
                     ("contact_deal", "contact_id", "deal_id"),
                     ("company_deal", "company_id", "deal_id")]


def multi_counts(con):
    """The MULTI_COUNTS of a job-3 database."""
    return dict(zip(MULTI_COUNTS, con.execute("""
        SELECT (SELECT count(*) FROM contacts), (SELECT count(*) FROM companies),
               (SELECT count(*) FROM deals), (SELECT count(*) FROM contact_company),
               (SELECT count(*) FROM contact_deal), (SELECT count(*) FROM company_deal),
               (SELECT count(*) FILTER (WHERE is_primary) FROM contact_company),
               (SELECT count(*) FILTER (WHERE is_primary) FROM company_deal)
    """).fetchone()))


def dump_multi(db_path, sample):
    """The counts and the sampled records of a job-3 database (common.py's shapes)."""
    con = duckdb.connect(db_path, read_only=True)
    counts = multi_counts(con)
    emails, domains = sample["emails"], sample["domains"]
    contacts = {row[0]: row[1:] for row in con.execute(f"""
        SELECT email, id, {", ".join(MULTI_CONTACT_PROPERTIES)}
        FROM contacts WHERE email IN (SELECT unnest(?))
    """, [emails]).fetchall()}
    ids = [row[0] for row in contacts.values()]
    companies_of, primary_of = {}, {}
    for contact_id, domain, is_primary in con.execute("""
        SELECT l.contact_id, co.domain, l.is_primary
        FROM contact_company AS l JOIN companies AS co ON co.id = l.company_id
        WHERE l.contact_id IN (SELECT unnest(?))
    """, [ids]).fetchall():
        companies_of.setdefault(contact_id, []).append(domain)
        if is_primary:
            primary_of[contact_id] = domain
    deals_of = {}
    for contact_id, *deal in con.execute("""
        WITH d AS (
            SELECT l.contact_id, d.id, d.dealname, d.amount, d.dealstage, d.pipeline
            FROM contact_deal AS l JOIN deals AS d ON d.id = l.deal_id
            WHERE l.contact_id IN (SELECT unnest(?))
        )
        SELECT d.contact_id, d.dealname, d.amount, d.dealstage, d.pipeline,
               coalesce(list_sort(list(co.domain) FILTER (WHERE co.domain IS NOT NULL)), []::VARCHAR[]),
               any_value(co.domain) FILTER (WHERE cd.is_primary)
        FROM d
        LEFT JOIN company_deal AS cd ON cd.deal_id = d.id
        LEFT JOIN companies AS co ON co.id = cd.company_id
        GROUP BY d.contact_id, d.id, d.dealname, d.amount, d.dealstage, d.pipeline
    """, [ids]).fetchall():
        deals_of.setdefault(contact_id, []).append(deal)
    records = {}
    for email in emails:
        found = contacts.get(email)
        records[f"contact {email}"] = None if found is None else multi_contact_record(
            list(found[1:]), companies_of.get(found[0], []), primary_of.get(found[0]),
            deals_of.get(found[0], []))
    found = {row[0]: row[1:] for row in con.execute("""
        SELECT co.domain, co.name,
               (SELECT count(*) FROM contact_company AS l WHERE l.company_id = co.id),
               (SELECT count(*) FROM company_deal AS l WHERE l.company_id = co.id)
        FROM companies AS co WHERE co.domain IN (SELECT unnest(?))
    """, [domains]).fetchall()}
    for domain in domains:
        records[f"company {domain}"] = None if domain not in found else multi_company_record(*found[domain])
    con.close()
    return counts, records


def apply_file(action, csv_path, db_path, formulation):
    """Run job 1 (`load`) or job 2 (`update`) in one transaction, then close (checkpoint to disk)."""
    check_header(csv_path, MULTI_HEADER if action == "multi" else HEADER)
    con = duckdb.connect(db_path)
    con.execute("BEGIN")
    for step in [multi_load] if action == "multi" else STEPS[formulation][action]:
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
    parser.add_argument("action", choices=["load", "update", "multi", "dump", "dump-multi"])
    parser.add_argument("first", help="CSV file (load, update, multi) or DB (dump, dump-multi)")
    parser.add_argument("second", help="DB (load, update, multi) or sample JSON (dump, dump-multi)")
    parser.add_argument("--formulation", choices=DUCKDB_FORMULATIONS,
                        default=DUCKDB_DEFAULT_FORMULATION)
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
        apply_file(args.action, args.first, args.second, args.formulation)
    report(work_s=watch.elapsed, formulation="multi" if args.action == "multi" else args.formulation)


if __name__ == "__main__":
    main()
