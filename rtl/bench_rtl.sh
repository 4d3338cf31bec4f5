#!/bin/sh
# bench_rtl.sh — `make bench-rtl` (doc/rtl.md "Speed"): the chip co-simulation with blocks in RTL
# against the native engine and the SystemC engine with C models, on the same images, in the same
# run, twice in alternation (the machine is shared): wall time, simulated cycles per second, the
# slowdown against the native engine, unit evaluations, and what the full 10,000-image test set
# would take per process at that speed. Each run's report must equal the native one (the tests
# check that; here only the speed is measured).
#   bench_rtl.sh SPIKECHIP SRCDIR
# SPK_BENCH_RTL_MODEL=FILE (default: the tiny fixture, which every RTL unit kind holds),
# SPK_BENCH_RTL_IMAGES=N (2), SPK_BENCH_RTL_BLOCKS="noc core ..." (noc core attn encoder
# readout all) override.
set -eu
S=$1
SRC=$2
MODEL=${SPK_BENCH_RTL_MODEL:-$SRC/tests/data/fixtures/tiny-fmnist-t2.spkm}
N=${SPK_BENCH_RTL_IMAGES:-2}
BLOCKS=${SPK_BENCH_RTL_BLOCKS:-noc core attn encoder readout all}
T=$(mktemp -d "${TMPDIR:-/tmp}/spkbench.XXXXXX")
trap 'rm -rf "$T"' EXIT
"$S" map --model "$MODEL" --arch default --out "$T/m.spki" >/dev/null
echo "chip co-simulation with blocks in RTL: $MODEL, $N images, default chip"
printf '%-30s %9s %12s %9s %12s %14s\n' run "wall s" "cycles/s" slowdown "unit evals" \
	"10k images h"
for round in 1 2; do
	"$S" sim "$T/m.spki" --images "$N" --json "$T/native.json" >/dev/null
	python3 - "$T/native.json" "native ($round)" "$N" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
n = int(sys.argv[3])
print('%-30s %9.3f %12.4g %9s %12d %14.3f' % (sys.argv[2], r['sim_wall_s'], r['sim_cycles_per_s'],
      '1', r['unit_evals'], 10000 * r['sim_wall_s'] / n / 3600))
EOF
	for b in systemc $BLOCKS; do
		if [ "$b" = systemc ]; then
			"$S" sim "$T/m.spki" --images "$N" --engine systemc --json "$T/r.json" >/dev/null
			label="systemc, C models ($round)"
		else
			"$S" sim "$T/m.spki" --images "$N" --engine systemc --rtl "$b" \
				--json "$T/r.json" >/dev/null
			label="--rtl $b ($round)"
		fi
		python3 - "$T/r.json" "$T/native.json" "$label" "$N" <<'EOF'
import json, sys
r, nat = (json.load(open(p)) for p in sys.argv[1:3])
n = int(sys.argv[4])
print('%-30s %9.3f %12.4g %9.1f %12d %14.3f' % (sys.argv[3], r['sim_wall_s'], r['sim_cycles_per_s'],
      r['sim_wall_s'] / nat['sim_wall_s'], r['unit_evals'], 10000 * r['sim_wall_s'] / n / 3600))
EOF
	done
done
