#!/bin/sh
# weight_bits.sh — accuracy of the integer reference against the synaptic weight width.
#
#   models/weight_bits.sh [-s SPIKECHIP] MODEL.spkm [IMAGES] [BITS...]
#
# Runs `spikechip ref` on the first IMAGES Fashion-MNIST test images (default: all 10,000) once
# in float64 and once per weight width (default 4 6 8 12 16), each on a copy of arch/default.ini
# with `weight_bits` changed and `membrane_bits` = max(16, weight_bits + 8), so that the
# membrane keeps 8 bits of headroom above one weight as at the default 8/16. Prints a Markdown
# table (doc/reference.md has the one for the shipped model). Exit status 2 on bad usage.
set -eu

spikechip=${SPIKECHIP:-spikechip}
if [ "${1:-}" = "-s" ]; then spikechip=$2; shift 2; fi
case "${1:-}" in
-h | --help | "")
	sed -n '2,10s/^# \{0,1\}//p' "$0"
	[ -n "${1:-}" ] && exit 0 || exit 2
	;;
esac
model=$1
shift
images=${1:-all}
[ $# -gt 0 ] && shift
bits=${*:-4 6 8 12 16}
srcdir=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

imgopt=
[ "$images" != all ] && imgopt="--images $images"

field() { # FILE KEY: a number from a flat JSON report
	sed -n "s/.*\"$2\": *\([-0-9.eE+]*\).*/\1/p" "$1" | head -n 1
}

# shellcheck disable=SC2086
"$spikechip" ref --model "$model" --float $imgopt --json "$tmp/float.json" > /dev/null
printf '| weights | membranes | accuracy | M SOPs/image | firing rate |\n|---|---|---|---|---|\n'
printf '| float64 | — | %.2f %% | %.2f | %.2f %% |\n' \
	"$(awk "BEGIN { print 100 * $(field "$tmp/float.json" accuracy) }")" \
	"$(awk "BEGIN { print $(field "$tmp/float.json" sops_per_image) / 1e6 }")" \
	"$(awk "BEGIN { print 100 * $(field "$tmp/float.json" firing_rate) }")"
for b in $bits; do
	m=$((b + 8))
	[ $m -lt 16 ] && m=16
	sed -e "s/^weight_bits *=.*/weight_bits = $b/" -e "s/^membrane_bits *=.*/membrane_bits = $m/" \
		"$srcdir/arch/default.ini" > "$tmp/w$b.ini"
	# shellcheck disable=SC2086
	"$spikechip" ref --model "$model" --arch "$tmp/w$b.ini" $imgopt --json "$tmp/w$b.json" > /dev/null
	printf '| %d bits | %d bits | %.2f %% | %.2f | %.2f %% |\n' "$b" "$m" \
		"$(awk "BEGIN { print 100 * $(field "$tmp/w$b.json" accuracy) }")" \
		"$(awk "BEGIN { print $(field "$tmp/w$b.json" sops_per_image) / 1e6 }")" \
		"$(awk "BEGIN { print 100 * $(field "$tmp/w$b.json" firing_rate) }")"
done
