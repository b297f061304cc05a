"""The Bug Lab of notebook 04: tick bugs of course_utils.bugs.BUGS, see the gradient check react.

A view over course_utils.lab.bug_lab_state: checkboxes, ε, data seed and λ recompute the check; the plot of
every entry's error (the look of plots.plot_parameter_errors, updated in place), the block-difference table
and the summary show it. benchmarks/bench_widgets.py times an update.
"""
import html
import time

import ipywidgets as widgets
import numpy as np

from course_utils import plots
from course_utils.bugs import BUGS, validate_bugs
from course_utils.lab import LAMBDAS, SEEDS, bug_lab_state, bug_lab_text, bug_order, fmt, fmt_eps
from course_utils.plots import ERROR_FLOOR, ERROR_XLABEL
from course_utils.widget_base import FAIL, NO_WIDGETS, NOTE, PASS, Blitter, StaticFallbackBox, check_range

#: colour of each cause in the Bug Lab's table (the word is always written too)
CAUSE_COLOURS = {"ok": PASS, "bug": FAIL, "epsilon too large": "#CC79A7", "round-off": "#0072B2",
                 "kink": "#E69F00", "unreliable": NOTE}


class _ErrorPlot:
    """The Bug Lab's per-parameter error plot, the look of plots.plot_parameter_errors, updated in place.

    One scatter, bar and name per tensor are created once; render(result) moves them. The axes, the
    threshold line and the legend never change (the legend names tensors, not suspects: a suspect's
    entries are drawn larger with a black outline and its name in bold; the summary above the plot
    names the suspects in words), so they are the cached background.
    """

    def __init__(self, keys, threshold):
        self.blitter = Blitter((10, 3.6), left=0.085, right=0.83, bottom=0.14, top=0.9)
        ax = self.ax = self.blitter.figure.add_subplot()
        self.keys = np.asarray(keys)
        self.names = list(dict.fromkeys(keys))
        n = self.keys.size
        index = np.arange(n)
        self.scatters, self.kink_scatters, self.bars, self.labels, self.centers = {}, {}, {}, {}, []
        for k, name in enumerate(self.names):
            colour, marker = plots.tensor_style(k)
            where = index[self.keys == name]
            self.scatters[name] = ax.scatter(where, np.full(where.size, ERROR_FLOOR), s=22, color=colour, marker=marker,
                                             label=name, edgecolors="none", linewidths=plots.SUSPECT_LINEWIDTH,
                                             zorder=3)
            self.kink_scatters[name] = ax.scatter([], [], s=40, facecolors="none", edgecolors=colour, marker=marker,
                                                  linewidths=1.2, zorder=3)
            self.bars[name] = ax.hlines(ERROR_FLOOR, where[0] - 0.4, where[-1] + 0.4, color=colour, linewidth=2.5,
                                        alpha=0.6, zorder=2)
            self.centers.append((where[0] + where[-1]) / 2)
            self.labels[name] = ax.text(self.centers[-1], ERROR_FLOOR, f" {name}", color=colour, ha="center",
                                        va="bottom", fontsize=9, zorder=4)
        ax.axhline(threshold, color=plots.THRESHOLD_COLOR, linestyle="--", linewidth=1,
                   label=plots.threshold_label(threshold))
        ax.scatter([], [], s=plots.SUSPECT_SIZE, color="white", edgecolors=plots.SUSPECT_EDGE,
                   linewidths=plots.SUSPECT_LINEWIDTH, label=plots.SUSPECT_LABEL)
        ax.scatter([], [], s=40, facecolors="none", edgecolors="grey", label="at a ReLU kink")
        ax.set_yscale("log")
        ax.set_xlim(-1, n)
        ax.set_ylim(ERROR_FLOOR / 3, 30)  # room above 1 for the names of tensors whose difference is near 1
        ax.set_xlabel(ERROR_XLABEL)
        ax.set_ylabel("error of the entry (log)")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=9, frameon=False)
        ax.grid(True, which="major", axis="y", alpha=0.3)
        ax.set_title("Error of every entry of θ; bars: each tensor's block difference")
        self.blitter.dynamic = (list(self.scatters.values()) + list(self.kink_scatters.values())
                                + list(self.bars.values()) + list(self.labels.values()))

    def render(self, result):
        """PNG bytes of the plot of a GradCheckResult (of the classic network's keys)."""
        errors = np.asarray(result.errors, dtype=float)
        shown = np.where(errors > ERROR_FLOOR, errors, ERROR_FLOOR)
        index = np.arange(errors.size)
        heights = [max(result.block_differences[name], ERROR_FLOOR) for name in self.names]
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
                 f"<td style='color:{NOTE}'>{html.escape(', '.join(row['catalog']) or '—')}</td></tr>")
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
    notes = "".join(f"<div style='color:{NOTE}'>Note: {html.escape(n)}</div>" for n in state["notes"])
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
    return (f"<div class='bug-lab-suspects' style='color:{NOTE};margin:2px 0 4px 0'>"
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
        check_range(epsilon, 1e-10, 1e-1, "epsilon")
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
                f"<div style='color:{NOTE};font-size:0.85em;line-height:1.25;margin:-4px 0 4px 1.7em'>"
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
        return bug_lab_text(self.state) + "\n" + NO_WIDGETS

    def static_png(self):
        return self.png


def bug_lab(seed=1, bugs=(), epsilon=1e-7, lambd=0.0):
    """The Bug Lab of notebook 04. Returns the widget (does not display it).

    seed -- initial data seed (one of course_utils.lab.SEEDS; 1: the classic test case)
    bugs -- initially ticked bug names; epsilon -- initial ε; lambd -- initial L2 strength (one of LAMBDAS)
    """
    return BugLab(seed, bugs, epsilon, lambd)
