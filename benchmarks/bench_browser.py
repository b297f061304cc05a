"""Widget latency in a real browser: from the input event to the repainted plot, in JupyterLab + Chromium.

    python benchmarks/bench_browser.py [--events 30] [--out FILE.json]

Starts JupyterLab (the launcher of tests/test_browser.py: free loopback port, random token, a
temporary root folder, no news toast) with a temporary notebook showing the Bug Lab, the ε explorer
and the 1-D bug picker, opens it in Debian's Chromium through Playwright, runs all cells, and then
drives each widget the way a student does, one input at a time:

  * Bug Lab: tick and untick a bug (alternating over the catalog's bugs that show at λ = 0), and
    move ε one slider step with the arrow keys;
  * ε explorer: move ε one slider step with the arrow keys (down the whole range and back);
  * 1-D bug picker: choose another backward-pass bug in the dropdown, and move ε one step.

Each latency runs from the first DOM event of the input (pointerdown, keydown, input or change,
caught in the capture phase, so it is the moment the page receives Playwright's input) to the
repaint of what the input changes: a MutationObserver sees the plot's <img> get its new source (the
picker's result table get its new HTML); the image is decoded, then the time is taken after the next
animation frame (requestAnimationFrame, then a message posted from it, which runs once that frame is
painted). The next input is sent only after that. --events inputs per widget (default 30, at least
30), after 3 warm-up inputs that are not counted.

Prints, per widget, the median and 90th percentile (nearest rank) in ms; --out also writes them as
JSON. Exits 0 whatever the latencies are (the budget is a goal, reported, not a test); non-zero only
on errors (no Chromium, JupyterLab did not start, a widget did not repaint within 20 s).
Latencies depend on the machine and its load: report them with the conditions (cores, load average).
"""
import argparse
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import nbformat
from playwright.sync_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
REPAINT_TIMEOUT_MS = 20_000
WARM_UP = 3
#: what each sample holds (ms): the total, and its three parts
PARTS = ("total", "until the new source or HTML", "decoding the image", "until painted")

# Arms a one-shot probe: resolves with the ms from the first input event to the repaint of `target`.
ARM = """([target, timeout]) => {
    const bench = window.__bench || (window.__bench = {t0: null});
    if (!bench.listening) {
        for (const type of ["pointerdown", "keydown", "input", "change"]) {
            document.addEventListener(type, () => { if (bench.t0 === null) bench.t0 = performance.now(); }, true);
        }
        bench.listening = true;
    }
    bench.t0 = null;
    bench.done = new Promise((resolve, reject) => {
        const timer = setTimeout(() => { observer.disconnect(); reject(new Error("no repaint within " + timeout + " ms")); },
                                 timeout);
        const observer = new MutationObserver(async () => {
            if (bench.t0 === null) return;  // a change that no input of ours caused
            observer.disconnect();
            clearTimeout(timer);
            const changed = performance.now();
            if (target.tagName === "IMG") await target.decode().catch(() => {});
            const decoded = performance.now();
            requestAnimationFrame(() => {
                const channel = new MessageChannel();
                channel.port1.onmessage = () => {
                    const end = performance.now();
                    resolve([end - bench.t0, changed - bench.t0, decoded - changed, end - decoded]);
                };
                channel.port2.postMessage(null);
            });
        });
        observer.observe(target, {attributes: true, attributeFilter: ["src"], childList: true, subtree: true,
                                  characterData: true});
    });
}"""


def _notebook(path):
    """The three widgets with a plot or a result, each tagged with a class the benchmark finds."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.cells = [nbformat.v4.new_code_cell("from course_utils.widgets import bug_lab, bug_picker_1d, epsilon_explorer"),
                nbformat.v4.new_code_cell("lab = bug_lab()\nlab.add_class('bench-lab')\nlab"),
                nbformat.v4.new_code_cell("explorer = epsilon_explorer()\nexplorer.add_class('bench-explorer')\nexplorer"),
                nbformat.v4.new_code_cell("picker = bug_picker_1d()\npicker.add_class('bench-picker')\npicker")]
    nbformat.write(nb, path)


def _measure(page, target, act, what):
    """ms from the input `act()` sends to the repaint of `target` (an ElementHandle)."""
    page.evaluate(ARM, [target, REPAINT_TIMEOUT_MS])
    act()
    try:
        return page.evaluate("() => window.__bench.done")
    except PlaywrightError as error:
        raise RuntimeError(f"{what}: {error}") from None


def _slider_steps(n, run):
    """Arrow keys for n one-step slider moves that stay inside the range: `run` down, `run` up, ..."""
    return ["ArrowLeft" if (k // run) % 2 == 0 else "ArrowRight" for k in range(n)]


def bug_lab_events(page, n):
    from course_utils.bugs import BUGS
    lab = page.locator(".bench-lab")
    lab.scroll_into_view_if_needed()
    image = lab.locator("img.widget-image").first.element_handle()
    names = [name for name in BUGS if not BUGS[name].needs_l2]  # at λ = 0 a needs_l2 bug changes nothing
    handle = lab.locator(".widget-slider .noUi-handle, .widget-slider .ui-slider-handle").first
    keys = iter(_slider_steps(n, 4))  # ε 1e-7 -> 1e-9 -> 1e-7 (steps of half a decade)
    actions, toggles = [], 0
    for k in range(n):
        if k % 3 == 2:  # one input in three moves ε, the others tick or untick a bug
            key = next(keys)
            actions.append(lambda key=key: (handle.focus(), handle.press(key)))
        else:  # tick a bug, then untick it, then the next bug
            box = lab.locator(f".bug-{names[(toggles // 2) % len(names)]} input[type='checkbox']")
            actions.append(lambda box=box: box.click())
            toggles += 1
    return image, actions


def explorer_events(page, n):
    explorer = page.locator(".bench-explorer")
    explorer.scroll_into_view_if_needed()
    image = explorer.locator("img.widget-image").first.element_handle()
    handle = explorer.locator(".widget-slider .noUi-handle, .widget-slider .ui-slider-handle").first
    return image, [lambda key=key: (handle.focus(), handle.press(key)) for key in _slider_steps(n, 8)]


def picker_events(page, n):
    from course_utils.lab import BUGS_1D, bug_picker_1d_state
    picker = page.locator(".bench-picker")
    picker.scroll_into_view_if_needed()
    table = picker.locator("table").first.element_handle().evaluate_handle("t => t.closest('.widget-html')")
    select = picker.locator("select").first
    labels, dtheta = [], None  # an order in which each bug's dθ differs from the previous one's: the table changes
    pool = list(BUGS_1D)[1:] + list(BUGS_1D)[:1]
    while pool:
        label = next(b for b in pool if bug_picker_1d_state(b)["dtheta"] != dtheta)
        pool.remove(label)
        labels.append(label)
        dtheta = bug_picker_1d_state(label)["dtheta"]
    handle = picker.locator(".widget-slider .noUi-handle, .widget-slider .ui-slider-handle").first
    actions = []
    for k in range(n):
        if k % 2:
            key = ["ArrowLeft", "ArrowRight"][(k // 2) % 2]  # 1e-7 -> 1e-8 -> 1e-7: inside the range
            actions.append(lambda key=key: (handle.focus(), handle.press(key)))
        else:
            label = labels[(k // 2) % len(labels)]
            actions.append(lambda label=label: select.select_option(label=label))
    return table, actions


WIDGETS = {"Bug Lab (04)": bug_lab_events, "ε explorer (01)": explorer_events, "1-D bug picker (02)": picker_events}


def percentile(values, q):
    """Nearest-rank percentile q (0-100) of values."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def run(events):
    """{widget: [latency ms, ...]} measured in one JupyterLab session."""
    sys.path.insert(0, str(ROOT / "tests"))
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright
    from test_browser import CHROMIUM_ARGS, _open_and_run_all, jupyterlab

    root = Path(tempfile.mkdtemp(prefix="bench-browser-"))
    try:
        _notebook(root / "bench.ipynb")
        with jupyterlab(root) as (base, token), sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                page.set_default_timeout(60_000)
                _open_and_run_all(page, (base, token, root), "bench.ipynb")
                page.locator(".bench-picker table").first.wait_for()  # the last cell has rendered
                page.wait_for_selector(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']")
                results = {}
                for name, events_of in WIDGETS.items():
                    target, actions = events_of(page, events + WARM_UP)
                    samples = [_measure(page, target, act, f"{name}, input {k + 1}") for k, act in enumerate(actions)]
                    results[name] = samples[WARM_UP:]
                return results
            finally:
                browser.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=30, help="measured inputs per widget (default 30, >= 30)")
    parser.add_argument("--out", type=Path, help="also write the results as JSON to this file")
    args = parser.parse_args(argv)
    if args.events < 30:
        parser.error(f"--events must be at least 30, got {args.events}")
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`", file=sys.stderr)
        return 2
    results = run(args.events)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Input event to repainted plot in JupyterLab + Chromium ({os.cpu_count()} cores, load average "
          f"{load:.2f} after the run), {args.events} inputs per widget:")
    summary = {}
    for name, samples in results.items():
        totals = [sample[0] for sample in samples]
        parts = {part: statistics.median(sample[k] for sample in samples) for k, part in enumerate(PARTS) if k}
        summary[name] = {"median_ms": statistics.median(totals), "p90_ms": percentile(totals, 90),
                         "min_ms": min(totals), "max_ms": max(totals), "events": len(totals),
                         "median_parts_ms": parts}
        s = summary[name]
        print(f"  {name:<20} median {s['median_ms']:6.1f} ms   p90 {s['p90_ms']:6.1f} ms   "
              f"(min {s['min_ms']:.1f}, max {s['max_ms']:.1f}; medians: "
              + ", ".join(f"{part} {ms:.1f}" for part, ms in parts.items()) + ")")
    if args.out:
        args.out.write_text(json.dumps({"summary": summary, "samples_ms": {name: [dict(zip(PARTS, sample)) for sample in samples]
                                                       for name, samples in results.items()}, "cores": os.cpu_count(),
                                        "load_average": load}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
