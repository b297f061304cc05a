"""Checks of notebook 01 approximate a derivative."""
import numpy as np

from course_utils.checks._common import (
    SEED,
    _as_float,
    _close,
    _fail,
    _hints,
    _reports_stubs,
    _require_function,
)
from course_utils.gradcheck import relative_difference


def _cases_1d(rng):
    """(label, f, x, epsilon) for the difference quotients: x**3 at 2 first, then random ones."""
    return [
        ("x**3", lambda x: x ** 3, 2.0, 1e-3),
        ("sin", np.sin, float(rng.uniform(-2, 2)), 1e-4),
        ("exp", np.exp, float(rng.uniform(-1, 1)), 1e-2),
    ]


def _quotient_candidates(f, x, e, correct):
    """What the usual difference-quotient mistakes give, minus the right one."""
    fp, f0, fm = f(x + e), f(x), f(x - e)
    candidates = {
        "forward": ((fp - f0) / e, "you used the one-sided forward difference (f(x + epsilon) - f(x)) / epsilon; "
                                   "its error is O(epsilon), the centered one's O(epsilon^2)."),
        "centered": ((fp - fm) / (2 * e), "you computed the centered difference; this exercise asks for the "
                                          "one-sided forward difference (f(x + epsilon) - f(x)) / epsilon."),
        "backward": ((f0 - fm) / e, "you used x - epsilon: the forward difference is (f(x + epsilon) - f(x)) / epsilon."),
        "div2e_forward": ((fp - f0) / (2 * e), "you divided by 2 * epsilon: the forward difference divides by epsilon."),
        "div_e_centered": ((fp - fm) / e, "you divided by epsilon: the two points are 2 * epsilon apart, "
                                          "so divide by (2 * epsilon)."),
        "precedence": ((fp - fm) / 2 * e, "operator precedence: `/ 2 * epsilon` divides by 2 and then MULTIPLIES "
                                          "by epsilon; write / (2 * epsilon)."),
        "sign_forward": ((f0 - fp) / e, "the sign is flipped: it is f(x + epsilon) - f(x), not f(x) - f(x + epsilon)."),
        "sign_centered": ((fm - fp) / (2 * e), "the sign is flipped: it is f(x + epsilon) - f(x - epsilon)."),
        "no_division_forward": (fp - f0, "you forgot to divide by epsilon."),
        "no_division_centered": (fp - fm, "you forgot to divide by 2 * epsilon."),
    }
    candidates.pop(correct)
    out = list(candidates.values())
    for other in (1e-7, 1e-5, 1e-4, 1e-3, 1e-2):  # a hard-coded epsilon instead of the argument
        if not np.isclose(other, e):
            value = (f(x + other) - f(x)) / other if correct == "forward" else (f(x + other) - f(x - other)) / (2 * other)
            out.append((value, f"you ignored the epsilon argument (this matches epsilon = {other:g} hard-coded)."))
    return out


def _check_quotient(student, name, correct):
    _require_function(student, name)
    rng = np.random.default_rng(SEED)
    results = []
    for label, f, x, e in _cases_1d(rng):
        want = (f(x + e) - f(x)) / e if correct == "forward" else (f(x + e) - f(x - e)) / (2 * e)
        call = f"{name}({label}, x={x:.6g}, epsilon={e:g})"
        got = _as_float(student(f, x, e), call)
        if not _close(got, want, rtol=1e-7, atol=1e-12):
            _fail(call, got, want, _hints(got, _quotient_candidates(f, x, e, correct), rtol=1e-7, atol=1e-12))
        results.append(want)
    return results[0]


@_reports_stubs("forward_difference")
def check_forward_difference(forward_difference):
    """forward_difference(f, x, epsilon) must return (f(x + epsilon) - f(x)) / epsilon."""
    slope = _check_quotient(forward_difference, "forward_difference", "forward")
    print(f"forward_difference passed: slope of x**3 at 2 = {slope:.4f} (exact 12, error {abs(slope - 12):.1e})")


@_reports_stubs("centered_difference")
def check_centered_difference(centered_difference):
    """centered_difference(f, x, epsilon) must return (f(x + epsilon) - f(x - epsilon)) / (2 epsilon)."""
    slope = _check_quotient(centered_difference, "centered_difference", "centered")
    print(f"centered_difference passed: slope of x**3 at 2 = {slope:.4f} (exact 12, error {abs(slope - 12):.1e})")


def _relative_candidates(g, a):
    g, a = np.ravel(np.asarray(g, float)), np.ravel(np.asarray(a, float))
    n = np.linalg.norm
    return [
        (n(g - a), "you returned only the numerator ||grad - gradapprox||: divide by "
                   "||grad|| + ||gradapprox|| so the difference does not depend on the gradient's size."),
        (n(g - a) / n(g), "the denominator is ||grad|| + ||gradapprox||, not ||grad|| alone."),
        (n(g - a) / n(a), "the denominator is ||grad|| + ||gradapprox||, not ||gradapprox|| alone."),
        (n(g - a) / n(g + a), "the denominator is ||grad|| + ||gradapprox|| (the sum of the two norms), "
                              "not the norm of the sum ||grad + gradapprox||."),
        (n(g - a) ** 2 / (n(g) ** 2 + n(a) ** 2), "you squared the norms: use np.linalg.norm(...) itself, not its square."),
        (n(g - a) / (n(g) ** 2 + n(a) ** 2), "you squared the norms in the denominator: use ||grad|| + ||gradapprox||."),
        (n(g - a) ** 2 / (n(g) + n(a)), "you squared the numerator: use ||grad - gradapprox||."),
        (np.sum(np.abs(g - a)) / (np.sum(np.abs(g)) + np.sum(np.abs(a))),
         "you used sums of absolute values (the 1-norm); use the 2-norm np.linalg.norm."),
        (abs(n(g) - n(a)) / (n(g) + n(a)), "the numerator is the norm of the difference ||grad - gradapprox||, "
                                           "not the difference of the norms."),
    ]


@_reports_stubs("relative_difference")
def check_relative_difference(relative_difference_fn):
    """relative_difference(grad, gradapprox) must return ||g - a|| / (||g|| + ||a||)."""
    _require_function(relative_difference_fn, "relative_difference")
    rng = np.random.default_rng(SEED)
    g = np.array([[1.0], [2.0], [3.0]])
    r = rng.standard_normal((5, 1))
    v = rng.standard_normal(7)
    cases = [
        ("grad=[[1],[2],[3]], gradapprox=2*grad", g, 2 * g),
        ("grad, gradapprox: random (5, 1)", r, r + 0.3 * rng.standard_normal((5, 1))),
        ("grad, gradapprox: random (7,)", v, v * (1 + 0.01 * rng.standard_normal(7))),
        ("grad=2.0, gradapprox=2.5", 2.0, 2.5),
    ]
    for label, grad, approx in cases:
        want = relative_difference(grad, approx)
        call = f"relative_difference({label})"
        got = _as_float(relative_difference_fn(np.copy(grad), np.copy(approx)), call)
        if not _close(got, want, rtol=1e-9):
            _fail(call, got, want, _hints(got, _relative_candidates(grad, approx)))
    first = relative_difference(g, 2 * g)
    print(f"relative_difference passed: grad vs 2 * grad gives {first:.4f} (= 1/3)")
