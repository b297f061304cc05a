"""Verification specs of notebook 05 gradient checking in practice (see course_utils/grading/verify.py)."""
import numpy as np

from course_utils.grading.specs._common import U, _random_parameters
from course_utils.grading.verify import Case, Provided, Spec, close_number


def _l2_cases(rng):
    cases = []
    for layers in (3, int(rng.integers(2, 6)), int(rng.integers(10, 13))):
        params = _random_parameters(rng, layers)
        lambd, m = float(rng.uniform(0.01, 2)), int(rng.integers(1, 50))
        cost = float(rng.uniform(0.05, 2))
        want = cost + float(lambd / (2 * m) * sum(np.sum(np.square(w)) for k, w in params.items() if k.startswith("W")))
        cases.append(Case((cost, params, lambd, m), (lambda v, _, w=want: close_number(v, w, rtol=1e-10)),
                          f"cost_with_l2({cost:.4g}, a {layers}-layer net, lambd={lambd:.3g}, m={m})"))
    return cases


cost_with_l2 = Spec("cost_with_l2", _l2_cases, reference_modules=("network.py", "checks"))


def _directional_cases(rng):
    cases = []
    for wrong in (False, True, True):
        n = int(rng.integers(5, 30))
        B = rng.normal(0, 1, size=(n, n))
        A, b = B @ B.T / n + np.eye(n), rng.normal(0, 1, size=(n, 1))
        theta = rng.normal(0, 1, size=(n, 1))
        grad = A @ theta + b
        if wrong:
            grad[: max(1, n // 3)] *= float(rng.uniform(1.5, 3))
        eps, seed = float(10 ** rng.uniform(-6, -4)), int(rng.integers(0, 2 ** 31))
        u = np.random.default_rng(seed).standard_normal(theta.shape)
        u = u / np.linalg.norm(u)
        cost = Provided("quadratic", (A, b))
        f = cost.build()
        numerical = (f(theta + eps * u) - f(theta - eps * u)) / (2 * eps)
        analytic = float(np.sum(grad * u))
        want = abs(numerical - analytic) / (abs(numerical) + abs(analytic))
        noise = 16 * U * max(abs(f(theta)), 1.0) / eps / max(abs(analytic), 1e-12)
        judge = (lambda v, _, w=want, a=noise: close_number(v, w, rtol=1e-4, atol=a))
        cases.append(Case((cost, theta, grad, eps, seed), judge,
                          f"directional_check(a quadratic cost in {n} parameters, {'a wrong' if wrong else 'the right'}"
                          f" gradient, epsilon={eps:.2g}, seed={seed})"))
    return cases


directional_check = Spec("directional_check", _directional_cases, reference_modules=("gradcheck.py", "checks"))
