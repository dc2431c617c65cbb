#!/usr/bin/env python3
"""One entry point for readers, teachers and maintainers; needs only Python 3.

    python3 run.py lab        set up .venv (first time only) and open the tutorial in JupyterLab (the
                              full edition: notebooks/, solutions included)
    python3 run.py lab --student   build the student edition (solutions removed) and open it in JupyterLab
    python3 run.py test       set up .venv (first time only) and run every test, notebooks included
    python3 run.py notebooks  set up .venv and execute the whole series headless into build/notebooks/
    python3 run.py site       build the read-along site (static HTML of the stored notebooks) into build/site/
    python3 run.py regenerate maintainers: re-execute the notebooks in place and refresh their outputs
    python3 run.py nav        maintainers: refresh the generated cells, contents and README blocks only
    python3 run.py student    teachers: build the student edition (solutions removed) into build/student/
                              and the teacher's guide into build/teacher-guide.md
    python3 run.py lock       maintainers: re-resolve the newest dependencies and rewrite constraints.txt

Extra arguments after the command go to the tool it runs, e.g. `python3 run.py test -x -k data`
or `python3 run.py lab --no-browser --port 8899`. Nothing needs activating: every tool runs from .venv.
Setting up is idempotent: .venv is (re)installed only when it is missing or pyproject.toml or
constraints.txt changed. constraints.txt pins the exact versions the stored notebook outputs were made with.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / "nnlib-install.stamp"
CONSTRAINTS = ROOT / "constraints.txt"
# Every optional group, so that one lock file pins whatever any command installs.
LOCKED_EXTRAS = "dev,browser"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


VENV_PYTHON = "python.exe" if os.name == "nt" else "python"
DISTRIBUTION = "nnlib-mnist"


def venv_python():
    return BIN / VENV_PYTHON


# Extras a command needs on top of dev, installed the first time that command runs.
COMMAND_EXTRAS = {"site": {"site"}}


def extras(command=None):
    """The optional dependency groups to install: always dev, plus any in $NNLIB_EXTRAS (comma-separated),
    e.g. NNLIB_EXTRAS=browser for the real-browser test, plus those the command needs."""
    wanted = os.environ.get("NNLIB_EXTRAS", "").replace(" ", "").split(",")
    return ",".join(sorted({"dev", *filter(None, wanted), *COMMAND_EXTRAS.get(command, ())}))


def pyproject_digest():
    """One digest of what decides the installation: pyproject.toml and the pinned versions."""
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    if CONSTRAINTS.exists():
        digest.update(CONSTRAINTS.read_bytes())
    return digest.hexdigest()


def is_up_to_date(command=None):
    """True when .venv was installed for this Python and this pyproject.toml, with at least these extras."""
    if not (STAMP.exists() and venv_python().exists()):
        return False
    version, digest, installed = (STAMP.read_text().split("|") + ["", "", ""])[:3]
    return (version == str(sys.version_info[:3]) and digest == pyproject_digest()
            and set(extras(command).split(",")) <= set(installed.strip().split(",")))


def ensure_environment(command=None):
    if is_up_to_date(command):
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
    install_pinned(pip, ["--editable", f"{ROOT}[{extras(command)}]"])
    STAMP.write_text(f"{sys.version_info[:3]}|{pyproject_digest()}|{extras(command)}\n")


def install_pinned(pip, requirements):
    """pip install with the versions of constraints.txt; if this Python cannot have them (no wheels for
    it), say so plainly and install the newest compatible versions instead."""
    if not CONSTRAINTS.exists():
        return run(pip + ["install", "--quiet", *requirements])
    pinned = pip + ["install", "--quiet", "--constraint", str(CONSTRAINTS), *requirements]
    if subprocess.run(pinned, cwd=ROOT).returncode == 0:
        return
    print(f"\nThe pinned versions in {CONSTRAINTS.name} do not install on Python {sys.version.split()[0]}; "
          "installing the newest compatible versions instead.\nEverything works, but a notebook test may "
          "show small differences from the stored outputs, which were made with the pinned versions.\n",
          flush=True)
    run(pip + ["install", "--quiet", *requirements])


def lock():
    """Resolve the newest versions that pyproject.toml allows in a scratch venv and pin them all."""
    scratch = ROOT / "build" / "lock-venv"
    print(f"Resolving the newest dependencies in {scratch} ...", flush=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(scratch)
    python = scratch / BIN.name / VENV_PYTHON
    pip = [str(python), "-m", "pip", "--disable-pip-version-check"]
    run(pip + ["install", "--quiet", "--upgrade", "pip"])
    run(pip + ["install", "--quiet", f"{ROOT}[{LOCKED_EXTRAS}]"])
    frozen = subprocess.run(pip + ["freeze", "--exclude", DISTRIBUTION], capture_output=True, text=True,
                            check=True).stdout
    CONSTRAINTS.write_text(
        "# Exact versions the stored notebook outputs were produced with; run.py installs with them.\n"
        f"# Resolved for Python {sys.version_info.major}.{sys.version_info.minor} by `python3 run.py lock`: "
        "after updating, run `python3 run.py regenerate` and `python3 run.py test`, then commit both.\n"
        + frozen)
    shutil.rmtree(scratch)
    print(f"Wrote {CONSTRAINTS} ({len(frozen.splitlines())} pins).")


def run(command, **kwargs):
    completed = subprocess.run([str(part) for part in command], cwd=ROOT, **kwargs)
    if completed.returncode != 0:
        sys.exit(completed.returncode)


def tool(name):
    return BIN / (f"{name}.exe" if os.name == "nt" else name)


def main(argv):
    commands = {
        "lab": lambda extra: [tool("jupyter"), "lab", lab_folder(extra), *root_flag(),
                              *[arg for arg in extra if arg != "--student"]],
        "test": lambda extra: [tool("pytest"), *extra],
        "notebooks": lambda extra: [venv_python(), "tools/notebooks.py", "run", *extra],
        "site": lambda extra: [venv_python(), "tools/site_build.py", *extra],
        "regenerate": lambda extra: [venv_python(), "tools/notebooks.py", "regenerate", *extra],
        "nav": lambda extra: [venv_python(), "tools/notebooks.py", "nav", *extra],
        "student": lambda extra: [venv_python(), "tools/student_edition.py", *extra],
    }
    if argv[:1] == ["lock"]:
        return lock()
    if not argv or argv[0] not in commands:
        sys.exit(__doc__)
    ensure_environment(argv[0])
    if argv[0] == "lab" and "--student" in argv[1:]:
        run(commands["student"]([]))  # build (or refresh) the student edition first
    run(commands[argv[0]](argv[1:]))


def lab_folder(extra):
    """The folder JupyterLab opens: the student edition with --student, else the full notebooks."""
    return "build/student/" if "--student" in extra else "notebooks/"


def root_flag():
    # JupyterLab refuses to start as root without this flag (containers, classroom VMs).
    return ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []


if __name__ == "__main__":
    main(sys.argv[1:])
