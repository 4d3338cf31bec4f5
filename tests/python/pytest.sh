#!/bin/sh
# pytest.sh — runs the Python suite (tests/python) with the interpreter configure found.
# Writes nothing into the source tree (distcheck makes it read-only).
: "${PYTHON:?PYTHON must be set (run through make check)}"
: "${TOP_SRCDIR:?TOP_SRCDIR must be set (run through make check)}"
export PYTHONDONTWRITEBYTECODE=1
if [ -n "${SPIKECHIP_SKIP_PYTHON:-}" ]; then echo "skipped: SPIKECHIP_SKIP_PYTHON is set"; exit 77; fi
cd "${TOP_BUILDDIR:-.}" || exit 1
exec "$PYTHON" -m pytest -q -p no:cacheprovider --rootdir="$TOP_SRCDIR" "$TOP_SRCDIR/tests/python"
