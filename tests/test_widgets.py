"""Tests of course_utils/widgets.py without a browser: the pure state functions, then the views.

The state functions are checked against independent oracles (the bug catalog, hand-computed 1-D
values, Taylor-series error sizes); the widgets are checked by setting control values the way a
front end does (checkbox.value = True) and looking at what they show.
"""
import base64
import warnings

import ipywidgets
import numpy as np
import pytest

from course_utils import widgets as w
from course_utils.bugs import BUGS, CLASSIC_PARAMETERS
from course_utils.network import gradient_check_n_test_case

PNG = b"\x89PNG\r\n\x1a\n"


# ----------------------------------------------------------------------------------------------
# Bug Lab: pure functions


def test_bug_order_puts_the_two_classics_first_and_lists_every_bug_once():
    order = w.bug_order()
    assert order[:2] == ["dW2_times_2", "db1_4_over_m"]
    assert sorted(order) == sorted(BUGS)


def test_lab_data_seed_1_is_the_classic_test_case():
    X, Y, p = w.lab_data(1)
    X0, Y0, p0 = gradient_check_n_test_case()
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(Y, Y0)
    for k in p0:
        np.testing.assert_array_equal(p[k], p0[k])


def test_lab_data_other_seeds_draw_the_same_shapes_in_the_same_order():
    X, Y, p = w.lab_data(7)
    rs = np.random.RandomState(7)  # independent re-draw: X, W1, b1, W2, b2, W3, b3
    np.testing.assert_array_equal(X, rs.randn(4, 3))
    for name, shape in [("W1", (5, 4)), ("b1", (5, 1)), ("W2", (3, 5)), ("b2", (3, 1)), ("W3", (1, 3)), ("b3", (1, 1))]:
        np.testing.assert_array_equal(p[name], rs.randn(*shape))
    np.testing.assert_array_equal(Y, [1, 1, 0])
    assert not np.array_equal(X, w.lab_data(1)[0])


def test_no_bug_passes_with_the_published_difference():
    s = w.bug_lab_state((), 1e-7, 1)
    assert s["suspects"] == []
    assert s["passed"]
    assert s["difference"] == pytest.approx(1.19e-7, rel=0.05)
    assert s["sentence"] == "All gradients agree: difference 1.2e-07 < 2e-07."
    # no tensor fails; one whose block difference is above the line only by round-off says so
    for row in s["table_rows"]:
        expected = "round-off" if row["difference"] >= s["threshold"] else "pass"
        assert row["verdict"] == expected, row
    assert "round-off" in w.bug_lab_table_html(s)  # the classic cost's rounding shows in b1 and b3


def test_the_two_classic_bugs_give_the_published_numbers():
    s = w.bug_lab_state(w.CLASSIC_BUGS, 1e-7, 1)
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
    s = w.bug_lab_state([name], 1e-7, 1)
    expected = [t for t in CLASSIC_PARAMETERS if t in BUGS[name].corrupts]
    assert s["expected"] == expected
    assert s["suspects"] == expected
    assert [r["tensor"] for r in s["table_rows"] if r["verdict"] == "fail"] == expected
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
    s = w.bug_lab_state([name], 1e-7, seed)
    assert set(s["suspects"]) <= set(BUGS[name].corrupts)
    if name in ("dW2_times_2", "db1_4_over_m", "dW3_missing_1_over_m"):
        assert s["suspects"] == list(BUGS[name].corrupts)


def test_needs_l2_bug_without_l2_changes_nothing_and_says_so():
    s = w.bug_lab_state(["l2_term_missing"], 1e-7, 1, lambd=0.0)
    assert s["suspects"] == [] and s["expected"] == []
    assert s["passed"]
    assert s["sentence"].startswith("All gradients agree")
    assert any("l2_term_missing needs λ > 0" in n for n in s["notes"])
    assert all(r["catalog"] == [] for r in s["table_rows"])


def test_needs_l2_bug_with_l2_names_every_weight():
    s = w.bug_lab_state(["l2_term_missing"], 1e-7, 1, lambd=0.7)
    assert s["suspects"] == ["W1", "W2", "W3"] == s["expected"]
    assert s["sentence"].startswith("W1, W2 and W3 look wrong")
    assert not any("needs λ" in n for n in s["notes"])


def test_l2_without_bugs_passes():
    s = w.bug_lab_state((), 1e-7, 1, lambd=0.7)
    assert s["suspects"] == []
    assert s["difference"] < 2e-7


def test_epsilon_notes_warn_at_the_extremes_only():
    assert w.bug_lab_state((), 1e-7, 1)["notes"] == []
    assert any("large" in n for n in w.bug_lab_state((), 1e-1, 1)["notes"])
    assert any("tiny" in n for n in w.bug_lab_state((), 1e-10, 1)["notes"])


def test_bug_lab_state_refuses_unknown_bugs():
    with pytest.raises(ValueError, match="unknown bug"):
        w.bug_lab_state(["no_such_bug"])


def test_table_html_and_text_name_suspects_with_pass_fail():
    s = w.bug_lab_state(w.CLASSIC_BUGS, 1e-7, 1)
    table = w.bug_lab_table_html(s)
    verdicts = [row["verdict"] for row in s["table_rows"]]
    assert [row["tensor"] for row in s["table_rows"] if row["verdict"] == "fail"] == ["b1", "W2"]
    assert table.count("<b>fail</b>") == 2
    assert table.count("<b>pass</b>") + table.count("<b>round-off</b>") == 4
    assert table.count("<b>pass</b>") == verdicts.count("pass")
    text = w.bug_lab_text(s)
    assert "bugs = dW2_times_2, db1_4_over_m" in text
    assert "Overall difference 0.29 >= threshold 2e-07: fail." in text
    assert "b1 and W2 look wrong" in text


# ----------------------------------------------------------------------------------------------
# 1-D bug picker and epsilon explorer: pure functions


def test_bug_picker_1d_correct_pass_gives_the_course_numbers():
    s = w.bug_picker_1d_state(next(iter(w.BUGS_1D)), 1e-7)
    assert (s["J"], s["dtheta"]) == (8.0, 2.0)
    assert s["gradapprox"] == pytest.approx(2.0, abs=1e-8)
    assert 1e-10 < s["difference"] < 1e-9  # about 2.9e-10 (COURSE.md)
    assert s["passed"] and s["sentence"].startswith("The gradient is correct")


@pytest.mark.parametrize("bug, dtheta, difference", [
    ("returns theta instead of x", 4.0, 1 / 3),   # |4 - 2| / (4 + 2)
    ("returns 2x", 4.0, 1 / 3),
    ("sign error: returns -x", -2.0, 1.0),        # |-2 - 2| / (2 + 2)
    ("returns J = θx instead of dθ", 8.0, 0.6),    # 6 / 10
    ("returns x + θ", 6.0, 0.5),                   # 4 / 8
])
def test_bug_picker_1d_bugs_give_hand_computed_differences(bug, dtheta, difference):
    s = w.bug_picker_1d_state(bug, 1e-7)
    assert s["dtheta"] == dtheta
    assert s["difference"] == pytest.approx(difference, rel=1e-6)
    assert not s["passed"] and "backward pass is wrong" in s["sentence"]


def test_bug_picker_1d_tiny_epsilon_blames_round_off_not_the_code():
    s = w.bug_picker_1d_state(next(iter(w.BUGS_1D)), 1e-12)
    assert not s["passed"]
    assert "round-off" in s["sentence"] and "No bug" in s["sentence"]


def test_epsilon_state_errors_scale_like_taylor_says():
    # f = x^3 at 1: forward error = 3e + e^2, centered error = e^2 exactly (in exact arithmetic)
    s = w.epsilon_state(1e-2, "cube", 1.0)
    assert s["exact"] == 3.0
    assert s["forward_error"] == pytest.approx(3e-2 + 1e-4, rel=1e-6)
    assert s["centered_error"] == pytest.approx(1e-4, rel=1e-6)
    sin = w.epsilon_state(1e-3, "sin", 0.5)
    assert sin["centered_error"] == pytest.approx(np.cos(0.5) * 1e-6 / 6, rel=1e-3)
    assert s["epsilons"].shape == s["forward_errors"].shape == s["centered_errors"].shape
    assert "centered difference is closer" in w.epsilon_sentence(s)


def test_epsilon_state_round_off_makes_tiny_epsilon_worse():
    best = w.epsilon_state(1e-5)["centered_error"]
    assert w.epsilon_state(1e-12)["centered_error"] > 100 * best


def test_smoke_test_message_counts_clicks():
    assert "Click" in w.smoke_test_message(0)
    assert w.smoke_test_message(1) == "Widgets work: you clicked once."
    assert w.smoke_test_message(3) == "Widgets work: you clicked 3 times."


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
    assert "<b>fail</b>" in lab.table.value
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
    assert lab.table.value.count("<b>fail</b>") == len(expected)


def test_epsilon_seed_and_lambda_controls_recompute():
    lab = w.bug_lab(bugs=w.CLASSIC_BUGS)
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
    original = w.bug_lab_state
    monkeypatch.setattr(w, "bug_lab_state", lambda *a, **k: (calls.append(a), original(*a, **k))[1])
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
    picker.bug.value = "returns theta instead of x"
    assert picker.state["difference"] == pytest.approx(1 / 3)
    assert "fail" in picker.table.value and "3.33e-01" in picker.table.value
    picker.bug.value = next(iter(w.BUGS_1D))
    picker.epsilon.value = 1e-12
    assert "round-off" in picker.table.value


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
