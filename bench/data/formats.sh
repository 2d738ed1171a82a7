#!/usr/bin/env bash
# Imports of the same contacts as CSV, XLSX and Parquet, interleaved, into empty stores:
# wall time, peak RSS, rows/s. Usage: INGEST=target/release/ingest D=dir bench/data/formats.sh ROUNDS
# D holds what bench/data/formats.py writes (contacts.xlsx, contacts_100000.csv,
# contacts_1m.parquet, contacts_5m.parquet) and CSV1M (the 1M-row CSV they came from).
set -u
ROUNDS=${1:-3}
BIN=${INGEST:-ingest}
D=${D:-fmt}
W=/tmp/fmt-bench
mkdir -p $W
run() { # name file
  rm -rf $W/s.redb*
  /usr/bin/time -f "%e %M" -o $W/t "$BIN" --store $W/s.redb import "$2" --object contacts --json > $W/out 2>$W/err || { echo "FAILED $1"; tail -3 $W/err; }
  read -r e m < $W/t
  rows=$(python3 -c "import json;print(json.load(open('$W/out'))['rows'])")
  echo "$1 wall=$e rss_kb=$m rows=$rows"
}
for r in $(seq 1 $ROUNDS); do
  run "r$r csv-100k" $D/contacts_100000.csv
  run "r$r xlsx-100k" $D/contacts.xlsx
  run "r$r csv-1m" ${CSV1M:-$D/contacts.csv}
  run "r$r parquet-1m" $D/contacts_1m.parquet
  run "r$r parquet-5m" $D/contacts_5m.parquet
done
