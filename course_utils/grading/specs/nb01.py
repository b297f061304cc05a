"""Verification specs of notebook 01 approximate a derivative (see course_utils/grading/verify.py).

Every case is drawn from the rng the spec gets. A difference quotient's expected value is compared within a
noise bound computed from the actual f values and epsilon (a right answer may order its float operations
differently), and each case is drawn so that the usual mistakes -- the other one-sided or centered
quotient, a hard-coded epsilon, a flipped sign -- land far outside that bound. The cases come in pairs that
differ in one argument only (f, x or epsilon), so a function that ignores one of them fails.
"""
import math

import numpy as np

from course_utils import lab as _lab
from course_utils.compare import noise_bound
from course_utils.expect.exposure import allowed
from course_utils.expect.nb01 import CD_MISTAKES, FD_MISTAKES, RD_MISTAKES, QuotientCase, RelativeCase
from course_utils.gradcheck import relative_difference as _reference_rd
from course_utils.grading.specs._common import _signed, named_mistake
from course_utils.grading.specs.nb00 import _scalar_close
from course_utils.grading.verify import Case, Provided, Spec, as_number

# the quotients themselves are the course library's (course_utils.lab, the epsilon explorer's, which no verification
# run exposes): the specs ship in the student release, so they hold no function that answers an exercise
_QUOTIENTS = {"forward": _lab._forward, "centered": _lab._centered}


def _draw_function(rng):
    """A cubic polynomial (|c3| >= 0.5) or a wave a sin(b x) + c x**3, as a Provided."""
    if rng.integers(2) == 0:
        c = [float(v) for v in rng.normal(0, 2, size=3)] + [_signed(rng, 0.5, 2)]
        return Provided("polynomial", (tuple(c),))
    return Provided("wave", (_signed(rng, 0.5, 3), _signed(rng, 0.5, 3), _signed(rng, 0.1, 1)))


def _derivatives(f, x):
    """f'(x), f''(x), f'''(x) of a Provided function of _draw_function."""
    if f.name == "polynomial":
        _, c1, c2, c3 = f.params[0]
        return c1 + 2 * c2 * x + 3 * c3 * x * x, 2 * c2 + 6 * c3 * x, 6 * c3
    a, b, c = f.params
    return (a * b * math.cos(b * x) + 3 * c * x * x, -a * b * b * math.sin(b * x) + 6 * c * x,
            -a * b ** 3 * math.cos(b * x) + 6 * c)


def _tolerance(fn, x, e, want):
    """How far a right answer may be from `want`: round-off of any order of the quotient's operations (the
    same bound as the check's, course_utils.checks.nb01)."""
    return 1e-9 * abs(want) + noise_bound(abs(fn(x + e)) + abs(fn(x)) + abs(fn(x - e)), e)


def _separates(f, x, e, kind):
    """Whether the case tells the right quotient from the usual mistakes: a slope of clear size, and a
    truncation error (epsilon f''/2 forward, epsilon**2 f'''/6 centered) far above the tolerance, so that
    the other quotient or another epsilon cannot pass."""
    fn = f.build()
    d1, d2, d3 = _derivatives(f, x)
    want = _QUOTIENTS[kind](fn, x, e)
    tol = _tolerance(fn, x, e, want)
    truncation = abs(d2) * e / 2 if kind == "forward" else abs(d3) * e * e / 6
    return abs(d1) >= 0.2 and truncation >= 1e3 * tol and abs(d2) * e / 2 >= 1e3 * tol


def _quotient_cases(rng, name, kind):
    """Six calls: (f, x, e) and (f, x, k e) with a negative slope; (g, y, d) with a positive slope, (g, y', d)
    and (h, y, d); and a large |x|."""
    formula = _QUOTIENTS[kind]
    low, high = (-5.0, -2.0) if kind == "forward" else (-3.5, -1.5)

    def epsilon():
        return float(10 ** rng.uniform(low, high))

    def draw(make, accept):
        for _ in range(1000):
            group = make()
            if all(_separates(f, x, e, kind) for f, x, e in group) and accept(group):
                return group
        raise RuntimeError("no separating case drawn")  # pragma: no cover -- 1000 draws never all miss

    def slope(f, x):
        return _derivatives(f, x)[0]

    def pair_in_epsilon():
        f, x, e = _draw_function(rng), _signed(rng, 0.2, 2.5), epsilon()
        return [(f, x, e), (f, x, e * float(rng.uniform(3, 8)))]

    def triple_in_x_and_f():
        f, x, e = _draw_function(rng), _signed(rng, 0.2, 2.5), epsilon()
        return [(f, x, e), (f, x + _signed(rng, 0.3, 1.0), e), (_draw_function(rng), x, e)]

    group = (draw(pair_in_epsilon, lambda g: slope(*g[0][:2]) < 0)
             + draw(triple_in_x_and_f, lambda g: slope(*g[0][:2]) > 0)
             + draw(lambda: [(_draw_function(rng), _signed(rng, 5, 30), epsilon())], lambda g: True))
    cases = []
    for f, x, e in group:
        fn = f.build()
        want = formula(fn, x, e)
        tol = _tolerance(fn, x, e, want)
        cases.append(Case((f, x, e), (lambda v, _, w=want, a=tol: _scalar_close(v, w, rtol=0.0, atol=a)),
                          f"{name}(f, {x:.6g}, {e:.3g})"))
    return cases


def _quotient_case(case):
    """The case as the mistakes' models take it (course_utils.expect.nb01)."""
    f, x, e = case.args
    return QuotientCase(f.build(), x, e)


def _quotient_close(value, predicted, case):
    """Whether the value returned is a mistake's prediction: within 4 times the round-off of a right answer (as the
    check's), or of the prediction's own bound when it carries one ((value, bound)), and not within that of 0."""
    got = as_number(value)
    bound = 0.0
    if isinstance(predicted, tuple):
        predicted, bound = predicted
    if got is None or isinstance(value, np.ndarray) and value.ndim > 0:
        return False
    predicted = as_number(predicted)
    if predicted is None or not np.isfinite(predicted):
        return predicted is not None and (got == predicted or np.isnan(got) and np.isnan(predicted))
    tol = max(4 * (1e-9 * abs(predicted) + case.noise()), bound)
    # a prediction within round-off of 0 (epsilon times a slope, at a tiny epsilon) cannot tell the mistake from an
    # answer that returns 0: it explains nothing
    return abs(predicted) > tol and abs(got - predicted) <= tol


forward_difference = Spec(
    "forward_difference", lambda rng: _quotient_cases(rng, "forward_difference", "forward"),
    reference_modules=("gradcheck.py", "differences.py", "checks", "widgets.py",
                       "widget_epsilon.py", "lab.py"),
    mistake=named_mistake(FD_MISTAKES, _quotient_case, _quotient_close), **allowed("forward_difference"))
centered_difference = Spec(
    "centered_difference", lambda rng: _quotient_cases(rng, "centered_difference", "centered"),
    reference_modules=("gradcheck.py", "differences.py", "checks", "widgets.py",
                       "widget_epsilon.py", "lab.py"),
    mistake=named_mistake(CD_MISTAKES, _quotient_case, _quotient_close), **allowed("centered_difference"))


def _rd_noise(grad, approx):
    """Round-off of any right way to compute the relative difference: about u times the entries' size over
    the norms (forming grad - gradapprox, or scaled copies of them), plus a relative 1e-9."""
    g, a = np.ravel(np.asarray(grad, float)), np.ravel(np.asarray(approx, float))
    return noise_bound((np.sum(np.abs(g)) + np.sum(np.abs(a))) / max(np.linalg.norm(g) + np.linalg.norm(a), 1e-300))


def _relative_difference_cases(rng):
    """Shapes (n, 1), (n,), (m, k) and scalars; sizes from 1e-3 to 1e3; close, unrelated, opposite, equal,
    a correct gradient's round-off (~1e-10) and a zero grad. (An answer that changes its arguments in place
    fails in the harness, which compares every argument before and after the call.)"""
    cases = []

    def add(grad, approx, label):
        want = float(_reference_rd(np.asarray(grad, float), np.asarray(approx, float)))
        tol = 1e-9 * want + _rd_noise(grad, approx)
        cases.append(Case((grad, approx), (lambda v, _, w=want, a=tol: _scalar_close(v, w, rtol=0.0, atol=a)),
                          f"relative_difference(grad, gradapprox) with {label}"))

    def scale():
        return float(10 ** rng.uniform(-3, 3))

    n = int(rng.integers(3, 9))
    grad = rng.normal(0, scale(), size=(n, 1))
    add(grad, grad * (1 + rng.normal(0, float(10 ** rng.uniform(-6, -2)), size=(n, 1))), f"shape {(n, 1)}, close")
    shape = (int(rng.integers(2, 5)), int(rng.integers(2, 5)))
    s = scale()
    add(rng.normal(0, s, size=shape), rng.normal(0, s, size=shape), f"shape {shape}, unrelated")
    n = int(rng.integers(3, 9))
    grad = rng.normal(0, scale(), size=(n, 1))
    add(grad, -float(rng.uniform(0.2, 3)) * grad, f"shape {(n, 1)}, opposite sign and another size")
    n = int(rng.integers(3, 9))
    grad = rng.normal(0, scale(), size=n)
    add(grad, grad * (1 + 1e-10 * rng.normal(0, 1, size=n)), f"shape {(n,)}, a correct gradient's round-off")
    n = int(rng.integers(3, 9))
    grad = rng.normal(0, scale(), size=(n, 1))
    add(grad, grad + rng.normal(0, float(np.abs(grad).mean()), size=(n, 1)), f"shape {(n, 1)}, noisy")
    n = int(rng.integers(2, 6))
    add(np.zeros((n, 1)), rng.normal(0, scale(), size=(n, 1)), f"shape {(n, 1)}, grad = 0")
    g = _signed(rng, 0.5, 5)
    add(g, -float(rng.uniform(0.2, 3)) * g, "floats, opposite signs")
    same = rng.normal(0, scale(), size=(4, 1))
    add(same, same.copy(), "grad == gradapprox")
    return cases


def _relative_close(value, predicted, case):
    """Whether the value returned is a mistake's prediction (a number or an array of the same shape), within 4 times
    the round-off of a right answer; the same infinities and NaNs match."""
    if isinstance(value, np.ndarray) != isinstance(predicted, np.ndarray):
        return False
    if isinstance(value, np.ndarray):
        if value.shape != predicted.shape or value.dtype.kind not in "iuf":
            return False
        got, want = value.astype(float), predicted.astype(float)
    else:
        got, want = as_number(value), as_number(predicted)
        if got is None or want is None:
            return False
    tol = 4 * (1e-9 * np.abs(want) + _rd_noise(case.grad, case.approx))
    with np.errstate(invalid="ignore"):
        close = np.where(np.isfinite(got) & np.isfinite(want), np.abs(got - want) <= tol,
                         (got == want) | (np.isnan(got) & np.isnan(want)))
    return bool(np.all(close))


relative_difference = Spec("relative_difference", _relative_difference_cases,
                           reference_modules=("gradcheck.py", "differences.py", "checks"),
                           mistake=named_mistake(RD_MISTAKES, lambda case: RelativeCase(*case.args), _relative_close),
                           **allowed("relative_difference"))
