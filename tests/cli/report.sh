#!/bin/sh
# report.sh — `spikechip report` (doc/report.md "The HTML report") in a real browser: the page of a
# sim JSON report (the tiny fixture model, 3 images on the default chip, with --critical-path)
# and of a sweep (tests/data/sweep/four.ini, 4 points) are loaded by headless Chromium, which
# runs their scripts; the test fails on any console message (the pages write none, so an error
# or an uncaught exception shows), and checks from the DOM Chromium dumps that every figure is
# there, an <svg> with data marks (tests/cli/report_dom.py), that the mesh maps carry the layer
# labels, that nothing reaches outside the page, and that the browser sorted the sweep's table
# (the page sorts on #sort-N). The per-layer figures of the sim report add up to its totals.
# The same checks fail on a page with a figure removed and on one with a JavaScript error
# injected. Screenshots are kept in the build directory (tests/cli/report-*.png).
# The refusals (exit 2, no output) are doc/errors.md's rows, run by errors.sh.
# Skipped (77) without the fixture model, the data set or chromium.
. "$TOP_SRCDIR/tests/cli/lib.sh"

use_tiny_fixture
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$CHROMIUM" ] || { echo "SKIP: no chromium (Debian package chromium)"; exit 77; }
SHOTS="$TOP_BUILDDIR/tests/cli"
mkdir -p "$SHOTS"
DOM="$TOP_SRCDIR/tests/cli/report_dom.py"

# browse PAGE[#HASH] NAME: Chromium's DOM of the page in $T_TMP/NAME.dom, its console in
# $T_TMP/NAME.log, a screenshot in $SHOTS/report-NAME.png; fails on any console message.
browse() {
	T_CHECKS=$((T_CHECKS + 1))
	opts="--headless --no-sandbox --disable-gpu --no-first-run --user-data-dir=$T_TMP/profile
		--enable-logging=stderr --v=0 --window-size=1200,2400"
	# shellcheck disable=SC2086 # opts: words
	HOME="$T_TMP" timeout 120 "$CHROMIUM" $opts --dump-dom "file://$1" >"$T_TMP/$2.dom" \
		2>"$T_TMP/$2.log" || { cat "$T_TMP/$2.log" >&2; fail "chromium could not load $1"; }
	[ -s "$T_TMP/$2.dom" ] || fail "chromium dumped no DOM for $1"
	if grep -E ':CONSOLE[:(]' "$T_TMP/$2.log" >&2; then
		fail "console messages on $1"
	fi
	# shellcheck disable=SC2086
	HOME="$T_TMP" timeout 120 "$CHROMIUM" $opts --screenshot="$SHOTS/report-$2.png" \
		"file://$1" >/dev/null 2>&1 || fail "chromium could not take a screenshot of $1"
	[ -s "$SHOTS/report-$2.png" ] || fail "no screenshot of $1"
}

# dom_ok NAME KIND [COL]: report_dom.py accepts the dumped DOM.
dom_ok() {
	T_CHECKS=$((T_CHECKS + 1))
	"$PY" "$DOM" "$T_TMP/$1.dom" "$2" ${3:+"$3"} || fail "the page $1 lacks what a $2 page shows"
}

# ---- a sim report ------------------------------------------------------------------------------
IMG="$T_TMP/tiny.spki"
expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch default --out "$IMG"
expect_status 0 "$SPIKECHIP" sim "$IMG" --images 3 --critical-path --json "$T_TMP/sim.json"

# the per-layer counts add up to the run's totals, the busy cycles to the tiles' busy cycles
T_CHECKS=$((T_CHECKS + 1))
"$PY" - "$T_TMP/sim.json" <<'PYEOF' || fail "the per-layer figures do not add up to the totals"
import json, sys
d = json.load(open(sys.argv[1]))
L, ev, n = d["layers"], d["events"], d["images"]
for k in ("sops", "graded_adds", "neuron_updates", "packets_out", "attention_ops",
          "encoder_macs", "router_flits", "link_flits", "spikes"):
    assert sum(l[k] for l in L) == ev[k], (k, sum(l[k] for l in L), ev[k])
for k in ("sops", "graded_adds", "neuron_updates", "packets_out", "attention_ops",
          "encoder_macs"):
    assert sum(t["events"][k] for t in d["tiles"]) == ev[k], k
busy = sum(l["busy_cycles"] for l in L) + d["busy_cycles_no_layer"]
assert busy == sum(t["busy_cycles"] for t in d["tiles"]) > 0, busy
e = sum(l["energy_uj_per_image"] for l in L)
assert abs(e - d["energy_dynamic_uj_per_image"]) <= 1e-9 * e, (e, d["energy_dynamic_uj_per_image"])
for k, v in d["energy_breakdown_uj_per_image"].items():
    if k != "static":
        s = sum(l["breakdown_uj_per_image"][k] for l in L)
        assert abs(s - v) <= 1e-9 * max(v, 1e-12), (k, s, v)
# each layer's tiles host it, each used tile hosts a layer
for l in L:
    assert l["tiles"], l["name"]
    for t in l["tiles"]:
        assert l["step"] in d["tiles"][t]["layers"], (l["name"], t)
assert all(t["layers"] for t in d["tiles"] if t["used"])
fire = [l for l in L if l["type"] == "FIRE"]
assert all(0 <= l["firing_rate"] <= 1 for l in fire) and any(l["firing_rate"] > 0 for l in fire)
PYEOF

expect_status 0 "$SPIKECHIP" report "$T_TMP/sim.json" --html "$T_TMP/sim.html"
browse "$T_TMP/sim.html" sim
dom_ok sim sim-cp
# no network, no outside scripts or fonts in the file itself
T_CHECKS=$((T_CHECKS + 1))
if grep -Eo '(src|href)=|@import|url\(|https?://[^"]*' "$T_TMP/sim.html" | grep -v 'http://www.w3.org/2000/svg' | grep -q .; then
	fail "the page refers to something outside it"
fi

# ---- a sweep ------------------------------------------------------------------------------------
expect_status 0 "$SPIKECHIP" sweep "$TOP_SRCDIR/tests/data/sweep/four.ini" --out "$T_TMP/sweep"
expect_status 0 "$SPIKECHIP" report "$T_TMP/sweep" --html "$T_TMP/sweep.html"
# energy per image: column 4 (point, the two axes, status, energy)
browse "$T_TMP/sweep.html#sort-4" sweep
dom_ok sweep sweep 4

# ---- broken pages are caught --------------------------------------------------------------------
# a figure removed: the DOM check fails
sed 's/data-figure="heat-refused"/data-figure="gone"/' "$T_TMP/sim.html" >"$T_TMP/nofig.html"
browse "$T_TMP/nofig.html" nofig
T_CHECKS=$((T_CHECKS + 1))
"$PY" "$DOM" "$T_TMP/nofig.dom" sim-cp 2>"$T_TMP/err" && fail "a page without a figure passed"
expect_grep err 'figure heat-refused: missing'
# a figure with its marks gone: the DOM check fails
sed 's/class="m" cx=/cx=/g' "$T_TMP/sweep.html" >"$T_TMP/nomarks.html"
browse "$T_TMP/nomarks.html" nomarks
T_CHECKS=$((T_CHECKS + 1))
"$PY" "$DOM" "$T_TMP/nomarks.dom" sweep 2>"$T_TMP/err" && fail "a page with empty figures passed"
expect_grep err 'no data marks'
# a JavaScript error: the console check fails
sed 's/document.querySelectorAll(/document.querySelectorAl(/' "$T_TMP/sweep.html" >"$T_TMP/jserr.html"
T_CHECKS=$((T_CHECKS + 1))
(browse "$T_TMP/jserr.html" jserr) 2>"$T_TMP/err" && fail "a page with a JavaScript error passed"
expect_grep err 'Uncaught TypeError'

echo "report.sh: $T_CHECKS checks passed"
