"""`python -m segmart.sample_data --events N --out DIR`."""

import sys

from segmart.sample_data.cli import main

sys.exit(main())
