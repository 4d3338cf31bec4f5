#!/bin/sh
# area.sh — the logic area of RTL blocks by yosys (doc/rtl.md "Area").
#
#   area.sh YOSYS RTL_DIR PKG_DIR NAME...
#   area.sh --unit UNIT [--fast] [--noshare] [--define MACRO] [--netlist FILE] YOSYS RTL_DIR
#           PKG_FILE LABEL [NAME=VALUE...]
#
# The first form synthesises, for each NAME, the router and the network interface built with
# PKG_DIR/NAME/spk_noc_pkg.sv. The second synthesises one unit (unit_shell, readout, encoder,
# attn, core) with the package PKG_FILE and its parameters NAME=VALUE (the others at the module's
# defaults; --define MACRO defines a macro, e.g. a mutant's), and with --netlist writes the gate
# netlist as Verilog (module UNIT, the unit's ports): the gate-level lock-step
# (tests/rtl/gates_lockstep.sh) runs it against the C model.
# Either form prints one line per block (yosys: synth -flatten, then abc onto a two-input gate
# library; with --fast, synth -flatten -noabc, then one abc -fast, for a unit whose logic ABC's
# default script does not map in reasonable time, doc/rtl.md "Area"; with --noshare, without
# synth's SAT-based resource sharing, which grew past 6 GB on one of the encoder's multipliers
# without an end in sight): label, block, cells,
# NAND2-equivalent gates (each cell type weighted by the factor table below) and the estimated
# area at 45 nm. Simulation-only parts (assertions, the
# verification id) are left out: SYNTHESIS is defined and SPK_SIM_ID is not.
#
# NAND2 equivalents (a common static-CMOS convention, e.g. Weste & Harris, "CMOS VLSI Design",
# 4th ed., gate sizing tables): NOT 0.67, NAND/NOR 1, AND/OR 1.33, XOR/XNOR 2.33, MUX2 2.33, a
# D flip-flop 4.33 (with asynchronous reset or enable 5.33). Area at 45 nm: one NAND2 of the
# NanGate 45 nm Open Cell Library (NAND2_X1) is 0.798 um^2.
set -eu
# synth LABEL BLOCK TOP "SOURCES" "COMMANDS" NETLIST: one block's line (COMMANDS before synth)
synth() {
	log=$(mktemp)
	wr=
	[ -z "$6" ] || wr="; write_verilog -noattr $log.v"
	"$yosys" -q -p "read_verilog -sv -DSYNTHESIS $4; $5 synth -flatten$noabc -top $3; \
		abc$abcfast -g AND,NAND,OR,NOR,XOR,XNOR,MUX; opt_clean; tee -o $log stat$wr" \
		>/dev/null 2>"$log.err" || { cat "$log.err" >&2; rm -f "$log" "$log.err"; exit 1; }
	if [ -n "$6" ]; then
		# the top is named after its parameters (\$paramod$...\UNIT): name it UNIT again
		sed "s/^module .*\\\\$3 (/module $3 (/" "$log.v" >"$6" || exit 1
		rm -f "$log.v"
	fi
	awk -v name="$1" -v top="$2" '
		/Number of cells:/ { cells = $4 }
		/\$_NOT_/ { eq += 0.67 * $2 }
		/\$_(NAND|NOR)_/ { eq += 1.0 * $2 }
		/\$_(AND|OR)_/ { eq += 1.33 * $2 }
		/\$_(XOR|XNOR|MUX)_/ { eq += 2.33 * $2 }
		/\$_DFF_P_/ { eq += 4.33 * $2 }
		/\$_(DFF_P[NP][01]|DFFE|SDFF|DFF_N)/ { eq += 5.33 * $2 }
		END { printf "%-10s %-8s %8d %10.0f %12.1f\n", name, top, cells, eq, eq * 0.798 }' "$log"
	rm -f "$log" "$log.err"
}

noabc= abcfast=
if [ "${1:-}" = --unit ]; then
	unit=$2 netlist= def=
	shift 2
	while :; do
		case ${1:-} in
		--fast) noabc="$noabc -noabc" abcfast=" -fast"; shift ;;
		--noshare) noabc="$noabc -noshare"; shift ;;
		--define) def="-D$2"; shift 2 ;;
		--netlist) netlist=$2; shift 2 ;;
		*) break ;;
		esac
	done
	yosys=$1 rtl=$2 pkg=$3 label=$4
	shift 4
	case $unit in
	unit_shell) src= ;;
	readout|encoder|attn) src="$rtl/unit_shell.sv $rtl/sram_1p.sv" ;;
	core) src="$rtl/unit_shell.sv $rtl/sram_1p.sv $rtl/sram_1r1w.sv" ;;
	*) echo "area.sh: no unit '$unit' (unit_shell, readout, encoder, attn, core)" >&2; exit 2 ;;
	esac
	# The parameters become the defaults of a copy of the unit's source. (yosys's chparam would
	# elaborate the module at its defaults first, the chip's sizes, which took the encoder 270 s
	# and 2.8 GB and ran the attention unit out of memory; read_verilog -defer with hierarchy
	# -chparam trips an assertion of yosys 0.23 on the unit shell.)
	tmpd=$(mktemp -d)
	trap 'rm -rf "$tmpd"' EXIT
	cp "$rtl/$unit.sv" "$tmpd/$unit.sv"
	for nv in "$@"; do
		n=${nv%%=*} v=${nv#*=}
		case $n$v in
		*[!A-Za-z0-9_]*|'') echo "area.sh: '$nv' is not NAME=VALUE" >&2; exit 2 ;;
		esac
		grep -Eq "^ *parameter int unsigned $n *= *[0-9]+" "$tmpd/$unit.sv" || {
			echo "area.sh: $unit has no parameter $n" >&2; exit 2; }
		sed -E "s/^( *parameter int unsigned $n *= *)[0-9]+/\\1$v/" "$tmpd/$unit.sv" \
			>"$tmpd/p.sv" && mv "$tmpd/p.sv" "$tmpd/$unit.sv"
	done
	printf '%-10s %-8s %8s %10s %12s\n' label block cells nand2_eq area_um2
	synth "$label" "$unit" "$unit" "$def $pkg $src $tmpd/$unit.sv" "" "$netlist"
	exit 0
fi

yosys=$1 rtl=$2 pkgs=$3
shift 3
printf '%-10s %-8s %8s %10s %12s\n' preset block cells nand2_eq area_um2
for name in "$@"; do
	synth "$name" router router "$pkgs/$name/spk_noc_pkg.sv $rtl/router_buffer.sv \
		$rtl/router_arbiter.sv $rtl/router.sv" "" ""
	synth "$name" ni ni "$pkgs/$name/spk_noc_pkg.sv $rtl/ni.sv" "" ""
done
