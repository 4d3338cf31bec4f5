# lib.sh — helpers for the shell tests (sourced). Each test runs "$SPIKECHIP", counts its own
# checks and exits non-zero on the first failure, naming what was expected.
set -u
: "${SPIKECHIP:?SPIKECHIP must point at the built binary (run through make check)}"
: "${TOP_SRCDIR:?TOP_SRCDIR must be set (run through make check)}"
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/spktest.XXXXXX")
trap 'rm -rf "$T_TMP"' EXIT
T_CHECKS=0

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_status N CMD...: runs CMD, stdout -> $T_TMP/out, stderr -> $T_TMP/err, checks status.
expect_status() {
	want=$1; shift
	T_CHECKS=$((T_CHECKS + 1))
	"$@" >"$T_TMP/out" 2>"$T_TMP/err"
	got=$?
	[ "$got" = "$want" ] || { cat "$T_TMP/out" "$T_TMP/err" >&2; fail "'$*' exited $got, expected $want"; }
}

# expect_grep FILE REGEX: the file ($T_TMP/out or $T_TMP/err) matches the extended regex.
expect_grep() {
	T_CHECKS=$((T_CHECKS + 1))
	grep -Eq -- "$2" "$T_TMP/$1" || { cat "$T_TMP/$1" >&2; fail "$1 does not match /$2/"; }
}

# arch_variant BASE FILE section.key=value ...: $T_TMP/FILE is the arch file BASE with those keys
# set (replaced in their section, or added to it, or in a new section); it must pass `arch check`.
arch_variant() {
	base=$1
	out=$2
	shift 2
	awk -v kv="$*" '
	BEGIN {
		n = split(kv, a, " ")
		for (i = 1; i <= n; i++) {
			split(a[i], p, "="); split(p[1], q, ".")
			sec[i] = q[1]; key[i] = q[2]; val[i] = p[2]; done[i] = 0
		}
	}
	function flush(s,   i) {
		for (i = 1; i <= n; i++)
			if (sec[i] == s && !done[i]) { print key[i] " = " val[i]; done[i] = 1 }
	}
	/^\[/ { flush(cur); cur = substr($0, 2, index($0, "]") - 2) }
	{
		for (i = 1; i <= n; i++)
			if (sec[i] == cur && $1 == key[i] && $2 == "=") { $0 = key[i] " = " val[i]; done[i] = 1 }
		print
	}
	END {
		flush(cur)
		for (i = 1; i <= n; i++)
			if (!done[i]) { print "[" sec[i] "]"; print key[i] " = " val[i] }
	}' "$base" >"$T_TMP/$out"
	T_CHECKS=$((T_CHECKS + 1))
	"$SPIKECHIP" arch check "$T_TMP/$out" >/dev/null || fail "variant $out is not a valid arch"
}

# use_tiny_fixture: MODEL (the tiny fixture model), FM (the Fashion-MNIST folder) and PY (Python)
# are set; the test is skipped (77) without the model or the data set.
use_tiny_fixture() {
	MODEL="$TOP_SRCDIR/tests/data/fixtures/tiny-fmnist-t2.spkm"
	FM="${FMNIST_DIR:-/usr/share/datasets/fashion-mnist}"
	PY="${PYTHON:-python3}"
	[ -f "$MODEL" ] || { echo "SKIP: no fixture model $MODEL"; exit 77; }
	[ -r "$FM/t10k-images-idx3-ubyte.gz" ] || { echo "SKIP: no Fashion-MNIST in $FM"; exit 77; }
}

# same_sim_json A B: two `spikechip sim --json` reports of the same run on different engines are
# equal in every field but the engine's name, the RTL blocks it ran and the simulator's own work
# (speed, unit evaluations: an RTL unit is evaluated in every cycle it is busy) (one check).
same_sim_json() {
	T_CHECKS=$((T_CHECKS + 1))
	"${PYTHON:-python3}" - "$1" "$2" <<'PYEOF' || fail "JSON reports $1 and $2 differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["images"] > 0 and a["noc"]["packets"] > 0, "an empty run"
for r in (a, b):
    for k in ("engine", "rtl", "unit_evals", "sim_wall_s", "sim_sops_per_s", "sim_cycles_per_s"):
        r.pop(k, None)
# RTL units keep no per-layer counts ("layers" null): compare the rest
if a.get("layers") is None or b.get("layers") is None:
    for r in (a, b):
        r.pop("layers", None)
        r.pop("busy_cycles_no_layer", None)
        for t in r["tiles"]:
            t.pop("events", None)
bad = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
for k in bad:
    print(k, a.get(k), b.get(k), file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF
}

# same_counts A.json B.json: two `spikechip energy --json` reports of the same run are equal in
# everything but the counter that ran them and its speed (one check).
same_counts() {
	T_CHECKS=$((T_CHECKS + 1))
	"${PYTHON:-python3}" - "$1" "$2" <<'PYEOF' || fail "energy reports $1 and $2 differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for r in (a, b):
    for k in ("wall_s", "sops_per_s", "counter"):
        del r[k]
assert a["events"]["sops"] > 0, "an empty run"
bad = [k for k in a if a[k] != b.get(k)] + [k for k in b if k not in a]
for k in bad:
    print(f"{k} differs", file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF
}

# energy_equals_sim SIM.json ENERGY.json: `spikechip energy --json` counted what `spikechip sim
# --json` counted over the same images: every event count, energy row, per-image figure, NoC
# total, the busiest link and every tile's flits per output port; and the energy report is
# consistent with itself (its tiles and its layers sum to its totals) (one check).
energy_equals_sim() {
	T_CHECKS=$((T_CHECKS + 1))
	"${PYTHON:-python3}" - "$1" "$2" <<'PYEOF' || fail "energy report $2 differs from sim's $1"
import json, sys
s, e = (json.load(open(p)) for p in sys.argv[1:3])
bad = []
def same(what, a, b):
    if a != b:
        bad.append(f"{what}: sim {a}, energy {b}")
assert s["images"] == e["images"] > 0 and s["events"]["sops"] > 0, "an empty run"
for k in s["events"]:
    same(f"events.{k}", s["events"][k], e["events"][k])
for k, v in s["energy_breakdown_uj_per_image"].items():
    if k != "static":
        same(f"breakdown.{k}", v, e["energy_breakdown_uj_per_image"][k])
for k in ("sops_per_image", "attention_ops_per_image", "encoder_macs_per_image",
          "spikes_per_image", "energy_dynamic_uj_per_image", "pj_per_sop_core",
          "paper_energy_uj_per_image", "accuracy"):
    same(k, s[k], e[k])
# pj_per_sop: dynamic energy / SOPs, computed by each command in C
same("pj_per_sop", s["pj_per_sop"], e["pj_per_sop"])
for k in ("packets", "flits", "hops", "router_flits", "link_flits", "busiest_link"):
    same(f"noc.{k}", s["noc"][k], e["noc"][k])
assert len(s["tiles"]) == len(e["tiles"])
for i, (a, b) in enumerate(zip(s["tiles"], e["tiles"])):
    same(f"tile {i} flits_out", a["flits_out"], b["flits_out"])
    same(f"tile {i} kind", a["kind"], b["kind"])
# the energy report adds up: tiles and layers to the totals
unit = ("sops", "graded_adds", "neuron_updates", "packets_out", "attention_ops", "encoder_macs")
for k in unit:
    same(f"sum of tiles' {k}", e["events"][k], sum(t[k] for t in e["tiles"]))
    same(f"sum of layers' {k}", e["events"][k], sum(l[k] for l in e["layers"]))
for k in ("router_flits", "link_flits"):
    same(f"sum of layers' {k}", e["events"][k], sum(l[k] for l in e["layers"]))
same("sum of layers' spikes", e["events"]["spikes"], sum(l["spikes"] for l in e["layers"]))
same("router flits per port", e["events"]["router_flits"],
     sum(sum(t["flits_out"].values()) for t in e["tiles"]))
for d in bad:
    print(d, file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF
}

done_checks() { echo "ok: $T_CHECKS checks"; }
