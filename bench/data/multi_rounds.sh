#!/usr/bin/env bash
# Issue 9's numbers, interleaved: for each build given, per round, the contacts-only import
# of multi.py's contacts.csv into an empty store, multi.csv (contacts + companies + deals)
# into an empty store, and multi.csv again into that store.
# Usage: MULTI=dir bench/data/multi_rounds.sh ROUNDS BIN...
# (MULTI: a folder made by `python3 bench/data/multi.py 1000000 dir`.)
# One line per run: round, build, job, wall s, CPU s (user + system), peak RSS KiB; then,
# per build, the medians over the rounds of the two ratios issue 9 asks for:
# multi rows/s ÷ contacts rows/s (the same rows, so contacts wall ÷ multi wall) and the
# second multi import's rows/s ÷ the first's (first wall ÷ second wall).
set -eu
ROUNDS=$1
shift
D=${MULTI:-multi}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
run() { # round build job bin store file objects...
  local round=$1 build=$2 job=$3 bin=$4 store=$5 file=$6
  shift 6
  sync
  /usr/bin/time -f "%e %U %S %M" -o "$W/t" "$bin" --store "$store" import "$file" "$@" --json > /dev/null
  read -r e u s m < "$W/t"
  echo "$round $build $job $e $(echo "$u + $s" | bc) $m"
}
{
  for r in $(seq 1 "$ROUNDS"); do
    for bin in "$@"; do
      b=$(basename "$bin")
      rm -rf "$W"/s.redb*
      run "$r" "$b" contacts "$bin" "$W/c.redb" "$D/contacts.csv"
      rm -rf "$W"/c.redb*
      run "$r" "$b" multi-first "$bin" "$W/s.redb" "$D/multi.csv" --object contacts --object companies --object deals
      run "$r" "$b" multi-again "$bin" "$W/s.redb" "$D/multi.csv" --object contacts --object companies --object deals
      rm -rf "$W"/s.redb*
    done
  done
} | tee "$W/runs"
python3 - "$W/runs" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    r, b, job, wall, cpu, rss = line.split()
    runs.setdefault(b, {}).setdefault(r, {})[job] = (float(wall), float(cpu), int(rss))
for b, rounds in runs.items():
    half = [v["contacts"][0] / v["multi-first"][0] for v in rounds.values()]
    again = [v["multi-first"][0] / v["multi-again"][0] for v in rounds.values()]
    med = lambda job, i: statistics.median(v[job][i] for v in rounds.values())
    print(f"{b}: multi ÷ contacts rows/s {statistics.median(half):.2f} (rounds {', '.join(f'{x:.2f}' for x in half)}); "
          f"second ÷ first rows/s {statistics.median(again):.2f} (rounds {', '.join(f'{x:.2f}' for x in again)}); "
          f"median wall contacts {med('contacts', 0):.2f} s, multi {med('multi-first', 0):.2f} s, again {med('multi-again', 0):.2f} s; "
          f"CPU {med('contacts', 1):.2f} / {med('multi-first', 1):.2f} / {med('multi-again', 1):.2f} s; "
          f"peak RSS multi {max(v['multi-first'][2] for v in rounds.values()) / 1024:.0f} MiB, again {max(v['multi-again'][2] for v in rounds.values()) / 1024:.0f} MiB")
PY
