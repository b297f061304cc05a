"""Verification specs of notebook 05 gradient checking in practice (see course_utils/grading/verify.py).

cost_with_l2: nets of 3, 1..2, 4..7 and 10..12 layers (keys in a random order), signed weights of random
scales, and cross-entropy costs, lambd and m that change from case to case.

directional_check: quadratic costs with wrong gradients (one of them wrong so that numerical < analytic, one of
the wrong sign) and ||theta|| with the right gradient and a large epsilon (0.01 .. 0.05), where the truncation
error is the expected value -- a step that is not epsilon * u with ||u|| = 1, or a one-sided difference, lands
far from it. Seeds are drawn, so the direction must come from np.random.default_rng(seed). Where the expected
value is round-off it is compared within a noise bound from the actual costs, theta, grad and epsilon.
"""
import numpy as np

from course_utils.expect.exposure import allowed
from course_utils.expect.nb05 import L2_MISTAKES, L2Case, _directional_tolerance
from course_utils.grading.specs._common import _random_parameters, named_mistake
from course_utils.grading.verify import Case, Provided, Spec, as_number, close_number


def _judge_number(want, tol, what="a float"):
    def judge(v, _):
        if isinstance(v, np.ndarray) and v.ndim > 0:
            return f"returned an array of shape {v.shape}, expected {what}"
        return close_number(v, want, rtol=0.0, atol=tol)
    return judge


def _l2_cases(rng):
    cases = []
    for layers in (3, int(rng.integers(1, 3)), int(rng.integers(4, 8)), int(rng.integers(10, 13))):
        params = _random_parameters(rng, layers)
        scale = float(10 ** rng.uniform(-0.5, 0.5))
        params = {k: v * scale for k, v in params.items()}
        lambd, m = float(rng.uniform(0.01, 2)), int(rng.integers(5, 50))
        cost = float(rng.uniform(0.05, 2))
        want = cost + float(lambd / (2 * m) * sum(np.sum(np.square(w)) for k, w in params.items() if k.startswith("W")))
        cases.append(Case((cost, params, lambd, m), _judge_number(want, 1e-10 * abs(want)),
                          f"cost_with_l2({cost:.4g}, a {layers}-layer net, lambd={lambd:.3g}, m={m})"))
    return cases


def _l2_close(value, predicted, _case):
    """Whether the value returned is a mistake's prediction (course_utils.expect.nb05), within 1e-9 relative."""
    got = None if isinstance(value, np.ndarray) and value.ndim > 0 else as_number(value)
    return got is not None and predicted is not None and abs(got - predicted) <= 1e-9 * abs(predicted) + 1e-15


cost_with_l2 = Spec("cost_with_l2", _l2_cases, reference_modules=("network.py", "checks"),
                    mistake=named_mistake(L2_MISTAKES, lambda case: L2Case(*case.args), _l2_close),
                    **allowed("cost_with_l2"))


def _unit(theta, seed):
    u = np.random.default_rng(seed).standard_normal(theta.shape)
    return u / np.linalg.norm(u)


def _directional_case(cost, theta, grad, eps, seed, what):
    f = cost.build()
    u = _unit(theta, seed)
    j_plus, j_minus = f(theta + eps * u), f(theta - eps * u)
    numerical = (j_plus - j_minus) / (2 * eps)
    analytic = float(np.sum(grad * u))
    want = abs(numerical - analytic) / (abs(numerical) + abs(analytic))
    tol = _directional_tolerance((j_plus, j_minus), theta, grad, eps, numerical, analytic)
    return Case((cost, theta, grad, eps, seed), _judge_number(want, tol),
                f"directional_check({cost.name} cost in {theta.shape[0]} parameters, {what}, epsilon={eps:.2g}, "
                f"seed={seed})")


def _directional_cases(rng):
    cases = []
    for kind in ("wrong", "too large along u", "wrong sign"):
        n = int(rng.integers(5, 30))
        B = rng.normal(0, 1, size=(n, n))
        A, b = B @ B.T / n + np.eye(n), rng.normal(0, 1, size=(n, 1))
        theta = rng.normal(0, float(rng.uniform(0.5, 2)), size=(n, 1))
        right = A @ theta + b
        eps, seed = float(10 ** rng.uniform(-6, -4)), int(rng.integers(1, 2 ** 31))
        u = _unit(theta, seed)
        if kind == "wrong sign":
            grad = -right
        else:
            grad = right.copy()
            grad[: max(1, n // 3)] *= float(rng.uniform(1.5, 3))
            if kind == "too large along u" and float(np.sum((grad - right) * u)) < 0:
                grad = 2 * right - grad  # the error mirrored: now grad . u > the slope along u
        cases.append(_directional_case(Provided("quadratic", (A, b)), theta, grad, eps, seed,
                                       f"a gradient {kind}" if kind != "wrong" else "a wrong gradient"))
    n = int(rng.integers(5, 30))
    theta = rng.normal(0, float(rng.uniform(0.5, 2)), size=(n, 1))
    grad = theta / np.linalg.norm(theta)
    cases.append(_directional_case(Provided("euclidean_norm"), theta, grad, float(rng.uniform(0.01, 0.05)),
                                   int(rng.integers(1, 2 ** 31)), "the right gradient"))
    return cases


directional_check = Spec("directional_check", _directional_cases,
                         reference_modules=("gradcheck.py", "differences.py", "checks"), **allowed("directional_check"))
