"""Execute the notebook series reproducibly and keep its navigation and the README's chapter table current.

    python tools/notebooks.py regenerate [NOTEBOOK ...]   rewrite navigation, re-execute in place, store outputs
    python tools/notebooks.py run [--out DIR]             execute every chapter into DIR (default build/notebooks)
    python tools/notebooks.py nav                         rewrite navigation cells and the README table only
    python tools/notebooks.py check                       exit 1 if navigation or the README table is stale

Use `python3 run.py regenerate` / `python3 run.py notebooks`, which run this inside .venv.
Regenerating (rather than saving from JupyterLab) keeps the files stable: one kernel name, sequential
execution counts, no per-cell timing metadata, no widget state.
"""
import argparse
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
README = ROOT / "README.md"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
TABLE_START, TABLE_END = "<!-- chapters:start -->", "<!-- chapters:end -->"
NAV_TOP, NAV_BOTTOM = "nav-top", "nav-bottom"
CHAPTER_NAME = re.compile(r"^\d\d-[a-z0-9-]+\.ipynb$")


def chapters():
    """The numbered chapter notebooks, in reading order."""
    return sorted(path for path in NOTEBOOKS.glob("*.ipynb") if CHAPTER_NAME.match(path.name))


def title_of(notebook):
    """The chapter title: the first Markdown '# ' heading that is not a navigation cell."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and not _is_nav(cell):
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
    """Markdown for the navigation line of chapter `index`: previous · contents · next."""
    parts = []
    if index > 0:
        parts.append(f"[← {titles[index - 1]}]({paths[index - 1].name})")
    parts.append("[Contents](../README.md#the-notebooks)")
    if index < len(paths) - 1:
        parts.append(f"[{titles[index + 1]} →]({paths[index + 1].name})")
    return " · ".join(parts)


def _is_nav(cell):
    return cell.cell_type == "markdown" and {NAV_TOP, NAV_BOTTOM} & set(cell.metadata.get("tags", []))


def with_navigation(notebook, nav_text):
    """Put the navigation line in a tagged first and last Markdown cell (created if missing)."""
    cells = [cell for cell in notebook.cells if not _is_nav(cell)]
    # Fixed ids keep regenerated files byte-stable (nbformat 4.5 requires an id on every cell).
    top = nbformat.v4.new_markdown_cell(nav_text, metadata={"tags": [NAV_TOP]}, id=NAV_TOP)
    bottom = nbformat.v4.new_markdown_cell(nav_text, metadata={"tags": [NAV_BOTTOM]}, id=NAV_BOTTOM)
    notebook.cells = [top, *cells, bottom]
    return notebook


def readme_table(paths, notebooks):
    rows = ["| # | Chapter | What you learn |", "| --- | --- | --- |"]
    for path, notebook in zip(paths, notebooks):
        rows.append(f"| {path.name[:2]} | [{title_of(notebook)}](notebooks/{path.name}) | "
                    f"{summary_of(notebook, path)} |")
    return "\n".join(rows)


def updated_readme(table):
    text = README.read_text()
    if TABLE_START not in text or TABLE_END not in text:
        raise ValueError(f"README.md must contain the markers {TABLE_START} and {TABLE_END}")
    head, rest = text.split(TABLE_START, 1)
    _, tail = rest.split(TABLE_END, 1)
    return f"{head}{TABLE_START}\n{table}\n{TABLE_END}{tail}"


def load_all():
    paths = chapters()
    return paths, [nbformat.read(path, as_version=4) for path in paths]


def expected_navigation():
    """{path: nav text} and the README text that the current chapters call for."""
    paths, notebooks = load_all()
    titles = [title_of(notebook) for notebook in notebooks]
    navs = {path: navigation(i, paths, titles) for i, path in enumerate(paths)}
    return navs, updated_readme(readme_table(paths, notebooks))


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
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = NotebookClient(notebook, timeout=timeout, kernel_name=KERNELSPEC["name"],
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return normalize(notebook)


def regenerate(selected):
    navs, readme = expected_navigation()
    README.write_text(readme)
    for path, nav in navs.items():
        if selected and path.name not in selected and str(path) not in selected:
            continue
        notebook = with_navigation(nbformat.read(path, as_version=4), nav)
        started = time.perf_counter()
        execute(notebook, path)
        nbformat.validate(notebook)
        _write_atomically(path, notebook)
        print(f"{path.name}: executed in {time.perf_counter() - started:.1f} s", flush=True)


def rewrite_navigation():
    """Navigation cells are Markdown: updating them needs no re-execution and leaves outputs as they are."""
    navs, readme = expected_navigation()
    README.write_text(readme)
    for path, nav in navs.items():
        notebook = with_navigation(nbformat.read(path, as_version=4), nav)
        _write_atomically(path, notebook)


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
    """Descriptions of every navigation cell or README table that regenerate would change."""
    navs, readme = expected_navigation()
    problems = []
    for path, nav in navs.items():
        notebook = nbformat.read(path, as_version=4)
        cells = notebook.cells
        if not (cells and _is_nav(cells[0]) and _is_nav(cells[-1])
                and cells[0].source == nav and cells[-1].source == nav):
            problems.append(f"{path.name}: navigation cells are missing or stale")
    if README.read_text() != readme:
        problems.append("README.md: the chapter table is stale")
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
    commands.add_parser("nav", help="rewrite navigation cells and the README table without executing")
    commands.add_parser("check", help="fail if navigation or the README table is stale")
    args = parser.parse_args(argv)
    if args.command == "regenerate":
        regenerate({Path(name).name for name in args.notebooks})
    elif args.command == "run":
        run_all(args.out)
    elif args.command == "nav":
        rewrite_navigation()
    else:
        problems = stale()
        print("\n".join(problems) or "navigation and README table are current")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
