"""Execute the notebook series reproducibly and keep its generated parts current.

    python tools/notebooks.py regenerate [NOTEBOOK ...]   rewrite generated parts, re-execute in place, store outputs
    python tools/notebooks.py run [--out DIR]             execute every chapter into DIR (default build/notebooks)
    python tools/notebooks.py nav                         rewrite generated parts only, without executing
    python tools/notebooks.py check                       exit 1 if any generated part is stale

Use `python3 run.py regenerate` / `python3 run.py notebooks`, which run this inside .venv.
Regenerating (rather than saving from JupyterLab) keeps the files stable: one kernel name, sequential
execution counts, no per-cell timing metadata, no widget state.

Generated here, from the chapter list, each notebook's title and `nnlib.summary` metadata, and the repository URL
in pyproject.toml ([project.urls] Repository, the one place it is written):
- in every chapter: a navigation line at the top and bottom (cells tagged nav-top / nav-bottom; the top one
  also carries the "Open in Colab" and "Launch Binder" badges) and, as the first code cell, the Colab set-up
  cell (tagged colab-setup) that installs nnlib from the repository when it is missing and otherwise does nothing;
- notebooks/contents.ipynb, the table of contents the navigation links to (inside notebooks/, so it resolves in
  JupyterLab rooted there, on GitHub, on Binder and on the site);
- in README.md: the chapter table and the launch badges, between their markers.
While the URL is a placeholder (see is_placeholder), no badge or link to the repository is generated at all.
"""
import argparse
import re
import sys
import time
import urllib.parse
from pathlib import Path

import nbformat

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
README = ROOT / "README.md"
PYPROJECT = ROOT / "pyproject.toml"
CONTENTS = NOTEBOOKS / "contents.ipynb"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
TABLE_START, TABLE_END = "<!-- chapters:start -->", "<!-- chapters:end -->"
LAUNCH_START, LAUNCH_END = "<!-- launch:start -->", "<!-- launch:end -->"
NAV_TOP, NAV_BOTTOM, COLAB_SETUP = "nav-top", "nav-bottom", "colab-setup"
GENERATED_TAGS = {NAV_TOP, NAV_BOTTOM, COLAB_SETUP}
CHAPTER_NAME = re.compile(r"^\d\d-[a-z0-9-]+\.ipynb$")
# Colab opens a notebook at a branch; Binder's HEAD is the repository's default branch.
COLAB_BRANCH = "main"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"
PLACEHOLDER_HOSTS = {"example.com", "example.org", "example.net"}
PLACEHOLDER_SUFFIXES = (".invalid", ".example", ".test", ".localhost")


def chapters():
    """The numbered chapter notebooks, in reading order."""
    return sorted(path for path in NOTEBOOKS.glob("*.ipynb") if CHAPTER_NAME.match(path.name))


def repository_url(pyproject=PYPROJECT):
    """The repository's public URL: pyproject.toml's [project.urls] Repository, the one place it is written."""
    try:
        return tomllib.loads(Path(pyproject).read_text())["project"]["urls"]["Repository"].rstrip("/")
    except KeyError:
        raise ValueError(f"{pyproject}: set the repository's public URL as [project.urls] Repository "
                         "(a placeholder such as https://example.invalid/OWNER/REPO until it is public)") from None


def is_placeholder(url):
    """True for a URL that cannot be the real repository: a reserved host (example.com, *.invalid, ...) or an
    OWNER / NOT-SET marker. Nothing links to a placeholder."""
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    return (not host or host in PLACEHOLDER_HOSTS or host.endswith(PLACEHOLDER_SUFFIXES)
            or host in {s.lstrip(".") for s in PLACEHOLDER_SUFFIXES} or "OWNER" in url or "NOT-SET" in url)


def launch_links(url, notebook_name):
    """{'colab': URL or None, 'binder': URL} that open notebooks/<notebook_name>; None for a placeholder URL.

    GitHub repositories get both; Colab opens notebooks from GitHub only, so other hosts get Binder alone
    (GitLab by name, any other git host by its clone URL)."""
    if is_placeholder(url):
        return None
    parts = urllib.parse.urlsplit(url)
    host, path = parts.hostname.lower(), parts.path.strip("/").removesuffix(".git")
    target = f"notebooks/{notebook_name}"
    urlpath = urllib.parse.quote(f"lab/tree/{target}", safe="")
    if host == "github.com":
        colab = f"https://colab.research.google.com/github/{path}/blob/{COLAB_BRANCH}/{target}"
        return {"colab": colab, "binder": f"https://mybinder.org/v2/gh/{path}/HEAD?urlpath={urlpath}"}
    if host == "gitlab.com":
        repo = urllib.parse.quote(path, safe="")
        return {"colab": None, "binder": f"https://mybinder.org/v2/gl/{repo}/HEAD?urlpath={urlpath}"}
    repo = urllib.parse.quote(url, safe="")
    return {"colab": None, "binder": f"https://mybinder.org/v2/git/{repo}/HEAD?urlpath={urlpath}"}


def launch_badges(url, notebook_name):
    """Markdown badges that open notebooks/<notebook_name> in Colab and on Binder; '' for a placeholder URL."""
    links = launch_links(url, notebook_name)
    if links is None:
        return ""
    badges = []
    if links["colab"]:
        badges.append(f"[![Open In Colab]({COLAB_BADGE})]({links['colab']})")
    badges.append(f"[![Launch Binder]({BINDER_BADGE})]({links['binder']})")
    return " ".join(badges)


def colab_setup_source(url):
    """The first code cell of every chapter: install nnlib from the repository when it is not importable.

    Where nnlib is installed (run.py lab, Binder, a local pip install) it only asks importlib and prints nothing."""
    header = [
        "# Set-up for Google Colab (generated by tools/notebooks.py): installs nnlib when it is missing.",
        "# Anywhere else (python3 run.py lab, Binder, your own install) nnlib is importable and this does nothing.",
        "# MNIST is downloaded by load_mnist() on first use, or set NNLIB_DATA_DIR to a folder that has it.",
        "import importlib.util",
    ]
    if is_placeholder(url):  # no public URL to install from yet: say plainly how to get nnlib
        return "\n".join([
            "# Set-up (generated by tools/notebooks.py): checks that nnlib is installed, and says how to get it if not.",
            "# Where you started the chapters with python3 run.py lab, or installed nnlib yourself, this does nothing.",
            header[2],
            header[3],
            "",
            'if importlib.util.find_spec("nnlib") is None:',
            '    raise ModuleNotFoundError("nnlib is not installed in this Python. Get a copy of the repository and, in "',
            '                              "its folder, run `python3 run.py lab`: it installs nnlib and opens the "',
            '                              "chapters. Or install it with `pip install path/to/the/repository`. "',
            '                              "(For maintainers: once [project.urls] Repository in pyproject.toml holds "',
            '                              "the public URL, this cell installs nnlib by itself, e.g. on Colab.)")',
        ])
    return "\n".join(header[:3] + [
        "import importlib.util",
        "import subprocess",
        "import sys",
        "",
        'if importlib.util.find_spec("nnlib") is None:',
        f'    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "git+{url}"], check=True)',
        "    importlib.invalidate_caches()  # let this running kernel see the new package",
    ])


def title_of(notebook):
    """The chapter title: the first Markdown '# ' heading that is not a generated cell."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and not _is_generated(cell):
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise ValueError("notebook has no '# Title' heading")


def summary_of(notebook, path):
    try:
        return notebook.metadata["nnlib"]["summary"]
    except KeyError:
        raise ValueError(f"{path.name}: add a one-line summary as metadata nnlib.summary") from None


def navigation(index, paths, titles):
    """Markdown for the navigation line of chapter `index`: previous · contents · next.

    Every target is a sibling in notebooks/, so the links resolve wherever that folder is the root."""
    parts = []
    if index > 0:
        parts.append(f"[← {titles[index - 1]}]({paths[index - 1].name})")
    parts.append(f"[Contents]({CONTENTS.name})")
    if index < len(paths) - 1:
        parts.append(f"[{titles[index + 1]} →]({paths[index + 1].name})")
    return " · ".join(parts)


def _tags(cell):
    return set(cell.metadata.get("tags", []))


def _is_nav(cell):
    return cell.cell_type == "markdown" and bool({NAV_TOP, NAV_BOTTOM} & _tags(cell))


def _is_generated(cell):
    return bool(GENERATED_TAGS & _tags(cell))


def with_navigation(notebook, nav_text, setup_source=None, top_text=None):
    """Put the generated cells in place: the navigation line in a tagged first and last Markdown cell (the top
    one is top_text when given, e.g. with the launch badges) and, when setup_source is given, the Colab set-up
    cell as the first code cell. An unchanged set-up cell keeps its execution count and outputs."""
    old_setup = next((cell for cell in notebook.cells if COLAB_SETUP in _tags(cell)), None)
    cells = [cell for cell in notebook.cells if not _is_generated(cell)]
    # Fixed ids keep regenerated files byte-stable (nbformat 4.5 requires an id on every cell).
    top = nbformat.v4.new_markdown_cell(top_text or nav_text, metadata={"tags": [NAV_TOP]}, id=NAV_TOP)
    bottom = nbformat.v4.new_markdown_cell(nav_text, metadata={"tags": [NAV_BOTTOM]}, id=NAV_BOTTOM)
    setup = []
    if setup_source is not None:
        cell = nbformat.v4.new_code_cell(setup_source, metadata={"tags": [COLAB_SETUP]}, id=COLAB_SETUP)
        if old_setup is not None and old_setup.source == setup_source:
            cell.execution_count, cell.outputs = old_setup.execution_count, old_setup.outputs
        setup = [cell]
    notebook.cells = [top, *setup, *cells, bottom]
    return notebook


def chapter_table(paths, notebooks, folder=""):
    """The Markdown table of chapters: number, linked title, summary. folder prefixes the links."""
    rows = ["| # | Chapter | What you learn |", "| --- | --- | --- |"]
    for path, notebook in zip(paths, notebooks):
        rows.append(f"| {path.name[:2]} | [{title_of(notebook)}]({folder}{path.name}) | "
                    f"{summary_of(notebook, path)} |")
    return "\n".join(rows)


def readme_table(paths, notebooks):
    return chapter_table(paths, notebooks, folder="notebooks/")


def readme_launch(url, first_chapter):
    """The README's launch badges (they open the first chapter), or where to set the URL while it is a placeholder."""
    badges = launch_badges(url, first_chapter)
    if badges:
        return badges
    return (f"*Open in Colab* and *Launch Binder* badges appear here and in every chapter once the repository's "
            f"public URL is set: it is written in one place, `[project.urls] Repository` in `pyproject.toml` "
            f"(now the placeholder `{url}`); then run `python3 run.py nav`.")


def _between(text, start, end, block):
    if start not in text or end not in text:
        raise ValueError(f"README.md must contain the markers {start} and {end}")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{block}\n{end}{tail}"


def updated_readme(table, launch=None):
    text = _between(README.read_text(), TABLE_START, TABLE_END, table)
    return text if launch is None else _between(text, LAUNCH_START, LAUNCH_END, launch)


def contents_notebook(paths, notebooks, url):
    """notebooks/contents.ipynb: the series' title, the chapter table and the launch badges, one Markdown cell."""
    parts = [
        "# nnlib: neural networks from scratch",
        "A numbered series of notebooks that builds neural networks for handwritten digits (MNIST) from nothing "
        "but NumPy. Read the chapters in order: each uses only what the ones before it taught. Every chapter "
        "starts and ends with links to the previous and next chapter and back to this page.",
        chapter_table(paths, notebooks),
    ]
    badges = launch_badges(url, paths[0].name)
    if badges:
        parts.append(f"Run the chapters without installing anything: {badges}")
    parts.append(f"Start reading: [{paths[0].name[:2]} · {title_of(notebooks[0])} →]({paths[0].name})")
    cell = nbformat.v4.new_markdown_cell("\n\n".join(parts), id="contents")
    notebook = nbformat.v4.new_notebook(cells=[cell], metadata={
        "kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"},
        "nnlib": {"generated": "tools/notebooks.py from the chapters' titles and nnlib.summary; do not edit"}})
    nbformat.validate(notebook)
    return notebook


def load_all():
    paths = chapters()
    return paths, [nbformat.read(path, as_version=4) for path in paths]


class Generated:
    """Everything tools/notebooks.py generates, for the current chapters and a repository URL."""

    def __init__(self, url=None):
        self.url = repository_url() if url is None else url
        self.paths, notebooks = load_all()
        titles = [title_of(notebook) for notebook in notebooks]
        self.nav = {path: navigation(i, self.paths, titles) for i, path in enumerate(self.paths)}
        self.top = {path: "\n\n".join(filter(None, [nav, launch_badges(self.url, path.name)]))
                    for path, nav in self.nav.items()}
        self.setup = colab_setup_source(self.url)
        self.contents = contents_notebook(self.paths, notebooks, self.url)
        self.readme = updated_readme(readme_table(self.paths, notebooks),
                                     readme_launch(self.url, self.paths[0].name))

    def apply(self, path, notebook):
        """notebook (chapter `path`) with its generated cells as they should be."""
        return with_navigation(notebook, self.nav[path], self.setup, self.top[path])

    def problems_in(self, path, notebook):
        cells = notebook.cells
        problems = []
        if not (len(cells) > 2 and _is_nav(cells[0]) and _is_nav(cells[-1])
                and cells[0].source == self.top[path] and cells[-1].source == self.nav[path]):
            problems.append(f"{path.name}: navigation cells are missing or stale")
        if not (len(cells) > 2 and COLAB_SETUP in _tags(cells[1]) and cells[1].source == self.setup):
            problems.append(f"{path.name}: the Colab set-up cell is missing or stale")
        elif cells[1].execution_count is None:
            problems.append(f"{path.name}: the Colab set-up cell was never executed")
        return problems

    def write_shared(self):
        README.write_text(self.readme)
        _write_atomically(CONTENTS, self.contents)


def normalize(notebook):
    """Strip what differs between machines and runs: timings, widget state, kernel name."""
    notebook.metadata.pop("widgets", None)
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    notebook.metadata.setdefault("language_info", {})["name"] = "python"
    notebook.metadata["language_info"].pop("version", None)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
    return notebook


def execute(notebook, path, timeout=900):
    """Run every cell top to bottom in a fresh kernel, with the notebook's folder as working directory."""
    from nbclient import NotebookClient  # imported here: the site build reads notebooks without executing them

    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = NotebookClient(notebook, timeout=timeout, kernel_name=KERNELSPEC["name"],
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return normalize(notebook)


def regenerate(selected):
    generated = Generated()
    generated.write_shared()
    for path in generated.paths:
        if selected and path.name not in selected and str(path) not in selected:
            continue
        notebook = generated.apply(path, nbformat.read(path, as_version=4))
        started = time.perf_counter()
        execute(notebook, path)
        nbformat.validate(notebook)
        _write_atomically(path, notebook)
        print(f"{path.name}: executed in {time.perf_counter() - started:.1f} s", flush=True)


def rewrite_navigation():
    """Rewrite the generated parts without executing. Navigation is Markdown, and the set-up cell prints nothing
    where nnlib is installed, so outputs stay true; only a set-up cell that is new (it shifts every execution
    count) needs a real run: the chapters that have one are returned."""
    generated = Generated()
    generated.write_shared()
    unexecuted = []
    for path in generated.paths:
        notebook = generated.apply(path, nbformat.read(path, as_version=4))
        _write_atomically(path, notebook)
        if notebook.cells[1].execution_count is None:
            unexecuted.append(path.name)
    return unexecuted


def run_all(out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    total = 0.0
    for path in chapters():
        notebook = nbformat.read(path, as_version=4)
        started = time.perf_counter()
        execute(notebook, path)
        total += time.perf_counter() - started
        nbformat.write(notebook, out_dir / path.name)
        print(f"{path.name}: {time.perf_counter() - started:.1f} s -> {out_dir / path.name}", flush=True)
    print(f"all chapters: {total:.1f} s")


def stale():
    """Descriptions of every generated cell, file or README block that regenerate would change."""
    generated = Generated()
    problems = []
    for path in generated.paths:
        problems += generated.problems_in(path, nbformat.read(path, as_version=4))
    if not CONTENTS.exists() or nbformat.writes(nbformat.read(CONTENTS, as_version=4)) != nbformat.writes(
            generated.contents):
        problems.append(f"notebooks/{CONTENTS.name}: missing or stale")
    if README.read_text() != generated.readme:
        problems.append("README.md: the chapter table or the launch badges are stale")
    return problems


def _write_atomically(path, notebook):
    temporary = path.with_suffix(".ipynb.tmp")
    nbformat.write(notebook, temporary)
    temporary.replace(path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    regen = commands.add_parser("regenerate", help="re-execute notebooks in place")
    regen.add_argument("notebooks", nargs="*", help="file names to execute (default: all)")
    run = commands.add_parser("run", help="execute every chapter into a separate folder")
    run.add_argument("--out", type=Path, default=ROOT / "build" / "notebooks")
    commands.add_parser("nav", help="rewrite the generated cells, contents and README blocks without executing")
    commands.add_parser("check", help="fail if any generated part is stale")
    args = parser.parse_args(argv)
    if args.command == "regenerate":
        regenerate({Path(name).name for name in args.notebooks})
    elif args.command == "run":
        run_all(args.out)
    elif args.command == "nav":
        unexecuted = rewrite_navigation()
        if unexecuted:
            print(f"new Colab set-up cell, execute these: python3 run.py regenerate {' '.join(unexecuted)}")
    else:
        problems = stale()
        print("\n".join(problems) or "generated cells, contents and README blocks are current")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
