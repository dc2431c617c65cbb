"""Build the read-along site: a static HTML book of the stored, executed notebooks, offline.

    python tools/site_build.py [--out DIR]      (or: python3 run.py site, which installs the `site` extra)

Sphinx with myst-nb reads the notebooks as they are stored (nothing is re-executed: the stored outputs are the
truth), sphinx-book-theme lays them out as a book (contents sidebar, previous/next, launch buttons), and
sphinx-mathjax-offline bundles MathJax, so the pages render their math without a network. The configuration
is site/conf.py.

The notebooks are staged in build/site-source/ first, unchanged except for their generated cells:
- the Colab set-up cell is tagged remove-cell: on the site there is nothing to install;
- the top navigation line loses its badges: the theme's launch buttons do that job, and the badge images live
  on other hosts, which a site that works offline must not need;
- the contents page gets a hidden toctree: the book's reading order, which the sidebar and previous/next follow.
Every Sphinx warning fails the build (-W), so a link between the pages that does not resolve stops it.
"""
import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import notebooks as tool  # noqa: E402

CONF_DIR = ROOT / "site"
OUT_DIR = ROOT / "build" / "site"
STAGE_DIR = ROOT / "build" / "site-source"
URL_VARIABLE = "NNLIB_SITE_REPOSITORY_URL"  # only to build a test copy against another URL
REDIRECT = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>nnlib</title>
<meta http-equiv="refresh" content="0; url={root}.html"></head>
<body><p><a href="{root}.html">Contents</a></p></body></html>
"""


class SiteBuildError(RuntimeError):
    """Sphinx failed or warned; the message holds its warnings."""


def theme_options(url):
    """sphinx-book-theme options: the repository button and Colab/Binder launch buttons for a real repository
    URL; none of them for a placeholder, so the site never links to a repository that does not exist."""
    options = {"use_download_button": True, "home_page_in_toc": True}
    if tool.is_placeholder(url):
        return options
    launch = {"binderhub_url": "https://mybinder.org", "notebook_interface": "jupyterlab"}
    if tool.launch_links(url, "contents.ipynb")["colab"]:
        launch["colab_url"] = "https://colab.research.google.com"
    return options | {"repository_url": url, "repository_branch": tool.COLAB_BRANCH, "path_to_docs": "notebooks",
                      "use_repository_button": True, "launch_buttons": launch}


def for_the_site(notebook):
    """A chapter as the site shows it: its stored cells, the set-up cell removed, no badges in the navigation."""
    bottom = next(cell for cell in notebook.cells if tool.NAV_BOTTOM in cell.metadata.get("tags", []))
    for cell in notebook.cells:
        tags = cell.metadata.get("tags", [])
        if tool.COLAB_SETUP in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
        elif tool.NAV_TOP in tags:
            cell.source = bottom.source
    return notebook


def contents_for_the_site(notebook, paths):
    """The contents page without badges (see for_the_site), plus the hidden toctree that orders the book."""
    cell = notebook.cells[0]
    cell.source = "\n\n".join(part for part in cell.source.split("\n\n") if "](https://" not in part)
    toctree = "\n".join(["```{toctree}", ":hidden:", "", *(path.stem for path in paths), "```"])
    notebook.cells.append(nbformat.v4.new_markdown_cell(toctree, id="toctree"))
    return notebook


def stage(stage_dir):
    """Copy the contents page and the chapters into stage_dir, prepared for the site; returns the chapters."""
    problems = tool.stale()
    if problems:
        raise SiteBuildError("the notebooks' generated parts are stale (python3 run.py regenerate):\n  "
                             + "\n  ".join(problems))
    shutil.rmtree(stage_dir, ignore_errors=True)
    stage_dir.mkdir(parents=True)
    paths = tool.chapters()
    for path in paths:
        nbformat.write(for_the_site(nbformat.read(path, as_version=4)), stage_dir / path.name)
    contents = contents_for_the_site(nbformat.read(tool.CONTENTS, as_version=4), paths)
    nbformat.write(contents, stage_dir / tool.CONTENTS.name)
    return paths


def build(out_dir=OUT_DIR, stage_dir=STAGE_DIR, repository_url=None):
    """Stage the notebooks and build the site into out_dir; returns the seconds it took.

    Sphinx writes into a temporary sibling folder that replaces out_dir only when the build succeeded, so a
    failed build never leaves a half-written site. Raises SiteBuildError with Sphinx's warnings."""
    started = time.perf_counter()
    stage(stage_dir)
    partial = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    env = dict(os.environ)
    if repository_url is not None:
        env[URL_VARIABLE] = repository_url
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-E", "-q", "-W", "--keep-going",
               "-c", str(CONF_DIR), "-d", str(stage_dir / ".doctrees"), str(stage_dir), str(partial)]
    completed = subprocess.run(command, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        raise SiteBuildError(f"Sphinx failed (exit {completed.returncode}); fix every warning:\n"
                             f"{completed.stderr.strip() or completed.stdout.strip()}")
    (partial / "index.html").write_text(REDIRECT.format(root=tool.CONTENTS.stem))
    (partial / ".nojekyll").write_text("")  # GitHub Pages: serve _static/ as it is
    shutil.rmtree(out_dir, ignore_errors=True)
    partial.replace(out_dir)
    return time.perf_counter() - started


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="where to write the site (default build/site)")
    args = parser.parse_args(argv)
    try:
        seconds = build(args.out.resolve())
    except SiteBuildError as error:
        print(f"site: {error}", file=sys.stderr)
        return 1
    print(f"site: built in {seconds:.1f} s; open {args.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
