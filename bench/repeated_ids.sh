#!/usr/bin/env bash
# Peak memory and wall time of imports whose rows repeat a few identifiers.
#
# SPEC 9/11: memory grows with the number of distinct identifiers, not with the
# number of rows. The file has ROWS contacts rows cycling over DISTINCT emails;
# every other column changes on every row, so each row after an email's first is
# a real update (`updated`, not `unchanged`) of a record created by the same import.
#
#   bench/repeated_ids.sh [ROWS [DISTINCT [BINARY...]]]
#   bench/repeated_ids.sh 10000000 1000 /work/bin/ingest-before target/release/ingest
#
# Defaults: 1,000,000 rows, 1,000 distinct emails, target/release/ingest (built
# with `cargo build --release -p engine` if missing). Files are generated once into
# ${DATA_DIR:-target/repeated-ids}/ and reused; each run imports into a fresh store
# and prints `binary rows elapsed_s cpu_s peak_rss_kb created updated` (cpu_s: user +
# system), after the CPU model and the load. Not a test: nothing is asserted.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rows="${1:-1000000}"
distinct="${2:-1000}"
shift $(( $# < 2 ? $# : 2 ))
target="${CARGO_TARGET_DIR:-$root/target}"
bins=("$@")
if [ ${#bins[@]} -eq 0 ]; then
    bins=("$target/release/ingest")
    [ -x "${bins[0]}" ] || (cd "$root" && cargo build --release -p engine)
fi

data="${DATA_DIR:-$target/repeated-ids}"
mkdir -p "$data"
file="$data/contacts-$rows-$distinct.csv"
if [ ! -s "$file" ]; then
    echo "generating $file" >&2
    awk -v rows="$rows" -v distinct="$distinct" 'BEGIN {
        print "Email,First Name,Last Name,Phone Number,City"
        for (i = 0; i < rows; i++) {
            printf "user%d@example.com,First%d,Last%d,+1 555 %07d,City%d\n",
                i % distinct, i, int(i / distinct), i % 10000000, i % 97
        }
    }' > "$file.tmp"
    mv "$file.tmp" "$file"
fi

echo "cpu:  $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') ($(nproc) threads)"
echo "load: $(uptime | sed 's/.*load average: //')"
echo "file: $file ($(du -h "$file" | cut -f1))"
printf '%-40s %10s %9s %7s %12s %9s %9s\n' binary rows elapsed_s cpu_s peak_rss_kb created updated
for bin in "${bins[@]}"; do
    work="$(mktemp -d)"
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" \
        "$bin" --store "$work/s.redb" import "$file" --object contacts --json > "$work/out.json"
    read -r elapsed user sys rss < "$work/time"
    cpu="$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')"
    created="$(grep -o '"created":[0-9]*' "$work/out.json" | head -1 | cut -d: -f2)"
    updated="$(grep -o '"updated":[0-9]*' "$work/out.json" | head -1 | cut -d: -f2)"
    printf '%-40s %10s %9s %7s %12s %9s %9s\n' "$bin" "$rows" "$elapsed" "$cpu" "$rss" "$created" "$updated"
    rm -rf "$work"
done
