"""`python -m nnlib ...` runs the nnlib command line (see nnlib/cli.py)."""
import sys

from .cli import main

sys.exit(main())
