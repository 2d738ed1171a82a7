"""Definitions shared by the comparison contenders and the runner.

Every contender script speaks the same small protocol:

    SCRIPT load   CSV STORE   job 1: fresh store from the contacts file
    SCRIPT update CSV STORE   job 2: apply the update file to a store loaded by job 1
    SCRIPT multi  CSV STORE   job 3: fresh store from the multi-object file (contacts,
                              companies, deals and their associations)
    SCRIPT dump   STORE EMAILS_JSON
                              print the record count and the sampled records
    SCRIPT dump-multi STORE SAMPLE_JSON
                              print the counts and the sampled records of a job-3 store

`load`, `update` and `multi` print one JSON line `{"work_s": ...}` (time spent inside
the process, after interpreter start and imports); `dump` prints one JSON line
`{"count": N, "records": {email: [SAMPLE_PROPERTIES values] or null}}`; `dump-multi`
one line `{"count": {MULTI_COUNTS key: N}, "records": {key: [values] or null}}`, with
the keys and values described at MULTI_COUNTS and multi_contact_record().
"""

import json
import re
import sys
import time

#: The header of `ingest gen contacts` files, exactly.
HEADER = [
    "First Name", "Last Name", "Email", "Phone Number", "Company Name",
    "Job Title", "City", "Country", "Lifecycle Stage", "Website URL",
]
#: The engine's property name for each column of HEADER, in the same order.
PROPERTIES = [
    "firstname", "lastname", "email", "phone", "company",
    "jobtitle", "city", "country", "lifecyclestage", "website",
]
#: Properties other than the email (the ones folded "last non-blank wins").
VALUE_PROPERTIES = [p for p in PROPERTIES if p != "email"]
#: The properties compared, per sampled email, with the engine's export. Job title
#: and website are there because `ingest gen` leaves them blank in some rows (unlike
#: the names and the city), so that "a blank cell never overwrites" is checked; the
#: engine stores all five as given (it normalizes e.g. the lifecycle stage, which
#: is therefore not compared).
SAMPLE_PROPERTIES = ["firstname", "lastname", "city", "jobtitle", "website"]
#: The email validity rule, applied after trim + lowercase (same rule as the engine).
EMAIL_REGEX = r"^[a-z0-9._%+'-]+@[a-z0-9-]+(\.[a-z0-9-]+)+$"
_EMAIL = re.compile(EMAIL_REGEX)
#: DuckDB formulations of the job (see contender_duckdb.py and README.md).
DUCKDB_FORMULATIONS = ["upsert", "upsert-ordered", "merge", "ctas", "ctas-merge"]
#: The fastest one measured: the runner's default.
DUCKDB_DEFAULT_FORMULATION = "ctas-merge"


#: Job 3: the header of `bench/data/multi.py` files, exactly.
MULTI_HEADER = [
    "Email", "First Name", "Last Name", "Phone Number", "Company Name",
    "Company Domain Name", "City", "Deal Name", "Amount", "Deal Stage",
]
#: The peers' column name for each column of MULTI_HEADER (the engine's property
#: names; `name` and `domain` are the company's, the last three the deal's).
MULTI_COLUMNS = [
    "email", "firstname", "lastname", "phone", "name",
    "domain", "city", "dealname", "amount", "dealstage",
]
#: The contact properties besides the email, folded "last non-blank wins".
MULTI_CONTACT_PROPERTIES = ["firstname", "lastname", "phone", "city"]
#: The engine's email rule for job 3 (normalize/values.rs, `email`), after trim +
#: lowercase: a dot-atom local part of letters and digits of any script and RFC 5322's
#: other atext characters, then a domain of at least two labels of letters, digits
#: and inner hyphens, internationalized ones included (`ærwin.0@ærø.dk` is valid).
#: Python's spelling ([^\W_] is a letter or digit of any script) and RE2's (DuckDB).
#: Not reproduced: NFC normalization and IDNA mapping (`xn--` labels to Unicode),
#: which the engine applies and the generated files never need.
_ATEXT_PY = r"[\w!#$%&'*+/=?^`{|}~-]+"
_LABEL_PY = r"(?!-)(?:[^\W_]|-)+(?<!-)"
MULTI_EMAIL_REGEX = rf"{_ATEXT_PY}(?:\.{_ATEXT_PY})*@{_LABEL_PY}(?:\.{_LABEL_PY})+"
_ATEXT_RE2 = r"[\pL\pN!#$%&'*+/=?^_`{|}~-]+"
_LABEL_RE2 = r"[\pL\pN](?:[\pL\pN-]*[\pL\pN])?"
MULTI_EMAIL_RE2 = rf"{_ATEXT_RE2}(?:\.{_ATEXT_RE2})*@{_LABEL_RE2}(?:\.{_LABEL_RE2})+"
_MULTI_EMAIL = re.compile(MULTI_EMAIL_REGEX)
#: The deal pipeline the engine files every deal under, its stages (internal ID,
#: label: `ingest schema deals`) and the stage of a deal given none. The engine takes
#: a stage by its label or its ID, case-insensitively, and stores the ID.
DEAL_PIPELINE = "default"
DEAL_STAGES = [
    ("appointmentscheduled", "Appointment Scheduled"),
    ("qualifiedtobuy", "Qualified To Buy"),
    ("presentationscheduled", "Presentation Scheduled"),
    ("decisionmakerboughtin", "Decision Maker Bought-In"),
    ("contractsent", "Contract Sent"),
    ("closedwon", "Closed Won"),
    ("closedlost", "Closed Lost"),
]
DEFAULT_DEAL_STAGE = DEAL_STAGES[0][0]
#: Lowercased label or ID -> stage ID.
DEAL_STAGE_KEYS = {key: stage for stage, label in DEAL_STAGES for key in (label.lower(), stage)}
#: What a job-3 store is checked by (`dump-multi`'s "count"): records per object,
#: links per pair of objects (each link once, whichever direction), and links that
#: are their contact's or deal's primary company.
MULTI_COUNTS = ["contacts", "companies", "deals", "contact_company", "contact_deal",
                "company_deal", "contact_primary_company", "deal_primary_company"]


def multi_contact_record(properties, company_domains, primary_domain, deals):
    """A sampled contact of job 3, as every dump reports it (key: "contact <email>").

    [firstname, lastname, phone, city, sorted domains of its companies, domain of its
    primary company, its deals sorted, each [dealname, amount, dealstage, pipeline,
    sorted domains of the deal's companies, domain of the deal's primary company]]
    (the amount a float, None when blank).
    """
    return [*properties, sorted(company_domains), primary_domain,
            sorted(deals, key=lambda deal: json.dumps(deal, ensure_ascii=False))]


def multi_company_record(name, contacts, deals):
    """A sampled company of job 3 (key: "company <domain>"): [name, its contacts, its deals]."""
    return [name, contacts, deals]


def normalize_email(raw):
    """Trim and lowercase an email cell; return None when the result is invalid."""
    email = raw.strip().lower()
    return email if _EMAIL.fullmatch(email) else None


def normalize_multi_email(raw):
    """Job 3: trim and lowercase an email cell; None when the result fails the engine's rule."""
    email = raw.strip().lower()
    return email if _MULTI_EMAIL.fullmatch(email) else None


def normalize_domain(raw):
    """Job 3: trim and lowercase a company domain cell; None when blank."""
    return raw.strip().lower() or None


def check_header(csv_path, header=HEADER):
    """Fail unless the file's first line is exactly the expected header."""
    with open(csv_path, encoding="utf-8", newline="") as f:
        first = f.readline().rstrip("\r\n")
    if first != ",".join(header):
        sys.exit(f"{csv_path}: unexpected header {first!r}")


def report(**fields):
    """Print the contender's one-line JSON answer on stdout."""
    print(json.dumps(fields, ensure_ascii=False))


def read_emails(path):
    """Read the JSON list of sampled emails written by the runner."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_sample(path):
    """Job 3: read the sample written by the runner, {"emails": [...], "domains": [...]}."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class Stopwatch:
    """Context manager measuring in-process work time (`elapsed` in seconds)."""

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.elapsed = time.perf_counter() - self.start
