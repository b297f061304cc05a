"""Verification specs of notebook 02 check a 1-D gradient (see course_utils/grading/verify.py).

Every case is drawn from the rng the spec gets. The 1-D passes get every combination of signs, scales
from 1e-3 to 1e4 and the edge values x = 0 and theta = 0, and must return a real number (not an array).
gradient_check runs with the product J = theta * x and a backward pass k * x: with k = 1 the result is
round-off only and must lie between 0 and a noise bound computed from the actual theta and epsilon
(any valid order of the float operations passes); with k != 1 (k > 1, 0 < k < 1 with a tiny x, k < 0)
it must be |k - 1| / (|k| + 1) -- which a gradient_check that never calls backward_propagation, or that
divides by ||grad + gradapprox||, does not give. A theta beyond 2**30 with epsilon ~ 0.1 catches an
ignored epsilon (theta +- 1e-7 rounds to theta there).
"""
import numpy as np

from course_utils.expect.exposure import allowed
from course_utils.grading.specs._common import U
from course_utils.grading.verify import Case, Provided, Spec, as_number, describe


def _real(value):
    """value as a float when it is one real number (an array of 1 or more dimensions is not), else None."""
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return None
    return as_number(value)


def _draw(rng, sign, low, high):
    """sign * a number log-uniform in [10**low, 10**high)."""
    return float(sign * 10 ** rng.uniform(low, high))


def _jx_inputs(rng):
    """(x, theta): every sign combination at several scales, then x = 0 and theta = 0."""
    return [(_draw(rng, 1, -1, 1), _draw(rng, 1, -1, 1)),
            (_draw(rng, -1, -1, 1), _draw(rng, 1, -1, 1)),
            (_draw(rng, 1, -3, 3), _draw(rng, -1, -3, 3)),
            (_draw(rng, -1, 2, 4), _draw(rng, -1, -3, -1)),
            (0.0, _draw(rng, -1, -1, 1)),
            (_draw(rng, 1, -1, 1), 0.0)]


def _exactly(want):
    def judge(value, _):
        got = _real(value)
        if got is None:
            return f"returned {describe(value)}, expected the number {want:.6g}"
        if not np.isfinite(got) or abs(got - want) > 1e-12 * abs(want):
            return f"returned {got:.6g}, expected {want:.6g}"
        return None
    return judge


def _jx_cases(rng, name, formula):
    return [Case((x, theta), _exactly(formula(x, theta)), f"{name}(x={x:.6g}, theta={theta:.6g})")
            for x, theta in _jx_inputs(rng)]


forward_propagation = Spec("forward_propagation", lambda rng: _jx_cases(rng, "forward_propagation", lambda x, t: t * x),
                           reference_modules=("checks", "widgets.py", "lab.py"), **allowed("forward_propagation"))
backward_propagation = Spec("backward_propagation", lambda rng: _jx_cases(rng, "backward_propagation", lambda x, t: x),
                            reference_modules=("checks", "widgets.py", "lab.py"), **allowed("backward_propagation"))


def _noise_bound(theta, epsilon):
    """The largest relative difference a right centered check of J = theta * x returns: gradapprox is
    x (1 + delta), |delta| <= 2u |theta| / epsilon + 6u (u = U / 2) in any order of the operations; twice that."""
    return 2 * U * (abs(theta) + epsilon) / epsilon + 8 * U


def _within(bound):
    def judge(value, _):
        got = _real(value)
        if got is None:
            return f"returned {describe(value)}, expected a number (the relative difference)"
        if not (np.isfinite(got) and 0 <= got <= bound):
            return (f"returned {got:.6g}, expected a difference of round-off size, between 0 and {bound:.2g} "
                    "(the backward pass is right here)")
        return None
    return judge


def _near(want, atol):
    def judge(value, _):
        got = _real(value)
        if got is None:
            return f"returned {describe(value)}, expected a number close to {want:.6g}"
        if not (np.isfinite(got) and abs(got - want) <= atol + 1e-9 * want):
            return f"returned {got:.6g}, expected {want:.6g}"
        return None
    return judge


def _gradient_check_cases(rng):
    big = float(rng.choice([-1.0, 1.0]) * rng.uniform(1.1e9, 2e9))  # beyond 2**30: theta +- 1e-7 == theta
    draws = [  # (x, theta, epsilon, k)
        (_draw(rng, -1, -1, 1), _draw(rng, 1, -1, 1), _draw(rng, 1, -7, -5), 1.0),
        (_draw(rng, 1, -2, 2), _draw(rng, -1, -1, 1), _draw(rng, 1, -4, -2), 1.0),
        (_draw(rng, -1, 0, 3), _draw(rng, -1, -2, 0), _draw(rng, 1, -6, -3), 1.0),
        (_draw(rng, 1, -1, 1), big, float(rng.uniform(0.05, 0.5)), 1.0),
        (_draw(rng, -1, -1, 1), _draw(rng, 1, -1, 1), _draw(rng, 1, -7, -4), float(rng.uniform(1.5, 3))),
        (_draw(rng, 1, -9, -8), _draw(rng, -1, -1, 1), _draw(rng, 1, -6, -3), float(rng.uniform(0.2, 0.7))),
        (_draw(rng, 1, -1, 1), _draw(rng, -1, -1, 1), _draw(rng, 1, -7, -4), -float(rng.uniform(0.3, 0.8))),
        (_draw(rng, -1, -1, 1), _draw(rng, -1, -1, 1), _draw(rng, 1, -7, -4), -float(rng.uniform(1.5, 3))),
    ]
    cases = []
    for x, theta, eps, k in draws:
        overrides = {"forward_propagation": Provided("product"), "backward_propagation": Provided("scaled_slope", (k,))}
        label = f"gradient_check(x={x:.4g}, theta={theta:.4g}, epsilon={eps:.2g}) with a backward pass giving {k:.3g} * x"
        noise = _noise_bound(theta, eps)
        judge = _within(noise) if k == 1.0 else _near(abs(k - 1) / (abs(k) + 1), 4 * noise + 1e-15)
        cases.append(Case((x, theta, eps), judge, label, overrides=overrides))
    return cases


gradient_check = Spec("gradient_check", _gradient_check_cases, reference_modules=("checks", "widgets.py", "lab.py"),
                      **allowed("gradient_check"))
