#!/bin/sh
# bench_map.sh — `make bench-map` (doc/mapper.md "Measured"): the auto split (the default)
# against channel groups only (--split channels, the mapper before it), today's placement (greedy
# constructive + swaps) against Scotch's (+ the same swaps), with the assumed 15 % and with
# measured firing rates (--profile from `spikechip ref --json` on 100 images), in the same run:
# expected packets, hops per packet, hop-traffic and busiest link per image, mapping time and
# peak memory. The shipped model on `default`; with SPK_BENCH_55M=FILE (the 55M layout, see
# doc/mapper.md) also that model on `large` (assumed rates only: its reference is slow).
#   bench_map.sh SPIKECHIP SRCDIR   (SPK_BENCH_MODEL=FILE overrides the shipped model)
set -eu
S=$1
SRC=$2
MODEL=${SPK_BENCH_MODEL:-$SRC/models/fmnist_t4.spkm}
T=$(mktemp -d "${TMPDIR:-/tmp}/spkbenchmap.XXXXXX")
trap 'rm -rf "$T"' EXIT
TIME=""
[ -x /usr/bin/time ] && TIME="/usr/bin/time -f %M -o $T/rss"

# row MODEL ARCH LABEL ARGS...: map once, print the final placement's figures
row() {
	m=$1 a=$2 label=$3
	shift 3
	$TIME "$S" map --model "$m" --arch "$a" --out "$T/x.spki" --report "$T/x.json" "$@" \
		>/dev/null
	rss=$( [ -f "$T/rss" ] && cat "$T/rss" || echo 0)
	python3 - "$T/x.json" "$label" "$rss" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
t = r["traffic"]
def fig(p):
    b = p["busiest_link"]
    return "%9.3f %11.4g %10.4g" % (p["hops_per_packet"], p["hop_traffic_per_image"],
                                    b["packets_per_image"] if b else 0)
print("%-26s %11.4g %s   (before swaps %6.3f, random %6.3f) %7.2f s %6.0f MB" % (
    sys.argv[2], t["final"]["packets_per_image"], fig(t["final"]),
    t["initial"]["hops_per_packet"], t["random"]["hops_per_packet"], r["map_seconds"],
    float(sys.argv[3]) / 1024))
EOF
}

header() {
	echo "$1"
	printf '%-26s %11s %9s %11s %10s\n' "mapper" "packets" "hops/pkt" "hop-traffic" "max link"
}

header "shipped model on default: $MODEL (expected traffic per image)"
row "$MODEL" default "greedy (today)"
row "$MODEL" default "greedy, split channels" --split channels
row "$MODEL" default "scotch" --placer scotch
row "$MODEL" default "greedy, cost maxlink" --cost maxlink
"$S" ref --model "$MODEL" --images 100 --json "$T/ref.json" >/dev/null
echo "with firing rates measured on 100 images (--profile), figures at those rates"
row "$MODEL" default "greedy --profile" --profile "$T/ref.json"
row "$MODEL" default "scotch --profile" --placer scotch --profile "$T/ref.json"
if [ -n "${SPK_BENCH_55M:-}" ]; then
	header "55M layout on large: $SPK_BENCH_55M"
	row "$SPK_BENCH_55M" large "greedy (today)"
	row "$SPK_BENCH_55M" large "greedy, split channels" --split channels
	row "$SPK_BENCH_55M" large "scotch" --placer scotch
	row "$SPK_BENCH_55M" large "scotch, split channels" --placer scotch --split channels
fi
