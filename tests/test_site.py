"""The read-along site, as a reader sees it: build it (python3 run.py site's code), serve build output on
127.0.0.1, open every page in headless Chromium with every request off the machine refused, and check the math
is rendered, every image loads, every internal link and anchor resolves, and the book's navigation is there.

Needs the `site` extra (Sphinx, myst-nb, sphinx-book-theme, sphinx-mathjax-offline), the `browser` extra and
Debian's Chromium: NNLIB_EXTRAS=browser,site python3 run.py test (what .ci/run does). Without them it is skipped
with that hint; with NNLIB_REQUIRE_BROWSER=1 it fails instead.
"""
import functools
import http.server
import json
import re
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from test_browser import CHROMIUM, CHROMIUM_FLAGS, browser_or_skip

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import notebooks as tool  # noqa: E402
import site_build  # noqa: E402

TEST_URL = "https://github.com/nnlib-site-test/nnlib"  # a test build's launch buttons point here
CHAPTERS = tool.chapters()
PAGES = [tool.CONTENTS.stem, *(path.stem for path in CHAPTERS)]  # reading order


def site_or_skip():
    browser_or_skip()
    try:
        import myst_nb  # noqa: F401
        import sphinx_book_theme  # noqa: F401
    except ImportError as error:
        reason = (f"the site test needs the site extra ({error.name} is missing); to run it: "
                  "NNLIB_EXTRAS=browser,site python3 run.py test")
        if __import__("os").environ.get("NNLIB_REQUIRE_BROWSER"):
            pytest.fail(reason + " (NNLIB_REQUIRE_BROWSER is set, so this is a failure)")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built once for this module, served from a loopback http.server in a thread."""
    site_or_skip()
    work = tmp_path_factory.mktemp("site")
    seconds = site_build.build(out_dir=work / "site", stage_dir=work / "source", repository_url=TEST_URL)
    print(f"site built in {seconds:.1f} s")
    handler = functools.partial(QuietHandler, directory=str(work / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", work / "site"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        self.ids.update(value for name, value in attrs if name == "id" and value)


@functools.lru_cache(maxsize=None)
def fetch(url):
    """(HTTP status, ids in the page) for one URL of the served site."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        return error.code, frozenset()
    parser = Ids()
    if url.split("?")[0].endswith(".html"):
        parser.feed(body.decode("utf-8"))
    return status, frozenset(parser.ids)


# What a reader sees outside code and outputs (code may show TeX on purpose, e.g. a plot label r"$\sigma$";
# MathJax's own output is drawn by CSS, so typeset formulas leave no TeX in innerText).
PROSE_TEXT = """() => {
    const article = document.querySelector("article").cloneNode(true);
    article.querySelectorAll("pre, code, .cell_output, mjx-assistive-mml").forEach(node => node.remove());
    document.body.appendChild(article);
    const text = article.innerText;
    article.remove();
    return text;
}"""


def stored_png_count(path):
    notebook = nbformat.read(path, as_version=4)
    return sum("image/png" in output.get("data", {}) for cell in notebook.cells for output in cell.get("outputs", []))


def has_math(path):
    return any(cell.cell_type == "markdown" and "$" in cell.source for cell in nbformat.read(path, as_version=4).cells)


def test_the_site_reads_like_a_book_offline(site):
    from playwright.sync_api import sync_playwright

    base, folder = site
    assert (folder / "index.html").is_file() and (folder / "_static" / "mathjax" / "tex-chtml.js").is_file()
    off_machine = []

    def only_loopback(route):
        if urllib.parse.urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            off_machine.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.route("**/*", only_loopback)
        try:
            page.goto(f"{base}/")
            page.wait_for_url(f"{base}/{PAGES[0]}.html")
            for index, name in enumerate(PAGES):
                page.goto(f"{base}/{name}.html")
                page.wait_for_load_state("load")
                check_page(page, base, index, name)
        finally:
            browser.close()
    assert off_machine == [], f"the site needs the network: {off_machine[:5]}"


def check_page(page, base, index, name):
    source = tool.NOTEBOOKS / f"{name}.ipynb"
    # Math: MathJax typeset the page, and no TeX delimiters are left in what a reader sees.
    # (Sphinx loads MathJax only on pages that have math.)
    if page.locator("script[src*='mathjax']").count():
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                               timeout=30_000)
        page.evaluate("() => MathJax.startup.promise")
    if has_math(source):
        assert page.locator("mjx-container").count() > 0, f"{name}: no formula was rendered"
    prose = page.evaluate(PROSE_TEXT)
    assert "$$" not in prose, f"{name}: raw $$ left in the page"
    assert not re.search(r"\\(frac|partial|sigma|delta)\b", prose), f"{name}: raw TeX left in the page"

    # Images: every one loaded, and at least the notebook's stored plots are there.
    page.wait_for_function("() => Array.from(document.images).every(image => image.complete)", timeout=30_000)
    images = page.evaluate("() => Array.from(document.images).map(i => [i.currentSrc, i.naturalWidth])")
    broken = [src for src, width in images if width == 0]
    assert broken == [], f"{name}: images that did not load: {broken}"
    article_images = page.locator("article img").count()
    assert article_images >= stored_png_count(source), f"{name}: {article_images} images, fewer than the stored plots"

    # Links: every link to this site answers 200, and its #anchor exists in the page it points to.
    hrefs = page.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
    for href in hrefs:
        parts = urllib.parse.urlsplit(href)
        if parts.scheme not in ("http", "https") or parts.hostname != "127.0.0.1":
            continue
        target = urllib.parse.urlunsplit(parts._replace(fragment=""))
        status, ids = fetch(target)
        assert status == 200, f"{name}: link {href} answers {status}"
        if parts.fragment and target.endswith(".html"):
            assert urllib.parse.unquote(parts.fragment) in ids, f"{name}: link {href}: no such anchor"
    assert not [href for href in hrefs if "example.invalid" in href or "OWNER" in href], f"{name}: placeholder link"

    # The book: a sidebar with every page in reading order, previous/next, and the page's own title.
    sidebar = page.evaluate(
        "() => Array.from(document.querySelectorAll('.bd-docs-nav a.reference')).map(a => a.href)")
    assert [page_name(href) for href in sidebar] == PAGES, f"{name}: sidebar is not the reading order"
    previous = page.locator(".prev-next-area a.left-prev")
    following = page.locator(".prev-next-area a.right-next")
    assert previous.count() == (1 if index > 0 else 0), f"{name}: previous link"
    assert following.count() == (1 if index < len(PAGES) - 1 else 0), f"{name}: next link"
    if index > 0:
        assert page_name(previous.get_attribute("href")) == PAGES[index - 1]
    if index < len(PAGES) - 1:
        assert page_name(following.get_attribute("href")) == PAGES[index + 1]
    title = tool.title_of(nbformat.read(source, as_version=4)) if index else "nnlib: neural networks from scratch"
    assert page.locator("article h1").first.inner_text().strip().rstrip("#").strip() == title
    if index:
        check_chapter_page(page, name, hrefs)


def check_chapter_page(page, name, hrefs):
    """A chapter: its navigation line links to the contents page, its launch buttons open it from TEST_URL."""
    assert any(page_name(href) == tool.CONTENTS.stem for href in hrefs if "127.0.0.1" in href)
    assert page.locator("text=Set-up for Google Colab").count() == 0, f"{name}: the set-up cell is shown"
    launch = json.dumps(page.evaluate(
        "() => Array.from(document.querySelectorAll('a[href*=\"mybinder.org\"], a[href*=\"colab.research\"]'))"
        ".map(a => a.href)"))
    assert f"notebooks/{name}.ipynb" in urllib.parse.unquote(launch), f"{name}: launch buttons missing: {launch}"
    assert "nnlib-site-test/nnlib" in launch


def page_name(href):
    return urllib.parse.urlsplit(href).path.rsplit("/", 1)[-1].removesuffix(".html")


def test_a_site_build_with_a_broken_link_fails_and_names_it(tmp_path, monkeypatch):
    """-W: a link from a chapter to a page that does not exist stops the build with Sphinx's warning."""
    site_or_skip()
    original = site_build.for_the_site

    def with_a_broken_link(notebook):
        notebook = original(notebook)
        notebook.cells.append(nbformat.v4.new_markdown_cell("[missing](no-such-chapter.ipynb)"))
        return notebook

    monkeypatch.setattr(site_build, "for_the_site", with_a_broken_link)
    with pytest.raises(site_build.SiteBuildError, match="no-such-chapter"):
        site_build.build(out_dir=tmp_path / "site", stage_dir=tmp_path / "source")
    assert not (tmp_path / "site").exists(), "a failed build must not leave a half-written site"
