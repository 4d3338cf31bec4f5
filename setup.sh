#!/bin/sh
# setup.sh — one command from a fresh Debian 12 machine to a built spikechip.
#
#   ./setup.sh            install missing Debian packages (as root), configure and build in build/
#   ./setup.sh run [...]  ... then run the main job: build/spikechip run [...]
#   ./setup.sh test       ... then run the whole test suite (make check)
#
# Environment: SPIKECHIP_CONFIGURE_FLAGS adds configure options (CI: --enable-werror); when
# they differ from the last configure's, build/ is configured again. JOBS sets make's
# parallelism (default: number of CPUs).
set -eu

PACKAGES="build-essential autoconf automake libtool pkg-config libsystemc-dev verilator
zlib1g-dev libcmocka-dev libinih-dev python3 python3-torch python3-numpy python3-pytest
dataset-fashion-mnist yosys gtkwave ccache git clang-14 libclang-rt-14-dev libjansson-dev
parallel slurm-wlm munge libscotch-dev chromium"

usage() {
	sed -n '2,10s/^# \{0,1\}//p' "$0"
}

cmd=${1:-build}
case $cmd in
-h|--help|help) usage; exit 0 ;;
build|run|test) ;;
*) echo "setup.sh: unknown command '$cmd' (try: ./setup.sh --help)" >&2; exit 2 ;;
esac
[ $# -gt 0 ] && shift

top=$(cd "$(dirname "$0")" && pwd)
cd "$top"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	echo "setup.sh: installing missing Debian packages:$missing"
	if [ "$(id -u)" = 0 ]; then
		SUDO=""
	elif command -v sudo >/dev/null 2>&1; then
		SUDO=sudo
	else
		echo "setup.sh: need root to install:$missing" >&2
		exit 1
	fi
	# munge's setup runs as the munge user, which cannot run /bin/sh when / is closed to other
	# users (mode 700, as in some unpacked root images; a normal system has 755).
	if [ -n "$($SUDO find / -maxdepth 0 ! -perm -o=x)" ]; then
		echo "setup.sh: / is closed to other users (mode $(stat -c %a /)); opening it (755) so" \
			"that packages can set up their own users"
		$SUDO chmod 755 /
	fi
	log=$(mktemp /tmp/spikechip-apt.XXXXXX)
	if ! { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
	       $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing; } >"$log" 2>&1; then
		tail -n 30 "$log" >&2
		echo "setup.sh: apt-get failed (full log: $log)" >&2
		exit 1
	fi
	rm -f "$log"
fi

jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
if [ ! -x configure ]; then
	echo "setup.sh: autoreconf"
	autoreconf -fi
fi
mkdir -p build
# Configure when build/ has never been configured, or was configured with other flags than
# SPIKECHIP_CONFIGURE_FLAGS now says (build/.configure-flags records the last ones).
flags=${SPIKECHIP_CONFIGURE_FLAGS:-}
if [ ! -f build/Makefile ] || [ ! -f build/.configure-flags ] ||
   [ "$(cat build/.configure-flags)" != "$flags" ]; then
	echo "setup.sh: configure $flags"
	rm -f build/.configure-flags
	# shellcheck disable=SC2086
	(cd build && ../configure $flags)
	printf '%s\n' "$flags" >build/.configure-flags
fi
echo "setup.sh: make -j$jobs"
make -C build -j"$jobs"

case $cmd in
run)  exec build/spikechip run "$@" ;;
test) exec make -C build -j"$jobs" check "$@" ;;
esac
echo "setup.sh: built build/spikechip"
