# noc.sh — `spikechip noc` (sim/noc_cmd.c, sim/noc_traffic.c, doc/noc.md) against facts this
# test computes itself, from doc/architecture.md and the patterns' definitions, never from the
# program:
#   - the zero-load latency of every pattern, exactly: the mean and the maximum over the
#     pattern's (source, destination, size) of (H + 1)(P + 1) + F - 1 (§4), on four meshes
#     (square and not, power-of-two and not, P = 1..3, a size distribution), with the mean hops
#     and the energy per flit (router_pj (H + 1) + link_pj H, §10);
#   - the channel-load bound: the busiest channel under XY routing (§3), equal to the program's,
#     and no measured load above it: the bisected saturation throughput, and at an overload the
#     least accepted load of a tile;
#   - determinism: the same seed gives the same bytes (text, CSV, JSON), another seed others;
#   - refusals: patterns a mesh does not define, bad options, no output left behind.
# Small meshes and short windows: a few seconds.
. "$TOP_SRCDIR/tests/cli/lib.sh"

PY="${PYTHON:-python3}"
SMALL="$TOP_SRCDIR/arch/small.ini"
# name mesh_x mesh_y P B, built from small.ini (router_pj 3, link_pj 1)
arch_variant "$SMALL" a44.ini noc.router_stages=2 noc.buffer_flits=4
arch_variant "$SMALL" a82.ini chip.mesh_x=8 chip.mesh_y=2 noc.router_stages=1 noc.buffer_flits=3
arch_variant "$SMALL" a33.ini chip.mesh_x=3 chip.mesh_y=3 noc.router_stages=3 noc.buffer_flits=5
ARCHES="a44:4:4:2:4 a82:8:2:1:3 a33:3:3:3:5"
ALL="uniform transpose bitcomp bitrev shuffle tornado neighbor hotspot"
W="--warmup 50 --measure 200"

# --- zero load, every pattern every mesh it defines ------------------------------------------
: >"$T_TMP/zl.list"
for spec in $ARCHES; do
	IFS=: read -r a mx my p b <<EOF
$spec
EOF
	for pat in $ALL; do
		extra=""
		[ "$pat" = hotspot ] && extra="--hotspot-fraction 0.3 --hotspot 1,$((mx * my - 2))"
		defined=1
		case $pat in
		transpose) [ "$mx" = "$my" ] || defined=0 ;;
		bitcomp|bitrev|shuffle) [ $((mx * my & (mx * my - 1))) = 0 ] || defined=0 ;;
		esac
		if [ $defined = 0 ]; then
			expect_status 2 "$SPIKECHIP" noc --arch "$T_TMP/$a.ini" --pattern "$pat" \
				--rate 0.01 $W --json "$T_TMP/refused.json"
			expect_grep err "noc: .*--pattern $pat needs a (square mesh|power-of-two number of tiles)"
			[ ! -e "$T_TMP/refused.json" ] || fail "a refused pattern left its JSON"
			continue
		fi
		j="$T_TMP/zl-$a-$pat.json"
		expect_status 0 "$SPIKECHIP" noc --arch "$T_TMP/$a.ini" --pattern "$pat" \
			--flits 1:1,3:2 --rate 0.01 $W $extra --json "$j"
		echo "$j $mx $my $p $b $pat 1:1,3:2" >>"$T_TMP/zl.list"
	done
done
# the small preset itself (P = 1, B = 2 < P + 2): 1-flit packets take (H + 1)(P + 1) still
for pat in uniform bitrev tornado; do
	j="$T_TMP/zl-small-$pat.json"
	expect_status 0 "$SPIKECHIP" noc --arch small --pattern "$pat" --rate 0.01 $W --json "$j"
	echo "$j 4 4 1 2 $pat 1:1" >>"$T_TMP/zl.list"
done

cat >"$T_TMP/model.py" <<'PYEOF'
# The patterns (BookSim's definitions, doc/noc.md) and XY routes, written independently of
# sim/noc_traffic.c.
import math

def dests(pat, s, X, Y, hot=(), frac=0.0):
    N = X * Y
    x, y = s % X, s // X
    b = N.bit_length() - 1
    if pat == "uniform":
        return {d: 1.0 / (N - 1) for d in range(N) if d != s}
    if pat == "hotspot":
        others = [h for h in hot if h != s]
        w = {d: (1.0 - frac if others else 1.0) / (N - 1) for d in range(N) if d != s}
        for h in others:
            w[h] += frac / len(others)
        return w
    if pat == "transpose":
        d = x * X + y                                # (x, y) -> (y, x)
    elif pat == "bitcomp":
        d = int("".join("1" if c == "0" else "0" for c in format(s, "0%db" % b)), 2)
    elif pat == "bitrev":
        d = int(format(s, "0%db" % b)[::-1], 2)
    elif pat == "shuffle":
        bits = format(s, "0%db" % b)
        d = int(bits[1:] + bits[0], 2)               # rotate left by one bit
    elif pat == "tornado":
        d = ((y + math.ceil(Y / 2) - 1) % Y) * X + (x + math.ceil(X / 2) - 1) % X
    elif pat == "neighbor":
        d = ((y + 1) % Y) * X + (x + 1) % X
    return {d: 1.0}

def route(s, d, X):
    """The channels of the XY path: (router, output) pairs, output 0 = ejection."""
    x, y, dx, dy = s % X, s // X, d % X, d // X
    out = []
    while True:
        if dx > x: o = 1
        elif dx < x: o = 2
        elif dy > y: o = 4
        elif dy < y: o = 3
        else: o = 0
        out.append((y * X + x, o))
        if o == 0:
            return out
        x += {1: 1, 2: -1}.get(o, 0)
        y += {4: 1, 3: -1}.get(o, 0)

def hops(s, d, X):
    return abs(s % X - d % X) + abs(s // X - d // X)

def sizes(spec):
    pairs = [tuple(map(float, t.split(":"))) for t in spec.split(",")]
    tot = sum(w for _, w in pairs)
    return [(int(f), w / tot) for f, w in pairs]

def bound(pat, X, Y, hot=(), frac=0.0):
    """1 / the most loaded channel's load when every tile offers 1 flit/cycle (capacity 1)."""
    load = {}
    for s in range(X * Y):
        load[("in", s)] = 1.0
        for d, w in dests(pat, s, X, Y, hot, frac).items():
            for ch in route(s, d, X):
                load[ch] = load.get(ch, 0.0) + w
    return 1.0 / max(load.values())
PYEOF

T_CHECKS=$((T_CHECKS + 1))
"$PY" - "$T_TMP/model.py" "$T_TMP/zl.list" <<'PYEOF' ||
	fail "zero-load latency, hops, energy or channel bound differ from doc/architecture.md"
import json, sys
exec(open(sys.argv[1]).read())
bad = 0
for line in open(sys.argv[2]):
    path, X, Y, P, B, pat, spec = line.split()
    X, Y, P, B = int(X), int(Y), int(P), int(B)
    j = json.load(open(path))
    hot = j["hotspot"]["tiles"] if j["hotspot"] else ()
    frac = j["hotspot"]["fraction"] if j["hotspot"] else 0.0
    if pat == "hotspot":
        assert list(hot) == [1, X * Y - 2] and frac == 0.3, "hotspot options not taken"
    N = X * Y
    mean = hsum = lmax = 0.0
    ej = ef = 0.0
    for s in range(N):
        for d, w in dests(pat, s, X, Y, hot, frac).items():
            H = hops(s, d, X)
            hsum += w * H / N
            for F, p in sizes(spec):
                L = (H + 1) * (P + 1) + F - 1
                mean += w * p * L / N
                lmax = max(lmax, L)
                ej += w * p * F * (3 * (H + 1) + 1 * H)
                ef += w * p * F
    z = j["zero_load"]
    got = (z["latency"], z["latency_max"], z["hops"], z["pj_per_flit"])
    want = (mean, lmax, hsum, ej / ef)
    ok = z["exact"] and all(abs(a - b) <= 1e-9 * max(1, abs(b)) for a, b in zip(got, want))
    cb = j["channel_bound"]["throughput"]
    ok_b = B < P + 2 or abs(cb - bound(pat, X, Y, hot, frac)) <= 1e-9
    if not ok or not ok_b:
        print("%s: zero-load (latency, max, hops, pJ/flit) %s, expected %s; channel bound %s, "
              "expected %s" % (path, got, want, cb, bound(pat, X, Y, hot, frac)), file=sys.stderr)
        bad += 1
    else:
        print("%-22s %ux%u P=%u: zero-load %.4f cycles (max %d), %.4f hops, %.3f pJ/flit, "
              "bound %.4f" % (pat, X, Y, P, mean, lmax, hsum, ej / ef, cb))
sys.exit(1 if bad else 0)
PYEOF

# --- no load above the channel-load bound (4x4, P = 2, B = 4) --------------------------------
# 1 flit/cycle/tile first (an overload, unless the bound is 1), then the bisection.
: >"$T_TMP/sat.list"
for pat in $ALL; do
	extra=""
	[ "$pat" = hotspot ] && extra="--hotspot-fraction 0.3 --hotspot 1,14"
	j="$T_TMP/sat-$pat.json"
	expect_status 0 "$SPIKECHIP" noc --arch "$T_TMP/a44.ini" --pattern "$pat" --sweep 1 \
		--saturation --tolerance 0.02 --warmup 300 --measure 2000 $extra --json "$j"
	echo "$j $pat" >>"$T_TMP/sat.list"
done
T_CHECKS=$((T_CHECKS + 1))
"$PY" - "$T_TMP/model.py" "$T_TMP/sat.list" <<'PYEOF' || fail "a load above the channel-load bound"
import json, sys
exec(open(sys.argv[1]).read())
bad = 0
for line in open(sys.argv[2]):
    path, pat = line.split()
    j = json.load(open(path))
    hot = j["hotspot"]["tiles"] if j["hotspot"] else ()
    frac = j["hotspot"]["fraction"] if j["hotspot"] else 0.0
    bd = bound(pat, 4, 4, hot, frac)
    over = j["runs"][0]
    sat = j["saturation"]
    # the flits of the busiest channel's flows share one flit per cycle: their least
    # accepted load is at most the bound (plus what the buffers held when the window opened)
    slack = 0.02
    msgs = []
    if (over["offered"] != 1 or over["saturated"] != (bd < 1) or
            over["accepted_min"] > bd * (1 + slack)):
        msgs.append("overload: %s" % over)
    if sat["throughput"] > bd * (1 + slack) or sat["throughput"] < 0.3 * bd:
        msgs.append("saturation throughput %s" % sat["throughput"])
    for r in j["runs"]:
        if r["accepted"] > r["offered"] * 1.1 + 0.01:
            msgs.append("accepted %s above offered %s" % (r["accepted"], r["offered"]))
    if msgs:
        print("%s (bound %.4f): %s" % (pat, bd, "; ".join(msgs)), file=sys.stderr)
        bad += 1
    else:
        print("%-10s bound %.4f  saturation %.4f (%.0f%%)  overload min accepted %.4f"
              % (pat, bd, sat["throughput"], 100 * sat["throughput"] / bd, over["accepted_min"]))
sys.exit(1 if bad else 0)
PYEOF

# --- determinism ---------------------------------------------------------------------------------
for k in 1 2 3; do
	seed=7
	[ $k = 3 ] && seed=8
	expect_status 0 "$SPIKECHIP" noc --arch "$T_TMP/a44.ini" --flits 1:1,4:1 --burst 5,15 \
		--sweep 0.1,0.3 --seed $seed $W --csv "$T_TMP/d$k.csv" --json "$T_TMP/d$k.json"
	cp "$T_TMP/out" "$T_TMP/d$k.txt"
done
for f in txt csv json; do
	T_CHECKS=$((T_CHECKS + 1))
	cmp -s "$T_TMP/d1.$f" "$T_TMP/d2.$f" || fail "the same seed gave different $f output"
	T_CHECKS=$((T_CHECKS + 1))
	! cmp -s "$T_TMP/d1.$f" "$T_TMP/d3.$f" || fail "another seed gave the same $f output"
done
# the text and the CSV say the same
T_CHECKS=$((T_CHECKS + 1))
[ "$(grep -c '^sweep' "$T_TMP/d1.csv")" = 2 ] || fail "the CSV does not hold the 2 loads"

# --- multicast: both modes, zero-load copies at (H + 1)(P + 1) --------------------------------
arch_variant "$T_TMP/a44.ini" a44tree.ini noc.multicast=tree
for a in a44 a44tree; do
	expect_status 0 "$SPIKECHIP" noc --arch "$T_TMP/$a.ini" --multicast 3 --rate 0.3 $W \
		--json "$T_TMP/mc-$a.json"
done
T_CHECKS=$((T_CHECKS + 1))
"$PY" - "$T_TMP/mc-a44.json" "$T_TMP/mc-a44tree.json" <<'PYEOF' || fail "multicast zero load"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
# same groups (same seed), each copy alone: (H + 1)(P + 1), the same mean in both modes
for j in (a, b):
    z = j["zero_load"]
    assert abs(z["latency"] - (z["hops"] + 1) * 3) < 1e-9, z
    assert j["runs"][0]["arrived"] == j["runs"][0]["tagged"] > 0, j["runs"][0]
assert a["zero_load"]["hops"] == b["zero_load"]["hops"]
# the tree crosses shared trunks once: less energy per delivered copy
assert b["zero_load"]["pj_per_flit"] < a["zero_load"]["pj_per_flit"]
assert a["multicast"] == "source" and b["multicast"] == "tree"
PYEOF

# --- refusals ------------------------------------------------------------------------------------
expect_status 0 "$SPIKECHIP" noc --help
expect_grep out "^usage: spikechip noc"
expect_status 2 "$SPIKECHIP" noc --pattern bitrev --rate 0.1 --csv "$T_TMP/r.csv"
expect_grep err \
	"default.ini: --pattern bitrev needs a power-of-two number of tiles; this mesh is 12x12 \(144"
expect_status 2 "$SPIKECHIP" noc --arch "$T_TMP/a44.ini" --rate 1.5 --json "$T_TMP/r.json"
expect_grep err "noc: --rate 1.5 is above the highest load this traffic can offer, 1 flits/cycle"
expect_status 2 "$SPIKECHIP" noc --arch "$T_TMP/a44.ini" --burst 10,30 --rate 0.3
expect_grep err "above the highest load this traffic can offer, 0.25 flits"
expect_status 2 "$SPIKECHIP" noc --arch "$T_TMP/a44.ini" --pattern hotspot --hotspot 16 --rate 0.1
expect_grep err "noc: .*a44.ini: --hotspot: tile 16 is outside the 4x4 mesh \(tiles 0..15\)"
expect_status 2 "$SPIKECHIP" noc --flits 2:0.5,2:0.5
expect_grep err "noc: --flits '2:0.5,2:0.5' is not a packet size"
expect_status 2 "$SPIKECHIP" noc --hotspot-fraction 0.5
expect_grep err "noc: --hotspot-fraction applies to --pattern hotspot"
T_CHECKS=$((T_CHECKS + 1))
[ -z "$(ls "$T_TMP" | grep -E '^r\.(csv|json)')" ] || fail "a refused command left an output file"

done_checks
