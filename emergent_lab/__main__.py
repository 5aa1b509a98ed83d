"""``python -m emergent_lab``: the ``emergent-lab`` command, for when the script is not on PATH."""

import sys

from emergent_lab.cli import main

sys.exit(main())
