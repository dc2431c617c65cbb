"""The two ways to install (pip with pyproject.toml, conda with environment.yml) must agree."""
import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def normalize(requirement):
    """'hypothesis>=6.80; python_version < "3.11"' -> 'hypothesis>=6.80' (conda has no markers)."""
    return re.sub(r"\s+", "", requirement.split(";")[0]).lower()


def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def pyproject_dependencies():
    """Runtime dependencies plus the notebooks and dev extras, without dev's reference to the notebooks extra."""
    project = pyproject()["project"]
    extras = project["optional-dependencies"]
    wanted = project["dependencies"] + extras["notebooks"] + extras["dev"]
    return {normalize(r) for r in wanted if not r.startswith(project["name"] + "[")}


def environment_dependencies():
    """The top-level '  - name>=x' entries of environment.yml, without python, pip and the pip section."""
    section = (ROOT / "environment.yml").read_text().split("\ndependencies:", 1)[1]
    entries = re.findall(r"^  - ([^\s#]+)\s*$", section, flags=re.MULTILINE)
    return {normalize(e) for e in entries if not re.match(r"(python|pip)\b", e)}


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    assert environment_dependencies() == pyproject_dependencies()


def test_environment_yml_installs_nnlib_itself_editable():
    assert re.search(r"^\s+- pip:\n\s+- -e \.\s*$", (ROOT / "environment.yml").read_text(), flags=re.MULTILINE)


def test_dependency_lists_are_not_trivially_empty():
    assert {"numpy>=1.24", "matplotlib>=3.7", "nbval>=0.11", "pytest>=8"} <= pyproject_dependencies()


def test_dependency_lists_include_the_notebook_extra():
    assert {"jupyterlab>=4", "ipykernel>=6", "ipywidgets>=8", "anywidget>=0.9", "tqdm>=4.66"} <= pyproject_dependencies()


def test_notebooks_extra_holds_no_test_tools_and_dev_includes_it():
    project = pyproject()["project"]
    extras = project["optional-dependencies"]
    notebooks = {normalize(r).split(">")[0] for r in extras["notebooks"]}
    assert not notebooks & {"pytest", "nbval", "hypothesis", "nbclient", "threadpoolctl"}
    assert f"{project['name']}[notebooks]" in extras["dev"]


def test_distribution_name_is_not_the_unrelated_pypi_nnlib_and_the_import_name_stays():
    project = pyproject()["project"]
    assert project["name"] != "nnlib" and project["name"].startswith("nnlib-")
    assert project["scripts"] == {"nnlib": "nnlib.cli:main"}


def test_every_subpackage_is_packaged():
    """`packages = ["nnlib"]` once left nnlib.exercises out of the wheel; find every package instead."""
    from setuptools import find_packages

    found = set(find_packages(ROOT, include=pyproject()["tool"]["setuptools"]["packages"]["find"]["include"]))
    on_disk = {".".join(path.parent.relative_to(ROOT).parts) for path in (ROOT / "nnlib").rglob("__init__.py")}
    assert "nnlib.exercises" in on_disk and found == on_disk


def test_setuptools_is_new_enough_for_an_spdx_license_string():
    requires = pyproject()["build-system"]["requires"]
    assert pyproject()["project"]["license"] == "MIT"
    assert any(re.fullmatch(r"setuptools>=(\d+)", r) and int(r.split(">=")[1]) >= 77 for r in requires)


def test_the_repository_url_is_set_in_one_place():
    urls = pyproject()["project"]["urls"]
    assert list(urls) == ["Repository"] and urls["Repository"].startswith("https://")
