# sim_rtl_shipped.sh — the shipped model (models/fmnist_t4.spkm) on the default chip with its
# network, encoder and readout in RTL (`spikechip sim --engine systemc --rtl
# noc,encoder,readout`), and in make check-rtl its 103 synapse cores too
# (SPK_RTL_SHIPPED_BLOCKS=noc,core,encoder,readout; the build's RTL attention unit holds the
# tiny test model's 32 channels, not the shipped model's 128: doc/rtl.md "Units in the chip"):
# SPK_RTL_IMAGES Fashion-MNIST test images (2 in make check, 20 in make check-rtl, in segments of
# SPK_RTL_SHIPPED_SEGMENT over SPK_RTL_SHIPPED_JOBS processes) give the native engine's report —
# text (all but the `simulator` line) and JSON (all but the engine and speed fields) — both
# checked spike for spike against the integer reference (--check).
# Skipped (77) when SPIKECHIP_SKIP_SLOW is set, as tests/cli/shipped.sh (.ci/run leaves it out of
# its sanitizer pass and distcheck instead: SPK_SLOW_TESTS=).
. "$TOP_SRCDIR/tests/cli/lib.sh"
[ -z "${SPIKECHIP_SKIP_SLOW:-}" ] || { echo "SKIP: SPIKECHIP_SKIP_SLOW is set"; exit 77; }

MODEL="$TOP_SRCDIR/models/fmnist_t4.spkm"
n=${SPK_RTL_IMAGES:-2}
blocks=${SPK_RTL_SHIPPED_BLOCKS:-noc,encoder,readout}
seg="--segment ${SPK_RTL_SHIPPED_SEGMENT:-100} --jobs ${SPK_RTL_SHIPPED_JOBS:-1}"
IMG="$T_TMP/ship.spki"
expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch default --out "$IMG"
expect_status 0 "$SPIKECHIP" sim "$IMG" --model "$MODEL" --images "$n" --check $seg \
	--json "$T_TMP/native.json"
grep -v '^simulator ' "$T_TMP/out" >"$T_TMP/native.txt"
grep '^simulator ' "$T_TMP/out"
expect_status 0 "$SPIKECHIP" sim "$IMG" --model "$MODEL" --images "$n" --check $seg \
	--json "$T_TMP/rtl.json" --engine systemc --rtl "$blocks"
expect_grep out 'spike for spike equal to the integer reference \(0 mismatches\)'
grep '^simulator ' "$T_TMP/out"
grep -v '^simulator ' "$T_TMP/out" >"$T_TMP/rtl.txt"
cp "$T_TMP/native.txt" "$T_TMP/native.cut"
T_CHECKS=$((T_CHECKS + 1))
cmp -s "$T_TMP/native.cut" "$T_TMP/rtl.txt" ||
	{ diff "$T_TMP/native.cut" "$T_TMP/rtl.txt" >&2; fail "text reports differ"; }
same_sim_json "$T_TMP/native.json" "$T_TMP/rtl.json"
done_checks
