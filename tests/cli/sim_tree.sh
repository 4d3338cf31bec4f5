# sim_tree.sh — tree multicast ([noc] multicast = tree) end to end: the tiny fixture model mapped
# onto a tree variant of arch/default.ini (made with sed) runs five Fashion-MNIST test images
# spike for spike like the integer reference (--check), with the same spikes (trace diff) and
# accuracy as source replication, the same packets delivered from fewer packets injected (the
# JSON's spike-out energy) over fewer link flits; the SystemC engine gives the native figures on
# two images; a tree arch whose head flit cannot carry the payloads is refused by `map` (exit 3,
# nothing written) and by `sim` (exit 2), naming [noc] flit_bits. Skipped (77) without the
# fixture model or the dataset.
. "$TOP_SRCDIR/tests/cli/lib.sh"

use_tiny_fixture
SRC="$T_TMP/source.spki"
TREE="$T_TMP/tree.spki"
ARCH="$TOP_SRCDIR/arch/default.ini"

# --- the tree variant of the default chip -----------------------------------------------------
sed 's/^multicast = source$/multicast = tree/' "$ARCH" >"$T_TMP/tree.ini"
T_CHECKS=$((T_CHECKS + 1))
grep -q '^multicast = tree$' "$T_TMP/tree.ini" || fail "sed did not make a tree variant"
expect_status 0 "$SPIKECHIP" arch check "$T_TMP/tree.ini"

expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch "$ARCH" --out "$SRC"
expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch "$T_TMP/tree.ini" --out "$TREE"

# --- five images, checked spike for spike, against source replication --------------------------
expect_status 0 "$SPIKECHIP" sim "$TREE" --arch "$T_TMP/tree.ini" --model "$MODEL" --images 5 \
	--check --json "$T_TMP/tree.json" --trace "$T_TMP/tree.spkt"
expect_grep out 'check +spike for spike equal to the integer reference \(0 mismatches\)'
expect_status 0 "$SPIKECHIP" sim "$SRC" --arch "$ARCH" --model "$MODEL" --images 5 --check \
	--json "$T_TMP/source.json" --trace "$T_TMP/source.spkt"
expect_grep out 'check +spike for spike equal to the integer reference \(0 mismatches\)'
expect_status 0 "$SPIKECHIP" trace diff "$T_TMP/source.spkt" "$T_TMP/tree.spkt"
expect_grep out 'traces are identical'
T_CHECKS=$((T_CHECKS + 1))
"$PY" - "$T_TMP/source.json" "$T_TMP/tree.json" <<'PYEOF' || fail "tree vs source figures"
import json, sys
s, t = (json.load(open(p)) for p in sys.argv[1:3])
assert s["images"] == t["images"] == 5 and s["mismatches"] == t["mismatches"] == 0
assert s["accuracy"] == t["accuracy"], (s["accuracy"], t["accuracy"])
assert s["sops_per_image"] == t["sops_per_image"]
# every unit receives what it received: the same packets delivered
assert s["noc"]["packets"] == t["noc"]["packets"], (s["noc"]["packets"], t["noc"]["packets"])
# packets injected = spike-out energy / spike_out_pj: fewer with the tree
ps, pt = (r["energy_breakdown_uj_per_image"]["spikes"] for r in (s, t))
assert pt < 0.9 * ps, (ps, pt)
assert t["noc"]["link_flits"] < s["noc"]["link_flits"]
assert t["noc"]["router_flits"] < s["noc"]["router_flits"]
print("packets injected per image: source %.0f, tree %.0f; cycles: source %d, tree %d"
      % (ps * 1e6 / 2, pt * 1e6 / 2, s["cycles"], t["cycles"]))
PYEOF

# --- deterministic, and the SystemC engine gives the native figures ---------------------------
expect_status 0 "$SPIKECHIP" sim "$TREE" --arch "$T_TMP/tree.ini" --images 2 \
	--json "$T_TMP/native.json"
cp "$T_TMP/out" "$T_TMP/native.txt"
expect_status 0 "$SPIKECHIP" sim "$TREE" --arch "$T_TMP/tree.ini" --images 2 \
	--json "$T_TMP/systemc.json" --engine systemc
expect_grep out '^simulator +systemc engine'
T_CHECKS=$((T_CHECKS + 1))
"$PY" - "$T_TMP/native.json" "$T_TMP/systemc.json" <<'PYEOF' || fail "SystemC differs from native"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["images"] == 2 and a["cycles"] > 0
for r in (a, b):
    for k in ("engine", "sim_wall_s", "sim_sops_per_s", "sim_cycles_per_s"):
        del r[k]
bad = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
assert not bad, [(k, a.get(k), b.get(k)) for k in bad]
PYEOF

# --- a head flit too narrow for tree mode: map exits 3, sim 2, nothing written -----------------
sed -e 's/^multicast = source$/multicast = tree/' -e 's/^flit_bits = 32$/flit_bits = 24/' \
	"$ARCH" >"$T_TMP/narrow.ini"
expect_status 0 "$SPIKECHIP" arch check "$T_TMP/narrow.ini"
expect_status 3 "$SPIKECHIP" map --model "$MODEL" --arch "$T_TMP/narrow.ini" \
	--out "$T_TMP/narrow.spki" --report "$T_TMP/narrow.json"
expect_grep err 'does not fit: \[noc\] multicast = tree: a head flit of \[noc\] flit_bits = 24'
expect_grep err 'holds 12 payload bits'
expect_grep err 'it would fit with \[noc\] flit_bits >= [0-9]+'
[ ! -e "$T_TMP/narrow.spki" ] && [ ! -e "$T_TMP/narrow.json" ] || fail "map left output behind"
T_CHECKS=$((T_CHECKS + 1))
expect_status 2 "$SPIKECHIP" sim "$TREE" --arch "$T_TMP/narrow.ini" --images 1 \
	--json "$T_TMP/narrow-sim.json"
expect_grep err '\[noc\] flit_bits >= '
[ ! -e "$T_TMP/narrow-sim.json" ] || fail "sim left output behind"
# the same narrow flits are enough for source replication
sed 's/^flit_bits = 32$/flit_bits = 24/' "$ARCH" >"$T_TMP/narrow-src.ini"
expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch "$T_TMP/narrow-src.ini" \
	--out "$T_TMP/narrow-src.spki"

done_checks
