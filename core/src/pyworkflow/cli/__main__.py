"""``python -m pyworkflow.cli``."""

import sys

from . import main

sys.exit(main())
