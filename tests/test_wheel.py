"""The wheel a plain `pip install` builds, installed into a fresh venv outside the repository.

This is the install a learner gets from `pip install "nnlib-mnist[notebooks]"`, `pip install git+...` or
Colab: no editable link back to the clone, no data/ folder beside the package. In that venv every nnlib
module must import (the wheel once lacked nnlib.exercises) and chapter 01 must run, with NNLIB_DATA_DIR
pointing at a copy of data/mnist and every network access failing at once.

The venv's dependencies (the notebooks extra: JupyterLab and all) come from PyPI through pip's cache. That
took about 3 minutes on the shared 2-core VM, too slow for every `python3 run.py test`: the tests run when
NNLIB_WHEEL_TEST=1 is set, as .ci/run does (`NNLIB_WHEEL_TEST=1 python3 run.py test tests/test_wheel.py`).
"""
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.skipif(not os.environ.get("NNLIB_WHEEL_TEST"),
                                reason="builds and installs the wheel in a fresh venv (about 3 min); "
                                       "enable with NNLIB_WHEEL_TEST=1 (CI does)")

ROOT = Path(__file__).resolve().parent.parent
# The pip cache as it is before tests/conftest.py points XDG_CACHE_HOME at a temporary folder.
PIP_CACHE = os.environ.get("PIP_CACHE_DIR") or str(Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser()
                                                   / "pip")
CHAPTER = "01-data-loading.ipynb"
UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens, so any download fails at once

CHECK_INSTALL = """
import importlib, pkgutil, sys
import nnlib
# nnlib.__main__ is `python -m nnlib` itself (importing it runs the command line): tested below.
names = sorted(m.name for m in pkgutil.walk_packages(nnlib.__path__, "nnlib.") if m.name != "nnlib.__main__")
for name in names:
    importlib.import_module(name)
print(nnlib.__file__)
print(" ".join(names))
"""

RUN_CHAPTER = """
import sys
import nbformat
from nbclient import NotebookClient
path = sys.argv[1]
notebook = nbformat.read(path, as_version=4)
NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": sys.argv[2]}}).execute()
nbformat.write(notebook, path)
"""


def run(command, **options):
    done = subprocess.run([str(part) for part in command], capture_output=True, text=True, timeout=900, **options)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def copy_sources(target):
    """Only what the sdist holds (pyproject.toml, README, LICENSE, nnlib/): no stale build/ or egg-info."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, target / name)
    shutil.copytree(ROOT / "nnlib", target / "nnlib", ignore=shutil.ignore_patterns("__pycache__"))
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv python, wheel path, environment) for a venv with the wheel and its notebooks extra."""
    base = tmp_path_factory.mktemp("wheel")
    env = {**os.environ, "PIP_CACHE_DIR": PIP_CACHE, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)
    sources = copy_sources(base / "src")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", base / "dist", sources],
        env=env)
    wheel, = (base / "dist").glob("nnlib_mnist-*.whl")
    venv = base / "venv"
    run([sys.executable, "-m", "venv", venv], env=env)  # no --system-site-packages: it would see the clone
    python = venv / "bin" / "python"
    run([python, "-m", "pip", "install", "--quiet", f"{wheel}[notebooks]", "nbclient", "nbformat"], env=env)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    return python, wheel, env


def test_the_wheel_holds_every_subpackage(installed):
    _, wheel, _ = installed
    names = zipfile.ZipFile(wheel).namelist()
    on_disk = {path.relative_to(ROOT).as_posix() for path in (ROOT / "nnlib").rglob("*.py")}
    assert "nnlib/exercises/ch01.py" in on_disk and on_disk <= set(names)
    assert not [name for name in names if name.startswith(("tests/", "tools/", "benchmarks/", "data/"))]


def test_every_module_imports_from_the_installed_copy(installed, tmp_path):
    python, _, env = installed
    out = run([python, "-c", CHECK_INSTALL], cwd=tmp_path, env=env).splitlines()
    location, modules = Path(out[0]), out[1].split()
    assert ROOT not in location.parents and str(location).startswith(str(python.parent.parent))
    expected = {".".join(path.relative_to(ROOT).with_suffix("").parts) for path in (ROOT / "nnlib").rglob("*.py")}
    assert {name.removesuffix(".__init__") for name in expected} - {"nnlib", "nnlib.__main__"} == set(modules)


def test_the_console_script_and_python_m_print_the_version(installed, tmp_path):
    python, wheel, env = installed
    expected = f"nnlib {wheel.name.split('-')[1]}\n"
    assert run([python.parent / "nnlib", "--version"], cwd=tmp_path, env=env) == expected
    assert run([python, "-m", "nnlib", "--version"], cwd=tmp_path, env=env) == expected


def test_chapter_01_runs_from_the_wheel_offline(installed, tmp_path):
    python, _, env = installed
    shutil.copytree(ROOT / "data" / "mnist", tmp_path / "mnist")
    chapter = tmp_path / "chapter" / CHAPTER
    chapter.parent.mkdir()
    notebook = nbformat.read(ROOT / "notebooks" / CHAPTER, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("import sys, nnlib\nprint(sys.executable)\nprint(nnlib.__file__)"))
    nbformat.write(notebook, chapter)
    offline = {**env, "NNLIB_DATA_DIR": str(tmp_path / "mnist"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
               "HTTP_PROXY": UNREACHABLE, "HTTPS_PROXY": UNREACHABLE, "http_proxy": UNREACHABLE,
               "https_proxy": UNREACHABLE, "NO_PROXY": "", "no_proxy": ""}
    run([python, "-c", RUN_CHAPTER, chapter, chapter.parent], cwd=tmp_path, env=offline)
    executed = nbformat.read(chapter, as_version=4)
    errors = [output for cell in executed.cells for output in cell.get("outputs", []) if output.output_type == "error"]
    assert errors == []
    kernel_python, nnlib_file = executed.cells[-1].outputs[0].text.split()
    assert Path(kernel_python).parent == python.parent
    assert ROOT not in Path(nnlib_file).parents and nnlib_file.startswith(str(python.parent.parent))
