"""``python -m emergent_lab.cli``."""

import sys

from emergent_lab.cli import main

sys.exit(main())
