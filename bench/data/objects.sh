#!/usr/bin/env bash
# 1M deals and the 30-column mixed-type companies file (bench/data/gen.py), next to 1M
# contacts, interleaved. Usage: INGEST=target/release/ingest DATA=. CONTACTS=d bench/data/objects.sh ROUNDS
set -u
ROUNDS=${1:-3}
W=/tmp/wide; mkdir -p $W
B=${INGEST:-ingest}
run() { local name=$1 file=$2; shift 2
  rm -rf $W/s.redb*
  /usr/bin/time -f "%e %M %U %S" -o $W/t $B --store $W/s.redb import "$file" "$@" --json > $W/out 2>$W/err || { echo "FAILED $name"; tail -3 $W/err; }
  read -r e m u s < $W/t
  local bytes=$(stat -c %s "$file")
  echo "$name wall=$e rss_kb=$m cpu=$(echo "$u + $s" | bc) rows_per_s=$(echo "1000000 / $e" | bc) mb_per_s=$(echo "scale=1; $bytes / 1000000 / $e" | bc) errors=$(python3 -c "import json;print(json.load(open('$W/out'))['errors'])")"
}
for r in $(seq 1 $ROUNDS); do
  run "r$r contacts" ${CONTACTS:-d}/contacts.csv
  run "r$r deals" ${DATA:-.}/deals.csv --object deals
  run "r$r wide" ${DATA:-.}/wide.csv --object companies
done
