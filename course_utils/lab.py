"""Pure lab state behind the course's widgets: numbers and sentences, no widget, no plot.

Every function here takes plain values (the positions of a widget's controls) and returns plain
values (dicts of numbers and strings); course_utils.widgets only wires controls to them and draws.
This module never imports ipywidgets or matplotlib (tests/test_widgets.py checks it), so it can be
tested, and used in a notebook's text, without a front end.

- smoke_test_message(clicks)                      notebook 00, the smoke test's label
- epsilon_state(epsilon, function, x0)            notebook 01, the ε explorer
- bug_picker_1d_state(bug, epsilon, x, theta)     notebook 02, the 1-D bug picker (PICKER_POINT)
- bug_lab_state(bugs, epsilon, seed, lambd)       notebook 04, the Bug Lab (and bug_lab_text)
"""
from functools import lru_cache

import numpy as np

from course_utils.backprop import backward_propagation_deep, backward_propagation_n
from course_utils.bugs import BUGS, COLLEAGUE_BUGS, validate_bugs
from course_utils.compare import EPS
from course_utils.fastcost import NetworkCost, classic_cost
from course_utils.gradcheck import THRESHOLD, check_gradients, relative_difference
from course_utils.network import (
    CLASSIC_SHAPES,
    forward_propagation_deep,
    forward_propagation_n,
    gradient_check_n_test_case,
)

#: the pass/fail line of the 1-D check
THRESHOLD_1D = 1e-7
#: data seeds offered by the Bug Lab (1 is the classic test case)
SEEDS = (1, 2, 3, 4, 5)
#: L2 strengths offered by the Bug Lab
LAMBDAS = (0.0, 0.1, 0.7)


def fmt(x, digits=2):
    """A float for people: `digits` significant digits at most, '0' for zero."""
    return "0" if x == 0 else f"{x:.{digits}g}"


def fmt_eps(x):
    """Epsilon as '1e-07' when it is a power of ten, else '3.2e-07'."""
    return f"{x:.1e}".replace(".0e", "e")


def _positive(value, name):
    """value as a finite float > 0, or a ValueError naming the argument."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {value!r}") from None
    if not np.isfinite(number) or number <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return number


# ----------------------------------------------------------------------------------------------
# Notebook 00: smoke test


def smoke_test_message(clicks):
    """The label of the smoke test after `clicks` clicks (int >= 0)."""
    if isinstance(clicks, bool) or not isinstance(clicks, (int, np.integer)) or clicks < 0:
        raise ValueError(f"clicks must be an int >= 0, got {clicks!r}")
    if clicks == 0:
        return "Click the button: this text should change."
    times = "once" if clicks == 1 else f"{clicks} times"
    return f"Widgets work: you clicked {times}."


# ----------------------------------------------------------------------------------------------
# Notebook 01: epsilon explorer

#: name -> (f, f', f'', f''', formula)
FUNCTIONS = {
    "cube": (lambda x: x ** 3, lambda x: 3 * x ** 2, lambda x: 6 * x, lambda x: 6.0 + 0 * x, "f(x) = x³"),
    "sin": (np.sin, np.cos, lambda x: -np.sin(x), lambda x: -np.cos(x), "f(x) = sin(x)"),
}
#: the epsilons of the error-against-ε curves: 1 down to 1e-12, four per power of ten
EXPLORER_EPSILONS = np.logspace(0, -12, 49)


def _forward(f, x0, e):
    return (f(x0 + e) - f(x0)) / e


def _centered(f, x0, e):
    return (f(x0 + e) - f(x0 - e)) / (2 * e)


@lru_cache(maxsize=16)
def epsilon_curves(function="cube", x0=1.0):
    """The error-against-ε curves of one function and point (they do not depend on the slider's ε).

    Returns (epsilons (k,), forward_errors (k,), centered_errors (k,)), read-only arrays over
    EXPLORER_EPSILONS; cached, so moving the slider never recomputes them.
    """
    if function not in FUNCTIONS:
        raise ValueError(f"function must be one of {sorted(FUNCTIONS)}, got {function!r}")
    f, df = FUNCTIONS[function][:2]
    exact = df(x0)
    eps = EXPLORER_EPSILONS.copy()
    curves = (eps, np.abs(_forward(f, x0, eps) - exact), np.abs(_centered(f, x0, eps) - exact))
    for array in curves:
        array.flags.writeable = False
    return curves


def epsilon_state(epsilon, function="cube", x0=1.0):
    """Forward and centered differences of a test function at x0 for one epsilon.

    epsilon -- the step (> 0); function -- a key of FUNCTIONS ("cube": x³, "sin"); x0 -- the point
    Returns a dict: formula, function, x0, f0 = f(x0), exact = f'(x0), epsilon, forward, centered (the
    two slopes), forward_error, centered_error (absolute errors), roundoff (the round-off scale
    EPS * max(|f(x0)| + |x0 f'(x0)|, 1) / epsilon, EPS the float64 machine epsilon of course_utils.compare: the
    rounding of f and of x0 +- epsilon),
    forward_truncation = |f''(x0)| ε / 2 and
    centered_truncation = |f'''(x0)| ε² / 6 (the leading Taylor terms), and the curves over
    EXPLORER_EPSILONS: epsilons (k,), forward_errors (k,), centered_errors (k,).
    """
    if function not in FUNCTIONS:
        raise ValueError(f"function must be one of {sorted(FUNCTIONS)}, got {function!r}")
    epsilon = _positive(epsilon, "epsilon")
    x0 = float(x0)
    if not np.isfinite(x0):
        raise ValueError(f"x0 must be a finite number, got {x0!r}")
    f, df, d2f, d3f, formula = FUNCTIONS[function]
    exact = float(df(x0))
    forward, centered = float(_forward(f, x0, epsilon)), float(_centered(f, x0, epsilon))
    epsilons, forward_errors, centered_errors = epsilon_curves(function, x0)
    return {"formula": formula, "function": function, "x0": x0, "f0": float(f(x0)), "exact": exact, "epsilon": epsilon,
                "forward": forward, "centered": centered,
                "forward_error": abs(forward - exact), "centered_error": abs(centered - exact),
                "roundoff": float(EPS) * max(abs(float(f(x0))) + abs(x0 * exact), 1.0) / epsilon,
                "forward_truncation": abs(float(d2f(x0))) * epsilon / 2,
                "centered_truncation": abs(float(d3f(x0))) * epsilon ** 2 / 6,
                "epsilons": epsilons, "forward_errors": forward_errors, "centered_errors": centered_errors}


def epsilon_regime(state):
    """What dominates each error at this ε: {"forward": ..., "centered": ...}, "truncation" or "round-off".

    A difference is in the round-off regime when its leading truncation term (from Taylor) is
    smaller than the round-off scale EPS * max(|f(x0)| + |x0 f'(x0)|, 1) / ε (epsilon_state).
    """
    return {kind: "truncation" if state[f"{kind}_truncation"] > state["roundoff"] else "round-off"
            for kind in ("forward", "centered")}


def slope_text(value, exact, digits=6):
    """value with `digits` significant digits, or more: up to the first digit where it differs from `exact`.

    Near ε = 1e-7 both slopes of x³ at 1 round to "3" with 6 digits; shown this way they read
    3.0000003 and 2.9999999996, so a student sees where each departs from the exact slope.
    """
    if value == exact or not (np.isfinite(value) and np.isfinite(exact)):
        return fmt(value, digits)
    for d in range(digits, 18):
        if f"{value:.{d}g}" != f"{exact:.{d}g}":
            return f"{value:#.{d}g}"  # '#' keeps a last 0 that differs: 0.5403020 against 0.5403023
    return repr(float(value))


def epsilon_sentence(state):
    """One plain, true sentence about the two errors at the current epsilon."""
    fe, ce = state["forward_error"], state["centered_error"]
    head = (f"ε = {fmt_eps(state['epsilon'])}: forward error {fmt(fe)}, centered error {fmt(ce)} "
            f"(exact slope {fmt(state['exact'], 4)}); ")
    regime = epsilon_regime(state)
    if regime["forward"] == regime["centered"] == "round-off":
        return head + (f"both are round-off noise (about {fmt(state['roundoff'])} at this ε, more than either "
                       "truncation error), so neither difference is reliably closer: take a larger ε.")
    if fe <= ce:  # the forward one has truncation left, so the centered one is in round-off
        return head + "the forward difference happens to be closer: the centered error is round-off noise here."
    return head + "the centered difference is closer."


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
CORRECT_1D = next(iter(BUGS_1D))  #: the label of the correct backward pass
#: (x, theta) of the bug picker: at notebook 02's x = 2, theta = 4, "returns theta instead of x" and "returns 2x"
#: both return 4; at theta = 3 every backward pass of BUGS_1D returns another number (2, 3, 4, -2, 6, 5)
PICKER_POINT = (2.0, 3.0)


def bug_picker_1d_state(bug=CORRECT_1D, epsilon=1e-7, x=2.0, theta=4.0, threshold=THRESHOLD_1D):
    """The 1-D gradient check of J(theta) = theta * x with a chosen backward-pass bug.

    bug -- a key of BUGS_1D; epsilon -- the step (> 0); x, theta -- the point (notebook 02: 2 and 4; the
    picker widget: PICKER_POINT)
    Returns a dict: bug, epsilon, x, theta, J, dtheta (the backward pass's answer), gradapprox
    (centered difference), difference (relative difference), threshold, passed (difference <
    threshold), step_error (the step really taken, (theta + epsilon) - (theta - epsilon) in float64, is
    2 epsilon (1 + step_error): theta +- epsilon is rounded), gradapprox_real_step (J+ - J- divided by that
    step), sentence.
    """
    if bug not in BUGS_1D:
        raise ValueError(f"bug must be one of {list(BUGS_1D)}, got {bug!r}")
    epsilon = _positive(epsilon, "epsilon")
    threshold = _positive(threshold, "threshold")
    J = theta * x
    dtheta = BUGS_1D[bug](x, theta)
    thetaplus, thetaminus = theta + epsilon, theta - epsilon  # both rounded to the nearest float64
    change = thetaplus * x - thetaminus * x
    gradapprox = change / (2 * epsilon)
    step = thetaplus - thetaminus  # exact (Sterbenz): the step really taken
    step_error = step / (2 * epsilon) - 1
    gradapprox_real_step = change / step
    difference = relative_difference(np.array([dtheta]), np.array([gradapprox]))
    passed = difference < threshold
    if passed:
        sentence = f"The gradient is correct: difference {fmt(difference)} < {fmt_eps(threshold)}."
    elif bug != CORRECT_1D:
        sentence = (f"The backward pass is wrong: dθ = {fmt(dtheta)} but the slope of J is about "
                    f"{fmt(gradapprox, 4)} (difference {fmt(difference)} > {fmt_eps(threshold)}).")
    else:
        sign = "+" if step_error >= 0 else "−"
        head = (f"No bug, yet the difference {fmt(difference)} is above {fmt_eps(threshold)}: with ε = "
                f"{fmt_eps(epsilon)}, θ ± ε is rounded to the nearest float64 number, so the step really taken, "
                f"(θ + ε) − (θ − ε), is 2ε × (1 {sign} {fmt(abs(step_error))}), not 2ε")
        if relative_difference(np.array([dtheta]), np.array([gradapprox_real_step])) < threshold:
            exactly = " exactly" if gradapprox_real_step == dtheta else ""
            sentence = (head + f"; divided by that step, J(θ + ε) − J(θ − ε) gives{exactly} "
                        f"{fmt(gradapprox_real_step, 10)}. "
                        "Round-off, not a bug: try a larger ε.")
        else:
            sentence = head + ", and J(θ ± ε) is rounded too. Round-off, not a bug: try a larger ε."
    return {"bug": bug, "epsilon": epsilon, "x": x, "theta": theta, "J": J, "dtheta": dtheta, "gradapprox": gradapprox,
                "difference": difference, "threshold": threshold, "passed": passed, "step_error": step_error,
                "gradapprox_real_step": gradapprox_real_step, "sentence": sentence}


# ----------------------------------------------------------------------------------------------
# Notebook 04: the Bug Lab


def bug_order():
    """Catalog names with the two classic bugs first, then the rest in catalog order."""
    return list(COLLEAGUE_BUGS) + [name for name in BUGS if name not in COLLEAGUE_BUGS]


def lab_data(seed=1):
    """(X, Y, parameters) of the Bug Lab.

    seed 1 -- the classic test case gradient_check_n_test_case();
    other seeds -- the same shapes drawn with np.random.RandomState(seed).randn in the same order
    (X (4, 3), W1, b1, W2, b2, W3, b3), labels Y = [1, 1, 0] as in the classic case.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an int >= 0, got {seed!r}")
    if seed == 1:
        return gradient_check_n_test_case()
    rs = np.random.RandomState(seed)
    X = rs.randn(4, 3)
    parameters = {name: rs.randn(*shape) for name, shape in CLASSIC_SHAPES.items()}
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
    return [t for t in CLASSIC_SHAPES if t in hit]


def bug_lab_state(bugs=(), epsilon=1e-7, seed=1, lambd=0.0, threshold=THRESHOLD):
    """Inject `bugs` in the classic backward pass and gradient-check it.

    bugs -- names from course_utils.bugs.BUGS; epsilon -- the check's perturbation (> 0)
    seed -- data seed (1: the classic test case, see lab_data); lambd -- L2 strength (>= 0)
    threshold -- the pass/fail line of the difference (> 0)
    With lambd == 0: backward_propagation_n(..., bugs) checked against classic_cost(X, Y).
    With lambd > 0: the same network and classic cost formula plus lambd/(2m) sum ||W||^2, backprop
    by backward_propagation_deep (the classic pass has no L2 term).
    Returns a dict: result (the GradCheckResult), table_rows (one dict per tensor, parameter order:
    tensor, difference, cause = result.causes[tensor] ("ok", "bug", "epsilon too large", "round-off",
    "kink"), catalog = names of the ticked bugs that corrupt it), verdict (result.verdict), sentence
    (result.summary()), notes (plain sentences: ticked bugs that change nothing), descriptions
    (ticked bug name -> its catalog description), difference, passed, suspects, expected
    (catalog_suspects), bugs (ticked, classic ones first), epsilon, seed, lambd, threshold.
    """
    bugs = validate_bugs(bugs, n_layers=3)
    epsilon = _positive(epsilon, "epsilon")
    threshold = _positive(threshold, "threshold")
    try:
        lambd = float(lambd)
    except (TypeError, ValueError):
        raise ValueError(f"lambd must be a finite number >= 0, got {lambd!r}") from None
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
    effective = effective_bugs(bugs, lambd)
    rows = [{"tensor": tensor, "difference": d, "cause": result.causes[tensor],
                 "catalog": [name for name in effective if tensor in BUGS[name].corrupts]}
            for tensor, d in result.block_differences.items()]
    notes = [f"{name} needs λ > 0: without L2 regularization the missing term is zero, so this bug changes "
             "nothing. Raise λ to see it." for name in ordered if BUGS[name].needs_l2 and lambd == 0]
    return {"result": result, "table_rows": rows, "verdict": result.verdict, "sentence": result.summary(), "notes": notes,
                "descriptions": {name: BUGS[name].description for name in ordered},
                "difference": result.difference, "passed": result.passed, "suspects": list(result.suspects),
                "expected": catalog_suspects(bugs, lambd), "bugs": ordered, "epsilon": epsilon, "seed": seed,
                "lambd": lambd, "threshold": threshold}


def bug_lab_text(state):
    """A plain-text summary of a bug_lab_state (rounded, stable numbers)."""
    bugs = ", ".join(state["bugs"]) or "none"
    lines = [(f"Bug Lab: bugs = {bugs}; ε = {fmt_eps(state['epsilon'])}; data seed {state['seed']}; "
             f"λ = {fmt(state['lambd'])}"),
             (f"Overall difference {fmt(state['difference'])} {'<' if state['passed'] else '>='} "
             f"threshold {fmt_eps(state['threshold'])}: {state['verdict']}."),
             state["sentence"]]
    lines += [f"{name}: {text}" for name, text in state["descriptions"].items()]
    lines += [f"Note: {n}" for n in state["notes"]]
    return "\n".join(lines)
