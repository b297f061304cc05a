"""The widgets in a real browser: JupyterLab 4 + Debian's Chromium driven by Playwright.

Starts JupyterLab on a free loopback port with a random token and a temporary root folder holding
a copy of the solved notebook 04 (and a small notebook with the other three widgets), runs all
cells from the Run menu, ticks a bug in the Bug Lab and checks that the plot image changed, the
sentence names the bug's tensor and every bug's description shows under its checkbox. Screenshots of every widget after interaction go to a temporary
folder; with UPDATE_SCREENSHOTS=1 they are also copied to docs/img/ for the README.

Needs /usr/bin/chromium (`apt-get install -y chromium`): skipped without it, except with CI=true,
where a missing browser is a failure.
"""
import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from course_utils.bugs import BUGS

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_04 = ROOT / "tests" / "solutions" / "04_check_an_nd_gradient.ipynb"
CHROMIUM = Path("/usr/bin/chromium")
DOCS_IMG = ROOT / "docs" / "img"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 30_000  # any single wait; the whole test stays under about 90 s

if not CHROMIUM.exists():
    reason = f"{CHROMIUM} is missing: install it with `apt-get install -y chromium` (as root)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is missing: pip install playwright")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _other_widgets_notebook(path):
    """A small notebook showing the three widgets of notebooks 00, 01 and 02."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.cells = [nbformat.v4.new_code_cell("from course_utils.widgets import smoke_test, epsilon_explorer, bug_picker_1d"),
                nbformat.v4.new_code_cell("smoke = smoke_test()\nsmoke.add_class('shot-smoke')\nsmoke"),
                nbformat.v4.new_code_cell("explorer = epsilon_explorer()\nexplorer.add_class('shot-explorer')\nexplorer"),
                nbformat.v4.new_code_cell("picker = bug_picker_1d()\npicker.add_class('shot-picker')\npicker")]
    nbformat.write(nb, path)


def _failing_check_notebook(path, body):
    """An exercise cell (a function `body`) and its check, which fails (Run All stops at the first error)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.cells = [nbformat.v4.new_code_cell(f"def centered_difference(f, x, epsilon):\n    {body}"),
                nbformat.v4.new_code_cell("from course_utils.checks import check_centered_difference\n"
                                          "check_centered_difference(centered_difference)")]
    nbformat.write(nb, path)


def write_lab_settings(root):
    """JupyterLab user settings under root/.settings: no "get notified about Jupyter news?" toast."""
    settings = root / ".settings"
    folder = settings / "@jupyterlab" / "apputils-extension"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}',
                                                              encoding="utf-8")
    return settings


@contextlib.contextmanager
def jupyterlab(root, startup_timeout=30):
    """Run JupyterLab on a free loopback port with a random token, serving `root`; yields (base_url, token).

    Settings, workspaces and runtime files live under root (nothing of the user's JupyterLab is read);
    the server's log is root/jupyterlab.log. Raises RuntimeError when the server does not start.
    Used by this test and by benchmarks/bench_browser.py.
    """
    port, token = _free_port(), secrets.token_hex(16)
    settings = write_lab_settings(root)
    env = dict(os.environ, JUPYTERLAB_WORKSPACES_DIR=str(root / ".workspaces"), JUPYTER_RUNTIME_DIR=str(root / ".runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(settings))
    with open(root / "jupyterlab.log", "w") as log:
        server = subprocess.Popen([sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
                                   f"--IdentityProvider.token={token}", "--ServerApp.ip=127.0.0.1",
                                   f"--ServerApp.root_dir={root}", "--ServerApp.port_retries=0",
                                   "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
                                  + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
                                  cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + startup_timeout
            while True:
                try:
                    urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2).read()
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("JupyterLab did not start; log:\n"
                                           + (root / "jupyterlab.log").read_text()[-2000:]) from None
                    time.sleep(0.3)
            yield base, token
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=5)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """(base_url, token, root) of a JupyterLab started for this module; stopped afterwards."""
    root = tmp_path_factory.mktemp("lab_root")
    if not NOTEBOOK_04.exists():
        pytest.fail(f"{NOTEBOOK_04} is missing", pytrace=False)
    shutil.copy(NOTEBOOK_04, root / NOTEBOOK_04.name)
    _other_widgets_notebook(root / "widgets.ipynb")
    _failing_check_notebook(root / "wrong_answer.ipynb", "return (f(x + epsilon) - f(x)) / (2 * epsilon)")
    _failing_check_notebook(root / "raises.ipynb", "return f(x).my_typo_here")
    try:
        with jupyterlab(root) as (base, token):
            yield base, token, root
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="module")
def page(lab):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1400})  # the whole Bug Lab in view
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            yield page
        finally:
            browser.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    """Folder for screenshots; copied to docs/img/ with UPDATE_SCREENSHOTS=1."""
    folder = tmp_path_factory.mktemp("screenshots")
    yield folder
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        for png in folder.glob("*.png"):
            shutil.copy(png, DOCS_IMG / png.name)


def _open_and_run_all(page, lab, name):
    base, token, _ = lab
    page.goto(f"{base}/lab/tree/{name}?token={token}&reset")
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell")
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']")
    page.wait_for_timeout(2000)  # let the session settle: a Run All sent earlier can be dropped
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-item[data-command='runmenu:run-all'], .lm-Menu-item[data-command='notebook:run-all-cells']").first.click()


def _img_src(locator):
    return locator.evaluate("img => img.src")


def test_bug_lab_in_notebook_04_reacts_to_a_ticked_bug(page, lab, shots):
    _open_and_run_all(page, lab, NOTEBOOK_04.name)
    bug_lab = page.locator(".bug-lab")
    bug_lab.wait_for(state="attached", timeout=60_000)
    bug_lab.scroll_into_view_if_needed()  # cells far down may be virtualised until scrolled to
    image = bug_lab.locator("img.widget-image")
    sentence = bug_lab.locator(".bug-lab-sentence")
    sentence.wait_for()
    before_src, before_sentence = _img_src(image), sentence.inner_text()
    assert "W3" not in before_sentence
    bug_lab.locator(".bug-dW3_missing_1_over_m input[type='checkbox']").check()
    page.wait_for_function("([img, src]) => img.src !== src", arg=[image.element_handle(), before_src])
    sentence_text = page.wait_for_function(
        "el => el.innerText.includes('W3') && el.innerText", arg=sentence.element_handle()).json_value()
    assert "W3 looks wrong" in sentence_text
    assert "W3" in bug_lab.locator(".bug-lab-table").inner_text()
    # every bug is described in a line under its checkbox
    for name, bug in BUGS.items():
        assert bug_lab.locator(f".bug-{name}-description").inner_text().strip() == bug.description
    bug_lab.scroll_into_view_if_needed()
    bug_lab.screenshot(path=str(shots / "bug_lab.png"))
    # the real image bytes changed too, not only the blob URL
    assert _img_src(image) != before_src


def test_other_widgets_render_and_react(page, lab, shots):
    _open_and_run_all(page, lab, "widgets.ipynb")
    smoke = page.locator(".shot-smoke")
    smoke.wait_for(state="attached")
    smoke.locator("button").click()
    page.wait_for_function("el => el.innerText.includes('you clicked once')", arg=smoke.element_handle())
    smoke.screenshot(path=str(shots / "smoke_test.png"))

    explorer = page.locator(".shot-explorer")
    image = explorer.locator("img.widget-image")
    before = _img_src(image)
    handle = explorer.locator(".noUi-handle, .widget-slider .ui-slider-handle").first
    handle.focus()
    for _ in range(4):
        handle.press("ArrowLeft")  # ε goes down one slider step per key
    page.wait_for_function("([img, src]) => img.src !== src", arg=[image.element_handle(), before])
    readout = explorer.locator(".widget-readout").first.inner_text().replace("e-", "e-0")  # 5.6e-2 -> 5.6e-02
    page.wait_for_function("([el, r]) => el.innerText.includes('ε = ' + r)", arg=[explorer.element_handle(), readout])
    explorer.scroll_into_view_if_needed()
    explorer.screenshot(path=str(shots / "epsilon_explorer.png"))

    picker = page.locator(".shot-picker")
    picker.locator("select").select_option(label="returns theta instead of x")
    page.wait_for_function("el => el.innerText.includes('backward pass is wrong')", arg=picker.element_handle())
    picker.scroll_into_view_if_needed()
    picker.screenshot(path=str(shots / "bug_picker_1d.png"))


def _check_output(page, lab, name, marker):
    _open_and_run_all(page, lab, name)
    page.wait_for_function("m => [...document.querySelectorAll('.jp-OutputArea-output')]"
                           ".some(el => el.innerText.includes(m))", arg=marker)
    outputs = page.locator(".jp-OutputArea-output")
    return next(t for t in (outputs.nth(i).inner_text() for i in range(outputs.count())) if marker in t)


def test_a_failing_check_shows_the_message_and_the_students_frame_but_no_line_of_course_utils(page, lab):
    wrong = _check_output(page, lab, "wrong_answer.ipynb", "Most likely")
    assert wrong.strip().startswith("AssertionError: centered_difference(")
    raised = _check_output(page, lab, "raises.ipynb", "my_typo_here")
    assert "AttributeError" in raised and "return f(x).my_typo_here" in raised  # the student's own frame
    for text in (wrong, raised):
        assert "course_utils/" not in text and "_common" not in text and "def check_" not in text, text
