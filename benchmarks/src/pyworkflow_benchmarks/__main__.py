"""``python -m pyworkflow_benchmarks``: the same as ``pyworkflow bench``."""

import sys

from .cli import main

sys.exit(main(prog="python -m pyworkflow_benchmarks"))
