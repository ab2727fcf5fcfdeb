"""Run the CLI as `python -m corridor`."""

import sys

from .cli import main

sys.exit(main())
