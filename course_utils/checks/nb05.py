"""Checks of notebook 05 gradient checking in practice."""
import numpy as np

from course_utils import network, vectors
from course_utils.checks._common import (
    COLLEAGUE_BUGS,
    SEED,
    _as_float,
    _close,
    _copy_dict,
    _deep_parameters,
    _fail,
    _hints,
    _reports_stubs,
    _require_function,
    _same_arrays,
    _vector_cost,
)
from course_utils.checks.nb04 import _nd_band_hint
from course_utils.gradcheck import relative_difference


def _direction(theta, seed):
    u = np.random.default_rng(seed).standard_normal(theta.shape)
    return u, u / np.linalg.norm(u)


def _reference_directional(cost, theta, grad, epsilon, seed):
    _, u = _direction(theta, seed)
    numerical = (float(cost(theta + epsilon * u)) - float(cost(theta - epsilon * u))) / (2 * epsilon)
    analytic = float(np.sum(np.asarray(grad).ravel() * u.ravel()))
    return relative_difference(np.array([analytic]), np.array([numerical]))


@_reports_stubs("directional_check")
def check_directional_check(directional_check):
    """directional_check(cost, theta, grad, epsilon=1e-7, seed=0): one random unit direction, centered."""
    _require_function(directional_check, "directional_check")
    X, Y, parameters = network.gradient_check_n_test_case()
    _, cache = network.forward_propagation_n(X, Y, parameters)
    theta, _ = vectors.dictionary_to_vector(parameters)
    classic = _vector_cost(X, Y, vectors.parameter_shapes(parameters))
    correct = vectors.gradients_to_vector(network.backward_propagation_n(X, Y, cache))
    buggy = vectors.gradients_to_vector(network.backward_propagation_n(X, Y, cache, bugs=COLLEAGUE_BUGS))
    rng = np.random.default_rng(SEED)
    t2 = rng.standard_normal((10, 1))

    def smooth(t):
        return float(np.sum(np.sin(t)) + 0.5 * np.sum(t * t))
    g2 = np.cos(t2) + t2
    g2[:3] *= 1.5  # a wrong gradient in a few entries
    cases = [("the classic net, correct gradient", classic, theta, correct, None, None),
             ("the classic net, the colleague's gradient, seed=3", classic, theta, buggy, 1e-7, 3),
             ("sum(sin(theta)) + |theta|^2 / 2, a wrong gradient, epsilon=1e-5, seed=7", smooth, t2, g2, 1e-5, 7)]
    values = []
    for label, cost, th, grad, epsilon, seed in cases:
        eps = 1e-7 if epsilon is None else epsilon
        sd = 0 if seed is None else seed
        want = _reference_directional(cost, th, grad, eps, sd)
        raw, u = _direction(th, sd)
        points = []

        def recorded(t, _cost=cost, _points=points):
            _points.append(np.array(t, dtype=float, copy=True))
            return _cost(t)
        student_theta, student_grad = th.copy(), grad.copy()
        call = f"directional_check({label})"
        args = (recorded, student_theta, student_grad) + (() if epsilon is None else (epsilon, seed))
        got = _as_float(directional_check(*args), call)
        if not np.allclose(student_theta, th, rtol=0, atol=1e-12):
            raise AssertionError(f"{call} changed theta in place (e.g. theta += epsilon * u): build new vectors, "
                                 "theta_plus = theta + epsilon * u and theta_minus = theta - epsilon * u.")
        steps = [(p.reshape(th.shape) - th) / eps for p in points if p.size == th.size]
        steps = [s for s in steps if np.linalg.norm(s) > 0.5]
        if steps:
            lengths = [np.linalg.norm(s) for s in steps]
            if all(abs(length - np.linalg.norm(raw)) < 1e-3 * np.linalg.norm(raw) for length in lengths) \
                    and abs(np.linalg.norm(raw) - 1) > 1e-2:
                raise AssertionError(f"{call}: the direction u was not normalised (the cost was evaluated at "
                                     f"theta +- epsilon * u with ||u|| = {lengths[0]:.3g}): divide u by "
                                     "np.linalg.norm(u) so that epsilon is the step length.")
            aligned = [abs(float(np.sum(s.ravel() * u.ravel()))) / np.linalg.norm(s) for s in steps]
            if min(aligned) < 1 - 1e-6:
                raise AssertionError(f"{call}: the cost was evaluated along another direction than "
                                     "u = np.random.default_rng(seed).standard_normal(theta.shape) (normalised): "
                                     "draw u from a local generator with the seed argument, not np.random.randn.")
        if not _close(got, want, rtol=1e-3, atol=1e-13):
            _fail(call, got, want, _hints(got, [
                (0.0, "a difference of exactly 0 is too good to be true: compare the numerical slope with "
                      "grad . u, not with itself."),
            ], atol=0) or _nd_band_hint(got))
        values.append(want)
    print(f"directional_check passed: difference = {values[1]:.3g} with the colleague's bugs (seed 3)")


@_reports_stubs("cost_with_l2")
def check_cost_with_l2(cost_with_l2):
    """cost_with_l2(cross_entropy_cost, parameters, lambd, m) = cost + lambd / (2 m) * sum_l ||W_l||_F^2."""
    _require_function(cost_with_l2, "cost_with_l2")
    X, Y, classic = network.gradient_check_n_test_case()
    cce, _ = network.forward_propagation_n(X, Y, classic)
    deep = _deep_parameters()
    rng = np.random.default_rng(SEED)
    cases = [("the classic net", cce, classic, 0.7, 3),
             ("a 12-layer net", round(float(rng.uniform(0.2, 1)), 4), deep, 0.1, 10),
             ("lambd = 0", 0.5, deep, 0.0, 4)]
    for label, c, params, lambd, m in cases:
        want = c + network.l2_penalty(params, lambd, m)
        W = [params[f"W{l}"] for l in range(1, len(params) // 2 + 1)]
        Ws = sum(np.sum(np.square(w)) for w in W)
        bs = sum(np.sum(np.square(params[f"b{l}"])) for l in range(1, len(W) + 1))
        candidates = [
            (c + lambd / (2 * m) * (Ws + bs), "you regularized the biases too: L2 uses the W's only, not the b's."),
            (c + lambd / m * Ws, "the factor is lambd / (2 * m): you forgot the 1/2."),
            (c + lambd / 2 * m * Ws, "operator precedence: `lambd / 2 * m` multiplies by m; write lambd / (2 * m)."),
            (c + lambd / 2 * Ws, "divide by m as well: the factor is lambd / (2 * m)."),
            (c + lambd * Ws, "the factor is lambd / (2 * m)."),
            (c + lambd / (2 * m) * sum(np.sum(np.square(w)) for w in W[:3]),
             "only W1, W2, W3 were summed: loop over every layer, l = 1 .. len(parameters) // 2."),
            (c + lambd / (2 * m) * sum(np.linalg.norm(w) for w in W), "square the Frobenius norms: np.sum(np.square(W))."),
            (lambd / (2 * m) * Ws, "you returned only the L2 term: add it to cross_entropy_cost."),
        ]
        before = _copy_dict(params)
        call = f"cost_with_l2({label}, lambd={lambd}, m={m})"
        got = _as_float(cost_with_l2(c, params, lambd, m), call)
        if not _same_arrays(params, before):
            raise AssertionError(f"{call} changed the parameters it was given.")
        if not _close(got, want, rtol=1e-9, atol=1e-15):
            _fail(call, got, want, _hints(got, candidates, rtol=1e-9))
    penalty = network.l2_penalty(classic, 0.7, 3)
    print(f"cost_with_l2 passed: {cce:.4f} + L2 term {penalty:.4f} = {cce + penalty:.4f} (lambd = 0.7, m = 3)")
