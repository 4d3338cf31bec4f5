#!/bin/sh
# area.sh — the logic area of the RTL network by yosys (doc/rtl.md "Area").
#
#   area.sh YOSYS RTL_DIR PKG_DIR NAME...
#
# For each NAME, synthesises the router and the network interface built with PKG_DIR/NAME/
# spk_noc_pkg.sv (yosys: synth -flatten, then abc onto a two-input gate library), and prints
# one line per block: name, cells, NAND2-equivalent gates (each cell type weighted by the
# factor table below) and the estimated area at 45 nm. Simulation-only parts (assertions, the
# verification id) are left out: SYNTHESIS is defined and SPK_SIM_ID is not.
#
# NAND2 equivalents (a common static-CMOS convention, e.g. Weste & Harris, "CMOS VLSI Design",
# 4th ed., gate sizing tables): NOT 0.67, NAND/NOR 1, AND/OR 1.33, XOR/XNOR 2.33, MUX2 2.33, a
# D flip-flop 4.33 (with asynchronous reset or enable 5.33). Area at 45 nm: one NAND2 of the
# NanGate 45 nm Open Cell Library (NAND2_X1) is 0.798 um^2.
set -eu
yosys=$1 rtl=$2 pkgs=$3
shift 3
printf '%-10s %-8s %8s %10s %12s\n' preset block cells nand2_eq area_um2
for name in "$@"; do
	for top in router ni; do
		if [ "$top" = router ]; then
			src="$rtl/router_buffer.sv $rtl/router_arbiter.sv $rtl/router.sv"
		else
			src="$rtl/ni.sv"
		fi
		log=$(mktemp)
		"$yosys" -q -p "read_verilog -sv -DSYNTHESIS $pkgs/$name/spk_noc_pkg.sv $src; \
			synth -flatten -top $top; abc -g AND,NAND,OR,NOR,XOR,XNOR,MUX; opt_clean; \
			tee -o $log stat" >/dev/null 2>"$log.err" || { cat "$log.err" >&2; exit 1; }
		awk -v name="$name" -v top="$top" '
			/Number of cells:/ { cells = $4 }
			/\$_NOT_/ { eq += 0.67 * $2 }
			/\$_(NAND|NOR)_/ { eq += 1.0 * $2 }
			/\$_(AND|OR)_/ { eq += 1.33 * $2 }
			/\$_(XOR|XNOR|MUX)_/ { eq += 2.33 * $2 }
			/\$_DFF_P_/ { eq += 4.33 * $2 }
			/\$_(DFF_P[NP][01]|DFFE|SDFF|DFF_N)/ { eq += 5.33 * $2 }
			END { printf "%-10s %-8s %8d %10.0f %12.1f\n", name, top, cells, eq, eq * 0.798 }' "$log"
		rm -f "$log" "$log.err"
	done
done
