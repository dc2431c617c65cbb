"""End to end, as a reader would: JupyterLab in a real Chromium, run chapter 08, draw a 7 with the mouse on
the canvas, and see the network answer 7.

Needs Debian's Chromium (/usr/bin/chromium, or $NNLIB_CHROMIUM) and the playwright package (the `browser`
extra: NNLIB_EXTRAS=browser python3 run.py test). Playwright drives the system browser; it downloads nothing.
Without them the test is skipped, saying how to enable it; with NNLIB_REQUIRE_BROWSER=1 (set by .ci/run)
it fails instead. Deselect it with `-m "not browser"`. On failure a screenshot is saved in build/.
"""
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "notebooks" / "08-inside-the-network.ipynb"
CHROMIUM = Path(os.environ.get("NNLIB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"]
HOW_TO_ENABLE = ("to run it: apt-get install chromium (or set NNLIB_CHROMIUM to a Chromium binary), then "
                 "NNLIB_EXTRAS=browser python3 run.py test")
SCREENSHOT = ROOT / "build" / "test_browser_failure.png"
SEVEN = [(70, 55), (210, 55), (115, 240)]  # canvas pixels; the same 7 the notebook renders with code

# Throwaway JupyterLab user settings: never autosave (the browser's outputs must not reach any file),
# render every cell (no windowing, so the canvas is in the page), no news or update pop-ups.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}


def browser_or_skip():
    problems = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the playwright package is not installed")
    if not CHROMIUM.is_file():
        problems.append(f"no Chromium at {CHROMIUM}")
    if problems:
        reason = f"real-browser test needs a browser: {'; '.join(problems)}; {HOW_TO_ENABLE}"
        if os.environ.get("NNLIB_REQUIRE_BROWSER"):
            pytest.fail(reason + " (NNLIB_REQUIRE_BROWSER is set, so this is a failure)")
        pytest.skip(reason)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on 127.0.0.1 serving a copy of chapter 08, with throwaway config and settings."""
    browser_or_skip()
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(CHAPTER, work / CHAPTER.name)
    for name, values in LAB_SETTINGS.items():
        target = tmp_path / "settings" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"))
    port, token = free_port(), secrets.token_hex(16)
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={work}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = (tmp_path / "lab.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_server(base, token, server, tmp_path / "lab.log")
        yield base, token
    finally:
        stop(server)
        log.close()


def wait_for_server(base, token, server, log_path, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with code {server.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer within {timeout} s:\n{log_path.read_text()[-3000:]}")


def stop(server):
    """SIGTERM lets the server shut down its kernels; the process group catches anything left over."""
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def wait_for_idle_kernel(page, timeout_ms):
    """The status bar reads e.g. 'Python 3 (ipykernel) | Idle' once a kernel exists and is idle. (The toolbar's
    circle reads idle even before a kernel has started, so it cannot be trusted for this.)"""
    page.wait_for_function(
        "() => /ipykernel\\) \\| Idle/.test(document.querySelector('#jp-main-statusbar')?.textContent || '')",
        timeout=timeout_ms)


def draw(page, canvas, points, steps=12):
    """Press the mouse at the first point, drag through the others, release: one stroke, as a person draws."""
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    scale = box["width"] / 280

    def at(point):
        return box["x"] + point[0] * scale, box["y"] + point[1] * scale

    page.mouse.move(*at(points[0]))
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*at(point), steps=steps)
    page.mouse.up()


def test_drawing_a_seven_on_the_canvas_is_predicted_as_seven(lab):
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    base, token = lab
    started = time.monotonic()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"{base}/lab/tree/{CHAPTER.name}?token={token}")
            wait_for_idle_kernel(page, timeout_ms=300_000)
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
            canvas = page.locator("canvas.nnlib-canvas")
            canvas.wait_for(state="visible", timeout=600_000)  # generous: CI machines can be slow
            wait_for_idle_kernel(page, timeout_ms=300_000)
            answer = page.locator(".widget-html", has_text="Draw a digit in the box")
            answer.wait_for(state="visible", timeout=10_000)
            draw(page, canvas, SEVEN)
            prediction = page.locator(".widget-html", has_text="prediction:")
            prediction.wait_for(state="visible", timeout=30_000)
            text = prediction.inner_text()
            assert "prediction: 7" in text, f"the network read the drawn 7 differently: {text!r}"
            print(f"browser test: {text.splitlines()[0]!r} after {time.monotonic() - started:.0f} s")
        except (AssertionError, PlaywrightError):
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=False)
            print(f"screenshot of the failure: {SCREENSHOT}")
            raise
        finally:
            browser.close()
