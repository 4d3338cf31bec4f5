# lint.sh — `verilator --lint-only -Wall` is clean on every RTL block, for a unicast and a
# tree-multicast package, in synthesis and simulation (SPK_SIM_ID) builds; the only waivers are
# those of rtl/rtl.vlt, each with its reason. `spikechip arch rtl-params` writes the package the
# build writes, and refuses an architecture the RTL does not support.
. "$TOP_SRCDIR/tests/cli/lib.sh"

V=${VERILATOR:-verilator}
R="$TOP_SRCDIR/rtl"
# the core's lock-step sizes (rtl/core.mk RTL_CORE_G_core); its defaults (the preset's sizes,
# slower to elaborate) are linted once below
CORE_G="-GFifoFlits=8 -GQueueEntries=6 -GAdders=4 -GNeuronUpdates=4 -GMembraneBits=10 -GPieces=3
	-GProjs=4 -GReaders=6 -GInRoutes=8 -GRoutes=12 -GAccWords=48 -GMemWords=128 -GWeightWords=256
	-GChanWords=32"
for c in c1 c2; do
	mkdir -p "$T_TMP/$c"
	expect_status 0 "$SPIKECHIP" arch rtl-params "$TOP_SRCDIR/tests/rtl/configs/$c.ini" \
		-o "$T_TMP/$c/spk_noc_pkg.sv"
	for def in "" "+define+SPK_SIM_ID"; do
		expect_status 0 "$V" --lint-only -Wall $def "$R/rtl.vlt" "$T_TMP/$c/spk_noc_pkg.sv" \
			"$R/router_buffer.sv" "$R/router_arbiter.sv" "$R/router.sv" --top-module router
		expect_status 0 "$V" --lint-only -Wall $def "$R/rtl.vlt" "$T_TMP/$c/spk_noc_pkg.sv" \
			"$R/ni.sv" --top-module ni
		expect_status 0 "$V" --lint-only -Wall $def "$R/rtl.vlt" "$T_TMP/$c/spk_noc_pkg.sv" \
			"$R/unit_shell.sv" --top-module unit_shell
		expect_status 0 "$V" --lint-only -Wall $def "$R/rtl.vlt" "$T_TMP/$c/spk_noc_pkg.sv" \
			"$R/unit_shell.sv" --top-module unit_shell -GInRoutes=1 -GFifoFlits=1
		expect_status 0 "$V" --lint-only -Wall $def "$R/rtl.vlt" "$T_TMP/$c/spk_noc_pkg.sv" \
			"$R/unit_shell.sv" "$R/readout.sv" --top-module readout
		expect_status 0 "$V" --lint-only -Wall $def "$R/rtl.vlt" "$T_TMP/$c/spk_noc_pkg.sv" \
			"$R/unit_shell.sv" "$R/encoder.sv" --top-module encoder
		expect_status 0 "$V" --lint-only -Wall $def "$R/rtl.vlt" "$T_TMP/$c/spk_noc_pkg.sv" \
			"$R/unit_shell.sv" "$R/encoder.sv" --top-module encoder -GMacs=1 -GOutQueue=1 \
			-GMaxCin=1 -GMaxChannels=1 -GRoutes=1 -GFifoFlits=2 -GMaxPixels=8 -GMaxWeights=1
		expect_status 0 "$V" --lint-only -Wall $def "$R/rtl.vlt" "$T_TMP/$c/spk_noc_pkg.sv" \
			"$R/unit_shell.sv" "$R/attn.sv" --top-module attn
		expect_status 0 "$V" --lint-only -Wall $def "$R/rtl.vlt" "$T_TMP/$c/spk_noc_pkg.sv" \
			"$R/unit_shell.sv" "$R/attn.sv" --top-module attn -GMaxOps=1 -GMaxTokens=1 \
			-GMaxChannels=1 -GLanes=1 -GOutputQueue=1 -GFifoFlits=2 -GInRoutes=1 -GMaxRoutes=1
		# the core at the lock-step test's sizes and at one of everything
		expect_status 0 "$V" --lint-only -Wall $def "$R/rtl.vlt" "$T_TMP/$c/spk_noc_pkg.sv" \
			"$R/unit_shell.sv" "$R/sram_1r1w.sv" "$R/core.sv" --top-module core $CORE_G
		expect_status 0 "$V" --lint-only -Wall $def "$R/rtl.vlt" "$T_TMP/$c/spk_noc_pkg.sv" \
			"$R/unit_shell.sv" "$R/sram_1r1w.sv" "$R/core.sv" --top-module core $CORE_G -GPieces=1 \
			-GProjs=1 -GReaders=1 -GInRoutes=1 -GRoutes=1 -GQueueEntries=2 \
			-GNeuronUpdates=1 -GAdders=1
	done
done
expect_status 0 "$V" --lint-only -Wall "$R/sram_1p.sv" --top-module sram_1p -GWords=100 -GBits=48
expect_status 0 "$V" --lint-only -Wall "$R/sram_1r1w.sv" --top-module sram_1r1w -GWords=100 \
	-GBits=48
expect_status 0 "$V" --lint-only -Wall "$R/rtl.vlt" "$T_TMP/c1/spk_noc_pkg.sv" "$R/unit_shell.sv" \
	"$R/sram_1r1w.sv" "$R/core.sv" --top-module core
grep -q 'Multicast = 1' "$T_TMP/c2/spk_noc_pkg.sv" || fail "c2 is not a tree network"
T_CHECKS=$((T_CHECKS + 1))

# the command and the build's generator write the same package for the presets
for p in small default large loihi; do
	expect_status 0 "$SPIKECHIP" arch rtl-params "$TOP_SRCDIR/arch/$p.ini"
	T_CHECKS=$((T_CHECKS + 1))
	cmp -s "$T_TMP/out" "$TOP_BUILDDIR/rtl/pkg/$p/spk_noc_pkg.sv" ||
		fail "arch rtl-params $p differs from the build's rtl/pkg/$p/spk_noc_pkg.sv"
done
expect_grep out '^package spk_noc_pkg;'
expect_grep out 'MeshX = 12;'

# refusals: unsupported parameter named with its range, nothing written
arch_variant "$TOP_SRCDIR/arch/default.ini" wide.ini noc.flit_bits=128
expect_status 2 "$SPIKECHIP" arch rtl-params "$T_TMP/wide.ini" -o "$T_TMP/wide.sv"
expect_grep err 'flit_bits = 128: the RTL supports 8\.\.64'
[ ! -e "$T_TMP/wide.sv" ] || fail "a refused package was written"
T_CHECKS=$((T_CHECKS + 1))
expect_status 2 "$SPIKECHIP" arch rtl-params default --groups 0
expect_grep err "--groups '0' is not a number of groups"
expect_status 2 "$SPIKECHIP" arch rtl-params
expect_status 0 "$SPIKECHIP" arch rtl-params --help
expect_grep out 'usage: spikechip arch rtl-params'
done_checks
