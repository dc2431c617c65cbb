"""The generated launch parts: the Colab set-up cell, the Colab/Binder badges, the contents notebook and the
navigation that links to it. All of them follow pyproject.toml's [project.urls] Repository."""
import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import notebooks as tool  # noqa: E402
import site_build  # noqa: E402

CHAPTERS = tool.chapters()
REAL_URL = "https://github.com/someone-else/nnlib-fork"


def test_the_repository_url_is_read_from_pyproject():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert tool.repository_url() == pyproject["project"]["urls"]["Repository"].rstrip("/")


def test_a_moved_repository_is_a_one_line_edit_of_a_copy_of_pyproject(tmp_path):
    text = (ROOT / "pyproject.toml").read_text()
    moved = re.sub(r'^Repository = ".*"$', f'Repository = "{REAL_URL}"', text, flags=re.MULTILINE)
    assert moved != text
    (tmp_path / "pyproject.toml").write_text(moved)
    assert tool.repository_url(tmp_path / "pyproject.toml") == REAL_URL
    generated = tool.Generated(tool.repository_url(tmp_path / "pyproject.toml"))
    first = CHAPTERS[0].name
    assert f"git+{REAL_URL}" in generated.setup
    assert f"colab.research.google.com/github/someone-else/nnlib-fork/blob/main/notebooks/{first}" in \
        generated.top[CHAPTERS[0]]
    assert f"mybinder.org/v2/gh/someone-else/nnlib-fork/HEAD?urlpath=lab%2Ftree%2Fnotebooks%2F{first}" in \
        generated.readme
    assert "someone-else/nnlib-fork" in generated.contents.cells[0].source


def test_a_missing_url_says_where_to_set_it(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    with pytest.raises(ValueError, match=r"\[project.urls\] Repository"):
        tool.repository_url(tmp_path / "pyproject.toml")


@pytest.mark.parametrize("url", ["https://example.invalid/nnlib-mnist/REPOSITORY-URL-NOT-SET",
                                 "https://github.com/OWNER/nnlib", "https://example.com/nnlib"])
def test_placeholders_are_recognised(url):
    assert tool.is_placeholder(url)
    assert tool.launch_links(url, "01-data-loading.ipynb") is None
    assert tool.launch_badges(url, "01-data-loading.ipynb") == ""


@pytest.mark.parametrize("url", [REAL_URL, "https://gitlab.com/group/nnlib", "https://git.example.ac.uk/nnlib"])
def test_real_urls_are_not_placeholders(url):
    assert not tool.is_placeholder(url)


def test_links_for_each_host():
    github = tool.launch_links(REAL_URL, "04-sgd.ipynb")
    assert github == {
        "colab": "https://colab.research.google.com/github/someone-else/nnlib-fork/blob/main/notebooks/04-sgd.ipynb",
        "binder": "https://mybinder.org/v2/gh/someone-else/nnlib-fork/HEAD?urlpath=lab%2Ftree%2Fnotebooks%2F04-sgd.ipynb"}
    gitlab = tool.launch_links("https://gitlab.com/group/nnlib.git", "04-sgd.ipynb")
    assert gitlab["colab"] is None  # Colab opens notebooks from GitHub only
    assert gitlab["binder"].startswith("https://mybinder.org/v2/gl/group%2Fnnlib/HEAD?urlpath=")
    other = tool.launch_links("https://git.example.ac.uk/nnlib", "04-sgd.ipynb")
    assert other["binder"].startswith("https://mybinder.org/v2/git/https%3A%2F%2Fgit.example.ac.uk%2Fnnlib/HEAD")


def test_the_placeholder_in_this_repository_links_nowhere():
    """Until there is a public URL nothing links to the repository, and README names the place to set it."""
    url = tool.repository_url()
    if not tool.is_placeholder(url):
        pytest.skip(f"the repository URL is set: {url}")
    readme = (ROOT / "README.md").read_text()
    launch = readme.split(tool.LAUNCH_START)[1].split(tool.LAUNCH_END)[0]
    assert "[project.urls] Repository" in launch and "pyproject.toml" in launch
    host = url.split("/")[2]
    assert f"]({url}" not in readme and f"({url}" not in readme
    for path in [*CHAPTERS, tool.CONTENTS]:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown":
                assert host not in cell.source, f"{path.name} links to the placeholder"
    assert "repository_url" not in site_build.theme_options(url)


def test_every_chapter_starts_with_navigation_then_the_set_up_cell():
    for path in CHAPTERS:
        cells = nbformat.read(path, as_version=4).cells
        assert tool.NAV_TOP in cells[0].metadata["tags"]
        assert tool.COLAB_SETUP in cells[1].metadata["tags"] and cells[1].cell_type == "code"
        assert not any(cell.cell_type == "code" for cell in cells[:1])
        assert cells[1].outputs == [], f"{path.name}: the set-up cell printed something here"


def run_setup_cell(source, nnlib_found):
    """Execute the set-up cell's source with subprocess.run recorded and find_spec answering as told."""
    import importlib.util

    calls = []
    real_find_spec = importlib.util.find_spec
    fake = (lambda name, *a: real_find_spec(name, *a) if name != "nnlib" else None)

    def record(*args, **kwargs):
        calls.append(args)
        return subprocess.CompletedProcess(args, 0)

    output = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(output), \
            contextlib.redirect_stderr(output):
        patch.setattr(subprocess, "run", record)
        patch.setattr(subprocess, "Popen", lambda *a, **k: pytest.fail("the set-up cell started a process"))
        if not nnlib_found:
            patch.setattr(importlib.util, "find_spec", fake)
        exec(compile(source, "<colab-setup>", "exec"), {})
    return calls, output.getvalue()


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_the_stored_set_up_cell_does_nothing_where_nnlib_is_installed(path):
    calls, output = run_setup_cell(nbformat.read(path, as_version=4).cells[1].source, nnlib_found=True)
    assert calls == [] and output == ""


def test_with_a_real_url_the_set_up_cell_still_does_nothing_where_nnlib_is_installed():
    calls, output = run_setup_cell(tool.colab_setup_source(REAL_URL), nnlib_found=True)
    assert calls == [] and output == ""


def test_the_set_up_cell_installs_from_the_repository_when_nnlib_is_missing():
    calls, output = run_setup_cell(tool.colab_setup_source(REAL_URL), nnlib_found=False)
    assert calls == [([sys.executable, "-m", "pip", "install", "--quiet", f"git+{REAL_URL}"],)]
    assert output == ""


def test_with_a_placeholder_the_set_up_cell_says_what_to_do_instead_of_installing_nothing():
    source = tool.colab_setup_source("https://example.invalid/x/REPOSITORY-URL-NOT-SET")
    assert "example.invalid" not in source
    with pytest.raises(ModuleNotFoundError, match=r"python3 run.py lab.*\[project.urls\] Repository"):
        run_setup_cell(source, nnlib_found=False)


def test_navigation_links_stay_inside_the_notebooks_folder():
    """Lab's root is notebooks/ under run.py lab: every navigation target must be a file there."""
    for path in [*CHAPTERS, tool.CONTENTS]:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "markdown":
                continue
            for target in re.findall(r"\]\(([^)#]+?\.ipynb)(?:#[^)]*)?\)", cell.source):
                if "://" not in target:
                    assert (tool.NOTEBOOKS / target).is_file(), f"{path.name} links to missing {target}"
                    assert "/" not in target


def test_the_contents_lists_every_chapter_in_order():
    source = nbformat.read(tool.CONTENTS, as_version=4).cells[0].source
    positions = [source.index(f"]({path.name})") for path in CHAPTERS]
    assert positions == sorted(positions)
    for path in CHAPTERS:
        summary = nbformat.read(path, as_version=4).metadata["nnlib"]["summary"]
        assert summary in source


def test_check_notices_a_stale_contents_page(tmp_path, monkeypatch):
    contents = tmp_path / "contents.ipynb"
    notebook = nbformat.read(tool.CONTENTS, as_version=4)
    notebook.cells[0].source = notebook.cells[0].source.replace("Loading MNIST", "Loading MNST")
    nbformat.write(notebook, contents)
    monkeypatch.setattr(tool, "CONTENTS", contents)
    assert any("contents.ipynb: missing or stale" in problem for problem in tool.stale())


def test_environment_yml_pins_a_python_that_binder_reads_and_pyproject_allows():
    """repo2docker reads only `python=X.Y` (a range such as python>=3.10 gets its default Python)."""
    text = (ROOT / "environment.yml").read_text()
    pins = re.findall(r"^  - python=(\d+)\.(\d+)\b", text, flags=re.MULTILINE)
    assert len(pins) == 1, "environment.yml must pin python=X.Y"
    required = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    lowest = tuple(int(part) for part in re.fullmatch(r">=(\d+)\.(\d+)", required).groups())
    assert tuple(map(int, pins[0])) >= lowest


def test_the_student_edition_keeps_the_contents_page_its_navigation_links_to(tmp_path):
    import student_edition

    written = student_edition.build(tmp_path)
    assert tmp_path / tool.CONTENTS.name in written
    assert (tmp_path / tool.CONTENTS.name).read_text() == tool.CONTENTS.read_text()
