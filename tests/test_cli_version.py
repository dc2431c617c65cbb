"""`nnlib --version`: the installed distribution's version, or nnlib.__version__ when it is not installed."""
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import nnlib
import nnlib.cli as cli

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def test_version_prints_the_installed_distributions_version(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out == f"nnlib {metadata.version(cli.DISTRIBUTION)}\n"
    assert metadata.version(cli.DISTRIBUTION) == nnlib.__version__


def test_version_falls_back_to_the_package_when_no_distribution_is_installed(capsys, monkeypatch):
    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(cli.metadata, "version", not_installed)
    monkeypatch.setattr(nnlib, "__version__", "9.9.9")
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out == "nnlib 9.9.9\n"


def test_the_cli_names_the_distribution_pyproject_builds():
    assert cli.DISTRIBUTION == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"]


def test_console_script_prints_the_version():
    script = Path(sys.executable).parent / "nnlib"
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"nnlib {nnlib.__version__}\n", "")
