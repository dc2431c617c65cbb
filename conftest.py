"""Repository-wide pytest set-up: point nbval at our sanitize file, whatever the working directory."""
from pathlib import Path

SANITIZE_FILE = Path(__file__).resolve().parent / "tests" / "nbval_sanitize.cfg"


def pytest_configure(config):
    # nbval resolves --nbval-sanitize-with against the current directory; give it an absolute path.
    if getattr(config.option, "nbval_sanitize_with", None) is None:
        config.option.nbval_sanitize_with = str(SANITIZE_FILE)
