"""The course's interactive widgets: thin views over the pure lab state of course_utils.lab.

Factories (each RETURNS an ipywidgets container; it never displays anything itself):
- smoke_test()        notebook 00 -- a button that updates a label: do widgets render here?  (this module)
- epsilon_explorer()  notebook 01 -- an epsilon slider: secant lines and error against epsilon  (widget_epsilon)
- bug_picker_1d()     notebook 02 -- J(theta) = theta * x with a chosen backward-pass bug and epsilon
                      (widget_bug_picker)
- bug_lab()           notebook 04 -- tick bugs of course_utils.bugs.BUGS, see the gradient check react
                      (widget_bug_lab)
The notebooks import them from here. What they are drawn with (colours, the blitted figure, the static
fallback every widget carries for a viewer without a kernel) is course_utils.widget_base.

Everything a widget shows is computed by a pure function of course_utils.lab (smoke_test_message,
epsilon_state, bug_picker_1d_state, bug_lab_state), tested without any widget; the widget modules only
wire controls to those functions and draw. bug_picker_1d_state is importable from here because
notebook 02 imports it from this module.

benchmarks/bench_widgets.py times an update in Python, benchmarks/bench_browser.py from the input event to the
repainted plot in JupyterLab.
"""
import ipywidgets as widgets

from course_utils.lab import bug_picker_1d_state, smoke_test_message
from course_utils.widget_base import NO_WIDGETS, StaticFallbackBox
from course_utils.widget_bug_lab import bug_lab
from course_utils.widget_bug_picker import bug_picker_1d
from course_utils.widget_epsilon import epsilon_explorer

__all__ = ["bug_lab", "bug_picker_1d", "bug_picker_1d_state", "epsilon_explorer", "smoke_test"]


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
                "change the text next to it.\n" + NO_WIDGETS + " If the button shows but clicking changes "
                "nothing, the kernel is not connected: restart it and run the cell again.")


def smoke_test():
    """A tiny widget proving that widgets render and talk to the kernel. Returns the widget."""
    return SmokeTest()
