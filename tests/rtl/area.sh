# area.sh — yosys synthesises the default preset's router and NI (rtl/area.sh, `make area`): a
# positive cell and NAND2-equivalent count for each; `spikechip arch show --area`, which
# synthesises again on its own, gives the same counts (two runs, one result), caches them (a
# second call reads the cache and prints the same), and refuses an architecture the RTL does
# not support.
. "$TOP_SRCDIR/tests/cli/lib.sh"

Y=${YOSYS:-yosys}
export XDG_CACHE_HOME="$T_TMP/cache"
expect_status 0 sh "$TOP_SRCDIR/rtl/area.sh" "$Y" "$TOP_SRCDIR/rtl" "$TOP_BUILDDIR/rtl/pkg" default
cp "$T_TMP/out" "$T_TMP/first"
cat "$T_TMP/first"
expect_grep out '^default +router +[1-9][0-9]* +[1-9][0-9]* +[1-9][0-9.]*$'
expect_grep out '^default +ni +[1-9][0-9]* +[1-9][0-9]* +[1-9][0-9.]*$'

expect_status 0 "$SPIKECHIP" arch show --area default
cp "$T_TMP/out" "$T_TMP/show1"
tail -n 5 "$T_TMP/show1"
T_CHECKS=$((T_CHECKS + 1))
"${PYTHON:-python3}" - "$T_TMP/first" "$T_TMP/show1" <<'PYEOF' || fail "arch show --area differs from rtl/area.sh"
import re, sys
rows = {l.split()[1]: l.split()[2:] for l in open(sys.argv[1]) if l.startswith("default ")}
show = open(sys.argv[2]).read()
for block, label in (("router", "router"), ("ni", "network interface")):
    cells, eq, um2 = rows[block]
    m = re.search(r"^;   %s +(\d+) NAND2 eq\. = ([\d.]+) um\^2 \((\d+) cells\)$" % label, show, re.M)
    assert m, label
    assert (m.group(1), m.group(2), m.group(3)) == (eq, um2, cells), (m.groups(), rows[block])
m = re.search(r"^;   network +144 tiles x ([\d.]+) um\^2 = ([\d.]+) mm\^2$", show, re.M)
assert m and abs(float(m.group(1)) - float(rows["router"][2]) - float(rows["ni"][2])) < 0.11
PYEOF
T_CHECKS=$((T_CHECKS + 1))
ls "$XDG_CACHE_HOME"/spikechip/area-*.txt >/dev/null 2>&1 || fail "no cached result"
expect_status 0 "$SPIKECHIP" arch show --area default
T_CHECKS=$((T_CHECKS + 1))
cmp -s "$T_TMP/show1" "$T_TMP/out" || fail "the cached result differs"

arch_variant "$TOP_SRCDIR/arch/default.ini" wide.ini noc.flit_bits=128
expect_status 2 "$SPIKECHIP" arch show --area "$T_TMP/wide.ini"
expect_grep err 'arch show --area: the RTL does not support this architecture: \[noc\] flit_bits = 128: the RTL supports 8\.\.64'
expect_status 0 "$SPIKECHIP" arch show --help
expect_grep out '--area'
done_checks
