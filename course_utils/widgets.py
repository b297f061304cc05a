"""The course's interactive widgets: thin views over pure, tested state functions.

Factories (each RETURNS an ipywidgets container; it never displays anything itself):
- smoke_test()        notebook 00 -- a button that updates a label: do widgets render here?
- epsilon_explorer()  notebook 01 -- an epsilon slider: secant lines and error against epsilon
- bug_picker_1d()     notebook 02 -- J(theta) = theta * x with a chosen backward-pass bug and epsilon
- bug_lab()           notebook 04 -- tick bugs of course_utils.bugs.BUGS, see the gradient check react

Pure functions behind them (unit-tested without any widget):
smoke_test_message(clicks), epsilon_state(epsilon, function, x0),
bug_picker_1d_state(bug, epsilon), bug_lab_state(bugs, epsilon, seed, lambd).

Static fallback: every widget returned is a container whose `_repr_mimebundle_` adds, next to the
live widget view, a `text/plain` summary of the current state (stable rounded numbers, so strict
nbval can compare it) and, where there is a plot, an `image/png` of it. A viewer without a kernel
or without ipywidgets (GitHub, nbviewer, a closed notebook) shows that picture or text instead.

Plots are drawn on one reused matplotlib Figure (no pyplot, nothing to close) and shown as PNG
bytes in an ipywidgets.Image: each change replaces Image.value, no Output widget is involved.
"""
import base64
import html
import io

import ipywidgets as widgets
import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from course_utils import plots
from course_utils.bugs import BUGS, COLLEAGUE_BUGS, validate_bugs
from course_utils.gradcheck import THRESHOLD, check_gradients, relative_difference
from course_utils.network import CLASSIC_SHAPES as network_classic_shapes
from course_utils.network import (NetworkCost, backward_propagation_deep, backward_propagation_n, classic_cost,
                                  forward_propagation_deep, forward_propagation_n, gradient_check_n_test_case)

#: the pass/fail line of the N-D check (the fixed classic pass gives about 1.19e-7, see COURSE.md)
THRESHOLD_ND = THRESHOLD  # course_utils.gradcheck.THRESHOLD
#: the pass/fail line of the 1-D check
THRESHOLD_1D = 1e-7
#: the two bugs of the colleague's backward pass of the original assignment
CLASSIC_BUGS = COLLEAGUE_BUGS  # course_utils.bugs
#: shapes of the classic network, in the order the classic test case draws them (after X)
CLASSIC_SHAPES = tuple(network_classic_shapes.items())  # course_utils.network.CLASSIC_SHAPES
#: data seeds offered by the Bug Lab (1 is the classic test case)
SEEDS = (1, 2, 3, 4, 5)
#: L2 strengths offered by the Bug Lab
LAMBDAS = (0.0, 0.1, 0.7)

_DPI = 90  # text near its point size on screen (72 made legends ~6 px); more costs draw time
_PASS = "#009E73"  # Okabe-Ito green
_FAIL = "#D55E00"  # Okabe-Ito vermillion
_NOTE = "#555555"
_NO_WIDGETS = ("If you see this text instead of controls, widgets are not rendering here: open the notebook "
               "in JupyterLab 4 or Notebook 7 with ipywidgets 8 installed (pip install -r requirements.txt), "
               "then run the cell again (Kernel > Restart Kernel and Run All Cells).")


# ----------------------------------------------------------------------------------------------
# Helpers shared by the views


def bug_order():
    """Catalog names with the two classic bugs first, then the rest in catalog order."""
    return list(CLASSIC_BUGS) + [name for name in BUGS if name not in CLASSIC_BUGS]


def _fmt(x, digits=2):
    """A float for people: 3 significant digits at most, '0' for zero."""
    return "0" if x == 0 else f"{x:.{digits}g}"


def _eps(x):
    """Epsilon as '1e-07' when it is a power of ten, else '3.2e-07'."""
    text = f"{x:.1e}"
    return text.replace(".0e", "e")


class _Plot:
    """One matplotlib Figure, reused for every redraw and rendered to PNG bytes (fast, no pyplot)."""

    def __init__(self, figsize, ncols=1):
        self.figure = Figure(figsize=figsize, dpi=_DPI)
        self.canvas = FigureCanvasAgg(self.figure)
        self.axes = [self.figure.add_subplot(1, ncols, k + 1) for k in range(ncols)]

    def clear(self):
        for ax in self.axes:
            ax.clear()

    def png(self):
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=_DPI)
        return buffer.getvalue()


class _FixedLayoutFigure(Figure):
    """A Figure whose margins are set once: tight_layout() from plotting functions is a no-op.

    Re-running the layout on every redraw costs more than the rest of the drawing.
    """

    def tight_layout(self, *args, **kwargs):
        pass


class _BlitPlot:
    """A one-axes figure redrawn by blitting: the frame, ticks and labels are rendered once.

    redraw(plot_function) clears the axes, lets plot_function(ax) draw on it, and renders only
    the data artists (collections, lines, texts, legend, title) over the cached background, which
    is rebuilt whenever the axes' limits or labels change. Returns PNG bytes.
    """

    def __init__(self, figsize, margins):
        self.figure = _FixedLayoutFigure(figsize=figsize, dpi=_DPI)
        self.canvas = FigureCanvasAgg(self.figure)
        self.ax = self.figure.add_subplot()
        self.figure.subplots_adjust(**margins)
        self._background, self._key = None, None
        self._legends = {}  # (axes key, legend labels) -> saved pixels

    def _dynamic(self):
        ax = self.ax
        legend = [ax.get_legend()] if ax.get_legend() is not None else []
        return list(ax.collections) + list(ax.lines) + list(ax.texts) + list(ax.patches) + legend + [ax.title]

    def _remove_data(self):
        """Remove what the last plot drew, keeping the axes and their ticks (ax.clear() is slow)."""
        ax = self.ax
        for artist in list(ax.collections) + list(ax.lines) + list(ax.texts) + list(ax.patches):
            artist.remove()
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        ax.set_title("")
        ax.relim()
        ax.set_prop_cycle(None)

    def redraw(self, plot_function):
        ax = self.ax
        self._remove_data()
        plot_function(ax)
        key = (ax.get_xlim(), ax.get_ylim(), ax.get_xscale(), ax.get_yscale(),  # also un-stales the limits
               ax.get_xlabel(), ax.get_ylabel())
        dynamic = self._dynamic()
        if key != self._key:
            for artist in dynamic:
                artist.set_visible(False)
            self.canvas.draw()
            self._background, self._key = self.canvas.copy_from_bbox(self.figure.bbox), key
            for artist in dynamic:
                artist.set_visible(True)
            ax.title.set_y(1.0)  # a full draw re-positions the title, here from a hidden one; put it back
        self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        legend = ax.get_legend()
        legend_key = (key, tuple(t.get_text() for t in legend.get_texts())) if legend is not None else None
        cached = self._legends.get(legend_key)
        if cached is not None:  # same labels as drawn before: paste its pixels (text is the slow part)
            self.canvas.restore_region(cached)
            dynamic.remove(legend)
        for artist in sorted(dynamic, key=lambda a: a.get_zorder()):
            artist.draw(renderer)
        if legend is not None and cached is None and legend.get_bbox_to_anchor().x0 >= ax.bbox.x1:
            # a legend outside the axes owns its pixels: keep them for the next time
            self._legends[legend_key] = self.canvas.copy_from_bbox(legend.get_window_extent(renderer).padded(2))
        width, height = self.canvas.get_width_height()
        buffer = io.BytesIO()
        PIL.Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1).save(
            buffer, format="png", compress_level=1)
        return buffer.getvalue()


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


def smoke_test_message(clicks):
    """The label of the smoke test after `clicks` clicks (int >= 0)."""
    if clicks == 0:
        return "Click the button: this text should change."
    times = "once" if clicks == 1 else f"{clicks} times"
    return f"Widgets work: you clicked {times}."


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

#: name -> (f, f', formula)
FUNCTIONS = {
    "cube": (lambda x: x ** 3, lambda x: 3 * x ** 2, "f(x) = x³"),
    "sin": (np.sin, np.cos, "f(x) = sin(x)"),
}
EXPLORER_EPSILONS = np.logspace(0, -12, 49)


def epsilon_state(epsilon, function="cube", x0=1.0):
    """Forward and centered differences of a test function at x0 for one epsilon.

    epsilon -- the step (> 0); function -- a key of FUNCTIONS ("cube": x³, "sin"); x0 -- the point
    Returns a dict: formula, x0, f0 = f(x0), exact = f'(x0), forward, centered (the two slopes),
    forward_error, centered_error (absolute errors), and the curves over EXPLORER_EPSILONS:
    epsilons (k,), forward_errors (k,), centered_errors (k,).
    """
    if function not in FUNCTIONS:
        raise ValueError(f"function must be one of {sorted(FUNCTIONS)}, got {function!r}")
    epsilon = float(epsilon)
    if not np.isfinite(epsilon) or epsilon <= 0:
        raise ValueError(f"epsilon must be a positive number, got {epsilon!r}")
    f, df, formula = FUNCTIONS[function]
    exact = float(df(x0))

    def forward(e):
        return (f(x0 + e) - f(x0)) / e

    def centered(e):
        return (f(x0 + e) - f(x0 - e)) / (2 * e)

    eps = EXPLORER_EPSILONS
    return dict(formula=formula, function=function, x0=float(x0), f0=float(f(x0)), exact=exact, epsilon=epsilon,
                forward=float(forward(epsilon)), centered=float(centered(epsilon)),
                forward_error=float(abs(forward(epsilon) - exact)),
                centered_error=float(abs(centered(epsilon) - exact)),
                epsilons=eps, forward_errors=np.abs(forward(eps) - exact),
                centered_errors=np.abs(centered(eps) - exact))


def epsilon_sentence(state):
    """One plain sentence about the errors at the current epsilon."""
    fe, ce = state["forward_error"], state["centered_error"]
    better = "centered" if ce < fe else "forward"
    return (f"ε = {_eps(state['epsilon'])}: forward error {_fmt(fe)}, centered error {_fmt(ce)} "
            f"(exact slope {_fmt(state['exact'], 4)}); the {better} difference is closer.")


class EpsilonExplorer(StaticFallbackBox):
    """An epsilon slider; left: the curve, tangent and secants; right: error against epsilon."""

    def __init__(self, epsilon=0.5, function="cube", x0=1.0):
        self.x0 = x0
        self.slider = widgets.FloatLogSlider(value=epsilon, base=10, min=-12, max=0, step=0.25,
                                             description="ε", readout_format=".1e", continuous_update=False,
                                             style={"description_width": "2em"},
                                             layout=widgets.Layout(width="420px"))
        self.function = widgets.Dropdown(options=[(FUNCTIONS[k][2], k) for k in FUNCTIONS], value=function,
                                         description="function", layout=widgets.Layout(width="240px"))
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))  # native size: no shrunken text
        self.text = widgets.HTML()
        self.plot = _Plot((13, 4.5), ncols=2)
        self.slider.observe(self.update, names="value")
        self.function.observe(self.update, names="value")
        super().__init__([widgets.HBox([self.slider, self.function]), self.image, self.text])
        self.update()

    def update(self, _change=None):
        self.state = epsilon_state(self.slider.value, self.function.value, self.x0)
        self.draw()
        self.image.value = self.png
        self.text.value = f"<p>{html.escape(epsilon_sentence(self.state))}</p>"

    def draw(self):
        s = self.state
        f, df, _ = FUNCTIONS[s["function"]]
        x0, e = s["x0"], s["epsilon"]
        self.plot.clear()
        left, right = self.plot.axes
        half = max(1.0, 1.5 * e)
        xs = np.linspace(x0 - half, x0 + half, 200)
        left.plot(xs, f(xs), color="black", linewidth=1.5, label=s["formula"])
        lines = ((s["exact"], "tangent (exact slope)", "grey", "-"),
                 (s["forward"], f"forward secant, slope {_fmt(s['forward'], 4)}", plots.PALETTE[1], "--"),
                 (s["centered"], f"centered secant, slope {_fmt(s['centered'], 4)}", plots.PALETTE[0], "-."))
        for slope, label, colour, style in lines:
            # centered secant passes through (x0 - e, f(x0 - e)) and (x0 + e, f(x0 + e))
            anchor = (x0 - e, f(x0 - e)) if "centered" in label else (x0, s["f0"])
            left.plot(xs, anchor[1] + slope * (xs - anchor[0]), style, color=colour, linewidth=1.2, label=label)
        pts = [x0 - e, x0, x0 + e]
        left.plot(pts, [f(p) for p in pts], "o", color="black", markersize=4)
        span = f(xs).max() - f(xs).min()
        left.set_ylim(f(xs).min() - 0.2 * span, f(xs).max() + 0.2 * span)
        left.set_title(f"Secants at x0 = {_fmt(x0)} with ε = {_eps(e)}")
        left.set_xlabel("x")
        left.legend(fontsize=8, frameon=False, loc="upper left")
        plots.plot_error_vs_epsilon(s["epsilons"], {"forward": s["forward_errors"], "centered": s["centered_errors"]},
                                    ax=right, labels={"forward": "forward difference",
                                                      "centered": "centered difference"})
        right.axvline(e, color=_FAIL, linewidth=1)
        right.plot([e, e], [max(s["forward_error"], 1e-18), max(s["centered_error"], 1e-18)], "o",
                   color=_FAIL, markersize=7, zorder=5)
        right.set_title(f"Error against ε (now ε = {_eps(e)})")
        self.plot.figure.tight_layout()
        self.png = self.plot.png()

    def static_text(self):
        return ("Epsilon explorer: a slider for ε, the forward and centered secants of "
                f"{self.state['formula']} at x0 = {_fmt(self.x0)}, and the error against ε.\n"
                + epsilon_sentence(self.state) + "\n" + _NO_WIDGETS)

    def static_png(self):
        return self.png


def epsilon_explorer(epsilon=0.5, function="cube", x0=1.0):
    """The epsilon explorer widget of notebook 01. Returns the widget (does not display it).

    epsilon -- initial ε; function -- "cube" (x³) or "sin"; x0 -- the point of the derivative
    """
    return EpsilonExplorer(epsilon, function, x0)


# ----------------------------------------------------------------------------------------------
# Notebook 02: 1-D bug picker

#: bug label -> dtheta the buggy backward pass returns for J(theta) = theta * x
BUGS_1D = {
    "none (correct: dθ = x)": lambda x, theta: x,
    "returns theta instead of x": lambda x, theta: theta,
    "returns 2x": lambda x, theta: 2 * x,
    "sign error: returns -x": lambda x, theta: -x,
    "returns J = θx instead of dθ": lambda x, theta: theta * x,
    "returns x + θ": lambda x, theta: x + theta,
}


def bug_picker_1d_state(bug="none (correct: dθ = x)", epsilon=1e-7, x=2.0, theta=4.0, threshold=THRESHOLD_1D):
    """The 1-D gradient check of J(theta) = theta * x with a chosen backward-pass bug.

    bug -- a key of BUGS_1D; epsilon -- the step (> 0); x, theta -- the point (course: 2 and 4)
    Returns a dict: J, dtheta (the backward pass's answer), gradapprox (centered difference),
    difference (relative difference), threshold, passed (difference < threshold), sentence.
    """
    if bug not in BUGS_1D:
        raise ValueError(f"bug must be one of {list(BUGS_1D)}, got {bug!r}")
    epsilon = float(epsilon)
    if not np.isfinite(epsilon) or epsilon <= 0:
        raise ValueError(f"epsilon must be a positive number, got {epsilon!r}")
    J = theta * x
    dtheta = BUGS_1D[bug](x, theta)
    gradapprox = ((theta + epsilon) * x - (theta - epsilon) * x) / (2 * epsilon)
    difference = relative_difference(np.array([dtheta]), np.array([gradapprox]))
    passed = difference < threshold
    buggy = bug != next(iter(BUGS_1D))
    if passed:
        sentence = f"The gradient is correct: difference {_fmt(difference)} < {_eps(threshold)}."
    elif buggy:
        sentence = (f"The backward pass is wrong: dθ = {_fmt(dtheta)} but the slope of J is about "
                    f"{_fmt(gradapprox, 4)} (difference {_fmt(difference)} > {_eps(threshold)}).")
    else:
        sentence = (f"No bug, yet the difference {_fmt(difference)} is above {_eps(threshold)}: with ε = "
                    f"{_eps(epsilon)} round-off in J(θ ± ε) dominates. Try a larger ε.")
    return dict(bug=bug, epsilon=epsilon, x=x, theta=theta, J=J, dtheta=dtheta, gradapprox=gradapprox,
                difference=difference, threshold=threshold, passed=passed, sentence=sentence)


class BugPicker1D(StaticFallbackBox):
    """A bug dropdown and an epsilon slider over bug_picker_1d_state, shown as a small table."""

    def __init__(self, bug=None, epsilon=1e-7):
        self.bug = widgets.Dropdown(options=list(BUGS_1D), value=bug or next(iter(BUGS_1D)),
                                    description="backward pass", style={"description_width": "initial"},
                                    layout=widgets.Layout(width="380px"))
        self.epsilon = widgets.FloatLogSlider(value=epsilon, base=10, min=-12, max=-1, step=1, description="ε",
                                              readout_format=".0e", continuous_update=False,
                                              style={"description_width": "2em"})
        self.table = widgets.HTML()
        self.bug.observe(self.update, names="value")
        self.epsilon.observe(self.update, names="value")
        super().__init__([widgets.HTML("<b>J(θ) = θ·x with x = 2, θ = 4</b>"),
                          widgets.HBox([self.bug, self.epsilon]), self.table])
        self.update()

    def update(self, _change=None):
        self.state = s = bug_picker_1d_state(self.bug.value, self.epsilon.value)
        colour = _PASS if s["passed"] else _FAIL
        verdict = "pass" if s["passed"] else "fail"
        rows = [("J = θx", _fmt(s["J"], 6)), ("dθ (backward pass)", _fmt(s["dtheta"], 6)),
                (f"gradapprox (centered, ε = {_eps(s['epsilon'])})", _fmt(s["gradapprox"], 10)),
                ("difference", f"<b style='color:{colour}'>{s['difference']:.2e}</b> "
                               f"{'<' if s['passed'] else '≥'} threshold {_eps(s['threshold'])}: "
                               f"<b style='color:{colour}'>{verdict}</b>")]
        body = "".join(f"<tr><td style='padding:2px 12px 2px 0'>{html.escape(k)}</td><td>{v}</td></tr>"
                       for k, v in rows)
        self.table.value = f"<table>{body}</table><p>{html.escape(s['sentence'])}</p>"

    def static_text(self):
        s = self.state
        return (f"1-D bug picker: backward pass '{s['bug']}', ε = {_eps(s['epsilon'])}: J = {_fmt(s['J'], 6)}, "
                f"dθ = {_fmt(s['dtheta'], 6)}, gradapprox ≈ {_fmt(s['gradapprox'], 6)}.\n{s['sentence']}\n"
                + _NO_WIDGETS)


def bug_picker_1d(bug=None, epsilon=1e-7):
    """The 1-D bug picker of notebook 02. Returns the widget (does not display it).

    bug -- initial key of BUGS_1D (None: the correct pass); epsilon -- initial ε
    """
    return BugPicker1D(bug, epsilon)


# ----------------------------------------------------------------------------------------------
# Notebook 04: the Bug Lab


def lab_data(seed=1):
    """(X, Y, parameters) of the Bug Lab.

    seed 1 -- the classic test case gradient_check_n_test_case();
    other seeds -- the same shapes drawn with np.random.RandomState(seed).randn in the same order
    (X (4, 3), W1, b1, W2, b2, W3, b3), labels Y = [1, 1, 0] as in the classic case.
    """
    if seed == 1:
        return gradient_check_n_test_case()
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an int >= 0, got {seed!r}")
    rs = np.random.RandomState(seed)
    X = rs.randn(4, 3)
    parameters = {name: rs.randn(*shape) for name, shape in CLASSIC_SHAPES}
    return X, np.array([1, 1, 0]), parameters


def effective_bugs(bugs, lambd=0.0):
    """The ticked bugs that can change anything: needs_l2 bugs drop out when lambd == 0."""
    return [name for name in bug_order() if name in bugs and (lambd > 0 or not BUGS[name].needs_l2)]


def catalog_suspects(bugs, lambd=0.0):
    """Tensors the catalog says the effective bugs corrupt, in parameter order (W1, b1, W2, ...).

    A corruption may vanish for particular data (e.g. a forgotten ReLU derivative where every unit
    is active), so the check's suspects are always a subset of these.
    """
    hit = {t for name in effective_bugs(bugs, lambd) for t in BUGS[name].corrupts}
    return [t for t, _ in CLASSIC_SHAPES if t in hit]


def bug_lab_state(bugs=(), epsilon=1e-7, seed=1, lambd=0.0, threshold=THRESHOLD_ND):
    """Inject `bugs` in the classic backward pass and gradient-check it.

    bugs -- names from course_utils.bugs.BUGS; epsilon -- the check's perturbation
    seed -- data seed (1: the classic test case, see lab_data); lambd -- L2 strength (>= 0)
    With lambd == 0: backward_propagation_n(..., bugs) checked against classic_cost(X, Y).
    With lambd > 0: the same network and classic cost formula plus lambd/(2m) sum ||W||^2, backprop
    by backward_propagation_deep (the classic pass has no L2 term).
    Returns a dict: result (GradCheckResult), table_rows (one dict per tensor: tensor, difference,
    verdict "pass"/"fail"/"kink"/"round-off" (above the threshold only by round-off noise), catalog (names of ticked bugs that corrupt it)), sentence
    (result.summary()), notes (list of plain sentences: bugs without effect, epsilon warnings),
    difference, passed, suspects, expected (catalog_suspects), bugs, epsilon, seed, lambd.
    """
    bugs = validate_bugs(bugs, n_layers=3)
    lambd = float(lambd)
    if not np.isfinite(lambd) or lambd < 0:
        raise ValueError(f"lambd must be a finite number >= 0, got {lambd!r}")
    X, Y, parameters = lab_data(seed)
    if lambd == 0:
        _, cache = forward_propagation_n(X, Y, parameters)
        gradients = backward_propagation_n(X, Y, cache, bugs=bugs)
        cost = classic_cost(X, Y)
    else:
        _, cache = forward_propagation_deep(X, Y, parameters, lambd=lambd, cost_formula="classic")
        gradients = backward_propagation_deep(X, Y, cache, bugs=bugs)
        cost = NetworkCost(X, Y, lambd=lambd, cost_formula="classic")
    result = check_gradients(cost, parameters, gradients, epsilon=epsilon, threshold=threshold)
    ordered = [name for name in bug_order() if name in bugs]
    rows = []
    for tensor, d in result.block_differences.items():
        if tensor in result.suspects:
            verdict = "fail"
        elif tensor in result.kink_tensors:
            verdict = "kink"
        elif d >= threshold:
            verdict = "round-off"  # above the line, but the error is within round-off noise
        else:
            verdict = "pass"
        catalog = [name for name in effective_bugs(bugs, lambd) if tensor in BUGS[name].corrupts]
        rows.append(dict(tensor=tensor, difference=d, verdict=verdict, catalog=catalog))
    notes = []
    for name in ordered:
        if BUGS[name].needs_l2 and lambd == 0:
            notes.append(f"{name} needs λ > 0: without L2 regularization the missing term is zero, "
                         "so this bug changes nothing. Raise λ to see it.")
    if epsilon > 1e-4:
        notes.append(f"ε = {_eps(epsilon)} is large: the truncation error of the centered difference "
                     "(about ε²) can make correct tensors look wrong.")
    elif epsilon < 1e-9:
        notes.append(f"ε = {_eps(epsilon)} is tiny: round-off in J(θ ± ε) (about 1e-16/ε) blurs the check.")
    return dict(result=result, table_rows=rows, sentence=result.summary(), notes=notes,
                difference=result.difference, passed=result.passed, suspects=list(result.suspects),
                expected=catalog_suspects(bugs, lambd), bugs=ordered, epsilon=float(epsilon), seed=seed,
                lambd=lambd, threshold=threshold)


def bug_lab_table_html(state):
    """The block-difference table of a bug_lab_state as an HTML string."""
    colours = {"pass": _PASS, "fail": _FAIL, "kink": "#E69F00", "round-off": "#0072B2"}
    head = ("<tr><th style='text-align:left;padding-right:14px'>tensor</th>"
            "<th style='text-align:right;padding-right:14px'>block difference</th>"
            "<th style='text-align:left;padding-right:14px'>check</th>"
            "<th style='text-align:left'>ticked bugs that corrupt it</th></tr>")
    body = ""
    for row in state["table_rows"]:
        colour = colours[row["verdict"]]
        body += (f"<tr><td style='padding-right:14px'><b>{row['tensor']}</b></td>"
                 f"<td style='text-align:right;padding-right:14px;font-family:monospace'>{row['difference']:.1e}</td>"
                 f"<td style='padding-right:14px;color:{colour}'><b>{row['verdict']}</b></td>"
                 f"<td style='color:{_NOTE}'>{html.escape(', '.join(row['catalog']) or '—')}</td></tr>")
    return f"<table class='bug-lab-table' style='border-collapse:collapse'>{head}{body}</table>"


def bug_lab_summary_html(state):
    """Overall difference against the threshold, the plain sentence and the notes, as HTML."""
    passed = state["passed"]
    colour = _PASS if passed else _FAIL
    sign = "<" if passed else "≥"
    overall = (f"<div class='bug-lab-overall'>Overall difference <b style='color:{colour}'>"
               f"{state['difference']:.2e}</b> {sign} threshold {_eps(state['threshold'])}: "
               f"<b style='color:{colour}'>{'pass' if passed else 'fail'}</b></div>")
    sentence = f"<div class='bug-lab-sentence' style='font-size:1.1em;margin:4px 0'>{html.escape(state['sentence'])}</div>"
    notes = "".join(f"<div style='color:{_NOTE}'>Note: {html.escape(n)}</div>" for n in state["notes"])
    return overall + sentence + notes


def bug_lab_text(state):
    """A plain-text summary of a bug_lab_state (rounded, stable numbers)."""
    bugs = ", ".join(state["bugs"]) or "none"
    lines = [f"Bug Lab: bugs = {bugs}; ε = {_eps(state['epsilon'])}; data seed {state['seed']}; "
             f"λ = {_fmt(state['lambd'])}",
             f"Overall difference {_fmt(state['difference'])} {'<' if state['passed'] else '>='} "
             f"threshold {_eps(state['threshold'])}: {'pass' if state['passed'] else 'fail'}.",
             state["sentence"]]
    lines += [f"Note: {n}" for n in state["notes"]]
    return "\n".join(lines)


class BugLab(StaticFallbackBox):
    """Checkboxes for the bug catalog, ε, data seed, λ and reset, over bug_lab_state.

    Attributes for code and tests: checkboxes (name -> Checkbox), epsilon, seed, lambd, reset,
    image (the plot, PNG bytes in .value), table, summary (HTML), state (the last bug_lab_state),
    timings (seconds of the last update: recompute, draw).
    """

    def __init__(self, seed=1, bugs=(), epsilon=1e-7, lambd=0.0):
        self.defaults = dict(seed=seed, bugs=tuple(validate_bugs(bugs)), epsilon=epsilon, lambd=float(lambd))
        self._hold = False
        self.checkboxes = {}
        for name in bug_order():
            bug = BUGS[name]
            label = name + ("  (needs λ > 0)" if bug.needs_l2 else "")
            box = widgets.Checkbox(value=name in bugs, description=label, indent=False,
                                   description_allow_html=False, layout=widgets.Layout(width="auto"),
                                   tooltip=bug.description)
            box.add_class(f"bug-{name}")
            box.observe(self.update, names="value")
            self.checkboxes[name] = box
        self.epsilon = widgets.FloatLogSlider(value=epsilon, base=10, min=-10, max=-1, step=0.5, description="ε",
                                              readout_format=".0e", continuous_update=False,
                                              style={"description_width": "5em"})
        self.seed = widgets.Dropdown(options=[("1 (classic test case)" if s == 1 else str(s), s) for s in SEEDS],
                                     value=seed, description="data seed", style={"description_width": "5em"})
        self.lambd = widgets.Dropdown(options=[(_fmt(v), v) for v in LAMBDAS], value=float(lambd),
                                      description="L2 λ", style={"description_width": "5em"})
        self.reset = widgets.Button(description="Reset", icon="undo", tooltip="back to the starting state")
        for control in (self.epsilon, self.seed, self.lambd):
            control.observe(self.update, names="value")
        self.reset.on_click(self._reset)
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))  # native size: no shrunken text
        self.table = widgets.HTML()
        self.summary = widgets.HTML()
        self.plot = _BlitPlot((10, 3.6), dict(left=0.1, right=0.84, bottom=0.14, top=0.9))
        bug_box = widgets.VBox([widgets.HTML("<b>Bugs in the backward pass</b>")] + list(self.checkboxes.values()),
                               layout=widgets.Layout(min_width="300px"))
        controls = widgets.VBox([widgets.HTML("<b>Check</b>"), self.epsilon, self.seed, self.lambd, self.reset])
        super().__init__([widgets.HBox([bug_box, controls]), self.summary, self.image, self.table])
        self.add_class("bug-lab")
        self.update()

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

    def update(self, _change=None):
        """Recompute the check for the controls' values and redraw everything."""
        if self._hold:
            return
        import time
        t0 = time.perf_counter()
        self.state = bug_lab_state(self.selected(), self.epsilon.value, self.seed.value, self.lambd.value)
        t1 = time.perf_counter()
        self.png = self.draw(self.state)
        t2 = time.perf_counter()
        self.image.value = self.png
        self.table.value = bug_lab_table_html(self.state)
        self.summary.value = bug_lab_summary_html(self.state)
        self.timings = dict(recompute=t1 - t0, draw=t2 - t1)

    def draw(self, state):
        """Redraw the per-parameter error plot on the reused figure; return PNG bytes."""
        result = state["result"]
        title = f"Per-parameter error — difference {result.difference:.2g}, {result.verdict}"
        return self.plot.redraw(lambda ax: plots.plot_parameter_errors(result, ax=ax, title=title))

    def static_text(self):
        return bug_lab_text(self.state) + "\n" + _NO_WIDGETS

    def static_png(self):
        return self.png


def bug_lab(seed=1, bugs=(), epsilon=1e-7, lambd=0.0):
    """The Bug Lab of notebook 04. Returns the widget (does not display it).

    seed -- initial data seed (1: the classic test case); bugs -- initially ticked bug names
    epsilon -- initial ε; lambd -- initial L2 strength (one of LAMBDAS)
    """
    return BugLab(seed, bugs, epsilon, lambd)
