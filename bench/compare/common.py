"""Definitions shared by the comparison contenders and the runner.

Every contender script speaks the same small protocol:

    SCRIPT load   CSV STORE   job 1: fresh store from the contacts file
    SCRIPT update CSV STORE   job 2: apply the update file to a store loaded by job 1
    SCRIPT dump   STORE EMAILS_JSON
                              print the record count and the sampled records

`load` and `update` print one JSON line `{"work_s": ...}` (time spent inside the
process, after interpreter start and imports); `dump` prints one JSON line
`{"count": N, "records": {email: [SAMPLE_PROPERTIES values] or null}}`.
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


def normalize_email(raw):
    """Trim and lowercase an email cell; return None when the result is invalid."""
    email = raw.strip().lower()
    return email if _EMAIL.fullmatch(email) else None


def check_header(csv_path):
    """Fail unless the file's first line is exactly the expected header."""
    with open(csv_path, encoding="utf-8", newline="") as f:
        first = f.readline().rstrip("\r\n")
    if first != ",".join(HEADER):
        sys.exit(f"{csv_path}: unexpected header {first!r}")


def report(**fields):
    """Print the contender's one-line JSON answer on stdout."""
    print(json.dumps(fields, ensure_ascii=False))


def read_emails(path):
    """Read the JSON list of sampled emails written by the runner."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class Stopwatch:
    """Context manager measuring in-process work time (`elapsed` in seconds)."""

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.elapsed = time.perf_counter() - self.start
