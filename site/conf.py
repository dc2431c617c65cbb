"""Sphinx configuration of the read-along site. Build it with `python3 run.py site` (tools/site_build.py), which
stages the notebooks and runs Sphinx with this folder as its configuration directory."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import notebooks  # noqa: E402
import site_build  # noqa: E402

project = "nnlib: neural networks from scratch"
author = "The nnlib authors"
html_title = project
root_doc = "contents"  # notebooks/contents.ipynb; tools/site_build.py adds an index.html that opens it

extensions = ["myst_nb", "sphinx-mathjax-offline"]
nb_execution_mode = "off"  # the stored outputs are the truth: never re-execute
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3  # [text](chapter.ipynb#a-heading) links resolve like on GitHub

html_theme = "sphinx_book_theme"
# The repository URL comes from pyproject.toml; site_build sets the variable only to build a test copy.
html_theme_options = site_build.theme_options(os.environ.get(site_build.URL_VARIABLE)
                                              or notebooks.repository_url())
html_show_sourcelink = False
