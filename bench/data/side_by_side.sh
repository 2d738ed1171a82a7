#!/usr/bin/env bash
# Side by side, interleaved: an earlier build ($BEFORE) and this one ($AFTER) on the
# README's 1M-contacts jobs (empty store, the same file again, the update file).
# Usage: BEFORE=path/to/old/ingest AFTER=target/release/ingest CONTACTS=d bench/data/side_by_side.sh ROUNDS
# (CONTACTS: a folder made by `ingest gen contacts --rows 1000000 --seed 1 --out d --update-file`)
set -u
ROUNDS=${1:-3}
D=${CONTACTS:-d}
W=/tmp/sbs
mkdir -p $W
run() { # name bin store args...
  local name=$1 bin=$2 store=$3; shift 3
  /usr/bin/time -f "%e %M %U %S" -o $W/t "$bin" --store "$store" import "$@" --json > $W/out 2>$W/err || { echo "FAILED $name"; cat $W/err | tail -3; }
  read -r e m u s < $W/t
  echo "$name wall=$e rss_kb=$m cpu=$(echo "$u + $s" | bc)"
}
for r in $(seq 1 $ROUNDS); do
  for b in before after; do
    bin=${BEFORE:-ingest-before}; [ $b = after ] && bin=${AFTER:-ingest}
    rm -rf $W/$b.redb*
    run "r$r $b job1-first" $bin $W/$b.redb $D/contacts.csv
    run "r$r $b job2-reimport" $bin $W/$b.redb $D/contacts.csv
    run "r$r $b job3-update" $bin $W/$b.redb $D/contacts_update.csv
  done
done
