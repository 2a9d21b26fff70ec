"""``python -m hflopt`` runs the command line."""

import sys

from hflopt.cli import main

sys.exit(main())
