"""The 1-D bug picker of notebook 02: J(θ) = θ·x with a chosen backward pass and ε, over
course_utils.lab.bug_picker_1d_state, shown as a small table."""
import html

import ipywidgets as widgets

from course_utils.lab import BUGS_1D, CORRECT_1D, PICKER_POINT, bug_picker_1d_state, fmt, fmt_eps
from course_utils.widget_base import FAIL, NO_WIDGETS, PASS, StaticFallbackBox, check_range


class BugPicker1D(StaticFallbackBox):
    """A bug dropdown and an epsilon slider over bug_picker_1d_state, shown as a small table."""

    def __init__(self, bug=None, epsilon=1e-7):
        bug_picker_1d_state(bug or CORRECT_1D, epsilon)  # bad arguments fail here, with a clear message
        check_range(epsilon, 1e-12, 1e-1, "epsilon")
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
        colour = PASS if s["passed"] else FAIL
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
                + NO_WIDGETS)


def bug_picker_1d(bug=None, epsilon=1e-7):
    """The 1-D bug picker of notebook 02. Returns the widget (does not display it).

    bug -- initial key of BUGS_1D (None: the correct pass); epsilon -- initial ε
    """
    return BugPicker1D(bug, epsilon)
