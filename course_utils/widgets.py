"""The course's interactive widgets: thin views over the pure lab state of course_utils.lab.

Factories (each RETURNS an ipywidgets container; it never displays anything itself):
- smoke_test()        notebook 00 -- a button that updates a label: do widgets render here?
- epsilon_explorer()  notebook 01 -- an epsilon slider: secant lines and error against epsilon
- bug_picker_1d()     notebook 02 -- J(theta) = theta * x with a chosen backward-pass bug and epsilon
- bug_lab()           notebook 04 -- tick bugs of course_utils.bugs.BUGS, see the gradient check react

Everything a widget shows is computed by a pure function of course_utils.lab (smoke_test_message,
epsilon_state, bug_picker_1d_state, bug_lab_state), tested without any widget; this module only
wires controls to those functions and draws. bug_picker_1d_state is re-exported here because
notebook 02 imports it from this module.

Static fallback: every widget returned is a container whose `_repr_mimebundle_` adds, next to the
live widget view, a `text/plain` summary of the current state (stable rounded numbers, so strict
nbval can compare it) and, where there is a plot, an `image/png` of it. A viewer without a kernel
or without ipywidgets (GitHub, nbviewer, a closed notebook) shows that picture or text instead.

Speed: a plot is one matplotlib Figure per widget with a fixed layout, drawn by blitting: what
does not move (axes, ticks, labels, legends, the ε explorer's error curves) is rendered once into a
cached background, and an input redraws only the artists it changes, updated in place, then
encodes the pixels as PNG (see _png). benchmarks/bench_widgets.py times that in Python,
benchmarks/bench_browser.py from the input event to the repainted plot in JupyterLab.
"""
import base64
import html
import struct
import time
import zlib

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from course_utils import plots
from course_utils.bugs import BUGS, validate_bugs
from course_utils.lab import (
    BUGS_1D,
    CORRECT_1D,
    FUNCTIONS,
    LAMBDAS,
    PICKER_POINT,
    SEEDS,
    bug_lab_state,
    bug_lab_text,
    bug_order,
    bug_picker_1d_state,
    epsilon_sentence,
    epsilon_state,
    fmt,
    fmt_eps,
    slope_text,
    smoke_test_message,
)

__all__ = ["bug_lab", "bug_picker_1d", "bug_picker_1d_state", "epsilon_explorer", "smoke_test"]

_DPI = 90  # text near its point size on screen (72 made legends ~6 px); more costs draw time
_PASS = "#009E73"  # Okabe-Ito green
_FAIL = "#D55E00"  # Okabe-Ito vermillion
_MARKER = "#D62728"  # the ε explorer's marker: plainly red (notebook 01 says "a red marker")
_NOTE = "#555555"
#: colour of each cause in the Bug Lab's table (the word is always written too)
CAUSE_COLOURS = {"ok": _PASS, "bug": _FAIL, "epsilon too large": "#CC79A7", "round-off": "#0072B2",
                 "kink": "#E69F00", "unreliable": _NOTE}
_NO_WIDGETS = ("If you see this text instead of controls, widgets are not rendering here: open the notebook "
               "in JupyterLab 4 or Notebook 7 with ipywidgets 8 installed (pip install -r requirements.txt), "
               "then run the cell again (Kernel > Restart Kernel and Run All Cells).")


# ----------------------------------------------------------------------------------------------
# Drawing helpers shared by the views


def _check_range(value, low, high, name):
    """A slider's starting value must be inside its range (ipywidgets would clamp it silently)."""
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {fmt_eps(low)} and {fmt_eps(high)} (the slider's range), "
                         f"got {value!r}")


def _png(rgba):
    """PNG bytes of an (h, w, 4) uint8 RGBA array, alpha dropped.

    A minimal encoder: no per-row filters, zlib level 1 -- a few ms where PIL's adaptive filters take
    10-25 ms for the same plot; the file is about as small (plots are mostly flat colour).
    """
    h, w, _ = rgba.shape
    raw = np.empty((h, 1 + 3 * w), dtype=np.uint8)
    raw[:, 0] = 0  # filter type "none" for every row
    raw[:, 1:].reshape(h, w, 3)[...] = rgba[:, :, :3]  # one strided copy

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw.tobytes(), 1))
            + chunk(b"IEND", b""))


class _FixedLayoutFigure(Figure):
    """A Figure whose margins are set once: tight_layout() from plotting functions is a no-op.

    Re-running the layout on every redraw costs more than the rest of the drawing.
    """

    def tight_layout(self, *args, **kwargs):
        pass


class _Blitter:
    """A figure whose static part is rendered once; render() draws the dynamic artists over it.

    dynamic -- the artists that change between renders (updated in place by the caller).
    The background is rendered with them hidden whenever invalidate() was called.
    """

    def __init__(self, figsize, **margins):
        self.figure = _FixedLayoutFigure(figsize=figsize, dpi=_DPI)
        self.canvas = FigureCanvasAgg(self.figure)
        self.figure.subplots_adjust(**margins)
        self.dynamic = []
        self._background = None

    def invalidate(self):
        self._background = None

    def render(self):
        """PNG bytes of the figure as it is now."""
        if self._background is None:
            self.canvas.draw()  # a full draw first: it places the titles where they belong
            titles = [(ax.title, ax.title.get_position()) for ax in self.figure.axes]
            visible = [a.get_visible() for a in self.dynamic]
            for artist in self.dynamic:
                artist.set_visible(False)
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            for artist, shown in zip(self.dynamic, visible):
                artist.set_visible(shown)
            for title, position in titles:  # the draw with hidden titles moved them
                title.set_position(position)
        self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for artist in sorted(self.dynamic, key=lambda a: a.get_zorder()):
            if artist.get_visible():
                artist.draw(renderer)
        return _png(np.asarray(self.canvas.buffer_rgba()))


class StaticFallbackBox(widgets.VBox):
    """A VBox whose display also carries text/plain and image/png of the current state.

    Subclasses set `static_text()` and `static_png()`; a front end that renders widgets shows the
    live widget, any other viewer falls back to the picture (or the text).
    """

    def static_text(self):
        return ""

    def static_png(self):
        return None

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs) or {}
        data = dict(data)
        data["text/plain"] = self.static_text()
        png = self.static_png()
        if png:
            data["image/png"] = base64.b64encode(png).decode("ascii")
        return data


# ----------------------------------------------------------------------------------------------
# Notebook 00: smoke test


class SmokeTest(StaticFallbackBox):
    """A button and a label; clicking updates the label from Python."""

    def __init__(self):
        self.clicks = 0
        self.button = widgets.Button(description="Click me", button_style="primary", icon="check")
        self.label = widgets.HTML(value=smoke_test_message(0))
        self.button.on_click(self._clicked)
        super().__init__([widgets.HTML("<b>Widget smoke test</b>"), widgets.HBox([self.button, self.label])])

    def _clicked(self, _button=None):
        self.clicks += 1
        self.label.value = smoke_test_message(self.clicks)

    def static_text(self):
        return ("Widget smoke test: a button labelled 'Click me' should appear here, and clicking it should "
                "change the text next to it.\n" + _NO_WIDGETS + " If the button shows but clicking changes "
                "nothing, the kernel is not connected: restart it and run the cell again.")


def smoke_test():
    """A tiny widget proving that widgets render and talk to the kernel. Returns the widget."""
    return SmokeTest()


# ----------------------------------------------------------------------------------------------
# Notebook 01: epsilon explorer

_EXPLORER_HALF_WIDTH = 1.25  # the left panel shows x0 ± 1.25 for every ε (the slider stops at ε = 1)


class _ExplorerPlot:
    """Left: the curve, its tangent and the two secants; right: error against ε with a red marker.

    The curve, the tangent, the error curves, axes and legends depend only on the function and x0:
    they are the cached background. Moving ε moves the secants, the three points, the marker and
    the two titles.
    """

    def __init__(self):
        self.blitter = _Blitter((12.5, 4.3), left=0.05, right=0.985, bottom=0.13, top=0.91, wspace=0.2)
        self.left, self.right = self.blitter.figure.subplots(1, 2)
        self.key = None

    def _build(self, s):
        """Draw the static part for the function and x0 of state s, and create the moving artists."""
        f = FUNCTIONS[s["function"]][0]
        left, right = self.left, self.right
        left.clear()
        right.clear()
        x0 = s["x0"]
        self.xs = np.linspace(x0 - _EXPLORER_HALF_WIDTH, x0 + _EXPLORER_HALF_WIDTH, 200)
        ys = f(self.xs)
        left.plot(self.xs, ys, color="black", linewidth=1.5, label=s["formula"])
        left.plot(self.xs, s["f0"] + s["exact"] * (self.xs - x0), color="grey", linewidth=1.2,
                  label=f"tangent, slope {fmt(s['exact'], 4)}")
        self.forward_line, = left.plot(self.xs, ys, "--", color=plots.PALETTE[0], linewidth=1.2,
                                       label="forward secant (through x0, x0 + ε)")
        self.centered_line, = left.plot(self.xs, ys, "-.", color=plots.PALETTE[1], linewidth=1.2,
                                        label="centered secant (through x0 − ε, x0 + ε)")
        # colours as in the right panel (plots.plot_error_vs_epsilon: forward PALETTE[0], centered PALETTE[1])
        self.points, = left.plot([x0] * 3, [s["f0"]] * 3, "o", color="black", markersize=4)
        span = ys.max() - ys.min()
        left.set_xlim(self.xs[0], self.xs[-1])
        left.set_ylim(ys.min() - 0.2 * span, ys.max() + 0.2 * span)
        left.set_xlabel("x")
        left.legend(fontsize=8, frameon=False, loc="upper left")
        plots.plot_error_vs_epsilon(s["epsilons"], {"forward": s["forward_errors"], "centered": s["centered_errors"]},
                                    ax=right, labels={"forward": "forward difference",
                                                      "centered": "centered difference"})
        right.set_xlim(right.get_xlim())  # fixed: the marker must not rescale the axes
        right.set_ylim(right.get_ylim())
        self.vline = right.axvline(s["epsilon"], color=_MARKER, linewidth=1, zorder=4)
        self.marker, = right.plot([1.0, 1.0], [1.0, 1.0], "o", color=_MARKER, markersize=7, zorder=5)
        right.set_title(" ")
        left.set_title(" ")
        self.blitter.dynamic = [self.forward_line, self.centered_line, self.points, self.vline, self.marker,
                                left.title, right.title]
        self.blitter.invalidate()

    def render(self, s):
        """PNG bytes of the explorer for state s (an epsilon_state)."""
        key = (s["function"], s["x0"])
        if key != self.key:
            self._build(s)
            self.key = key
        f = FUNCTIONS[s["function"]][0]
        x0, e, xs = s["x0"], s["epsilon"], self.xs
        self.forward_line.set_ydata(s["f0"] + s["forward"] * (xs - x0))
        # the centered secant passes through (x0 - e, f(x0 - e)) and (x0 + e, f(x0 + e))
        self.centered_line.set_ydata(f(x0 - e) + s["centered"] * (xs - (x0 - e)))
        pts = [x0 - e, x0, x0 + e]
        self.points.set_data(pts, [f(p) for p in pts])
        self.vline.set_xdata([e, e])
        self.marker.set_data([e, e], [max(s["forward_error"], 1e-18), max(s["centered_error"], 1e-18)])
        self.left.set_title(f"Secants at x0 = {fmt(x0)} with ε = {fmt_eps(e)}")
        self.right.set_title(f"Error against ε (red: now, ε = {fmt_eps(e)})")
        return self.blitter.render()


class EpsilonExplorer(StaticFallbackBox):
    """An epsilon slider and a function dropdown over epsilon_state: secants and error against ε.

    Attributes for code and tests: slider, function, image (PNG bytes in .value), text (HTML),
    state (the last epsilon_state), png, timings (seconds of the last update: compute, draw).
    """

    def __init__(self, epsilon=0.5, function="cube", x0=1.0):
        self.x0 = float(x0)
        epsilon_state(epsilon, function, self.x0)  # bad arguments fail here, with a clear message
        _check_range(epsilon, 1e-12, 1.0, "epsilon")
        self.slider = widgets.FloatLogSlider(value=epsilon, base=10, min=-12, max=0, step=0.25,
                                             description="ε", readout_format=".1e", continuous_update=False,
                                             style={"description_width": "2em"},
                                             layout=widgets.Layout(width="420px"))
        self.function = widgets.Dropdown(options=[(FUNCTIONS[k][-1], k) for k in FUNCTIONS], value=function,
                                         description="function", layout=widgets.Layout(width="240px"))
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))  # native size: no shrunken text
        self.image.add_class("epsilon-explorer-plot")
        self.text = widgets.HTML()
        self.plot = _ExplorerPlot()
        self.slider.observe(self.update, names="value")
        self.function.observe(self.update, names="value")
        super().__init__([widgets.HBox([self.slider, self.function]), self.image, self.text])
        self.add_class("epsilon-explorer")
        self.update()

    def update(self, _change=None):
        t0 = time.perf_counter()
        self.state = s = epsilon_state(self.slider.value, self.function.value, self.x0)
        t1 = time.perf_counter()
        self.png = self.plot.render(s)
        t2 = time.perf_counter()
        self.image.value = self.png  # the plot first: it is what the student watches
        self.text.value = (f"<p>{html.escape(epsilon_sentence(s))}<br><span class='epsilon-explorer-slopes' "
                           f"style='color:{_NOTE}'>{html.escape(explorer_slopes(s))}</span></p>")
        self.timings = {"compute": t1 - t0, "draw": t2 - t1}

    def static_text(self):
        return ("Epsilon explorer: a slider for ε, the forward and centered secants of "
                f"{self.state['formula']} at x0 = {fmt(self.x0)}, and the error against ε.\n"
                + epsilon_sentence(self.state) + "\n" + _NO_WIDGETS)

    def static_png(self):
        return self.png


def explorer_slopes(state):
    """The slopes of an epsilon_state, each with digits up to the first that differs from the exact slope."""
    exact = state["exact"]
    return (f"Slopes: forward {slope_text(state['forward'], exact)}, centered {slope_text(state['centered'], exact)}, "
            f"exact {fmt(exact, 6)} (digits shown up to the first that differs from the exact slope).")


def epsilon_explorer(epsilon=0.5, function="cube", x0=1.0):
    """The epsilon explorer widget of notebook 01. Returns the widget (does not display it).

    epsilon -- initial ε (between 1e-12 and 1, the slider's range); function -- "cube" (x³) or "sin";
    x0 -- the point of the derivative
    """
    return EpsilonExplorer(epsilon, function, x0)


# ----------------------------------------------------------------------------------------------
# Notebook 02: 1-D bug picker


class BugPicker1D(StaticFallbackBox):
    """A bug dropdown and an epsilon slider over bug_picker_1d_state, shown as a small table."""

    def __init__(self, bug=None, epsilon=1e-7):
        bug_picker_1d_state(bug or CORRECT_1D, epsilon)  # bad arguments fail here, with a clear message
        _check_range(epsilon, 1e-12, 1e-1, "epsilon")
        self.bug = widgets.Dropdown(options=list(BUGS_1D), value=bug or CORRECT_1D,
                                    description="backward pass", style={"description_width": "initial"},
                                    layout=widgets.Layout(width="380px"))
        self.epsilon = widgets.FloatLogSlider(value=epsilon, base=10, min=-12, max=-1, step=1, description="ε",
                                              readout_format=".0e", continuous_update=False,
                                              style={"description_width": "2em"})
        self.table = widgets.HTML()
        self.table.add_class("bug-picker-table")
        self.bug.observe(self.update, names="value")
        self.epsilon.observe(self.update, names="value")
        self.x, self.theta = PICKER_POINT
        super().__init__([widgets.HTML(f"<b>J(θ) = θ·x with x = {fmt(self.x)}, θ = {fmt(self.theta)}</b> — θ = {fmt(self.theta)} "
                                       "(not 4), so that every backward pass in the list returns a different dθ"),
                          widgets.HBox([self.bug, self.epsilon]), self.table])
        self.add_class("bug-picker")
        self.update()

    def update(self, _change=None):
        self.state = s = bug_picker_1d_state(self.bug.value, self.epsilon.value, *PICKER_POINT)
        colour = _PASS if s["passed"] else _FAIL
        verdict = "pass" if s["passed"] else "fail"
        rows = [("J = θx", fmt(s["J"], 6)), ("dθ (backward pass)", fmt(s["dtheta"], 6)),
                (f"gradapprox (centered, ε = {fmt_eps(s['epsilon'])})", fmt(s["gradapprox"], 10)),
                ("difference", (f"<b style='color:{colour}'>{s['difference']:.2e}</b> "
                               f"{'<' if s['passed'] else '≥'} threshold {fmt_eps(s['threshold'])}: "
                               f"<b style='color:{colour}'>{verdict}</b>"))]
        body = "".join(f"<tr><td style='padding:2px 12px 2px 0'>{html.escape(k)}</td><td>{v}</td></tr>"
                       for k, v in rows)
        self.table.value = f"<table>{body}</table><p>{html.escape(s['sentence'])}</p>"

    def static_text(self):
        s = self.state
        return (f"1-D bug picker (x = {fmt(s['x'])}, θ = {fmt(s['theta'])}): backward pass '{s['bug']}', "
                f"ε = {fmt_eps(s['epsilon'])}: J = {fmt(s['J'], 6)}, "
                f"dθ = {fmt(s['dtheta'], 6)}, gradapprox ≈ {fmt(s['gradapprox'], 6)}.\n{s['sentence']}\n"
                + _NO_WIDGETS)


def bug_picker_1d(bug=None, epsilon=1e-7):
    """The 1-D bug picker of notebook 02. Returns the widget (does not display it).

    bug -- initial key of BUGS_1D (None: the correct pass); epsilon -- initial ε
    """
    return BugPicker1D(bug, epsilon)


# ----------------------------------------------------------------------------------------------
# Notebook 04: the Bug Lab

_FLOOR = 1e-12  # errors below are drawn at this floor (as plots.plot_parameter_errors does)


class _ErrorPlot:
    """The Bug Lab's per-parameter error plot, the look of plots.plot_parameter_errors, updated in place.

    One scatter, bar and name per tensor are created once; render(result) moves them. The axes, the
    threshold line and the legend never change (the legend names tensors, not suspects: a suspect's
    entries are drawn larger with a black outline and its name in bold; the summary above the plot
    names the suspects in words), so they are the cached background.
    """

    def __init__(self, keys, threshold):
        self.blitter = _Blitter((10, 3.6), left=0.085, right=0.83, bottom=0.14, top=0.9)
        ax = self.ax = self.blitter.figure.add_subplot()
        self.keys = np.asarray(keys)
        self.names = list(dict.fromkeys(keys))
        n = self.keys.size
        index = np.arange(n)
        self.scatters, self.kink_scatters, self.bars, self.labels, self.centers = {}, {}, {}, {}, []
        for k, name in enumerate(self.names):
            colour, marker = plots.tensor_style(k)
            where = index[self.keys == name]
            self.scatters[name] = ax.scatter(where, np.full(where.size, _FLOOR), s=22, color=colour, marker=marker,
                                             label=name, edgecolors="none", linewidths=plots.SUSPECT_LINEWIDTH,
                                             zorder=3)
            self.kink_scatters[name] = ax.scatter([], [], s=40, facecolors="none", edgecolors=colour, marker=marker,
                                                  linewidths=1.2, zorder=3)
            self.bars[name] = ax.hlines(_FLOOR, where[0] - 0.4, where[-1] + 0.4, color=colour, linewidth=2.5,
                                        alpha=0.6, zorder=2)
            self.centers.append((where[0] + where[-1]) / 2)
            self.labels[name] = ax.text(self.centers[-1], _FLOOR, f" {name}", color=colour, ha="center",
                                        va="bottom", fontsize=9, zorder=4)
        ax.axhline(threshold, color=plots.THRESHOLD_COLOR, linestyle="--", linewidth=1,
                   label=plots.threshold_label(threshold))
        ax.scatter([], [], s=plots.SUSPECT_SIZE, color="white", edgecolors=plots.SUSPECT_EDGE,
                   linewidths=plots.SUSPECT_LINEWIDTH, label=plots.SUSPECT_LABEL)
        ax.scatter([], [], s=40, facecolors="none", edgecolors="grey", label="at a ReLU kink")
        ax.set_yscale("log")
        ax.set_xlim(-1, n)
        ax.set_ylim(_FLOOR / 3, 30)  # room above 1 for the names of tensors whose difference is near 1
        ax.set_xlabel("entry of θ (W1, b1, W2, … flattened; errors below 1e-12 drawn at 1e-12)")
        ax.set_ylabel("error of the entry (log)")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=9, frameon=False)
        ax.grid(True, which="major", axis="y", alpha=0.3)
        ax.set_title("Error of every entry of θ; bars: each tensor's block difference")
        self.blitter.dynamic = (list(self.scatters.values()) + list(self.kink_scatters.values())
                                + list(self.bars.values()) + list(self.labels.values()))

    def render(self, result):
        """PNG bytes of the plot of a GradCheckResult (of the classic network's keys)."""
        errors = np.asarray(result.errors, dtype=float)
        shown = np.where(errors > _FLOOR, errors, _FLOOR)
        index = np.arange(errors.size)
        heights = [max(result.block_differences[name], _FLOOR) for name in self.names]
        sides = plots.label_sides(self.centers, heights)
        for name, height, side in zip(self.names, heights, sides):
            where = (self.keys == name) & result.checked
            plain, kink = where & ~result.kinks, where & result.kinks
            suspect = name in result.suspects
            self.scatters[name].set_offsets(np.column_stack([index[plain], shown[plain]]))
            self.scatters[name].set_edgecolors(plots.SUSPECT_EDGE if suspect else "none")
            self.scatters[name].set_sizes([plots.SUSPECT_SIZE if suspect else 22])
            self.kink_scatters[name].set_offsets(np.column_stack([index[kink], shown[kink]]))
            (start, _), (stop, _) = self.bars[name].get_segments()[0]
            self.bars[name].set_segments([[(start, height), (stop, height)]])
            label = self.labels[name]
            label.set_y(height * plots.LABEL_NUDGE[side])
            label.set_verticalalignment("bottom" if side == "above" else "top")
            label.set_fontweight("bold" if suspect else "normal")
            label.set_text(plots.tensor_label(name, suspect))
        return self.blitter.render()


def bug_lab_table_html(state):
    """The block-difference table of a bug_lab_state as an HTML string (cause = result.causes)."""
    head = ("<tr><th style='text-align:left;padding-right:14px'>tensor</th>"
            "<th style='text-align:right;padding-right:14px'>block difference</th>"
            "<th style='text-align:left;padding-right:14px'>cause</th>"
            "<th style='text-align:left'>ticked bugs that corrupt it</th></tr>")
    body = ""
    for row in state["table_rows"]:
        colour = CAUSE_COLOURS[row["cause"]]
        body += (f"<tr><td style='padding-right:14px'><b>{row['tensor']}</b></td>"
                 f"<td style='text-align:right;padding-right:14px;font-family:monospace'>{row['difference']:.1e}</td>"
                 f"<td style='padding-right:14px;color:{colour}'><b>{html.escape(row['cause'])}</b></td>"
                 f"<td style='color:{_NOTE}'>{html.escape(', '.join(row['catalog']) or '—')}</td></tr>")
    return f"<table class='bug-lab-table' style='border-collapse:collapse'>{head}{body}</table>"


def bug_lab_summary_html(state):
    """Overall difference, verdict, the sentence and the notes, as HTML."""
    passed = state["passed"]
    colour = CAUSE_COLOURS["ok" if state["verdict"] == "pass" else state["verdict"]]
    sign = "<" if passed else "≥"
    overall = (f"<div class='bug-lab-overall'>Overall difference <b style='color:{colour}'>"
               f"{state['difference']:.2e}</b> {sign} threshold {fmt_eps(state['threshold'])}: "
               f"<b style='color:{colour}'>{html.escape(state['verdict'])}</b></div>")
    sentence = (f"<div class='bug-lab-sentence' style='font-size:1.1em;margin:4px 0'>"
                f"{html.escape(state['sentence'])}</div>")
    notes = "".join(f"<div style='color:{_NOTE}'>Note: {html.escape(n)}</div>" for n in state["notes"])
    return overall + sentence + notes + suspects_html(state)


def suspects_sentence(state):
    """The plot's key in words: which tensors are suspects, how the plot marks them, what the dashed line is."""
    suspects = state["suspects"]
    named = (f"Suspects (tensors whose gradient the checker finds wrong): {', '.join(suspects)} -- on the plot "
             "their points are larger, with a black outline, and their names bold." if suspects else
             "Suspects: none -- the checker finds no tensor's gradient wrong.")
    return (named + f" The dashed line is the threshold of the overall difference ({fmt_eps(state['threshold'])}); a "
            "correct tensor's bar can sit above it from round-off alone: the checker weighs each tensor against its own "
            "round-off.")


def suspects_html(state):
    """suspects_sentence as HTML (class bug-lab-suspects)."""
    return (f"<div class='bug-lab-suspects' style='color:{_NOTE};margin:2px 0 4px 0'>"
            f"{html.escape(suspects_sentence(state))}</div>")


class BugLab(StaticFallbackBox):
    """Checkboxes for the bug catalog, ε, data seed, λ and reset, over bug_lab_state.

    Under every checkbox a line says what its bug does (the catalog's description). Attributes for
    code and tests: checkboxes (name -> Checkbox), descriptions (name -> HTML), bug_cells (name -> the
    VBox of both, laid out in a grid of two columns), epsilon, seed, lambd, reset, image (the plot, PNG bytes in
    .value), table, summary (HTML), state (the last bug_lab_state), png, timings (seconds of the last update: recompute, draw).
    """

    def __init__(self, seed=1, bugs=(), epsilon=1e-7, lambd=0.0):
        self.defaults = {"seed": seed, "bugs": tuple(validate_bugs(bugs)), "epsilon": epsilon, "lambd": float(lambd)}
        first = bug_lab_state(bugs, epsilon, seed, lambd)  # bad arguments fail here, with a clear message
        if seed not in SEEDS:
            raise ValueError(f"seed must be one of {SEEDS}, got {seed!r}")
        if float(lambd) not in LAMBDAS:
            raise ValueError(f"lambd must be one of {LAMBDAS}, got {lambd!r}")
        _check_range(epsilon, 1e-10, 1e-1, "epsilon")
        self._hold = False
        self.checkboxes, self.descriptions = {}, {}
        for name in bug_order():
            bug = BUGS[name]
            label = name + ("  (needs λ > 0)" if bug.needs_l2 else "")
            box = widgets.Checkbox(value=name in bugs, description=label, indent=False,
                                   description_allow_html=False, layout=widgets.Layout(width="auto"))
            box.add_class(f"bug-{name}")
            box.observe(self.update, names="value")
            self.checkboxes[name] = box
            # what the bug does, in a line under its checkbox (ipywidgets shows no tooltip on a
            # checkbox that has a description)
            self.descriptions[name] = widgets.HTML(
                f"<div style='color:{_NOTE};font-size:0.85em;line-height:1.25;margin:-4px 0 4px 1.7em'>"
                f"{html.escape(bug.description)}</div>")
            self.descriptions[name].add_class(f"bug-{name}-description")
        self.epsilon = widgets.FloatLogSlider(value=epsilon, base=10, min=-10, max=-1, step=0.5, description="ε",
                                              readout_format=".0e", continuous_update=False,
                                              style={"description_width": "5em"})
        self.seed = widgets.Dropdown(options=[("1 (classic test case)" if s == 1 else str(s), s) for s in SEEDS],
                                     value=seed, description="data seed", style={"description_width": "5em"})
        self.lambd = widgets.Dropdown(options=[(fmt(v), v) for v in LAMBDAS], value=float(lambd),
                                      description="L2 λ", style={"description_width": "5em"})
        self.reset = widgets.Button(description="Reset", icon="undo", tooltip="back to the starting state")
        for control in (self.epsilon, self.seed, self.lambd):
            control.observe(self.update, names="value")
        self.reset.on_click(self._reset)
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))  # native size: no shrunken text
        self.image.add_class("bug-lab-plot")
        self.table = widgets.HTML()
        self.summary = widgets.HTML()
        self.plot = _ErrorPlot(first["result"].keys, first["threshold"])
        self.bug_cells = {name: widgets.VBox([self.checkboxes[name], self.descriptions[name]]) for name in self.checkboxes}
        bug_grid = widgets.GridBox(list(self.bug_cells.values()), layout=widgets.Layout(
            grid_template_columns="repeat(2, minmax(0, 460px))", grid_gap="0 24px"))
        for control in (self.epsilon, self.seed, self.lambd):
            control.layout.width = "290px"
        controls = widgets.HBox([self.epsilon, self.seed, self.lambd, self.reset],
                                layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([widgets.HTML("<b>Bugs in the backward pass</b> (tick any)"), bug_grid,
                          widgets.HTML("<b>Check</b>"), controls, self.summary, self.image, self.table])
        self.add_class("bug-lab")
        self.update(state=first)

    def selected(self):
        """Names of the ticked bugs, classic ones first."""
        return [name for name, box in self.checkboxes.items() if box.value]

    def _reset(self, _button=None):
        self._hold = True  # one recompute for the whole reset, not one per control
        try:
            for name, box in self.checkboxes.items():
                box.value = name in self.defaults["bugs"]
            self.epsilon.value = self.defaults["epsilon"]
            self.seed.value = self.defaults["seed"]
            self.lambd.value = self.defaults["lambd"]
        finally:
            self._hold = False
        self.update()

    def update(self, _change=None, state=None):
        """Recompute the check for the controls' values and redraw everything (the plot first)."""
        if self._hold:
            return
        t0 = time.perf_counter()
        self.state = state or bug_lab_state(self.selected(), self.epsilon.value, self.seed.value, self.lambd.value)
        t1 = time.perf_counter()
        self.png = self.draw(self.state)
        t2 = time.perf_counter()
        self.image.value = self.png
        self.summary.value = bug_lab_summary_html(self.state)
        self.table.value = bug_lab_table_html(self.state)
        self.timings = {"recompute": t1 - t0, "draw": t2 - t1}

    def draw(self, state):
        """Redraw the per-parameter error plot; return PNG bytes."""
        return self.plot.render(state["result"])

    def static_text(self):
        return bug_lab_text(self.state) + "\n" + _NO_WIDGETS

    def static_png(self):
        return self.png


def bug_lab(seed=1, bugs=(), epsilon=1e-7, lambd=0.0):
    """The Bug Lab of notebook 04. Returns the widget (does not display it).

    seed -- initial data seed (one of course_utils.lab.SEEDS; 1: the classic test case)
    bugs -- initially ticked bug names; epsilon -- initial ε; lambd -- initial L2 strength (one of LAMBDAS)
    """
    return BugLab(seed, bugs, epsilon, lambd)
