"""Tests of course_utils/lab.py (pure lab state) and the widgets (course_utils/widgets.py and the widget_*.py views),
without a browser.

The state functions are checked against independent oracles (the bug catalog, hand-computed 1-D
values, Taylor-series error sizes, the gradient checker's own causes); the widgets are checked by
setting control values the way a front end does (checkbox.value = True) and looking at what they
show, down to the pixels of the plots.
"""
import base64
import html
import io
import subprocess
import sys
import warnings

import ipywidgets
import numpy as np
import PIL.Image
import pytest

from course_utils import lab as L
from course_utils import plots, widget_base, widget_bug_lab, widget_epsilon
from course_utils import widgets as w
from course_utils.backprop import backward_propagation_n
from course_utils.bugs import BUGS, CLASSIC_PARAMETERS, COLLEAGUE_BUGS
from course_utils.fastcost import classic_cost
from course_utils.gradcheck import check_gradients
from course_utils.network import (
    forward_propagation_n,
    gradient_check_n_test_case,
)

PNG = b"\x89PNG\r\n\x1a\n"


# ----------------------------------------------------------------------------------------------
# Bug Lab: pure functions


def test_bug_order_puts_the_two_classics_first_and_lists_every_bug_once():
    order = L.bug_order()
    assert order[:2] == ["dW2_times_2", "db1_4_over_m"]
    assert sorted(order) == sorted(BUGS)


def test_lab_data_seed_1_is_the_classic_test_case():
    X, Y, p = L.lab_data(1)
    X0, Y0, p0 = gradient_check_n_test_case()
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(Y, Y0)
    for k in p0:
        np.testing.assert_array_equal(p[k], p0[k])


def test_lab_data_other_seeds_draw_the_same_shapes_in_the_same_order():
    X, Y, p = L.lab_data(7)
    rs = np.random.RandomState(7)  # independent re-draw: X, W1, b1, W2, b2, W3, b3
    np.testing.assert_array_equal(X, rs.randn(4, 3))
    for name, shape in [("W1", (5, 4)), ("b1", (5, 1)), ("W2", (3, 5)), ("b2", (3, 1)), ("W3", (1, 3)), ("b3", (1, 1))]:
        np.testing.assert_array_equal(p[name], rs.randn(*shape))
    np.testing.assert_array_equal(Y, [1, 1, 0])
    assert not np.array_equal(X, L.lab_data(1)[0])


def test_no_bug_passes_with_the_published_difference():
    s = L.bug_lab_state((), 1e-7, 1)
    assert s["suspects"] == []
    assert s["passed"]
    assert s["difference"] == pytest.approx(1.19e-7, rel=0.05)
    assert s["sentence"] == "All gradients agree: difference 1.2e-07 < 2e-07."
    assert s["verdict"] == "pass"
    # no tensor is a bug; the two whose block difference is above the line only by round-off
    # (the classic cost's rounding, b1 and b3: notebook 04) say so
    for row in s["table_rows"]:
        expected = "round-off" if row["difference"] > s["threshold"] else "ok"
        assert row["cause"] == expected, row
    assert [r["tensor"] for r in s["table_rows"] if r["cause"] == "round-off"] == ["b1", "b3"]
    assert widget_bug_lab.bug_lab_table_html(s).count("<b>round-off</b>") == 2


def _classic_result(bugs, epsilon):
    """check_gradients on the classic case, computed here without the lab: the oracle of the table."""
    X, Y, parameters = gradient_check_n_test_case()
    _, cache = forward_propagation_n(X, Y, parameters)
    gradients = backward_propagation_n(X, Y, cache, bugs=bugs)
    return check_gradients(classic_cost(X, Y), parameters, gradients, epsilon=epsilon)


@pytest.mark.parametrize("bugs, epsilon", [((), 1e-7), ((), 1e-1), (("dW2_times_2", "db1_4_over_m"), 1e-1),
                                           (("output_sign_flipped",), 1e-7), ((), 1e-10)])
def test_the_table_shows_the_checkers_causes_and_the_sentence_its_summary(bugs, epsilon):
    s = L.bug_lab_state(bugs, epsilon, 1)
    result = _classic_result(bugs, epsilon)
    assert [(r["tensor"], r["cause"]) for r in s["table_rows"]] == list(result.causes.items())
    assert s["verdict"] == result.verdict
    assert s["sentence"] == result.summary()
    table = widget_bug_lab.bug_lab_table_html(s)
    for cause in set(result.causes.values()):
        assert table.count(f"<b>{cause}</b>") == list(result.causes.values()).count(cause)


def test_a_large_epsilon_without_bugs_blames_truncation_not_the_gradients():
    s = L.bug_lab_state((), 1e-1, 1)
    assert not s["passed"] and s["suspects"] == []  # above the threshold, yet no tensor "looks wrong"
    assert {r["cause"] for r in s["table_rows"]} == {"epsilon too large"}
    assert s["verdict"] == "epsilon too large"
    assert "truncation" in s["sentence"] and "wrong" not in s["sentence"]
    text = L.bug_lab_text(s)
    assert "threshold 2e-07: epsilon too large." in text


def test_the_two_classic_bugs_give_the_published_numbers():
    s = L.bug_lab_state(COLLEAGUE_BUGS, 1e-7, 1)
    assert s["difference"] == pytest.approx(0.285, abs=0.001)
    blocks = {r["tensor"]: r["difference"] for r in s["table_rows"]}
    assert blocks["W2"] == pytest.approx(1 / 3, rel=1e-5)  # a gradient scaled by k: |k-1|/(k+1)
    assert blocks["b1"] == pytest.approx(3 / 5, rel=1e-5)
    assert s["suspects"] == ["b1", "W2"]
    assert s["sentence"].startswith("b1 and W2 look wrong; everything else agrees to")


def _names_exactly(sentence, tensors):
    """Which of the six tensor names occur as words before 'look(s) wrong'."""
    head = sentence.split(" look")[0].replace(",", " ").replace(" and ", " ").split()
    return [t for t in CLASSIC_PARAMETERS if t in head] == list(tensors)


@pytest.mark.parametrize("name", [n for n in BUGS if not BUGS[n].needs_l2])
def test_each_bug_is_named_by_table_and_sentence_on_the_classic_case(name):
    s = L.bug_lab_state([name], 1e-7, 1)
    expected = [t for t in CLASSIC_PARAMETERS if t in BUGS[name].corrupts]
    assert s["expected"] == expected
    assert s["suspects"] == expected
    assert [r["tensor"] for r in s["table_rows"] if r["cause"] == "bug"] == expected
    for row in s["table_rows"]:
        assert row["catalog"] == ([name] if row["tensor"] in expected else [])
    assert _names_exactly(s["sentence"], expected), s["sentence"]
    assert "wrong" in s["sentence"]
    assert not s["passed"]


@pytest.mark.parametrize("seed", [2, 3, 4, 5])
@pytest.mark.parametrize("name", [n for n in BUGS if not BUGS[n].needs_l2])
def test_on_other_data_suspects_never_leave_the_catalog(name, seed):
    # Data-independent reasoning: a bug can only corrupt the tensors the catalog names (a ReLU
    # bug may do nothing where every unit is active), and a scaled gradient always shows.
    s = L.bug_lab_state([name], 1e-7, seed)
    assert set(s["suspects"]) <= set(BUGS[name].corrupts)
    if name in ("dW2_times_2", "db1_4_over_m", "dW3_missing_1_over_m"):
        assert s["suspects"] == list(BUGS[name].corrupts)


def test_needs_l2_bug_without_l2_changes_nothing_and_says_so():
    s = L.bug_lab_state(["l2_term_missing"], 1e-7, 1, lambd=0.0)
    assert s["suspects"] == [] and s["expected"] == []
    assert s["passed"]
    assert s["sentence"].startswith("All gradients agree")
    assert any("l2_term_missing needs λ > 0" in n for n in s["notes"])
    assert all(r["catalog"] == [] for r in s["table_rows"])


def test_needs_l2_bug_with_l2_names_every_weight():
    s = L.bug_lab_state(["l2_term_missing"], 1e-7, 1, lambd=0.7)
    assert s["suspects"] == ["W1", "W2", "W3"] == s["expected"]
    assert s["sentence"].startswith("W1, W2 and W3 look wrong")
    assert not any("needs λ" in n for n in s["notes"])


def test_l2_without_bugs_passes():
    s = L.bug_lab_state((), 1e-7, 1, lambd=0.7)
    assert s["suspects"] == []
    assert s["difference"] < 2e-7


def test_ticked_bugs_come_with_their_catalog_descriptions():
    s = L.bug_lab_state(["db1_4_over_m", "dW2_times_2"], 1e-7, 1)
    assert s["descriptions"] == {name: BUGS[name].description for name in ("dW2_times_2", "db1_4_over_m")}
    assert list(s["descriptions"]) == ["dW2_times_2", "db1_4_over_m"]  # classic order, not the ticking order
    text = L.bug_lab_text(s)
    assert f"dW2_times_2: {BUGS['dW2_times_2'].description}" in text
    assert L.bug_lab_state((), 1e-7, 1)["descriptions"] == {}


@pytest.mark.parametrize("kwargs, argument", [
    ({"bugs": ["no_such_bug"]}, "bugs"), ({"epsilon": 0}, "epsilon"), ({"epsilon": float("nan")}, "epsilon"),
    ({"epsilon": "small"}, "epsilon"), ({"seed": -1}, "seed"), ({"seed": 1.5}, "seed"), ({"lambd": -0.1}, "lambd"),
    ({"threshold": 0}, "threshold")])
def test_bug_lab_state_refuses_bad_input_naming_the_argument(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        L.bug_lab_state(**kwargs)


def test_table_html_and_text_name_the_suspects_as_bugs():
    s = L.bug_lab_state(COLLEAGUE_BUGS, 1e-7, 1)
    table = widget_bug_lab.bug_lab_table_html(s)
    causes = [row["cause"] for row in s["table_rows"]]
    assert [row["tensor"] for row in s["table_rows"] if row["cause"] == "bug"] == ["b1", "W2"]
    assert table.count("<b>bug</b>") == 2
    assert table.count("<b>ok</b>") + table.count("<b>round-off</b>") == 4
    assert table.count("<b>ok</b>") == causes.count("ok")
    text = L.bug_lab_text(s)
    assert "bugs = dW2_times_2, db1_4_over_m" in text
    assert "Overall difference 0.29 >= threshold 2e-07: bug." in text
    assert "b1 and W2 look wrong" in text


# ----------------------------------------------------------------------------------------------
# 1-D bug picker and epsilon explorer: pure functions


def test_bug_picker_1d_correct_pass_gives_the_course_numbers():
    s = L.bug_picker_1d_state(next(iter(L.BUGS_1D)), 1e-7)
    assert (s["J"], s["dtheta"]) == (8.0, 2.0)
    assert s["gradapprox"] == pytest.approx(2.0, abs=1e-8)
    assert 1e-10 < s["difference"] < 1e-9  # about 2.9e-10: round-off of the centered difference at 1e-7
    assert s["passed"] and s["sentence"].startswith("The gradient is correct")


@pytest.mark.parametrize("bug, dtheta, difference", [
    ("returns theta instead of x", 4.0, 1 / 3),   # |4 - 2| / (4 + 2)
    ("returns 2x", 4.0, 1 / 3),
    ("sign error: returns -x", -2.0, 1.0),        # |-2 - 2| / (2 + 2)
    ("returns J = θx instead of dθ", 8.0, 0.6),    # 6 / 10
    ("returns x + θ", 6.0, 0.5),                   # 4 / 8
])
def test_bug_picker_1d_bugs_give_hand_computed_differences(bug, dtheta, difference):
    s = L.bug_picker_1d_state(bug, 1e-7)
    assert s["dtheta"] == dtheta
    assert s["difference"] == pytest.approx(difference, rel=1e-6)
    assert not s["passed"] and "backward pass is wrong" in s["sentence"]


def test_bug_picker_1d_tiny_epsilon_blames_the_rounded_step_not_the_code():
    # J = 2 theta is exact in float64 (a product by 2); theta +- 1e-12 is not: float64 numbers near 4 are
    # 2^-50 apart, so the step really taken is a whole number of 2^-50, not 2e-12
    s = L.bug_picker_1d_state(next(iter(L.BUGS_1D)), 1e-12)
    assert not s["passed"]
    spacing = 2.0 ** -50
    step = round(2e-12 / spacing) * spacing  # (4 + e) - (4 - e), each rounded to the nearest multiple of 2^-50
    assert s["step_error"] == pytest.approx(step / 2e-12 - 1, rel=1e-9)
    assert 8e-5 < s["step_error"] < 1e-4  # the 8.9e-5 that explains the difference of 4.4e-5
    assert s["difference"] == pytest.approx(s["step_error"] / (2 + s["step_error"]), rel=1e-9)
    assert s["gradapprox_real_step"] == 2.0  # divided by the real step: exactly the slope
    assert "No bug" in s["sentence"] and "rounded" in s["sentence"] and "exactly 2" in s["sentence"]
    assert "J(θ ± ε) is rounded" not in s["sentence"]  # J = 2θ is exact: the step is what is rounded


def test_bug_picker_point_tells_every_backward_pass_apart():
    x, theta = L.PICKER_POINT
    returned = [bug(x, theta) for bug in L.BUGS_1D.values()]
    assert len(set(returned)) == len(returned), returned  # at x = 2, theta = 4, theta and 2x are both 4
    differences = [L.bug_picker_1d_state(name, 1e-7, x, theta)["difference"] for name in list(L.BUGS_1D)[1:]]
    assert len({round(d, 9) for d in differences}) == len(differences), differences


def test_epsilon_state_errors_scale_like_taylor_says():
    # f = x^3 at 1: forward error = 3e + e^2, centered error = e^2 exactly (in exact arithmetic)
    s = L.epsilon_state(1e-2, "cube", 1.0)
    assert s["exact"] == 3.0
    assert s["forward_error"] == pytest.approx(3e-2 + 1e-4, rel=1e-6)
    assert s["centered_error"] == pytest.approx(1e-4, rel=1e-6)
    sin = L.epsilon_state(1e-3, "sin", 0.5)
    assert sin["centered_error"] == pytest.approx(np.cos(0.5) * 1e-6 / 6, rel=1e-3)
    assert s["epsilons"].shape == s["forward_errors"].shape == s["centered_errors"].shape
    assert "centered difference is closer" in L.epsilon_sentence(s)


def test_epsilon_state_round_off_makes_tiny_epsilon_worse():
    best = L.epsilon_state(1e-5)["centered_error"]
    assert L.epsilon_state(1e-12)["centered_error"] > 100 * best


def _regime(epsilon, f0, second, third, x_slope=0.0):
    """Independent oracle: Taylor truncation |f2| e / 2 and |f3| e^2 / 6 against round-off u (|f| + |x f'|) / e
    (x_slope = x0 f'(x0): the rounding of x0 +- e moves f by about u |x0 f'|)."""
    roundoff = np.finfo(float).eps * max(abs(f0) + abs(x_slope), 1) / epsilon
    return (abs(second) * epsilon / 2 > roundoff, abs(third) * epsilon ** 2 / 6 > roundoff)


def test_epsilon_sentence_says_neither_is_closer_where_both_are_round_off():
    s = L.epsilon_state(1e-12, "cube", 1.0)
    assert _regime(1e-12, 1.0, 6.0, 6.0) == (False, False)  # x^3 at 1: f = 1, f2 = 6, f3 = 6
    sentence = L.epsilon_sentence(s)
    assert "neither difference is reliably closer" in sentence
    assert "the centered difference is closer" not in sentence


@pytest.mark.parametrize("function, x0, derivatives", [("cube", 1.0, (1.0, 6.0, 6.0, 3.0)),
                                                       ("sin", 1.0, (np.sin(1.0), -np.sin(1.0), -np.cos(1.0), np.cos(1.0)))])
def test_epsilon_sentence_matches_the_taylor_regimes_over_the_whole_slider(function, x0, derivatives):
    for epsilon in 10.0 ** np.arange(0, -12.25, -0.25):  # every slider position
        s = L.epsilon_state(epsilon, function, x0)
        sentence = L.epsilon_sentence(s)
        forward_truncates, centered_truncates = _regime(epsilon, *derivatives)
        if not forward_truncates and not centered_truncates:
            assert "neither difference is reliably closer" in sentence, (epsilon, sentence)
        elif s["centered_error"] < s["forward_error"]:
            assert sentence.endswith("the centered difference is closer."), (epsilon, sentence)
        else:
            assert not centered_truncates  # forward closer only where the centered one is noise
            assert "forward difference happens to be closer" in sentence, (epsilon, sentence)


@pytest.mark.parametrize("function", ["cube", "sin"])
def test_explorer_slopes_show_where_each_slope_departs_from_the_exact_one(function):
    for epsilon in 10.0 ** np.arange(0, -12.25, -0.25):  # every slider position
        s = L.epsilon_state(epsilon, function, 1.0)
        text = widget_epsilon.explorer_slopes(s)
        exact = L.fmt(s["exact"], 6)
        for kind in ("forward", "centered"):
            shown = text.split(f"{kind} ")[1].split(",")[0]
            assert float(shown) == pytest.approx(s[kind], rel=1e-5)
            if s[kind] != s["exact"]:
                assert shown != exact, (epsilon, text)  # "forward 3, centered 3, exact 3" said nothing
                digits = len(shown.split("e")[0].replace("-", "").replace(".", "").lstrip("0"))
                shorter = f"{s[kind]:.{digits - 1}g}"
                assert digits <= 6 or shorter == f"{s['exact']:.{digits - 1}g}", (epsilon, shown)  # no digit too many
    slopes = widget_epsilon.explorer_slopes(L.epsilon_state(1e-7, "cube", 1.0))
    assert slopes.startswith("Slopes: forward 3.0000003, centered 3.0000000001")


def test_epsilon_curves_are_computed_once_per_function():
    L.epsilon_curves.cache_clear()
    for epsilon in (1e-1, 1e-5, 1e-9):
        L.epsilon_state(epsilon, "cube", 1.0)
    assert L.epsilon_curves.cache_info().misses == 1
    with pytest.raises(ValueError, match="read-only"):
        L.epsilon_state(1e-3)["forward_errors"][0] = 0.0  # a cached curve cannot be changed by a caller


@pytest.mark.parametrize("call, argument", [
    (lambda: L.epsilon_state(0.0), "epsilon"), (lambda: L.epsilon_state(-1e-3), "epsilon"),
    (lambda: L.epsilon_state(1e-3, "tan"), "function"), (lambda: L.epsilon_state(1e-3, "cube", float("inf")), "x0"),
    (lambda: L.bug_picker_1d_state("no such bug"), "bug"), (lambda: L.bug_picker_1d_state(epsilon=0), "epsilon"),
    (lambda: L.smoke_test_message(-1), "clicks")])
def test_state_functions_refuse_bad_input_naming_the_argument(call, argument):
    with pytest.raises(ValueError, match=argument):
        call()


def test_the_lab_state_module_imports_no_widget_and_no_plotting_library():
    code = ("import sys, course_utils.lab; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'ipywidgets', 'matplotlib', 'PIL'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    # the same probe sees them when they are imported: the views module does import them
    code_views = code.replace("course_utils.lab", "course_utils.widgets")
    out = subprocess.run([sys.executable, "-c", code_views], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['PIL', 'ipywidgets', 'matplotlib']"


def test_smoke_test_message_counts_clicks():
    assert "Click" in L.smoke_test_message(0)
    assert L.smoke_test_message(1) == "Widgets work: you clicked once."
    assert L.smoke_test_message(3) == "Widgets work: you clicked 3 times."


# ----------------------------------------------------------------------------------------------
# The views: factories return widgets, controls trigger recomputation


@pytest.fixture(autouse=True)
def _no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a student must never see a warning from a widget
        yield


@pytest.mark.parametrize("factory", [w.smoke_test, w.epsilon_explorer, w.bug_picker_1d, w.bug_lab])
def test_factories_return_a_widget_with_static_fallback_and_display_nothing(factory, capsys):
    widget = factory()
    assert isinstance(widget, ipywidgets.Box)
    assert capsys.readouterr() == ("", "")
    bundle = widget._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "widgets are not rendering" in bundle["text/plain"]
    if factory in (w.epsilon_explorer, w.bug_lab):
        assert base64.b64decode(bundle["image/png"]).startswith(PNG)


def _checkbox(lab, name):
    box = lab.checkboxes[name]
    assert isinstance(box, ipywidgets.Checkbox)
    return box


def test_ticking_a_bug_recomputes_and_replaces_the_image():
    lab = w.bug_lab()
    before = lab.image.value
    assert bytes(before).startswith(PNG) and lab.state["suspects"] == []
    _checkbox(lab, "dW2_times_2").value = True
    assert lab.state["bugs"] == ["dW2_times_2"]
    assert lab.state["suspects"] == ["W2"]
    assert bytes(lab.image.value).startswith(PNG) and lab.image.value != before
    assert "W2 looks wrong" in lab.summary.value
    assert "<b>bug</b>" in lab.table.value
    _checkbox(lab, "dW2_times_2").value = False
    assert lab.state["suspects"] == [] and "All gradients agree" in lab.summary.value


@pytest.mark.parametrize("name", list(BUGS))
def test_each_checkbox_shows_its_bugs_suspects(name):
    lab = w.bug_lab()
    if BUGS[name].needs_l2:
        lab.lambd.value = 0.7
    _checkbox(lab, name).value = True
    expected = list(BUGS[name].corrupts)
    assert lab.state["suspects"] == expected
    assert lab.summary.value.count("looks wrong") + lab.summary.value.count("look wrong") == 1
    assert lab.table.value.count("<b>bug</b>") == len(expected)


def test_epsilon_seed_and_lambda_controls_recompute():
    lab = w.bug_lab(bugs=COLLEAGUE_BUGS)
    lab.epsilon.value = 1e-4
    assert lab.state["epsilon"] == pytest.approx(1e-4)
    assert lab.state["result"].epsilon == pytest.approx(1e-4)
    lab.seed.value = 3
    assert lab.state["seed"] == 3
    assert lab.state["suspects"] == ["b1", "W2"]
    lab.lambd.value = 0.7
    assert lab.state["lambd"] == 0.7
    _checkbox(lab, "l2_term_missing").value = True
    assert lab.state["suspects"] == ["W1", "b1", "W2", "W3"]


def test_needs_l2_checkbox_without_lambda_shows_the_note():
    lab = w.bug_lab()
    assert "needs λ > 0" in lab.checkboxes["l2_term_missing"].description
    lab.checkboxes["l2_term_missing"].value = True
    assert "All gradients agree" in lab.summary.value
    assert "needs λ &gt; 0" in lab.summary.value  # HTML-escaped


def test_reset_restores_the_starting_state_with_one_recompute(monkeypatch):
    lab = w.bug_lab(bugs=["dW2_times_2"])
    start = lab.image.value
    lab.checkboxes["db1_4_over_m"].value = True
    lab.epsilon.value = 1e-3
    lab.seed.value = 2
    calls = []
    original = L.bug_lab_state
    monkeypatch.setattr(widget_bug_lab, "bug_lab_state", lambda *a, **k: (calls.append(a), original(*a, **k))[1])
    lab.reset.click()
    assert len(calls) == 1  # not one per control that the reset changed
    assert lab.selected() == ["dW2_times_2"]
    assert lab.state["suspects"] == ["W2"] and lab.state["epsilon"] == pytest.approx(1e-7)
    assert lab.image.value == start


def test_static_text_follows_the_state():
    lab = w.bug_lab()
    lab.checkboxes["db1_4_over_m"].value = True
    text = lab._repr_mimebundle_()["text/plain"]
    assert text.startswith("Bug Lab: bugs = db1_4_over_m; ε = 1e-07; data seed 1; λ = 0\n")
    assert "b1 looks wrong" in text


def test_bug_picker_widget_follows_dropdown_and_slider():
    picker = w.bug_picker_1d()
    assert "pass" in picker.table.value
    assert (picker.state["x"], picker.state["theta"]) == L.PICKER_POINT == (2.0, 3.0)
    picker.bug.value = "returns theta instead of x"
    assert picker.state["difference"] == pytest.approx(1 / 5)  # |3 - 2| / (3 + 2)
    assert "fail" in picker.table.value and "2.00e-01" in picker.table.value
    picker.bug.value = "returns 2x"
    assert picker.state["difference"] == pytest.approx(1 / 3)  # |4 - 2| / (4 + 2)
    picker.bug.value = next(iter(L.BUGS_1D))
    picker.epsilon.value = 1e-12
    assert "Round-off, not a bug" in picker.table.value and "rounded" in picker.table.value


def test_epsilon_explorer_slider_redraws():
    explorer = w.epsilon_explorer()
    before = explorer.image.value
    explorer.slider.value = 1e-3
    assert explorer.state["epsilon"] == pytest.approx(1e-3)
    assert bytes(explorer.image.value).startswith(PNG) and explorer.image.value != before
    assert "ε = 1e-03" in explorer.text.value
    explorer.function.value = "sin"
    assert explorer.state["function"] == "sin"


def test_smoke_test_button_updates_label():
    smoke = w.smoke_test()
    smoke.button.click()
    smoke.button.click()
    assert smoke.label.value == "Widgets work: you clicked 2 times."


# ----------------------------------------------------------------------------------------------
# What the views draw and say: descriptions, labels, the red marker, the pixels


def test_every_checkbox_has_its_bug_description_under_it():
    lab = w.bug_lab()
    for name in BUGS:
        assert html.escape(BUGS[name].description) in lab.descriptions[name].value
        assert lab.bug_cells[name].children == (lab.checkboxes[name], lab.descriptions[name])  # right under it
    shown = [cell for child in lab.children if isinstance(child, ipywidgets.GridBox) for cell in child.children]
    assert shown == list(lab.bug_cells.values())


def _decoded(png):
    return np.asarray(PIL.Image.open(io.BytesIO(bytes(png))).convert("RGB"))


def test_png_encoder_round_trips_the_canvas_pixels():
    rgba = np.random.default_rng(0).integers(0, 256, size=(7, 5, 4), dtype=np.uint8)
    assert np.array_equal(_decoded(widget_base.encode_png(rgba)), rgba[:, :, :3])
    lab = w.bug_lab()
    assert np.array_equal(_decoded(lab.image.value), np.asarray(lab.plot.blitter.canvas.buffer_rgba())[:, :, :3])


@pytest.mark.parametrize("factory, change", [
    (w.bug_lab, lambda lab: setattr(lab.checkboxes["output_sign_flipped"], "value", True)),
    (w.bug_lab, lambda lab: setattr(lab.epsilon, "value", 1e-3)),
    (w.epsilon_explorer, lambda ex: setattr(ex.slider, "value", 1e-6)),
    (w.epsilon_explorer, lambda ex: setattr(ex.function, "value", "sin"))])
def test_blitted_plot_matches_a_full_redraw(factory, change):
    widget = factory()
    change(widget)
    blitted = _decoded(widget.image.value).astype(int)
    canvas = widget.plot.blitter.canvas
    canvas.draw()  # everything drawn from scratch, in zorder
    full = np.asarray(canvas.buffer_rgba())[:, :, :3].astype(int)
    differing = np.abs(blitted - full).max(axis=2) > 40
    assert differing.mean() < 0.002, differing.mean()  # only antialiased edges may differ


def _overlapping_names(texts, renderer):
    boxes = [(t.get_text().strip(), t.get_window_extent(renderer)) for t in texts]
    return [(a, b) for i, (a, box_a) in enumerate(boxes) for b, box_b in boxes[i + 1:] if box_a.overlaps(box_b)]


def test_tensor_names_do_not_overlap_when_every_difference_is_near_1(monkeypatch):
    lab = w.bug_lab(bugs=["output_sign_flipped"])  # every tensor's difference is 1
    assert [r["difference"] for r in lab.state["table_rows"]] == pytest.approx([1.0] * 6)
    assert _overlapping_names(lab.plot.labels.values(), lab.plot.blitter.canvas.get_renderer()) == []
    result = lab.state["result"]
    fig = plots.plot_parameter_errors(result)  # notebook 04's static plot (narrower per entry)
    fig.canvas.draw()
    assert _overlapping_names(fig.axes[0].texts, fig.canvas.get_renderer()) == []
    # the check can fail: with every name above its bar, W3 and b3 collide in the static plot
    monkeypatch.setattr(plots, "label_sides", lambda centers, heights: ["above"] * len(centers))
    crowded = plots.plot_parameter_errors(result)
    crowded.canvas.draw()
    assert ("W3", "b3") in _overlapping_names(crowded.axes[0].texts, crowded.canvas.get_renderer())
    import matplotlib.pyplot as plt
    plt.close(fig)
    plt.close(crowded)


def test_label_sides_puts_a_crowded_label_below_its_bar():
    # b2, W3 and b3 of the classic network: centers 41, 44 and 46 entries, all at 1
    assert plots.label_sides([9.5, 22, 32, 41, 44, 46], [1] * 6) == ["above"] * 4 + ["below", "above"]
    assert plots.label_sides([41, 44], [1, 1e-6]) == ["above", "above"]  # far apart in height: no clash


def test_epsilon_explorer_marker_is_red_where_the_errors_are():
    explorer = w.epsilon_explorer(epsilon=1e-3)
    s = explorer.state
    pixels = _decoded(explorer.image.value)
    ax = explorer.plot.right
    height = pixels.shape[0]
    for error in (s["forward_error"], s["centered_error"]):
        x, y = ax.transData.transform((s["epsilon"], error))
        r, g, b = pixels[round(height - y), round(x)]
        assert r > 180 and g < 60 and b < 60, (r, g, b)  # plainly red: not vermillion (#D55E00), nor an orange curve


@pytest.mark.parametrize("call, argument", [
    (lambda: w.epsilon_explorer(epsilon=0), "epsilon"), (lambda: w.epsilon_explorer(function="tan"), "function"),
    (lambda: w.bug_picker_1d(bug="no such bug"), "bug"), (lambda: w.bug_lab(seed=9), "seed"),
    (lambda: w.bug_lab(bugs=["no_such_bug"]), "bugs"), (lambda: w.bug_lab(lambd=0.3), "lambd"),
    (lambda: w.bug_lab(epsilon=1e-12), "epsilon"), (lambda: w.epsilon_explorer(epsilon=2.0), "epsilon"),
    (lambda: w.bug_picker_1d(epsilon=0.5), "epsilon")])
def test_factories_refuse_bad_input_naming_the_argument(call, argument):
    with pytest.raises(ValueError, match=argument):
        call()


def test_the_bug_lab_names_its_suspects_in_words_and_its_dashed_line_as_the_overall_threshold():
    lab = w.bug_lab(bugs=["dW3_missing_1_over_m"])
    summary = html.unescape(lab.summary.value)
    assert "Suspects (tensors whose gradient the checker finds wrong): W3 --" in summary
    assert "threshold of the overall difference (2e-07)" in summary
    legend = [t.get_text() for t in lab.plot.ax.get_legend().get_texts()]
    assert plots.threshold_label(2e-7) in legend and "overall difference" in plots.threshold_label(2e-7)
    assert plots.SUSPECT_LABEL in legend and not any("edge" in text for text in legend)  # no jargon
    # a suspect is drawn larger, with a black outline, and its name in bold; the others are not
    assert lab.plot.scatters["W3"].get_sizes()[0] == plots.SUSPECT_SIZE
    assert tuple(lab.plot.scatters["W3"].get_edgecolors()[0][:3]) == (0.0, 0.0, 0.0)
    assert lab.plot.labels["W3"].get_fontweight() == "bold"
    for name in ("W1", "b1", "W2", "b2", "b3"):
        assert lab.plot.scatters[name].get_sizes()[0] < plots.SUSPECT_SIZE
        assert lab.plot.labels[name].get_fontweight() == "normal"
    lab.checkboxes["dW3_missing_1_over_m"].value = False
    assert "Suspects: none" in html.unescape(lab.summary.value)
