"""Verification specs of notebook 02 check a 1-D gradient (see course_utils/grading/verify.py).

Every case is drawn from the rng the spec gets. The 1-D passes get every combination of signs, scales
from 1e-3 to 1e4 and the edge values x = 0 and theta = 0, and must return a real number (not an array).
gradient_check runs with the product J = theta * x and a backward pass k * x: with k = 1 the result is
round-off only and must lie between 0 and a noise bound computed from the actual theta and epsilon
(any valid order of the float operations passes); with k != 1 (k > 1, 0 < k < 1 with a tiny x, k < 0)
it must be |k - 1| / (|k| + 1) -- which a gradient_check that never calls backward_propagation, or that
divides by ||grad + gradapprox||, does not give. A theta beyond 2**30 with epsilon ~ 0.1 catches an
ignored epsilon (theta +- 1e-7 rounds to theta there). Three more cases run with a forward pass that is not
linear in theta (J = theta x + c theta**2, a backward pass k times its slope): a gradient_check that writes the
slope of theta x (gradapprox = x) instead of taking the centered difference fails them.
"""
import numpy as np

from course_utils.expect.exposure import allowed
from course_utils.expect.nb02 import ANY_WRONG, BP_MISTAKES, FP_MISTAKES, PassCase, curved_noise_bound, noise_bound
from course_utils.grading.specs._common import named_mistake
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


def _pass_close(right_of):
    """close(value, prediction, PassCase) of a 1-D pass's mistakes (course_utils.expect.nb02): the value is the
    prediction within 1e-9 relative, or, for ANY_WRONG, anything but the right value right_of(case)."""
    def close(value, predicted, case):
        got = _real(value)
        if predicted is ANY_WRONG:
            want = right_of(case)
            return got is None or not abs(got - want) <= 1e-12 * abs(want)
        return got is not None and abs(got - predicted) <= 1e-9 * abs(predicted)
    return close


def _pass_case(case):
    return PassCase(*case.args)


forward_propagation = Spec("forward_propagation", lambda rng: _jx_cases(rng, "forward_propagation", lambda x, t: t * x),
                           reference_modules=("checks", "widgets.py", "lab.py"),
                           mistake=named_mistake(FP_MISTAKES, _pass_case, _pass_close(lambda c: c.theta * c.x)),
                           **allowed("forward_propagation"))
backward_propagation = Spec("backward_propagation", lambda rng: _jx_cases(rng, "backward_propagation", lambda x, t: x),
                            reference_modules=("checks", "widgets.py", "lab.py"),
                            mistake=named_mistake(BP_MISTAKES, _pass_case, _pass_close(lambda c: c.x)),
                            **allowed("backward_propagation"))


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
        noise = noise_bound(theta, eps)
        judge = _within(noise) if k == 1.0 else _near(abs(k - 1) / (abs(k) + 1), 4 * noise + 1e-15)
        cases.append(Case((x, theta, eps), judge, label, overrides=overrides))
    for k in (1.0, float(rng.uniform(1.5, 3)), -float(rng.uniform(0.3, 0.8))):
        cases.append(_curved_case(rng, k))
    return cases


def _curved_case(rng, k):
    """A case whose forward pass is J = theta x + c theta^2 (slope s = x + 2 c theta), with a backward pass k s: a
    gradient_check that puts the slope of theta x (gradapprox = x) in place of the centered difference fails it.
    c has the sign of x theta and 2|c theta| is between |x| / 2 and 2 |x|, so |s| >= |x| and x is far from s."""
    x, theta, eps = _draw(rng, rng.choice([-1, 1]), -1, 1), _draw(rng, rng.choice([-1, 1]), -1, 1), _draw(rng, 1, -7, -5)
    c = float(np.sign(x * theta) * abs(x) * rng.uniform(0.5, 2.0) / (2 * abs(theta)))
    noise = curved_noise_bound(x, theta, c, eps)
    overrides = {"forward_propagation": Provided("product_plus_square", (c,)),
                 "backward_propagation": Provided("scaled_true_slope", (k, c))}
    label = (f"gradient_check(x={x:.4g}, theta={theta:.4g}, epsilon={eps:.2g}) with the forward pass J = theta * x + "
             f"{c:.4g} * theta**2 and a backward pass giving {k:.3g} times its slope")
    judge = _within(noise) if k == 1.0 else _near(abs(k - 1) / (abs(k) + 1), 4 * noise + 1e-15)
    return Case((x, theta, eps), judge, label, overrides=overrides)


gradient_check = Spec("gradient_check", _gradient_check_cases, reference_modules=("checks", "widgets.py", "lab.py"),
                      **allowed("gradient_check"))
