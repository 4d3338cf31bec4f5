# sim.sh — `spikechip sim` end to end: the tiny fixture model compiled for the default chip runs
# on five Fashion-MNIST test images spike for spike like the integer reference (--check), its
# trace equals `spikechip ref --trace` (trace diff), two runs give the same cycles, the JSON
# report has its keys, every image's class, label and cycles (giving its accuracy and latency
# figures) and every tile's utilisation and flits (adding up to the NoC's counts and the busiest
# unit), the text report lists the images and maps the tiles' utilisation, and bad inputs
# (usage, corrupt or truncated image, an image for another architecture, a model that is not
# the image's, missing data) exit 2 with no output written.
# Skipped (77) without the fixture model or the dataset.
. "$TOP_SRCDIR/tests/cli/lib.sh"

use_tiny_fixture
IMG="$T_TMP/tiny.spki"

expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch default --out "$IMG"

# --- usage --------------------------------------------------------------------------------
expect_status 0 "$SPIKECHIP" sim --help
expect_grep out '^usage: spikechip sim IMAGE'
expect_status 0 "$SPIKECHIP" --help
expect_grep out '^  sim +simulate a chip image'
expect_status 2 "$SPIKECHIP" sim
expect_grep err 'sim: a chip image \(.spki\) is required'
expect_status 2 "$SPIKECHIP" sim "$IMG" --bogus
expect_grep err "sim: unknown option '--bogus'"
expect_status 2 "$SPIKECHIP" sim "$IMG" --images 0
expect_grep err "sim: --images '0' is not a number of images"
expect_status 2 "$SPIKECHIP" sim "$IMG" --check
expect_grep err 'sim: --check needs --model FILE'
expect_status 2 "$SPIKECHIP" sim "$IMG" --labels x.idx
expect_grep err 'sim: --labels needs --data'
expect_status 2 "$SPIKECHIP" sim "$IMG" extra
expect_grep err "sim: unexpected argument 'extra'"

# --- bad inputs: a clear message, exit 2, no report or trace written ------------------------
OUTS="--json $T_TMP/bad.json --trace $T_TMP/bad.spkt"
expect_status 2 "$SPIKECHIP" sim "$T_TMP/none.spki" $OUTS
expect_grep err 'none.spki'
head -c 100 "$IMG" >"$T_TMP/trunc.spki"
expect_status 2 "$SPIKECHIP" sim "$T_TMP/trunc.spki" --images 1 $OUTS
expect_grep err 'trunc.spki'
"$PY" -c "import sys; b = bytearray(open(sys.argv[1], 'rb').read()); b[len(b) // 2] ^= 0xff; open(sys.argv[2], 'wb').write(b)" "$IMG" "$T_TMP/corrupt.spki"
expect_status 2 "$SPIKECHIP" sim "$T_TMP/corrupt.spki" --images 1 $OUTS
expect_grep err 'corrupt.spki'
expect_status 2 "$SPIKECHIP" sim "$IMG" --arch large --images 1 $OUTS
expect_grep err 'built for another architecture'
expect_status 2 "$SPIKECHIP" sim "$IMG" --images 1 --data "$T_TMP/none-images.gz" $OUTS
expect_grep err 'none-images.gz'
cp "$MODEL" "$T_TMP/other.spkm" && printf 'x' >>"$T_TMP/other.spkm"
expect_status 2 "$SPIKECHIP" sim "$IMG" --model "$T_TMP/other.spkm" --check --images 1 $OUTS
expect_grep err 'other.spkm'
[ ! -e "$T_TMP/bad.json" ] && [ ! -e "$T_TMP/bad.spkt" ] || fail "a failed run left output behind"

# --- five images, checked spike for spike ---------------------------------------------------
expect_status 0 "$SPIKECHIP" sim "$IMG" --model "$MODEL" --images 5 --check \
	--json "$T_TMP/sim.json" --trace "$T_TMP/sim.spkt"
expect_grep out 'check +spike for spike equal to the integer reference \(0 mismatches\)'
expect_grep out '^accuracy '
expect_grep out '^energy per image '
expect_grep out '^pJ/SOP '
expect_grep out '^NoC '
cp "$T_TMP/out" "$T_TMP/sim1.txt"
"$PY" - "$T_TMP/sim.json" <<'EOF' || fail "sim.json lacks keys or values"
import json, sys
r = json.load(open(sys.argv[1]))
for k in ("accuracy", "images", "latency_cycles_mean", "throughput_images_per_s",
          "energy_uj_per_image", "pj_per_sop", "sops_per_image", "mismatches",
          "sim_wall_s", "sim_sops_per_s", "energy_breakdown_uj_per_image", "noc"):
    assert k in r, k
assert r["images"] == 5 and r["mismatches"] == 0 and r["checked"] is True
assert r["sops_per_image"] > 0 and r["energy_uj_per_image"] > 0 and r["pj_per_sop"] > 0
assert r["graded_clamped"] == 0 and r["counter_overflows"] == 0
assert abs(sum(r["energy_breakdown_uj_per_image"].values()) - r["energy_uj_per_image"]) < 1e-6 * r["energy_uj_per_image"]
# per image: class, label, cycles; they give the accuracy and the latency figures
pi = r["per_image"]
assert all(len(pi[k]) == 5 for k in ("class", "label", "in_cycle", "out_cycle", "latency_cycles")), pi
assert pi["latency_cycles"] == [o - i for i, o in zip(pi["in_cycle"], pi["out_cycle"])]
assert r["accuracy"] == sum(c == l for c, l in zip(pi["class"], pi["label"])) / 5
assert r["latency_cycles_mean"] == sum(pi["latency_cycles"]) / 5
assert (r["latency_cycles_min"], r["latency_cycles_max"]) == (min(pi["latency_cycles"]), max(pi["latency_cycles"]))
# per-tile utilisation: every tile of the 12x12 default chip once; the counts add up to the NoC's
t = r["tiles"]
assert len(t) == 144 and sorted((x["y"], x["x"]) for x in t) == [(y, x) for y in range(12) for x in range(12)]
assert {x["kind"] for x in t if x["used"]} == {"core", "attention", "encoder", "readout"}
for x in t:
    assert 0 <= x["utilisation"] <= 1 and x["utilisation"] == x["busy_cycles"] / r["cycles"], x
    assert x["used"] or (x["busy_cycles"] == 0 and sum(x["flits_out"].values()) == 0), x
n = r["noc"]
assert n["hops_per_packet"] == n["hops"] / n["packets"]
assert sum(x["flits_out"][d] for x in t for d in ("east", "west", "north", "south")) == n["link_flits"]
assert sum(x["flits_out"]["local"] for x in t) == n["flits"] > 0
assert sum(x["ni_refused"] for x in t) == n["inject_refused"]
assert all(x["used"] or x["ni_refused"] == 0 for x in t)
m = max(t, key=lambda x: x["busy_cycles"])
b = r["busiest_unit"]
assert (b["x"], b["y"], b["kind"], b["busy_cycles"]) == (m["x"], m["y"], m["kind"], m["busy_cycles"]), (b, m)
EOF
expect_grep out '^unit utilisation '
expect_grep out '^most held-back NI +core \([0-9]+,[0-9]+\): [0-9]+ offers refused \([0-9.]+ % of the simulated time\)$'
expect_grep out '^image results +image +class +label +correct +in cycle +out cycle +latency$'
expect_grep out '^ +4 +[0-9] +[0-9] +(yes|no) +[0-9]+ +[0-9]+ +[0-9]+$'
expect_grep out '^  y  11( +(-|[CAER] +[0-9]+|[CAER] <1)){12}$'

# --- the chip's trace is the reference's ------------------------------------------------------
expect_status 0 "$SPIKECHIP" ref --model "$MODEL" --images 5 --trace "$T_TMP/ref.spkt"
expect_status 0 "$SPIKECHIP" trace diff "$T_TMP/ref.spkt" "$T_TMP/sim.spkt"
expect_grep out 'traces are identical'

# --- deterministic: the same cycles again (and without the model) -----------------------------
expect_status 0 "$SPIKECHIP" sim "$IMG" --images 5
grep -E '^(latency|throughput|simulated time|NoC) ' "$T_TMP/sim1.txt" >"$T_TMP/a.txt"
grep -E '^(latency|throughput|simulated time|NoC) ' "$T_TMP/out" >"$T_TMP/b.txt"
cmp -s "$T_TMP/a.txt" "$T_TMP/b.txt" || { diff "$T_TMP/a.txt" "$T_TMP/b.txt" >&2; fail "two runs differ"; }

# A unit that never drains its input (the test hook SPK_TEST_STALL_TILE: tile 19, (7,1), a used
# core of this mapping, is never evaluated): the network fills up and stops; the run ends at
# once with exit 1, naming the full unit, the refused interfaces and the blocked router inputs
# (head packet, route, wanted output), and writes nothing.
expect_status 1 env SPK_TEST_STALL_TILE=19 "$SPIKECHIP" sim "$IMG" --images 2 --json "$T_TMP/stall.json"
expect_grep err 'deadlock: nothing left to do in cycle [0-9]+ with 0 of 2 images out; [0-9]+ blocked network inputs and interfaces:'
expect_grep err "^  tile \(7,1\): its unit's input is full \([0-9]+ flits\): the unit takes nothing"
expect_grep err '^  router \([0-9]+,[0-9]+\) input [a-z]+ holds [0-9]+ flits?; its head, of a [a-z]+ packet from \([0-9]+,[0-9]+\) to \(7,1\), wants output [a-z]+ \(0 credits'
T_CHECKS=$((T_CHECKS + 1))
[ ! -e "$T_TMP/stall.json" ] || fail "a deadlocked run wrote its report"

# A cyclic channel dependency (the test hook SPK_TEST_ROUTE_RING: unicast packets follow one ring
# through every tile instead of XY routes): the ring's channels fill up and wait on each other;
# the run ends at once with exit 1, naming the blocked router inputs along the ring ((0,0)'s
# south input waits for its east output, (1,0)'s west input too), and writes nothing.
expect_status 1 env SPK_TEST_ROUTE_RING=1 "$SPIKECHIP" sim "$IMG" --images 2 --json "$T_TMP/ring.json"
expect_grep err 'deadlock: nothing left to do in cycle [0-9]+ with 0 of 2 images out; [0-9]+ blocked network inputs and interfaces:'
expect_grep err '^  router \(0,0\) input south holds [0-9]+ flits?; its head, of a [a-z]+ packet from \([0-9]+,[0-9]+\) to \([0-9]+,[0-9]+\), wants output east \(0 credits'
expect_grep err '^  router \(1,0\) input west holds [0-9]+ flits?; its head, .* wants output east \(0 credits'
T_CHECKS=$((T_CHECKS + 1))
[ ! -e "$T_TMP/ring.json" ] || fail "a deadlocked run wrote its report"
# ... and the same run with XY routes completes
expect_status 0 "$SPIKECHIP" sim "$IMG" --images 2 --json "$T_TMP/ring.json"

# A chip that would not fit in memory is refused before anything is built (the test hook
# SPK_TEST_MEMORY_AVAILABLE stands for /proc/meminfo's MemAvailable): exit 2, nothing written.
expect_status 2 env SPK_TEST_MEMORY_AVAILABLE=1000000 "$SPIKECHIP" sim "$IMG" --images 2 --jobs 2 \
	--json "$T_TMP/mem.json"
expect_grep err 'tiny\.spki: simulating this chip needs about [0-9.]+ MiB of memory \([0-9.]+ MiB per process, 2 processes\), more than the 1\.0 MiB available: use fewer --jobs'
T_CHECKS=$((T_CHECKS + 1))
[ ! -e "$T_TMP/mem.json" ] || fail "a refused run wrote its report"
expect_status 0 env SPK_TEST_MEMORY_AVAILABLE=100000000 "$SPIKECHIP" sim "$IMG" --images 1

done_checks
