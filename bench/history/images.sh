#!/bin/bash
# The before-image cost alone: the update-file import into copies of one store, for
# several builds interleaved (the first build rotates every round), under /usr/bin/time.
#
#   bench/history/images.sh ROUNDS DIR BIN...
#
# DIR holds contacts.csv and contacts_update.csv (`ingest gen contacts --rows 1000000
# --seed 1 --out DIR --update-file`); the base store DIR/base.redb is made once by the
# first BIN if missing. One line per run: round, build, wall s, CPU s (user + system),
# peak RSS MiB, created, updated, unchanged, store file bytes.
set -euo pipefail
rounds=$1 dir=$2
shift 2
bins=("$@")
cd "$dir"
[ -f base.redb ] || "${bins[0]}" --store base.redb import contacts.csv --json > /dev/null
n=${#bins[@]}
for r in $(seq 1 "$rounds"); do
  for k in $(seq 0 $((n - 1))); do
    b=${bins[$(((k + r) % n))]}
    rm -rf run.redb run.redb.imports
    cp base.redb run.redb
    sync
    /usr/bin/time -f "%e %U %S %M" -o time.txt "$b" --store run.redb import contacts_update.csv --json > out.json
    read -r wall user sys rss < <(tail -1 time.txt)
    counts=$(python3 -c "import json; o = json.load(open('out.json'))['objects']['contacts']; print(o['created'], o['updated'], o['unchanged'])")
    echo "round $r $(basename "$b") wall $wall cpu $(echo "$user + $sys" | bc) rss $((rss / 1024)) $counts size $(stat -c %s run.redb)"
  done
done
rm -rf run.redb run.redb.imports time.txt out.json
