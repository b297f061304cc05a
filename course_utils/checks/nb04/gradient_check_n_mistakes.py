"""gradient_check_n's known mistakes: each a model of what the mistaken function returns (the reference
computation: course_utils.expect.nb04), and the hints that name the mistake every case agrees with
(gradient_check_n.py runs the cases).
"""
import warnings

import numpy as np

from course_utils import network, vectors
from course_utils.checks.nb04._shared import DEFAULT_EPSILON, classic_cost_function
from course_utils.compare import within
from course_utils.expect.nb04 import (
    _approx_tolerance,
    _rd,
    _rd_model,
)


def _one_norm(d):
    num = float(np.linalg.norm(d.grad - d.approx))
    noise = np.sqrt(d.n) * d.noise(1 / (2 * d.epsilon))
    out = []
    for den in (np.linalg.norm(d.grad), np.linalg.norm(d.approx)):
        out.append((num / den, noise / den + 1e-9 * num / den) if den > 0 else (np.inf, 0.0))
    return out


def _numerator_only(d):
    value = float(np.linalg.norm(d.grad - d.approx))
    return value, np.sqrt(d.n) * d.noise(1 / (2 * d.epsilon)) + 1e-9 * value


def _from_plus(d):
    e = d.epsilon
    return [_rd_model(d, (d.plus - d.base) / (2 * e), 1 / (2 * e)),
            _rd_model(d, np.subtract(*d.accumulated()) / (2 * e), 1 / (2 * e))]


def _one_sided(d):
    e = d.epsilon
    return [_rd_model(d, (d.plus - d.base) / e, 1 / e), _rd_model(d, (d.base - d.minus) / e, 1 / e)]


_FROM_PLUS = ("thetaminus was built from thetaplus (or without np.copy), so J_minus is J(theta) and gradapprox "
              "is half the slope (difference about 1/3 when grad is right): thetaminus = np.copy(theta); "
              "thetaminus[i] -= epsilon.")
_NO_2 = ("gradapprox divides by epsilon instead of 2 * epsilon (twice the slope: a difference of about 1/3 when grad "
         "is right): gradapprox[i] = (J_plus[i] - J_minus[i]) / (2 * epsilon).")
_PRECEDENCE = ("operator precedence: `/ 2 * epsilon` multiplies by epsilon (a difference of about 1); write "
               "/ (2 * epsilon).")
_ONE_SIDED = ("you used a one-sided difference (J(theta + epsilon) - J(theta)) / epsilon; use the centered one, "
              "(J_plus[i] - J_minus[i]) / (2 * epsilon) with thetaminus[i] = theta[i] - epsilon.")
_NUMERATOR = "you returned only the numerator ||grad - gradapprox||; divide by ||grad|| + ||gradapprox||."
_ONE_NORM = ("the denominator is ||grad|| + ||gradapprox||: you left one of the two norms out (which about doubles "
             "the difference when grad is right).")
_ITSELF = ("a difference of exactly 0 is too good to be true: you compared gradapprox with itself (or grad with "
           "itself); grad must come from gradients_to_vector(gradients).")
_GCN_MISTAKES = [  # (hint, model(data) -> (value, tolerance), or a list of such pairs: any of them)
    (_FROM_PLUS, _from_plus),
    (_NO_2, lambda d: _rd_model(d, (d.plus - d.minus) / d.epsilon, 1 / d.epsilon)),
    (_PRECEDENCE, lambda d: _rd_model(d, (d.plus - d.minus) / 2 * d.epsilon, d.epsilon)),
    (_ONE_SIDED, _one_sided),
    (_NUMERATOR, _numerator_only),
    (_ONE_NORM, _one_norm),
    (_ITSELF, lambda d: (0.0, 0.0)),
]
_SWAPPED_SIGNS = ("gradapprox has the opposite sign of the slope (a difference of about 1 when grad is right): J_plus "
                  "must be the cost at theta + epsilon and J_minus at theta - epsilon, gradapprox[i] = (J_plus[i] - "
                  "J_minus[i]) / (2 * epsilon).")
_FLAT_APPROX = ("gradapprox has shape (n,) while grad has shape (n, 1), so grad - gradapprox broadcasts to an (n, n) "
                "matrix: make gradapprox an (n, 1) array, e.g. gradapprox = np.zeros((n, 1)).")


def _flat_approx(d):
    """The difference when gradapprox is (n,) and grad (n, 1): numpy broadcasts the subtraction to (n, n)."""
    a = d.approx.reshape(-1)
    total = np.linalg.norm(d.grad) + np.linalg.norm(a)
    value = float(np.linalg.norm(d.grad.reshape(-1, 1) - a.reshape(1, -1)) / total) if total > 0 else 0.0
    return value, (2 * d.n * d.noise(1 / (2 * d.epsilon)) / total if total > 0 else 0.0) + 1e-9 * value


_NORM_OF_SUM = ("the denominator is ||grad|| + ||gradapprox||, the sum of the two norms, not the norm of the sum "
                "||grad + gradapprox||.")


def _norm_of_sum(d):
    value, tol = _rd_model(d, d.approx, 1 / (2 * d.epsilon))
    total = np.linalg.norm(d.grad) + np.linalg.norm(d.approx)
    return value * total / np.linalg.norm(d.grad + d.approx), 2 * tol * total / np.linalg.norm(d.grad + d.approx)


_GCN_MISTAKES += [
    (_SWAPPED_SIGNS, lambda d: _rd_model(d, (d.minus - d.plus) / (2 * d.epsilon), 1 / (2 * d.epsilon))),
    (_FLAT_APPROX, _flat_approx),
    (_NORM_OF_SUM, _norm_of_sum),
]
_IGNORED_EPSILON = ("you ignored the epsilon argument (this matches epsilon = 1e-7): perturb by the epsilon you "
                    "are given.")
_GLOBAL_COST = ("you computed J with the notebook's X and Y (forward_propagation_n(X, Y, ...)) instead of calling "
                "cost: J_plus[i] = cost(vector_to_dictionary(thetaplus, shapes)) -- cost knows its own network and data.")
_LAST_ENTRY = ("the last entry of gradapprox is never computed (it stays 0): loop over all n entries, "
               "for i in range(n), not range(n - 1).")
_ONLY_W = "gradapprox is 0 for every entry of a b: perturb every entry of theta, the biases too, not only the W's."
_FLOAT32 = ("theta is float32 (astype(np.float32)?): theta[i] + epsilon rounds to theta[i] or to the next float32 "
            "(about 1e-7 away near 1), so the centered differences are noise; keep theta in float64.")
_INSERTION = ("your theta follows the order of the parameters dict (parameters.values(), or a loop over its keys); its "
              "entries, and gradapprox's, must follow dictionary_to_vector's layer order W1, b1, W2, b2, ... whatever "
              "order the dict lists them in: theta, keys = dictionary_to_vector(parameters).")
_CACHED = ("gradapprox is the one of an earlier call with as many parameters: you kept it between calls (a cache "
           "keyed by n or epsilon?); compute it anew from cost and parameters on every call.")
_FIRST_47 = ("gradapprox is computed for the first 47 entries only, the classic network's count: loop over "
             "range(n) with n = theta.shape[0].")
_EARLY_RETURN = ("your function returns inside the loop, after the first entry: return once the loop is done "
                 "(check the indentation of `return`).")
_SORTED_THETA = ("your theta lists the tensors sorted as strings (W1, W2, W3, b1, ..., with W10 before W2): its "
                 "entries must follow dictionary_to_vector's layer order W1, b1, W2, b2, ...: "
                 "theta, keys = dictionary_to_vector(parameters).")
_GRAD_RETURNED = "you returned grad as gradapprox: return the centered differences you computed."
_FLAT_RETURNED = ("you flattened gradapprox (np.ravel, .flatten(), np.array of a list of numbers): return an (n, 1) "
                  "array like grad, e.g. gradapprox.reshape(-1, 1); with shape (n,), grad - gradapprox broadcasts "
                  "to an (n, n) matrix in the next cells.")


def _costs(d, cost, theta):
    """(J_plus, J_minus) of the classic loop on `theta` (any dtype: the perturbation is added in it) with `cost`,
    a function of theta's dictionary."""
    plus, minus = np.zeros((d.n, 1)), np.zeros((d.n, 1))
    for i in range(d.n):
        t = theta.copy()
        t[i] += d.epsilon
        plus[i] = cost(vectors.vector_to_dictionary(t, d.shapes))
        t = theta.copy()
        t[i] -= d.epsilon
        minus[i] = cost(vectors.vector_to_dictionary(t, d.shapes))
    return plus, minus


def _insertion_order(names, keys):
    """The permutation of theta's entries (in dictionary_to_vector's order, keys) into the order of `names`."""
    keys = np.asarray(keys, dtype=object)
    return np.concatenate([np.flatnonzero(keys == name) for name in names if name in set(keys.tolist())])


def _case_models(cases):
    """[(hint, model(c) -> (value, tolerance) or a list of them)] of the mistakes that need the whole case: the
    cost function used, the dict's order, the calls made before."""
    X0, Y0, _ = network.gradient_check_n_test_case()
    classic = classic_cost_function(X0, Y0)
    coefficient = lambda c: 1 / (2 * c.data.epsilon)

    def global_cost(c):
        plus, minus = _costs(c.data, classic, c.data.theta)
        return _rd_model(c.data, (plus - minus) / (2 * c.data.epsilon), coefficient(c))

    def float32(c):
        plus, minus = _costs(c.data, lambda p: c.cost(p), c.data.theta.astype(np.float32))
        return _rd_model(c.data, (plus - minus) / (2 * c.data.epsilon), coefficient(c))

    def last_entry(c):
        a = c.data.approx.copy()
        a[-1] = 0.0
        return _rd_model(c.data, a, coefficient(c))

    def only_w(c):
        a = c.data.approx * np.array([[k.startswith("W")] for k in c.data.keys])
        return _rd_model(c.data, a, coefficient(c))

    def first_47(c):
        if c.data.n < 47:
            raise ValueError("range(47) over fewer entries raises IndexError")
        a = c.data.approx.copy()
        a[47:] = 0.0
        return _rd_model(c.data, a, coefficient(c))

    def early_return(c):
        a = np.zeros_like(c.data.approx)
        a[0] = c.data.approx[0]
        return _rd_model(c.data, a, coefficient(c))

    def sorted_theta(c):  # theta in string order, unrolled in layer order: the costs are at other points
        d = c.data
        theta = np.concatenate([np.reshape(c.parameters[k], (-1, 1)) for k in sorted(c.parameters)])
        plus, minus = _costs(d, c.cost, theta)
        return _rd_model(d, (plus - minus) / (2 * d.epsilon), coefficient(c))

    def insertion(c):
        d = c.data
        order_p = _insertion_order(list(c.parameters), d.keys)
        order_g = _insertion_order([k[1:] for k in c.gradients if k[1:] in c.parameters], d.keys)
        options = [_rd_model(d, d.approx[order_p], coefficient(c))]  # grad in layer order, gradapprox in the dict's
        if len(order_g) == d.n:  # grad in the gradients dict's order, gradapprox in layer order
            options.append((_rd(d.grad[order_g], d.approx), _rd_model(d, d.approx, coefficient(c))[1]))
        return options

    def cached(by_epsilon):
        return lambda c: _rd_model(c.data, _cached_approx(cases, c, by_epsilon), coefficient(c))
    return [(_GLOBAL_COST, global_cost), (_FLOAT32, float32), (_LAST_ENTRY, last_entry), (_ONLY_W, only_w),
            (_INSERTION, insertion), (_CACHED, cached(False)), (_CACHED, cached(True)), (_FIRST_47, first_47),
            (_EARLY_RETURN, early_return), (_SORTED_THETA, sorted_theta)]


def _agrees(cases, model):
    """Whether every case's answer is within tolerance of what `model` gives (any of its variants)."""
    for c in cases:
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a model's float32 parameters warn, as the student's own did
                out = model(c)
        except (ArithmeticError, ValueError, TypeError, KeyError, IndexError):
            return False
        options = out if isinstance(out, list) else [out]
        if not any(within(c.got, v, 0.0, tol) for v, tol in options):
            return False
    return True


def _gcn_hints(cases):
    hints = []
    for hint, model in _GCN_MISTAKES:
        if _agrees(cases, lambda c, model=model: model(c.data)):
            hints.append(hint)
    if any(c.eps != DEFAULT_EPSILON for c in cases) and _agrees(cases, lambda c: c.at_default()):
        hints.append(_IGNORED_EPSILON)
    if not hints:  # the mistakes that need more than the costs: computed only when none of the above explains
        for hint, model in _case_models(cases):
            if _agrees(cases, model):
                hints.append(hint)
    return " Or: ".join(dict.fromkeys(hints))


def _cached_approx(cases, c, by_epsilon):
    """What a cache keyed by n (by_epsilon: by n and epsilon) returns on case c: the gradapprox returned by the first
    earlier call with as many parameters (and the same epsilon), or the right one when there was none."""
    index = next(i for i, e in enumerate(cases) if e is c)
    return next((e.got_approx for e in cases[:index] if e.data.n == c.data.n and (e.eps == c.eps or not by_epsilon)),
                c.data.approx)


def _approx_hint(cases):
    """"\nMost likely: ..." when one known mistake explains every gradapprox returned (the differences being
    right), else ""."""
    def agrees(expected):
        return all(np.all(within(c.got_approx, expected(c), 0.0, _approx_tolerance(c.data))) for c in cases)

    hints = []
    if agrees(lambda c: c.data.grad):
        return f"\nMost likely: {_GRAD_RETURNED}"
    if agrees(lambda c: c.data.approx[_insertion_order(list(c.parameters), c.data.keys)]):
        hints.append(_INSERTION)
    if agrees(lambda c: _cached_approx(cases, c, False)) or agrees(lambda c: _cached_approx(cases, c, True)):
        hints.append(_CACHED)
    return f"\nMost likely: {' Or: '.join(hints)}" if hints else ""
