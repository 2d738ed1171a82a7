"""Peer comparison of `ingest import` with DuckDB, SQLite, two parse ceilings and the I/O floor.

Normally started by `bench/compare/run`, which prepares the virtual environment
and the engine binary. For each size: generate the data with `ingest gen` (jobs 1
and 2) and `bench/data/multi.py` (job 3), reused when present, then for each job
run every contender as its own child process (wall time from the parent, peak RSS
from GNU time), one warm-up round and then `--rounds` rounds, contenders
interleaved A B A B. After each run the contender's store is checked against the
engine's (record counts, for job 3 also link counts, and a deterministic sample of
records). Writes results.json (every raw run), results.md (medians, ratios to the
engine) and rows_per_s.png (via chart.py).
"""

import argparse
import csv
import fcntl
import hashlib
import heapq
import importlib.util
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from common import (DUCKDB_DEFAULT_FORMULATION, DUCKDB_FORMULATIONS, HEADER, MULTI_CONTACT_PROPERTIES,
                    MULTI_COUNTS, MULTI_HEADER, PROPERTIES, SAMPLE_PROPERTIES, multi_company_record,
                    multi_contact_record, normalize_domain, normalize_email, normalize_multi_email)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DATA_DIR = ROOT / "target" / "compare-data"

JOBS = {
    1: "load a contacts file into a fresh store",
    2: "import an update file (40% existing contacts, half of them unchanged; 60% new) "
       "into the job-1 store",
    3: "multi-object import: one file of contacts + companies + deals, with their "
       "associations, into a fresh store",
    4: "re-import an unchanged file into the store it made (each email's first row of the "
       "job-1 file: nothing changes, a nightly sync of an unchanged export)",
}
#: The jobs' names for --jobs (a job's number is accepted too).
JOB_NAMES = {1: "load", 2: "update", 3: "multi", 4: "reimport"}
#: Jobs that start from a copy of a store loaded (untimed) from a file: job 2 from job 1's,
#: job 4 from its own.
BASE_FILE_OF = {2: 1, 4: 4}
#: What a contender script is asked to do per job (job 4 is job 2's update, with its own file).
SCRIPT_ACTIONS = {1: "load", 2: "update", 3: "multi", 4: "update"}
SEED = 42
MULTI_SCRIPT = ROOT / "bench" / "data" / "multi.py"
UNIQUE_SCRIPT = ROOT / "bench" / "history" / "unique.py"
MULTI_SEED = 9  # multi.py's own, fixed seed (it names the data directory)
MULTI_META_VERSION = 1  # of meta.json in a multi data directory: bump to recompute
SAMPLE_SIZE = 200
META_VERSION = 5  # of meta.json in a data directory (row counts, samples): bump to recompute
REFERENCE = "engine"
EMAIL_COLUMN = HEADER.index("Email")
SAMPLED_COLUMNS = [PROPERTIES.index(p) for p in SAMPLE_PROPERTIES]  # CSV columns are in PROPERTIES order
GNU_TIME = shutil.which("time", path="/usr/bin")
EXPORT_EMAIL = re.compile(r'"email"\s*:\s*"([^"\\]*)"')
#: In an `ingest export --format jsonl` line (keys sorted: associations, id, object,
#: properties): the record ID, an association list, the primary company, the domain.
EXPORT_ID = re.compile(r'"id"\s*:\s*(\d+)\s*,\s*"object"')
EXPORT_LINKS = {name: re.compile(rf'"{name}"\s*:\s*\[([0-9,\s]*)\]')
                for name in ("contacts", "companies", "deals")}
EXPORT_PRIMARY = re.compile(r'"primary_company"\s*:\s*\d')
EXPORT_DOMAIN = re.compile(r'"domain"\s*:\s*"([^"\\]*)"')


# ----------------------------------------------------------------------------- data

@dataclass
class Dataset:
    """The generated files of one size, and what the runner knows about them."""

    size: int
    files: dict      # job -> timed input file
    rows: dict       # job -> data rows of that file
    bytes: dict      # job -> bytes of that file
    expected: dict   # job -> distinct valid normalized emails in the store after the job
                     #        (job 3: {MULTI_COUNTS key: count})
    samples: dict    # job -> file holding the sampled emails (JSON list; job 3: emails and domains)


def csv_rows(path):
    """Yield (normalized email or None when invalid, row) for each data row of a CSV file."""
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        if next(reader) != HEADER:
            sys.exit(f"{path}: unexpected header")
        for row in reader:
            yield normalize_email(row[EMAIL_COLUMN]), row


class LowestHashes:
    """The k distinct emails with the smallest SHA-1 seen: a deterministic sample spread over a file."""

    def __init__(self, k):
        self.k = k
        self.heap = []  # (-key, email): a max-heap of the k smallest keys
        self.members = set()

    def offer(self, email):
        """Consider one email (repeats are ignored)."""
        if email in self.members:
            return
        key = int.from_bytes(hashlib.sha1(email.encode()).digest()[:8], "big")
        if len(self.heap) < self.k:
            heapq.heappush(self.heap, (-key, email))
            self.members.add(email)
        elif key < -self.heap[0][0]:
            _, dropped = heapq.heapreplace(self.heap, (-key, email))
            self.members.discard(dropped)
            self.members.add(email)

    def emails(self):
        """The sampled emails."""
        return sorted(self.members)


def scan(path, seen, quotas):
    """Count a file's data rows and sample its valid emails; record them in `seen`.

    `seen` maps each email met so far to a bit mask of the compared properties
    its record holds a value for. Returns (rows, sample). The sample draws
    quotas["any"] emails among all, quotas["repeat"] among emails met again (a
    duplicate in the file, or an update of a contact already in `seen`: tests
    "last value wins"), and quotas["blank_repeat"] among those met again with a
    blank cell where the record holds a value (tests "a blank cell never overwrites").
    """
    samplers = {kind: LowestHashes(k) for kind, k in quotas.items()}
    rows = 0
    for email, row in csv_rows(path):
        rows += 1
        if email is None:
            continue
        filled = sum(1 << bit for bit, column in enumerate(SAMPLED_COLUMNS) if row[column])
        if email in seen:
            blank_over_value = seen[email] & ~filled
            samplers["blank_repeat" if blank_over_value else "repeat"].offer(email)
        seen[email] = seen.get(email, 0) | filled
        samplers["any"].offer(email)
    return rows, sorted({email for sampler in samplers.values() for email in sampler.emails()})


def describe(directory):
    """Row counts, expected record counts and email samples of freshly generated files."""
    emails = {}
    quarter = SAMPLE_SIZE // 4
    rows1, sample1 = scan(directory / "contacts.csv", emails,
                          {"any": 2 * quarter, "repeat": quarter, "blank_repeat": quarter})
    expected1 = len(emails)
    from_job1 = LowestHashes(quarter)  # job 2 also checks some contacts sampled for job 1
    for email in sample1:
        from_job1.offer(email)
    rows2, sample2 = scan(directory / "contacts_update.csv", emails,
                          {"any": quarter, "repeat": quarter, "blank_repeat": quarter})
    unique = {}
    rows4, sample4 = scan(directory / "contacts_unique.csv", unique, {"any": SAMPLE_SIZE})
    return {"version": META_VERSION, "rows": {"1": rows1, "2": rows2, "4": rows4},
            "expected": {"1": expected1, "2": len(emails), "4": len(unique)},
            "samples": {"1": sample1, "2": sorted(set(sample2) | set(from_job1.emails())), "4": sample4}}


def describe_multi(path):
    """Job 3: row count, the store's expected counts (MULTI_COUNTS) and the sample of a multi file.

    Counted with the peers' rules (common.py): a contact per distinct valid email, a
    company per distinct domain, a deal per row with a deal name; a link per distinct
    pair met on a row; a primary company for every contact with a company and every
    deal with one. The sample: emails (any; of contacts of a company with a non-ASCII
    domain; met on several rows) and domains (any; non-ASCII ones). Exits on a row the
    peers do not model: no email (the engine creates a contact without identifier),
    or a company name without a domain (the same for a company).
    """
    quarter = SAMPLE_SIZE // 4
    samplers = {"any": LowestHashes(2 * quarter), "idn": LowestHashes(quarter),
                "repeat": LowestHashes(quarter)}
    domain_samplers = {"any": LowestHashes(quarter), "idn": LowestHashes(quarter // 2)}
    companies_of = {}  # email -> None, its one domain, or the set of its domains
    domains = set()
    counts = Counter()
    rows = 0
    email_column, domain_column = MULTI_HEADER.index("Email"), MULTI_HEADER.index("Company Domain Name")
    name_column, deal_column = MULTI_HEADER.index("Company Name"), MULTI_HEADER.index("Deal Name")
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        if next(reader) != MULTI_HEADER:
            sys.exit(f"{path}: unexpected header")
        for row in reader:
            rows += 1
            if not row[email_column].strip():
                sys.exit(f"{path}: row {rows} has no email, which the peers of job 3 do not model")
            email, domain = normalize_multi_email(row[email_column]), normalize_domain(row[domain_column])
            if domain is None and row[name_column].strip():
                sys.exit(f"{path}: row {rows} has a company name without a domain, "
                         "which the peers of job 3 do not model")
            has_deal = row[deal_column] != ""
            counts["deals"] += has_deal
            if domain is not None:
                domains.add(domain)
                counts["company_deal"] += has_deal
                domain_samplers["any"].offer(domain)
                if not domain.isascii():
                    domain_samplers["idn"].offer(domain)
            if email is None:
                continue
            counts["contact_deal"] += has_deal
            samplers["any"].offer(email)
            if domain is not None and not domain.isascii():
                samplers["idn"].offer(email)
            if email in companies_of:
                samplers["repeat"].offer(email)
                known = companies_of[email]
                if domain is None or domain == known:
                    pass
                elif known is None:
                    companies_of[email] = domain
                elif isinstance(known, set):
                    known.add(domain)
                else:
                    companies_of[email] = {known, domain}
            else:
                companies_of[email] = domain
    for known in companies_of.values():
        counts["contact_company"] += 0 if known is None else len(known) if isinstance(known, set) else 1
        counts["contact_primary_company"] += known is not None
    counts["contacts"], counts["companies"] = len(companies_of), len(domains)
    counts["deal_primary_company"] = counts["company_deal"]
    sample = {"emails": sorted({e for sampler in samplers.values() for e in sampler.emails()}),
              "domains": sorted({d for sampler in domain_samplers.values() for d in sampler.emails()})}
    return {"version": MULTI_META_VERSION, "rows": rows,
            "expected": {key: counts[key] for key in MULTI_COUNTS}, "sample": sample}


def ensure_multi(size):
    """Job 3: generate (or reuse) the multi file of one size; returns (file, meta, sample file)."""
    directory = DATA_DIR / f"multi-{size}-seed{MULTI_SEED}"
    if not directory.exists():
        log(f"generating {size:,} rows with `{MULTI_SCRIPT.relative_to(ROOT)}` into {directory}")
        partial = directory.with_name(directory.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        subprocess.run([sys.executable, "-B", str(MULTI_SCRIPT), str(size), str(partial)], check=True)
        partial.rename(directory)
    path = directory / "multi.csv"
    meta_path = directory / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    if meta.get("version") != MULTI_META_VERSION:
        log(f"counting rows, records and links and sampling records of {path}")
        meta = describe_multi(path)
        meta_path.write_text(json.dumps(meta, indent=1, ensure_ascii=False), encoding="utf-8")
    sample = directory / "sample-job3.json"
    sample.write_text(json.dumps(meta["sample"], ensure_ascii=False), encoding="utf-8")
    return path, meta, sample


def ensure_dataset(ingest, size, jobs):
    """Generate (or reuse) the files of one size for the given jobs and return their Dataset."""
    dataset = Dataset(size=size, files={}, rows={}, bytes={}, expected={}, samples={})
    if 3 in jobs:
        path, meta, sample = ensure_multi(size)
        dataset.files[3], dataset.rows[3], dataset.expected[3] = path, meta["rows"], meta["expected"]
        dataset.bytes[3], dataset.samples[3] = path.stat().st_size, sample
    if 1 in jobs or 2 in jobs or 4 in jobs:
        contacts = ensure_contacts(ingest, size)
        for name in ("files", "rows", "bytes", "expected", "samples"):
            getattr(dataset, name).update(getattr(contacts, name))
    return dataset


def ensure_contacts(ingest, size):
    """Jobs 1, 2 and 4: generate (or reuse) the contacts files of one size and return their Dataset."""
    directory = DATA_DIR / f"contacts-{size}-seed{SEED}"
    files = {1: directory / "contacts.csv", 2: directory / "contacts_update.csv",
             4: directory / "contacts_unique.csv"}
    if not directory.exists():
        log(f"generating {size:,} rows with `ingest gen` into {directory}")
        partial = directory.with_name(directory.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        subprocess.run([ingest, "gen", "contacts", "--rows", str(size), "--seed", str(SEED),
                        "--out", str(partial), "--update-file"], check=True, stdout=subprocess.DEVNULL)
        partial.rename(directory)
    if not files[4].exists():
        log(f"writing {files[4].name}: each email's first row of contacts.csv")
        write_unique(files[1], files[4])
    meta_path = directory / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    if meta.get("version") != META_VERSION:
        log(f"counting rows and sampling emails of {directory}")
        meta = describe(directory)
        meta_path.write_text(json.dumps(meta, indent=1))
    samples = {}
    for job in files:
        samples[job] = directory / f"sample-job{job}.json"
        samples[job].write_text(json.dumps(meta["samples"][str(job)]))
    return Dataset(size=size, files=files,
                   rows={job: meta["rows"][str(job)] for job in files},
                   bytes={job: files[job].stat().st_size for job in files},
                   expected={job: meta["expected"][str(job)] for job in files},
                   samples=samples)


def write_unique(source, target):
    """Job 4's file: the rows of `source` whose email (trimmed, lowercased) has not come
    before, rows without an email kept (bench/history/unique.py): importing it into the
    store it made changes nothing."""
    partial = target.with_name(target.name + ".partial")
    with open(partial, "wb") as out:
        subprocess.run([sys.executable, "-B", str(UNIQUE_SCRIPT), str(source)], check=True, stdout=out,
                       stderr=subprocess.DEVNULL)
    partial.rename(target)


# ----------------------------------------------------------------------- contenders

@dataclass(frozen=True)
class Contender:
    """A competitor: its command line per job, and how to read its store back (None: exempt)."""

    name: str
    kind: str                    # "engine", "script" (a store contender), "parse" or "floor"
    argv: object                 # (job, csv, store) -> list of arguments
    store_name: str = None       # file name of its store; None when it keeps none
    dump: object = None          # (job, store, sample file) -> (count, {key: [values] or None});
                                 # job 3: count is {MULTI_COUNTS key: count}
    env: dict = field(default_factory=dict)   # variables to set (value None: unset)
    discard_stdout: bool = False
    jobs: tuple = (1, 2, 3)      # the jobs it runs (parse ceilings and the floor: not job 4,
                                 # whose file is job 1's)


def engine_contender(ingest, name, threads):
    """`ingest import` at the given RAYON_NUM_THREADS (None: the engine's default)."""
    def argv(job, csv_path, store):
        objects = ["contacts", "companies", "deals"] if job == 3 else ["contacts"]
        return [ingest, "--store", str(store), "import", str(csv_path),
                *(arg for obj in objects for arg in ("--object", obj)), "--json"]

    def dump(job, store, sample_file):
        sample = json.loads(sample_file.read_text(encoding="utf-8"))
        return engine_dump_multi(ingest, store, sample) if job == 3 else engine_dump(ingest, store, sample)

    return Contender(name, "engine", argv, "store.redb", dump, {"RAYON_NUM_THREADS": threads},
                     jobs=(1, 2, 3, 4))


def export_lines(ingest, store, obj):
    """Yield the lines of `ingest export OBJ --format jsonl` as they come; fail if it fails."""
    with subprocess.Popen([ingest, "--store", str(store), "export", obj, "--format", "jsonl"],
                          stdout=subprocess.PIPE, text=True, encoding="utf-8") as export:
        yield from export.stdout
    if export.returncode:
        raise RuntimeError(f"ingest export {obj} exited with {export.returncode}")


def list_length(pattern, line):
    """The length of the association list `pattern` finds in an export line (0 when absent)."""
    match = pattern.search(line)
    return 0 if match is None or not match.group(1).strip() else match.group(1).count(",") + 1


def engine_dump_multi(ingest, store, sample):
    """Job 3: counts (MULTI_COUNTS) and the sampled records of an engine store.

    Record counts from `ingest stats`; links counted in both directions from the
    three exports (each record lists its associations): a link counted from one end
    and not the other, or totals that differ from `stats`' association count, fail
    the dump. Sampled records are parsed from the export lines that hold them.
    """
    stats = json.loads(subprocess.run([ingest, "--store", str(store), "stats", "--json"],
                                      check=True, capture_output=True, text=True).stdout)
    emails, domains = set(sample["emails"]), set(sample["domains"])
    counts, reverse = Counter(), Counter()
    contacts = {}   # sampled email -> its export record
    for line in export_lines(ingest, store, "contacts"):
        counts["contact_company"] += list_length(EXPORT_LINKS["companies"], line)
        counts["contact_deal"] += list_length(EXPORT_LINKS["deals"], line)
        counts["contact_primary_company"] += EXPORT_PRIMARY.search(line) is not None
        match = EXPORT_EMAIL.search(line)
        if match and match.group(1) in emails:
            record = json.loads(line)
            contacts[record["properties"]["email"]] = record
    domain_of = {}  # company ID -> domain
    companies = {}  # sampled domain -> its export record
    for line in export_lines(ingest, store, "companies"):
        reverse["contact_company"] += list_length(EXPORT_LINKS["contacts"], line)
        counts["company_deal"] += list_length(EXPORT_LINKS["deals"], line)
        match = EXPORT_DOMAIN.search(line)
        if match:
            domain_of[int(EXPORT_ID.search(line).group(1))] = match.group(1)
            if match.group(1) in domains:
                record = json.loads(line)
                companies[record["properties"]["domain"]] = record
    wanted_deals = {i for record in contacts.values()
                    for i in record.get("associations", {}).get("deals", [])}
    deals = {}      # deal ID (of a sampled contact) -> its export record
    for line in export_lines(ingest, store, "deals"):
        reverse["contact_deal"] += list_length(EXPORT_LINKS["contacts"], line)
        reverse["company_deal"] += list_length(EXPORT_LINKS["companies"], line)
        counts["deal_primary_company"] += EXPORT_PRIMARY.search(line) is not None
        deal_id = int(EXPORT_ID.search(line).group(1))
        if deal_id in wanted_deals:
            deals[deal_id] = json.loads(line)
    for pair in ("contact_company", "contact_deal", "company_deal"):
        if reverse[pair] != counts[pair]:
            raise RuntimeError(f"engine's {pair} links: {counts[pair]} from one end, "
                               f"{reverse[pair]} from the other")
    links = counts["contact_company"] + counts["contact_deal"] + counts["company_deal"]
    if stats["associations"] != links:
        raise RuntimeError(f"engine's stats report {stats['associations']} associations, its exports {links}")
    for obj in ("contacts", "companies", "deals"):
        counts[obj] = stats["objects"][obj]

    def deal_record(record):
        links, properties = record.get("associations", {}), record["properties"]
        amount = properties.get("amount")
        return [properties.get("dealname"), None if amount is None else float(amount),
                properties.get("dealstage"), properties.get("pipeline"),
                sorted(domain_of.get(i) for i in links.get("companies", [])),
                domain_of.get(links.get("primary_company"))]

    records = {}
    for email in sample["emails"]:
        record = contacts.get(email)
        if record is None:
            records[f"contact {email}"] = None
            continue
        links, properties = record.get("associations", {}), record["properties"]
        records[f"contact {email}"] = multi_contact_record(
            [properties.get(p) for p in MULTI_CONTACT_PROPERTIES],
            [domain_of.get(i) for i in links.get("companies", [])],
            domain_of.get(links.get("primary_company")),
            [deal_record(deals[i]) for i in links.get("deals", []) if i in deals])
    for domain in sample["domains"]:
        record = companies.get(domain)
        links = record and record.get("associations", {})
        records[f"company {domain}"] = None if record is None else multi_company_record(
            record["properties"].get("name"), len(links.get("contacts", [])), len(links.get("deals", [])))
    return {key: counts[key] for key in MULTI_COUNTS}, records


def engine_dump(ingest, store, emails):
    """Record count from `ingest stats`, sampled records from `ingest export` (streamed)."""
    stats = json.loads(subprocess.run([ingest, "--store", str(store), "stats", "--json"],
                                      check=True, capture_output=True, text=True).stdout)
    wanted = set(emails)
    records = dict.fromkeys(emails)
    with subprocess.Popen([ingest, "--store", str(store), "export", "contacts", "--format", "jsonl"],
                          stdout=subprocess.PIPE, text=True, encoding="utf-8") as export:
        for line in export.stdout:
            match = EXPORT_EMAIL.search(line)
            if match and match.group(1) in wanted:
                properties = json.loads(line)["properties"]
                records[properties["email"]] = [properties.get(p) for p in SAMPLE_PROPERTIES]
    if export.returncode:
        raise RuntimeError(f"ingest export exited with {export.returncode}")
    return stats["objects"]["contacts"], records


def python_contender(name, script, store_name, extra=(), jobs=(1, 2, 3, 4)):
    """A contender script speaking the protocol of common.py, run by this interpreter."""
    path = str(HERE / script)

    def argv(job, csv_path, store):
        return [sys.executable, "-B", path, SCRIPT_ACTIONS[job], str(csv_path), str(store), *extra]

    def dump(job, store, sample_file):
        action = "dump-multi" if job == 3 else "dump"
        answer = json.loads(subprocess.run([sys.executable, "-B", path, action, str(store), str(sample_file)],
                                           check=True, capture_output=True, text=True).stdout)
        return answer["count"], answer["records"]

    return Contender(name, "script", argv, store_name, dump, jobs=tuple(jobs))


def parse_contender(name, script):
    """A bare-parse ceiling: no store, exempt from validation."""
    path = str(HERE / script)
    return Contender(name, "parse", lambda job, csv_path, store: [sys.executable, "-B", path, str(csv_path)])


def contenders(ingest, formulations, wanted):
    """The contenders to run, reference engine first; says which ones are unavailable."""
    have_duckdb = importlib.util.find_spec("duckdb") is not None
    have_polars = importlib.util.find_spec("polars") is not None
    if not have_duckdb:
        log("DuckDB is not installed: skipping the DuckDB contenders")
    if not have_polars:
        log("Polars is not installed: skipping the Polars parse ceiling")
    candidates = [
        engine_contender(ingest, REFERENCE, None),
        engine_contender(ingest, "engine-1t", "1"),
        engine_contender(ingest, "engine-2t", "2"),
    ]
    if have_duckdb:
        # Job 3 has one DuckDB formulation (not --formulation's): the first contender runs it.
        candidates += [python_contender(f"duckdb-{f}", "contender_duckdb.py", "store.duckdb",
                                        ["--formulation", f], (1, 2, 3, 4) if i == 0 else (1, 2, 4))
                       for i, f in enumerate(formulations)]
    candidates.append(python_contender("sqlite", "contender_sqlite.py", "store.sqlite"))
    if have_duckdb:
        candidates.append(parse_contender("parse-duckdb", "parse_duckdb.py"))
    if have_polars:
        candidates.append(parse_contender("parse-polars", "parse_polars.py"))
    candidates.append(Contender("cat", "floor", lambda job, csv_path, store: ["cat", str(csv_path)],
                                discard_stdout=True))
    if wanted:
        candidates = [c for c in candidates
                      if c.name == REFERENCE or any(c.name.startswith(w) for w in wanted)]
    return candidates


# -------------------------------------------------------------------------- running

@dataclass
class Run:
    """One raw measurement, as written to results.json."""

    contender: str
    job: int
    size: int
    round: int
    warmup: bool
    wall_s: float     # child process, start to exit
    cpu_s: float      # its user + system CPU time
    work_s: float     # the time it reports itself (engine: elapsed_ms; scripts: after imports)
    rows: int
    bytes: int
    rows_per_s: float
    mb_per_s: float
    max_rss_mb: float
    load_1min: float  # the machine's load average when the run started (others' work shows here)
    valid: bool       # None: exempt from validation (parse ceilings, I/O floor)
    notes: str


def child_env(contender):
    """The environment of a contender's child process."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    for key, value in contender.env.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def measure(argv, env, stdout_path, stderr_path, rss_path):
    """Run argv as a child process; return (wall s, CPU s (user + system), peak RSS MB, exit code).

    The child is started through GNU time (`-f %M`), which forks it from its own
    small process: `wait4` on a child forked straight from this Python process
    would report at least this process's RSS, copied at fork. Without
    /usr/bin/time, the `wait4` figure is used (a lower bound of ~50 MB).
    """
    wrapped = [GNU_TIME, "-f", "%M", "-o", str(rss_path), *argv] if GNU_TIME else argv
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        start = time.perf_counter()
        child = subprocess.Popen(wrapped, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    peak_kb = usage.ru_maxrss
    if GNU_TIME:
        reported = Path(rss_path).read_text().split()  # "%M", after a note if the command failed
        peak_kb = int(reported[-1]) if reported and reported[-1].isdigit() else peak_kb
    return wall, usage.ru_utime + usage.ru_stime, peak_kb / 1024, child.returncode


def last_json_line(path):
    """The last line of a child's stdout parsed as JSON, or None."""
    lines = [line for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
             if line.strip()]
    try:
        return json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        return None


def work_seconds(contender, answer):
    """In-process time reported by the child: the engine's elapsed_ms, a script's work_s."""
    if answer is None:
        return None
    if contender.kind == "engine":
        return answer.get("elapsed_ms", 0) / 1000
    return answer.get("work_s")


def answer_problem(contender, answer, dataset, job):
    """A problem with the child's own answer (engine status, parsed row count), or ''."""
    if contender.kind == "engine":
        if answer is None or answer.get("status") != "done":
            return f"engine answer: {answer}"
        if answer.get("rows") != dataset.rows[job]:
            return f"engine read {answer.get('rows')} rows of {dataset.rows[job]}"
        if job == 3:
            pairs = ("contact_company", "contact_deal", "company_deal")
            expected = sum(dataset.expected[3][pair] for pair in pairs)
            created = (answer.get("associations") or {}).get("created")
            if created != expected:
                return (f"engine reports {created} associations created, "
                        f"the input has {expected} distinct links")
    elif contender.kind == "parse":
        if answer is None or answer.get("rows") != dataset.rows[job]:
            return f"parsed {answer and answer.get('rows')} rows of {dataset.rows[job]}"
    return ""


def compare_records(count, records, reference):
    """'' when count and sampled records equal the reference's, else what differs."""
    ref_count, ref_records = reference
    if count != ref_count:
        if isinstance(ref_count, dict):
            differing = {k: (count.get(k), v) for k, v in ref_count.items() if count.get(k) != v}
            return f"counts differ from the engine's (contender's, engine's): {differing}"
        return f"record count {count} != engine's {ref_count}"

    def canonical(values):
        return None if values is None else [v or None for v in values]

    differing = [e for e in ref_records if canonical(records.get(e)) != canonical(ref_records[e])]
    if differing:
        e = differing[0]
        return (f"{len(differing)}/{len(ref_records)} sampled records differ from the engine's, "
                f"e.g. {e}: {records.get(e)} vs {ref_records[e]}")
    return ""


class Bench:
    """Runs the rounds of every (size, job) and collects Runs."""

    def __init__(self, contenders, rounds, work_dir):
        self.contenders = contenders
        self.rounds = rounds
        self.work_dir = work_dir
        self.runs = []

    def run_job(self, dataset, job):
        """Warm-up round then `rounds` rounds, contenders interleaved; validate each run."""
        bases = self.prepare_bases(dataset, BASE_FILE_OF[job]) if job in BASE_FILE_OF else {}
        reference = None
        for round_no in range(self.rounds + 1):
            for contender in self.contenders:
                if job not in contender.jobs:
                    continue
                run, dumped = self.run_once(contender, dataset, job, round_no, bases.get(contender.name),
                                            reference)
                if contender.name == REFERENCE and round_no == 0 and dumped is not None:
                    reference = dumped
                self.runs.append(run)
                log_run(run)
        for base in bases.values():
            shutil.rmtree(base, ignore_errors=True)

    def prepare_bases(self, dataset, base_job):
        """Load each store contender's store from job `base_job`'s file once (untimed): the
        starting point of jobs 2 (job 1's file) and 4 (its own)."""
        bases = {}
        for contender in self.contenders:
            if contender.store_name is None:
                continue
            base = self.work_dir / f"base-{contender.name}"
            shutil.rmtree(base, ignore_errors=True)
            base.mkdir(parents=True)
            argv = contender.argv(1, dataset.files[base_job], base / contender.store_name)
            done = subprocess.run(argv, env=child_env(contender), capture_output=True, text=True)
            if done.returncode == 0:
                bases[contender.name] = base
            else:
                log(f"  {contender.name}: the load of the base store failed: {done.stderr.strip()[-500:]}")
        return bases

    def run_once(self, contender, dataset, job, round_no, base, reference):
        """Time one run in a fresh run directory, validate it, clean up; return (Run, dump or None)."""
        run_dir = self.work_dir / "run"
        shutil.rmtree(run_dir, ignore_errors=True)
        if job in BASE_FILE_OF and contender.store_name is not None:
            if base is None:
                return self.failed(contender, dataset, job, round_no, "no base store to update"), None
            shutil.copytree(base, run_dir)
        else:
            run_dir.mkdir(parents=True)
        store = run_dir / contender.store_name if contender.store_name else None
        stdout_path = os.devnull if contender.discard_stdout else run_dir / "stdout"
        os.sync()
        load = os.getloadavg()[0]
        argv = contender.argv(job, dataset.files[job], store)
        wall, cpu, rss, code = measure(argv, child_env(contender), stdout_path, run_dir / "stderr",
                                       run_dir / "rss")
        answer = None if contender.discard_stdout else last_json_line(stdout_path)
        dumped = None
        notes = answer_problem(contender, answer, dataset, job)
        if code != 0:
            err = (run_dir / "stderr").read_text(errors="replace").strip()[-500:]
            valid, notes = False, f"exit code {code}: {err}"
        elif notes:
            valid = False
        elif contender.dump is None:
            valid = None
        else:
            valid, notes, dumped = self.validate(contender, store, dataset, job, reference, round_no)
        shutil.rmtree(run_dir, ignore_errors=True)
        return self.make_run(contender, dataset, job, round_no, wall, cpu, work_seconds(contender, answer),
                             rss, load, valid, notes), dumped

    def validate(self, contender, store, dataset, job, reference, round_no):
        """Check a store against the engine's reference; returns (valid, notes, dump).

        The reference is the engine's warm-up run. Every engine run is also checked
        against the input itself: its record count must be the number of distinct
        valid emails.
        """
        try:
            dumped = contender.dump(job, store, dataset.samples[job])
        except (subprocess.CalledProcessError, RuntimeError, json.JSONDecodeError, KeyError) as error:
            return False, f"could not read the store back: {error}", None
        problems = []
        if contender.kind == "engine" and dumped[0] != dataset.expected[job]:
            problems.append(f"engine holds {dumped[0]} records, the input has "
                            f"{dataset.expected[job]} distinct valid emails" if job != 3 else
                            f"engine's counts {dumped[0]} differ from the input's {dataset.expected[job]}")
        is_reference = contender.name == REFERENCE and round_no == 0
        if not is_reference:
            difference = (compare_records(*dumped, reference) if reference is not None
                          else "no engine reference to compare with")
            if difference:
                problems.append(difference)
        notes = "; ".join(problems) or ("reference" if is_reference else "")
        return not problems, notes, dumped

    def failed(self, contender, dataset, job, round_no, notes):
        """A Run that could not be started."""
        return self.make_run(contender, dataset, job, round_no, None, None, None, None,
                             os.getloadavg()[0], False, notes)

    @staticmethod
    def make_run(contender, dataset, job, round_no, wall, cpu, work, rss, load, valid, notes):
        """Assemble a Run with the throughput figures of its input file (None when it did not run)."""
        rows, size_bytes = dataset.rows[job], dataset.bytes[job]
        return Run(contender=contender.name, job=job, size=dataset.size, round=round_no,
                   warmup=round_no == 0, wall_s=wall, cpu_s=cpu, work_s=work, rows=rows, bytes=size_bytes,
                   rows_per_s=wall and rows / wall, mb_per_s=wall and size_bytes / 1e6 / wall,
                   max_rss_mb=rss, load_1min=load, valid=valid, notes=notes)


def log_run(run):
    """One progress line per run."""
    warmup = " warm-up" if run.warmup else ""
    figures = "" if run.wall_s is None else f"{run.wall_s:8.3f} s {run.max_rss_mb:8.1f} MB"
    validity = {True: "valid", False: "INVALID", None: "(exempt)"}[run.valid]
    log(f"  [{run.size:,} rows, job {run.job}, round {run.round}{warmup}] {run.contender:<22} {figures:>21}  "
        f"{validity} {run.notes}")


# -------------------------------------------------------------------------- reports

def summarize(runs):
    """Per (job, size, contender): medians over the counted rounds and the pairwise ratio."""
    counted = [r for r in runs if not r.warmup]
    by_key = {}
    for r in counted:
        by_key.setdefault((r.job, r.size, r.contender), []).append(r)
    summary = {}
    for (job, size, name), group in by_key.items():
        reference = {r.round: r for r in by_key.get((job, size, REFERENCE), [])}
        invalid = [r for r in group if r.valid is False]
        if invalid:
            summary[(job, size, name)] = {"invalid": invalid[0].notes}
            continue
        wall = statistics.median(r.wall_s for r in group)
        ratios = [r.wall_s / reference[r.round].wall_s for r in group
                  if r.round in reference and reference[r.round].valid]
        summary[(job, size, name)] = {
            "wall_s": wall,
            "rows_per_s": group[0].rows / wall,
            "mb_per_s": group[0].bytes / 1e6 / wall,
            "max_rss_mb": max(r.max_rss_mb for r in group),
            "ratio": statistics.median(ratios) if ratios else None,
        }
    return summary


def markdown(runs, names, meta):
    """The results.md text: one table per job and size."""
    summary = summarize(runs)
    lines = [
        "# Peer comparison: `ingest import` vs DuckDB, SQLite, parse ceilings and the I/O floor",
        "",
        f"Generated by `bench/compare/run` on {meta['date']}. Machine: {meta['machine']}.",
        f"Versions: {meta['versions']}.",
        f"Data: `ingest gen contacts --seed {SEED}` (jobs 1, 2, 4), `bench/data/multi.py` (job 3, its seed "
        f"{MULTI_SEED}); {meta['rounds']} round(s) after one warm-up round, "
        "contenders interleaved within each round; each figure is the median over the rounds.",
        "Wall time is the child process's, from start to exit (interpreter start and imports "
        f"included for the Python contenders); peak RSS from {meta['rss_source']}. rows/s and MB/s "
        "(10^6 bytes) are of the input file. *vs engine* is the contender's wall time divided by "
        "the engine's in the same round, median over rounds (> 1: slower than the engine). "
        "A contender whose store differs from the engine's (record count, or a sample of "
        f"{SAMPLE_SIZE} records; job 3: record and link counts and a sample of contacts, with "
        "their companies and deals, and of companies) is reported invalid instead of timed; "
        "parse ceilings and `cat` are exempt. Raw runs: `results.json`; chart: `rows_per_s.png`.",
    ]
    loads = [r.load_1min for r in runs]
    lines.append(f"1-minute load average at the start of the runs: {min(loads):.1f} to {max(loads):.1f} "
                 f"on {os.cpu_count()} cores (above the core count, other work competed with the runs).")
    sizes = sorted({r.size for r in runs})
    for job, description in JOBS.items():
        if not any(r.job == job for r in runs):
            continue
        lines += ["", f"## Job {job} ({JOB_NAMES[job]}): {description}"]
        for size in sizes:
            rows = [r for r in runs if r.job == job and r.size == size]
            if not rows:
                continue
            made = meta.get("made", {}).get(f"{job}-{size}")
            lines += ["", f"### {size:,} rows ({rows[0].bytes / 1e6:.1f} MB)", ""]
            if made:
                lines += [made, ""]
            lines += ["| contender | median wall s | rows/s | MB/s | peak RSS MB | vs engine |",
                      "|---|---:|---:|---:|---:|---:|"]
            for name in names:
                s = summary.get((job, size, name))
                if s is None:
                    continue
                if "invalid" in s:
                    reason = " ".join(s["invalid"].split()).replace("|", "\\|")
                    lines.append(f"| {name} | invalid: {reason} | | | | |")
                    continue
                ratio = s["ratio"]
                ratio = "" if ratio is None else f"{ratio:.2f}" if ratio >= 0.1 else f"{ratio:.4f}"
                lines.append(f"| {name} | {s['wall_s']:.3f} | {s['rows_per_s']:,.0f} | "
                             f"{s['mb_per_s']:.1f} | {s['max_rss_mb']:.0f} | {ratio} |")
    return "\n".join(lines) + "\n"


def environment(ingest, rounds):
    """Machine, versions, date and rounds: the header of the reports."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = [f"Python {platform.python_version()}", f"SQLite {sqlite3.sqlite_version}"]
    for package in ("duckdb", "polars"):
        try:
            versions.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            versions.append(f"{package} not installed")
    engine = subprocess.run([ingest, "--version"], capture_output=True, text=True)
    versions.append(engine.stdout.strip() if engine.returncode == 0 else "ingest (no --version)")
    rss_source = "GNU time (`%M`)" if GNU_TIME else "`wait4` (includes the runner's own RSS)"
    return {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "rss_source": rss_source,
            "machine": f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB",
            "versions": ", ".join(versions), "rounds": rounds}


def write_outputs(out_dir, runs, names, meta):
    """Write results.json and results.md."""
    out_dir.mkdir(parents=True, exist_ok=True)
    document = {"meta": meta, "jobs": {str(k): v for k, v in JOBS.items()},
                "runs": [asdict(r) for r in runs]}
    (out_dir / "results.json").write_text(json.dumps(document, indent=1))
    (out_dir / "results.md").write_text(markdown(runs, names, meta))


def draw_chart(out_dir):
    """Run chart.py on results.json; say so when it cannot."""
    done = subprocess.run([sys.executable, "-B", str(HERE / "chart.py"), str(out_dir / "results.json"),
                           str(out_dir / "rows_per_s.png")], capture_output=True, text=True)
    log(done.stdout.strip() or done.stderr.strip())


def log(message):
    """Progress on stderr."""
    print(message, file=sys.stderr, flush=True)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000,5000000",
                        help="comma-separated row counts (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="counted rounds after the warm-up")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="output directory")
    parser.add_argument("--quick", action="store_true", help="smoke test: 100000 rows, 1 round")
    parser.add_argument("--jobs", default=",".join(JOB_NAMES.values()),
                        help="comma-separated jobs to run, by name or number (default: %(default)s)")
    parser.add_argument("--contenders", default="",
                        help="comma-separated name prefixes to run (the engine always runs)")
    parser.add_argument("--duckdb-formulations", default=DUCKDB_DEFAULT_FORMULATION,
                        help=f"comma-separated, of {', '.join(DUCKDB_FORMULATIONS)}, or 'all' "
                             "(default: %(default)s, the fastest measured)")
    args = parser.parse_args()
    args.sizes = [100000] if args.quick else [int(s) for s in args.sizes.split(",")]
    if args.quick:
        args.rounds = 1
    formulations = args.duckdb_formulations.split(",")
    args.formulations = DUCKDB_FORMULATIONS if formulations == ["all"] else formulations
    unknown = set(args.formulations) - set(DUCKDB_FORMULATIONS)
    if unknown:
        parser.error(f"unknown DuckDB formulations: {', '.join(sorted(unknown))}")
    args.contenders = [c for c in args.contenders.split(",") if c]
    numbers = {name: number for number, name in JOB_NAMES.items()} | {str(n): n for n in JOB_NAMES}
    unknown = [j for j in args.jobs.split(",") if j and j not in numbers]
    if unknown:
        parser.error(f"unknown jobs: {', '.join(unknown)} (jobs: {', '.join(JOB_NAMES.values())})")
    args.jobs = sorted({numbers[j] for j in args.jobs.split(",") if j})
    if not args.jobs:
        parser.error("no job to run")
    return args


def main():
    args = parse_args()
    ingest = os.environ.get("INGEST_BIN", str(ROOT / "target" / "release" / "ingest"))
    if not os.access(ingest, os.X_OK):
        sys.exit(f"engine binary not found: {ingest} (build it, or set INGEST_BIN)")
    chosen = contenders(ingest, args.formulations, args.contenders)
    names = [c.name for c in chosen]
    meta = environment(ingest, args.rounds)
    meta.update(sizes=args.sizes, seed=SEED, multi_seed=MULTI_SEED, jobs=[JOB_NAMES[j] for j in args.jobs],
                contenders=names, made={})
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    lock = open(DATA_DIR / "lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.exit(f"another comparison is running in {DATA_DIR}")
    bench = Bench(chosen, args.rounds, DATA_DIR / "work")
    if not GNU_TIME:
        log("/usr/bin/time not found: peak RSS from wait4, which includes this runner's own RSS")
    for size in args.sizes:
        dataset = ensure_dataset(ingest, size, args.jobs)
        if 3 in args.jobs:
            counts = dataset.expected[3]
            links = counts["contact_company"] + counts["contact_deal"] + counts["company_deal"]
            meta["made"][f"3-{size}"] = (
                f"Makes {counts['contacts']:,} contacts, {counts['companies']:,} companies, "
                f"{counts['deals']:,} deals and {links:,} associations ({counts['contact_company']:,} "
                f"contact-company, {counts['contact_deal']:,} contact-deal, {counts['company_deal']:,} "
                "company-deal).")
        for job in args.jobs:
            log(f"{size:,} rows, job {job} ({JOB_NAMES[job]}): {JOBS[job]}")
            bench.run_job(dataset, job)
        write_outputs(args.out, bench.runs, names, meta)
    draw_chart(args.out)
    shutil.rmtree(DATA_DIR / "work", ignore_errors=True)
    log(f"wrote {args.out / 'results.md'} and results.json")
    print((args.out / "results.md").read_text())


if __name__ == "__main__":
    main()
