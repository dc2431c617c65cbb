#!/usr/bin/env python3
"""One entry point for readers, teachers and maintainers; needs only Python 3.

    python3 run.py lab        set up .venv (first time only) and open the tutorial in JupyterLab
    python3 run.py test       set up .venv (first time only) and run every test, notebooks included
    python3 run.py notebooks  set up .venv and execute the whole series headless into build/notebooks/
    python3 run.py regenerate maintainers: re-execute the notebooks in place and refresh their outputs
    python3 run.py student    teachers: build the student edition (solutions removed) into build/student/

Extra arguments after the command go to the tool it runs, e.g. `python3 run.py test -x -k data`
or `python3 run.py lab --no-browser --port 8899`. Nothing needs activating: every tool runs from .venv.
Setting up is idempotent: .venv is (re)installed only when it is missing or pyproject.toml changed.
"""
import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / "nnlib-install.stamp"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def venv_python():
    return BIN / ("python.exe" if os.name == "nt" else "python")


def wanted_stamp():
    """What the installed environment must match: the Python running us and pyproject.toml."""
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    return f"{sys.version_info[:3]} {digest}\n"


def ensure_environment():
    if STAMP.exists() and STAMP.read_text() == wanted_stamp() and venv_python().exists():
        return
    if sys.version_info < (3, 10):
        sys.exit(f"nnlib needs Python 3.10 or newer; this is {sys.version.split()[0]}.")
    if not venv_python().exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except Exception as error:  # Debian/Ubuntu ship venv without ensurepip
            sys.exit(f"Could not create {VENV}: {error}\n"
                     "On Debian or Ubuntu install the venv module first: sudo apt install python3-venv")
    print("Installing nnlib and its dependencies into .venv (a minute or two, once) ...", flush=True)
    pip = [str(venv_python()), "-m", "pip", "--disable-pip-version-check"]
    run(pip + ["install", "--quiet", "--upgrade", "pip"])
    run(pip + ["install", "--quiet", "--editable", f"{ROOT}[dev]"])
    STAMP.write_text(wanted_stamp())


def run(command, **kwargs):
    completed = subprocess.run([str(part) for part in command], cwd=ROOT, **kwargs)
    if completed.returncode != 0:
        sys.exit(completed.returncode)


def tool(name):
    return BIN / (f"{name}.exe" if os.name == "nt" else name)


def main(argv):
    commands = {
        "lab": lambda extra: [tool("jupyter"), "lab", "notebooks/", *root_flag(), *extra],
        "test": lambda extra: [tool("pytest"), *extra],
        "notebooks": lambda extra: [venv_python(), "tools/notebooks.py", "run", *extra],
        "regenerate": lambda extra: [venv_python(), "tools/notebooks.py", "regenerate", *extra],
        "student": lambda extra: [venv_python(), "tools/student_edition.py", *extra],
    }
    if not argv or argv[0] not in commands:
        sys.exit(__doc__)
    ensure_environment()
    run(commands[argv[0]](argv[1:]))


def root_flag():
    # JupyterLab refuses to start as root without this flag (containers, classroom VMs).
    return ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []


if __name__ == "__main__":
    main(sys.argv[1:])
