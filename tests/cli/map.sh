# map.sh — `spikechip map` end to end on the tiny fixture model: usage errors; mapping onto
# chips derived from arch/small.ini (a few keys changed, written to a temporary folder) of several
# shapes, each verified spike for spike on 3 Fashion-MNIST test images; same inputs -> the same
# image bytes; the JSON report's keys; every kind of "does not fit" (neurons, synapse memory,
# route entries, attention units, KV memory, mesh too small) with exit status 3 and no file left
# behind; bad inputs with exit status 2. The placers (greedy, scotch), the costs (sum, maxlink,
# tree multicast) and --profile: each image verified, Scotch deterministic (same bytes twice),
# the report's traffic figures consistent (the same packets for every placement, the swaps never
# worse than the placement before them, layers adding up to the chip), a profile's rates used.
# Skipped (77) without the fixture model or the dataset.
. "$TOP_SRCDIR/tests/cli/lib.sh"

use_tiny_fixture
SMALL="$TOP_SRCDIR/arch/small.ini"

# variant FILE section.key=value ...: arch/small.ini with those keys set (lib.sh arch_variant),
# and 32-bit flits unless given (a head flit holds the destination tile and an axon of any core
# neuron).
variant() {
	out=$1
	shift
	case "$*" in *noc.flit_bits=*) ;; *) set -- noc.flit_bits=32 "$@" ;; esac
	arch_variant "$SMALL" "$out" "$@"
}

# no_output NAME...: neither the files nor temporary files were left in $T_TMP
no_output() {
	T_CHECKS=$((T_CHECKS + 1))
	for f in "$@"; do
		[ ! -e "$T_TMP/$f" ] || fail "$f was written by a failed run"
	done
	ls "$T_TMP" | grep -q '\.tmp\.' && fail "a temporary file was left behind"
	return 0
}

# --- usage ---------------------------------------------------------------------------------
expect_status 0 "$SPIKECHIP" map --help
expect_grep out '^usage: spikechip map --model FILE --arch FILE --out IMAGE'
expect_status 0 "$SPIKECHIP" help map
expect_grep out -- '--verify N'
expect_status 0 "$SPIKECHIP" --help
expect_grep out '^  map +compile a model onto a chip'
expect_status 2 "$SPIKECHIP" map
expect_grep err 'map: --model FILE, --arch FILE and --out IMAGE are required'
expect_status 2 "$SPIKECHIP" map --model "$MODEL" --arch small --out "$T_TMP/x.spki" --bogus
expect_grep err "map: unknown option '--bogus'"
expect_status 2 "$SPIKECHIP" map --model "$MODEL" --arch small --out "$T_TMP/x.spki" --verify 0
expect_grep err "map: --verify '0' is not a number of images"
expect_status 2 "$SPIKECHIP" map --model "$MODEL" --arch small --out "$T_TMP/x.spki" --seed -1
expect_grep err "map: --seed '-1' is not a number"
expect_status 2 "$SPIKECHIP" map --model "$MODEL" --arch small --out "$T_TMP/x.spki" --seed
expect_grep err "map: option '--seed' needs a value"
expect_status 2 "$SPIKECHIP" map --model "$MODEL" --arch small --out "$T_TMP/x.spki" extra
expect_grep err "map: unexpected argument 'extra'"
expect_status 2 "$SPIKECHIP" map --model "$MODEL" --arch small --out "$T_TMP/x.spki" --data x.idx
expect_grep err 'map: --data and --labels are for --verify N'

# --- bad inputs: exit 2, nothing written ---------------------------------------------------
expect_status 2 "$SPIKECHIP" map --model "$T_TMP/none.spkm" --arch small --out "$T_TMP/x.spki"
expect_grep err 'none.spkm: cannot open'
expect_status 2 "$SPIKECHIP" map --model "$MODEL" --arch "$T_TMP/none.ini" --out "$T_TMP/x.spki"
expect_grep err 'none.ini'
variant big.ini chip.mesh_x=12 chip.mesh_y=12 core.neurons=8192 core.synapse_kib=64 \
	core.route_entries=64 attention.units=8
expect_status 2 "$SPIKECHIP" map --model "$MODEL" --arch "$T_TMP/big.ini" \
	--out "$T_TMP/no/such/dir.spki" --report "$T_TMP/bad.json"
expect_grep err 'no/such/dir.spki.*cannot create'
no_output bad.json x.spki
printf '\0\0\10\3\0\0\0\1\0\0\0\2\0\0\0\2abcd' >"$T_TMP/small.idx"
expect_status 2 "$SPIKECHIP" map --model "$MODEL" --arch "$T_TMP/big.ini" --out "$T_TMP/x.spki" \
	--verify 1 --data "$T_TMP/small.idx"
expect_grep err 'small.idx: images are 1x2x2, model .* expects 1x28x28'
no_output x.spki

# --- chips of several shapes, each verified ------------------------------------------------
# 8x8 with 4096-neuron cores; 16x16 with 1024-neuron cores, 3 attention units sharing 8 ops and
# 2 encoders; a non-square 6x12 mesh; 40x30 with 256-neuron cores (row bands), 3 encoders.
variant v1.ini chip.mesh_x=8 chip.mesh_y=8 core.neurons=4096 core.route_entries=64 \
	attention.units=8 attention.kv_kib=2
variant v2.ini chip.mesh_x=16 chip.mesh_y=16 core.neurons=1024 core.route_entries=256 \
	attention.units=3 attention.kv_kib=2 encoder.units=2
variant v3.ini chip.mesh_x=6 chip.mesh_y=12 core.neurons=8192 core.synapse_kib=64 \
	core.route_entries=64 attention.units=8
variant v4.ini chip.mesh_x=40 chip.mesh_y=30 core.neurons=256 core.synapse_kib=8 \
	core.route_entries=1024 attention.units=4 attention.kv_kib=2 encoder.units=3
for v in v1 v2 v3 v4; do
	expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch "$T_TMP/$v.ini" \
		--out "$T_TMP/$v.spki" --report "$T_TMP/$v.json" --verify 3
	expect_grep out "^spikechip map: .* -> .*$v.spki \(seed 1\)"
	expect_grep out '^verify +3 images in .*: chip image = integer reference, spike for spike'
	expect_grep out '^accuracy +[0-9.]+ % \([0-3] of 3\) on the chip image'
	expect_grep out '^mesh \(x right, y down\)'
	expect_grep out '^expected link traffic'
	expect_grep out '^measured link traffic'
	T_CHECKS=$((T_CHECKS + 1))
	[ -s "$T_TMP/$v.spki" ] || fail "$v.spki not written"
done
T_CHECKS=$((T_CHECKS + 1))
"$PY" - "$T_TMP" <<'EOF' || fail "JSON reports"
import json, os, sys
d = sys.argv[1]
shapes = {"v1": (8, 8), "v2": (16, 16), "v3": (6, 12), "v4": (40, 30)}
for v, (mx, my) in shapes.items():
    r = json.load(open(os.path.join(d, v + ".json")))
    for k in ("tiles_total", "tiles_used", "synapse_bytes_used", "neurons_mapped", "populations",
              "tiles", "mesh", "links", "verify", "route_entries_used", "neuron_slots_used"):
        assert k in r, (v, k)
    assert r["tiles_total"] == mx * my and len(r["tiles"]) == mx * my, v
    assert 0 < r["tiles_used"] <= r["tiles_total"]
    assert r["neurons_mapped"] == sum(p["neurons"] for p in r["populations"]) == 137624
    assert r["synapse_bytes_used"] == sum(t.get("synapse_bytes", 0) for t in r["tiles"])
    assert len(r["mesh"]) == my and all(len(row) == mx for row in r["mesh"])
    assert r["verify"]["images"] == 3 and r["verify"]["passed"] is True
    assert r["tiles_used"] == sum(1 for t in r["tiles"] if t["used"])
    for t in r["tiles"]:
        if t["kind"] == "core":
            assert t["neuron_utilisation"] <= 1 and t["synapse_utilisation"] <= 1
        assert t["route_utilisation"] <= 1
    assert len(r["populations"]) == 77
    assert any(l.get("measured_events_per_image", 0) > 0 for l in r["links"])
EOF

# --- determinism: same inputs and seed, same bytes; another seed, another placement --------
expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch "$T_TMP/v2.ini" --out "$T_TMP/v2b.spki"
T_CHECKS=$((T_CHECKS + 1))
cmp -s "$T_TMP/v2.spki" "$T_TMP/v2b.spki" || fail "two runs gave different images"
expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch "$T_TMP/v2.ini" --out "$T_TMP/v2c.spki" \
	--seed 99 --verify 1
expect_grep out '\(seed 99\)'
T_CHECKS=$((T_CHECKS + 1))
cmp -s "$T_TMP/v2.spki" "$T_TMP/v2c.spki" && fail "another seed gave the same image"
# --- placers, costs, profile ------------------------------------------------------------------
expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch "$T_TMP/v2.ini" --out "$T_TMP/sc1.spki" \
	--placer scotch --report "$T_TMP/sc1.json" --verify 2
expect_grep out 'placer scotch, cost sum, source multicast; firing rates assumed 15 %'
expect_grep out '^  before swaps '
expect_grep out '^  random '
expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch "$T_TMP/v2.ini" --out "$T_TMP/sc2.spki" \
	--placer scotch
T_CHECKS=$((T_CHECKS + 1))
cmp -s "$T_TMP/sc1.spki" "$T_TMP/sc2.spki" || fail "two Scotch runs gave different images"
variant v2tree.ini chip.mesh_x=16 chip.mesh_y=16 core.neurons=1024 core.route_entries=256 \
	attention.units=3 attention.kv_kib=2 encoder.units=2 noc.multicast=tree
expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch "$T_TMP/v2tree.ini" \
	--out "$T_TMP/tr.spki" --report "$T_TMP/tr.json" --verify 2 --cost tree
expect_grep out 'cost tree, tree multicast'
expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch "$T_TMP/v2.ini" --out "$T_TMP/ml.spki" \
	--cost maxlink --report "$T_TMP/ml.json" --verify 2
expect_status 0 "$SPIKECHIP" ref --model "$MODEL" --images 2 --json "$T_TMP/ref.json"
expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch "$T_TMP/v2.ini" --out "$T_TMP/pr.spki" \
	--profile "$T_TMP/ref.json" --report "$T_TMP/pr.json" --verify 2
expect_grep out 'firing rates from .*ref.json\)'
T_CHECKS=$((T_CHECKS + 1))
"$PY" - "$T_TMP" <<'EOF' || fail "traffic figures in the JSON reports"
import json, os, sys
d = sys.argv[1]
runs = (("v2", "greedy", "sum", "source"), ("sc1", "scotch", "sum", "source"),
        ("tr", "greedy", "tree", "tree"), ("ml", "greedy", "maxlink", "source"),
        ("pr", "greedy", "sum", "source"))
rep = {name: json.load(open(os.path.join(d, name + ".json"))) for name, *_ in runs}
for name, placer, cost, mc in runs:
    r = rep[name]
    assert (r["placer"], r["cost"], r["multicast"]) == (placer, cost, mc), name
    assert (r["profile"] is None) == (name != "pr"), name
    t = r["traffic"]
    f, i, rnd = t["final"], t["initial"], t["random"]
    # the same traffic whatever the placement; only its hops differ
    assert f["packets_per_image"] == i["packets_per_image"] == rnd["packets_per_image"] > 0
    assert abs(f["hop_traffic_per_image"] - f["hops_per_packet"] * f["packets_per_image"]) \
        <= 1e-6 * f["hop_traffic_per_image"], name
    if cost != "maxlink":
        assert f["hop_traffic_per_image"] <= i["hop_traffic_per_image"], name
        assert f["hops_per_packet"] < rnd["hops_per_packet"], name
    else:
        assert f["busiest_link"]["packets_per_image"] <= i["busiest_link"]["packets_per_image"]
    if mc == "tree":
        assert f["packets_per_image"] < f["deliveries_per_image"], name
    else:
        assert f["packets_per_image"] == f["deliveries_per_image"], name
    # the layers' figures add up to the chip's
    s = sum(l["final"]["packets_per_image"] for l in t["layers"])
    assert abs(s - f["packets_per_image"]) <= 1e-6 * s, name
# measured rates (this fixture fires far more than 15 %) change the expected traffic
assert rep["pr"]["traffic"]["final"]["packets_per_image"] > \
    1.5 * rep["v2"]["traffic"]["final"]["packets_per_image"]
EOF

# --- the split: auto (the default) against channel groups only -------------------------------
# On v2 (1024-neuron cores) and v4 (256) the auto split cuts layers into row bands that follow
# the image's rows: both images verified (the auto one above, the channel one here), the auto one
# also run cycle by cycle (sim --check); the report names the split, bands show their kernel
# copies, and the expected packets and hop-traffic are below the channel split's.
for v in v2 v4; do
	expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch "$T_TMP/$v.ini" \
		--out "$T_TMP/ch-$v.spki" --report "$T_TMP/ch-$v.json" --split channels --verify 2
	expect_grep out '\(split channels, placer greedy'
done
expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch "$T_TMP/v4.ini" --out "$T_TMP/v4b.spki"
expect_grep out '\(split auto, placer greedy'
T_CHECKS=$((T_CHECKS + 1))
cmp -s "$T_TMP/v4.spki" "$T_TMP/v4b.spki" || fail "two auto-split runs gave different images"
expect_status 0 "$SPIKECHIP" sim "$T_TMP/v4.spki" --arch "$T_TMP/v4.ini" --model "$MODEL" \
	--images 2 --check
expect_grep out "^check +spike for spike equal to the integer reference \(0 mismatches\)"
T_CHECKS=$((T_CHECKS + 1))
"$PY" - "$T_TMP" <<'EOF' || fail "the auto split's report"
import json, os, sys
d = sys.argv[1]
for v in ("v2", "v4"):
    a = json.load(open(os.path.join(d, v + ".json")))
    c = json.load(open(os.path.join(d, "ch-" + v + ".json")))
    assert (a["split"], a["split_used"], c["split"], c["split_used"]) == \
        ("auto", "auto", "channels", "channels"), v
    fa, fc = a["traffic"]["final"], c["traffic"]["final"]
    assert fa["packets_per_image"] < 0.8 * fc["packets_per_image"], v
    assert fa["hop_traffic_per_image"] < 0.8 * fc["hop_traffic_per_image"], v
    # more bands somewhere than the channel split has; a band's copies are its price
    more = [p for p, q in zip(a["populations"], c["populations"])
            if p["groups_x_bands"][1] > q["groups_x_bands"][1]]
    assert more, v
    for p in a["populations"]:
        g, b = p["groups_x_bands"]
        assert p["pieces"] in (0, g * b), (v, p["name"])
        assert (p["synapse_bytes_replicated"] > 0) == (b > 1 and p["pieces"] > 0), (v, p["name"])
        assert p["synapse_bytes_replicated"] < p["synapse_bytes"] or p["pieces"] == 0
EOF

# a preset name works as --arch (the tiny model does not fit the small preset)
expect_status 3 "$SPIKECHIP" map --model "$MODEL" --arch small --out "$T_TMP/x.spki"
expect_grep err 'arch/small.ini: does not fit: synapse cores \(mesh too small\)'

# --- does not fit: resource, layer, needed vs available, the fix; exit 3; nothing written ----
nofit() {
	nf_name=$1; nf_want=$2	# (lib.sh's expect_status uses $want)
	expect_status 3 "$SPIKECHIP" map --model "$MODEL" --arch "$T_TMP/$nf_name.ini" \
		--out "$T_TMP/$nf_name.spki" --report "$T_TMP/$nf_name.json" --verify 1
	expect_grep err "does not fit: $nf_want"
	expect_grep err 'needs [0-9]+ .*, the chip has [0-9]+; it would fit with '
	no_output "$nf_name.spki" "$nf_name.json"
}
variant nf-neurons.ini chip.mesh_x=30 chip.mesh_y=30 core.neurons=64
nofit nf-neurons "neurons: layer 'downsample1_1.encode_conv' \(site 'downsample1_1': one row of one channel"
expect_grep err 'needs 70 neuron slots, the chip has 64; it would fit with \[core\] neurons >= 70'
variant nf-synapse.ini chip.mesh_x=12 chip.mesh_y=12 core.neurons=8192 core.synapse_kib=1 \
	attention.units=8
nofit nf-synapse "synapse memory: layer '.*' \(site '.*': the kernels and parameters of one output channel"
expect_grep err '\[core\] synapse_kib >= [0-9]+'
variant nf-routes.ini chip.mesh_x=32 chip.mesh_y=32 core.neurons=512 core.route_entries=4 \
	attention.units=8
nofit nf-routes "route entries: the .* needs [0-9]+ entries, the chip has 4"
expect_grep err '\[core\] route_entries >= [0-9]+'
variant nf-units.ini chip.mesh_x=12 chip.mesh_y=12 core.neurons=8192 attention.units=2 \
	attention.kv_kib=1
nofit nf-units "attention units: the 8 ATTN ops .* needs [0-9]+ units, the chip has 2"
expect_grep err '\[attention\] units >= [0-9]+'
variant nf-kv.ini chip.mesh_x=12 chip.mesh_y=12 core.neurons=8192 attention.units=8 \
	attention.kv_kib=1 attention.counter_bits=32
nofit nf-kv "attention KV memory: ATTN 'block4.0.attn' \(2 heads of 16x16 counters, 32 bits\) needs 2048 bytes, the chip has 1024"
expect_grep err '\[attention\] kv_kib >= 2'
variant nf-mesh.ini chip.mesh_x=5 chip.mesh_y=5 core.neurons=4096 attention.units=8
nofit nf-mesh "synapse cores \(mesh too small\): the network \(cores run out at layer '.*'"
expect_grep err 'mesh_x x mesh_y >= [0-9]+ tiles \(e.g. mesh_x = mesh_y = [0-9]+\)'

done_checks
