#!/bin/sh
# bench_energy.sh — `make bench-energy` (doc/energy.md "Energy without cycles"): the energy
# counter's speed against the integer reference's on the same images, in the same run, twice
# in alternation (the machine is shared): SOPs/s, their ratio, images/s, and with --jobs 2 the
# time the full 10,000-image test set would take; the image executor's counter beside them.
#   bench_energy.sh SPIKECHIP SRCDIR   (SPK_BENCH_MODEL=FILE, SPK_BENCH_IMAGES=N override)
set -eu
S=$1
SRC=$2
MODEL=${SPK_BENCH_MODEL:-$SRC/models/fmnist_t4.spkm}
N=${SPK_BENCH_IMAGES:-200}
T=$(mktemp -d "${TMPDIR:-/tmp}/spkbench.XXXXXX")
trap 'rm -rf "$T"' EXIT
"$S" map --model "$MODEL" --arch default --out "$T/m.spki" >/dev/null
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }
echo "energy counter against the integer reference: $MODEL, $N images, default chip"
printf '%-22s %14s %12s\n' run "SOPs/s" "images/s"
for round in 1 2; do
	"$S" ref --model "$MODEL" --images "$N" --json "$T/ref.json" >/dev/null
	"$S" energy "$T/m.spki" --model "$MODEL" --images "$N" --json "$T/e1.json" >/dev/null
	"$S" energy "$T/m.spki" --model "$MODEL" --images "$N" --jobs 2 --json "$T/e2.json" >/dev/null
	"$S" energy "$T/m.spki" --model "$MODEL" --images "$N" --counter executor \
		--json "$T/e3.json" >/dev/null
	r=$(field "$T/ref.json" sops_per_second)
	e=$(field "$T/e1.json" sops_per_s)
	e2=$(field "$T/e2.json" sops_per_s)
	ri=$(field "$T/ref.json" images_per_second)
	printf '%-22s %14.4g %12.1f\n' "reference ($round)" "$r" "$ri"
	printf '%-22s %14.4g %12.1f\n' "energy ($round)" "$e" "$(python3 -c "print($N / $(field "$T/e1.json" wall_s))")"
	printf '%-22s %14.4g %12.1f\n' "energy, executor ($round)" "$(field "$T/e3.json" sops_per_s)" "$(python3 -c "print($N / $(field "$T/e3.json" wall_s))")"
	printf '%-22s %14.4g %12.1f\n' "energy --jobs 2 ($round)" "$e2" "$(python3 -c "print($N / $(field "$T/e2.json" wall_s))")"
	python3 -c "print('energy / reference SOPs/s: %.3f (target >= 0.7); --jobs 2: %.3f; 10,000 images with --jobs 2: %.0f s (target < 120 s)' % ($e / $r, $e2 / $r, 10000 * $(field "$T/e2.json" wall_s) / $N))"
done
