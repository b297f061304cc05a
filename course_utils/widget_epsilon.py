"""The epsilon explorer of notebook 01: an ε slider over course_utils.lab.epsilon_state, drawing the secants
of a function and the error of both differences against ε."""
import html
import time

import ipywidgets as widgets
import numpy as np

from course_utils import plots
from course_utils.lab import FUNCTIONS, epsilon_sentence, epsilon_state, fmt, fmt_eps, slope_text
from course_utils.widget_base import NO_WIDGETS, NOTE, Blitter, StaticFallbackBox, check_range

_MARKER = "#D62728"  # the marker of the current ε: plainly red (notebook 01 says "a red marker")
_EXPLORER_HALF_WIDTH = 1.25  # the left panel shows x0 ± 1.25 for every ε (the slider stops at ε = 1)


class _ExplorerPlot:
    """Left: the curve, its tangent and the two secants; right: error against ε with a red marker.

    The curve, the tangent, the error curves, axes and legends depend only on the function and x0:
    they are the cached background. Moving ε moves the secants, the three points, the marker and
    the two titles.
    """

    def __init__(self):
        self.blitter = Blitter((12.5, 4.3), left=0.05, right=0.985, bottom=0.13, top=0.91, wspace=0.2)
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
        check_range(epsilon, 1e-12, 1.0, "epsilon")
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
                           f"style='color:{NOTE}'>{html.escape(explorer_slopes(s))}</span></p>")
        self.timings = {"compute": t1 - t0, "draw": t2 - t1}

    def static_text(self):
        return ("Epsilon explorer: a slider for ε, the forward and centered secants of "
                f"{self.state['formula']} at x0 = {fmt(self.x0)}, and the error against ε.\n"
                + epsilon_sentence(self.state) + "\n" + NO_WIDGETS)

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
