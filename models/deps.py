"""deps.py — numpy and torch, or one clear line saying which is missing and how to get it.

Every script of models/ imports this first, so that a run on a Python without Debian's
python3-torch (a pyenv or venv `python3` earlier on PATH, or a machine where ./setup.sh has not
run yet) ends with a message and exit status 2 instead of an ImportError traceback.
"""
import os
import sys

try:
    import numpy  # noqa: F401
    import torch  # noqa: F401
except ImportError as e:
    sys.stderr.write(f"{os.path.basename(sys.argv[0]) or 'python'}: Python module '{e.name or e}' not found "
                     f"for {sys.executable}: install Debian's python3-numpy and python3-torch "
                     "(./setup.sh does) and run the script with /usr/bin/python3\n")
    sys.exit(2)
