# byo_core.sh — bring your own RTL (doc/rtl.md "Bring your own unit"): the example core of
# rtl/examples/core_decode_stage.patch (rtl/core.sv with a decode stage before the spike walk:
# one cycle more per spike), built by `make byo` into rtl/byo/CRC/spikechip (the check_DATA
# rule rtl/examples/core_decode_stage.stamp), runs in the chip with `spikechip sim --engine
# systemc --rtl core=PATH.sv` from the plain spikechip: the tiny fixture model on the default
# chip, 2 Fashion-MNIST test images, spike for spike equal to the integer reference (--check,
# 0 mismatches) and the same classes as the native engine, in more cycles, reported beside the
# C models' (which equal the native engine's); a core file with no build is refused (exit 2)
# naming the make command.
. "$TOP_SRCDIR/tests/cli/lib.sh"

use_tiny_fixture
SV="$PWD/rtl/examples/core_decode_stage.sv"
[ -f "$SV" ] || fail "$SV is missing (make check builds it: rtl/byo.mk)"
IMG="$T_TMP/tiny.spki"
expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch default --out "$IMG"
expect_status 0 "$SPIKECHIP" sim "$IMG" --images 2 --json "$T_TMP/native.json"
cp "$T_TMP/out" "$T_TMP/native.txt"
native=$(sed -n 's/^simulated time *\([0-9]*\) cycles.*/\1/p' "$T_TMP/native.txt")

expect_status 0 "$SPIKECHIP" sim "$IMG" --model "$MODEL" --images 2 --check --engine systemc \
	--rtl "core=$SV" --json "$T_TMP/byo.json"
cat "$T_TMP/out"
expect_grep out 'spike for spike equal to the integer reference \(0 mismatches\)'
expect_grep out '^simulator +systemc\+RTL engine \(RTL: 20 cores\)'
byo=$(sed -n 's/^simulated time *\([0-9]*\) cycles.*/\1/p' "$T_TMP/out")
expect_grep out "^C models +$native cycles with the C models' cores instead of .*core_decode_stage\.sv: this core \+[0-9]+ cycles"
T_CHECKS=$((T_CHECKS + 1))
[ "${byo:-0}" -gt "${native:-0}" ] || fail "the decode-stage core took $byo cycles, the C models $native: expected more"
# the same classes as the native engine
T_CHECKS=$((T_CHECKS + 1))
"$PY" - "$T_TMP/native.json" "$T_TMP/byo.json" "$native" <<'PYEOF' || fail "JSON: classes or C-model cycles differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
cls = lambda r: r["per_image"]["class"]
sys.exit(cls(a) != cls(b) or b["c_model_cycles"] != int(sys.argv[3]) or
	 not b["rtl_core"].endswith("core_decode_stage.sv"))
PYEOF

# a core with no build: refused, the make command named, nothing written
sed 's/decode stage/decode stage (another file)/' "$SV" >"$T_TMP/other.sv"
expect_status 2 "$SPIKECHIP" sim "$IMG" --images 1 --engine systemc --rtl "core=$T_TMP/other.sv" \
	--json "$T_TMP/x.json"
expect_grep err "sim: --rtl core=.*other\.sv: no spikechip is built with this core \(CRC-32 [0-9a-f]{8}\) yet: run 'make -C BUILD byo BYO_CORE_SV=.*other\.sv'"
expect_status 2 "$SPIKECHIP" sim "$IMG" --images 1 --engine systemc --rtl "core=$T_TMP/none.sv"
expect_grep err 'sim: --rtl core=: .*none\.sv: '
T_CHECKS=$((T_CHECKS + 1))
[ ! -e "$T_TMP/x.json" ] || fail "a refused run wrote its report"
done_checks
