"""The widgets in a real browser: JupyterLab 4 + Debian's Chromium driven by Playwright.

Starts JupyterLab on a free loopback port with a random token and a temporary root folder holding
a copy of the solved notebook 04 (and a small notebook with the other three widgets), runs all
cells from the Run menu, ticks a bug in the Bug Lab and checks that the plot image changed, the
sentence names the bug's tensor and every bug's description shows under its checkbox. Screenshots of every
widget after interaction go to a temporary folder; with UPDATE_SCREENSHOTS=1 they are also copied to docs/img/ for the README.

Needs /usr/bin/chromium (`apt-get install -y chromium`) and Playwright: without them these tests fail, saying so
(deselect them with -m "not browser").
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
from needs import browser_needed

from course_utils import capstone
from course_utils.bugs import BUGS

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_04 = ROOT / "solutions" / "04_check_an_nd_gradient.ipynb"
NOTEBOOK_06 = ROOT / "solutions" / "06_hunt_the_bugs.ipynb"
RELEASE_00 = ROOT / "notebooks" / "00_start_here.ipynb"
CHROMIUM = Path("/usr/bin/chromium")
DOCS_IMG = ROOT / "docs" / "img"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 30_000  # any single wait; the whole test stays under about 90 s



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


def _long_message_notebook(path):
    """A check whose message is long (the 12-layer case of dictionary_to_vector, a sorted order): it must wrap at
    word boundaries, never inside a number or a name."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.cells = [nbformat.v4.new_code_cell(
                    "import numpy as np\n\n"
                    "def dictionary_to_vector(parameters):\n"
                    "    names = sorted(parameters)\n"
                    "    theta = np.concatenate([parameters[n].reshape(-1, 1) for n in names])\n"
                    "    keys = [n for n in names for _ in range(parameters[n].size)]\n"
                    "    return theta, keys"),
                nbformat.v4.new_code_cell("from course_utils.checks import check_dictionary_to_vector\n"
                                          "check_dictionary_to_vector(dictionary_to_vector)")]
    nbformat.write(nb, path)


def _fresh_copy_notebook(root):
    """A student release's layout under root (notebooks/ and the hidden .release/) and a notebook that asks for a
    fresh copy of notebook 00."""
    (root / ".release").mkdir()
    (root / "notebooks").mkdir()
    shutil.copy(RELEASE_00, root / ".release" / RELEASE_00.name)
    shutil.copy(RELEASE_00, root / "notebooks" / RELEASE_00.name)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.cells = [nbformat.v4.new_code_cell('from course_utils.fresh import fresh_copy\nfresh_copy("00")')]
    nbformat.write(nb, root / "notebooks" / "scratch.ipynb")


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
    browser_needed()
    """(base_url, token, root) of a JupyterLab started for this module; stopped afterwards."""
    root = tmp_path_factory.mktemp("lab_root")
    if not NOTEBOOK_04.exists():
        pytest.fail(f"{NOTEBOOK_04} is missing", pytrace=False)
    shutil.copy(NOTEBOOK_04, root / NOTEBOOK_04.name)
    _other_widgets_notebook(root / "widgets.ipynb")
    _failing_check_notebook(root / "wrong_answer.ipynb", "return (f(x + epsilon) - f(x)) / (2 * epsilon)")
    _failing_check_notebook(root / "raises.ipynb", "return f(x).my_typo_here")
    _long_message_notebook(root / "long_message.ipynb")
    shutil.copy(NOTEBOOK_06, root / NOTEBOOK_06.name)
    _fresh_copy_notebook(root)
    try:
        with jupyterlab(root) as (base, token):
            yield base, token, root
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="module")
def page(lab):
    sync_api = browser_needed()
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
    page.locator(".lm-Menu-item[data-command='runmenu:run-all'], "
                 ".lm-Menu-item[data-command='notebook:run-all-cells']").first.click()


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
    sentence_text = page.wait_for_function(  # looked up in the Bug Lab: a redraw replaces the sentence's element
        "el => { const s = el.querySelector('.bug-lab-sentence'); return s !== null && s.innerText.includes('W3')"
        " && s.innerText; }", arg=bug_lab.element_handle()).json_value()
    assert "W3 looks wrong" in sentence_text
    assert "W3" in bug_lab.locator(".bug-lab-table").inner_text()
    # the plot's key in words: who the suspects are, how the plot marks them, what the dashed line is
    key = bug_lab.locator(".bug-lab-suspects").inner_text()
    assert "Suspects (tensors whose gradient the checker finds wrong): W3" in key
    assert "black outline" in key and "threshold of the overall difference" in key
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

    # slide to a small ε: the slopes show the digits where they leave the exact slope, not "3, 3, 3"
    for _ in range(20):
        handle.press("ArrowLeft")
    slopes = explorer.locator(".epsilon-explorer-slopes")
    # 20 slider steps, each a recomputation and a redrawn plot in the kernel: minutes on a loaded 2-core machine.
    # Each redraw replaces the slopes' element (the HTML widget's value), so the wait looks it up in the explorer,
    # which stays: a handle to the slopes' element itself can be one a later redraw has already detached.
    page.wait_for_function("el => { const s = el.querySelector('.epsilon-explorer-slopes');"
                           " return s !== null && /forward 3\\.0{4}/.test(s.innerText); }",
                           arg=explorer.element_handle(), timeout=180_000)
    shown = slopes.inner_text()
    forward = shown.split("forward ")[1].split(",")[0]
    centered = shown.split("centered ")[1].split(",")[0]
    assert forward != "3" and centered != "3" and forward != centered, shown

    picker = page.locator(".shot-picker")
    assert "θ = 3" in picker.inner_text()  # not 4, where "returns theta" and "returns 2x" would give the same row
    rows = {}
    for label in ("returns theta instead of x", "returns 2x"):
        picker.locator("select").select_option(label=label)
        page.wait_for_function("([el, dθ]) => el.innerText.includes('dθ = ' + dθ)",
                               arg=[picker.element_handle(), "3" if "theta" in label else "4"])
        rows[label] = picker.locator(".bug-picker-table").inner_text()
    assert rows["returns theta instead of x"] != rows["returns 2x"]
    assert "backward pass is wrong" in rows["returns 2x"]
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


WORDS_SPLIT_ACROSS_LINES = """el => {
    const split = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
        const re = /\\S+/g;
        let m;
        while ((m = re.exec(node.textContent))) {
            const range = document.createRange();
            range.setStart(node, m.index);
            range.setEnd(node, m.index + m[0].length);
            const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
            if (tops.size > 1) split.push(m[0]);
        }
    }
    return split;
}"""


def test_a_long_check_message_wraps_between_words(page, lab):
    """JupyterLab breaks an output line anywhere ("1.189|091302e-07", "12-l|ayer"): the checks wrap what they show
    at word boundaries, so no word or number is cut in two -- in a window as narrow as a laptop's."""
    page.set_viewport_size({"width": 1100, "height": 1000})
    try:
        text = _check_output(page, lab, "long_message.ipynb", "Most likely")
        assert len(max(text.splitlines(), key=len)) <= 84, text
        outputs = page.locator(".jp-OutputArea-output", has_text="Most likely")
        assert outputs.first.evaluate(WORDS_SPLIT_ACROSS_LINES) == []
        assert "12-layer" in text or "W10" in text  # the long words the student saw cut
    finally:
        page.set_viewport_size({"width": 1400, "height": 1400})


def _run_cell(page, text):
    """Select the code cell whose source contains `text` and run it alone (Shift+Enter); return the cell."""
    cell = page.locator(".jp-Notebook .jp-CodeCell", has=page.locator(".jp-InputArea-editor", has_text=text)).first
    cell.scroll_into_view_if_needed()
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    return cell


def _output_of(page, cell, marker):
    """The cell's output once it holds `marker` (the output area's text: the source may hold the marker too)."""
    page.wait_for_function("([el, m]) => { const o = el.querySelector('.jp-OutputArea'); "
                           "return o !== null && o.innerText.includes(m); }", arg=[cell.element_handle(), marker])
    return cell.locator(".jp-OutputArea").inner_text()


def test_06_teammate_cell_run_before_the_code_says_to_set_it(page, lab):
    """A student who runs the teammate cell before exercise 2 gets "Set your capstone code first", not a NameError;
    after the student_id cell (the capstone code), the same cell shows the teammate: its network's slope and its
    pass."""
    base, token, _ = lab
    page.goto(f"{base}/lab/tree/{NOTEBOOK_06.name}?token={token}&reset")
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell")
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']")
    page.wait_for_timeout(2000)
    setup = _run_cell(page, "from course_utils import capstone")
    page.wait_for_function("el => /\\[\\d+\\]/.test(el.querySelector('.jp-InputPrompt').innerText)",
                           arg=setup.element_handle())
    teammate = _run_cell(page, "capstone.show_backward(student_id)")
    early = _output_of(page, teammate, "Set your capstone code first")
    assert "NameError" not in early and "exercise 2" in early
    _run_cell(page, "def student_id():")
    teammate = _run_cell(page, "capstone.show_backward(student_id)")
    shown = _output_of(page, teammate, "Its backward pass")
    code = _solution_code()
    mate = capstone.teammate(code)
    assert f"Your teammate (number {mate.number}) for student id {mate.student_id!r}" in " ".join(shown.split()), shown
    assert f"the leaky ReLU's slope for z <= 0 is {mate.slope:g}" in " ".join(shown.split()), shown
    assert "def backward_propagation(X, Y, cache):" in shown


def _solution_code():
    """The capstone code of the solved notebook 06 (its student_id cell's string literal)."""
    from course_utils.checks.nb06 import _literal_id

    nb = nbformat.read(NOTEBOOK_06, as_version=4)
    return _literal_id(next(c.source for c in nb.cells if c.get("id") == "ex-student-id"))


def test_a_fresh_copy_shows_in_the_file_browser_and_opens(page, lab):
    """The student release's untouched notebooks sit in the hidden .release/; fresh_copy puts a copy where the file
    browser shows it, and it opens."""
    base, token, _ = lab
    page.goto(f"{base}/lab/tree/notebooks/scratch.ipynb?token={token}&reset")
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell")
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']")
    page.wait_for_timeout(2000)
    cell = _run_cell(page, "fresh_copy")
    assert "00_start_here-fresh.ipynb" in _output_of(page, cell, "00_start_here-fresh.ipynb")
    browser = page.locator(".jp-DirListing-content")
    if not browser.is_visible():
        page.locator(".jp-SideBar [data-id='filebrowser']").first.click()
    page.locator(".jp-FileBrowser .jp-ToolbarButtonComponent[data-command='filebrowser:refresh']").first.click()
    item = page.locator(".jp-DirListing-item", has_text="00_start_here-fresh.ipynb")
    item.wait_for()
    assert page.locator(".jp-DirListing-item", has_text=".release").count() == 0  # hidden: why a copy is needed
    item.dblclick()
    page.wait_for_selector(".lm-TabBar-tab.lm-mod-current:has-text('00_start_here-fresh.ipynb')")
    page.locator(".jp-NotebookPanel:visible .jp-Cell", has_text="Start here").first.wait_for()
