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


def pyproject_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {normalize(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]}


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
