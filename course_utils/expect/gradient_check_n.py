"""gradient_check_n's known mistakes (notebook 04 check an N-D gradient): records of course_utils.expect.mistakes,
each with a model of what the mistaken function returns -- the classic loop's computation (course_utils.expect.nb04)
with the mistake applied. Its check (course_utils/checks/nb04/gradient_check_n.py) runs the cases and names the
mistake that explains every one (course_utils.expect.mistakes.explain).

A model takes one case of the check (an object with data -- the case's _NDData --, cost, parameters, gradients,
eps, got_approx and earlier, the cases run before it) and returns (value, tolerance), or a list of such pairs (any
of them). Three tables:

- GCN_DIFFERENCE_MISTAKES -- models of the difference from the costs alone (tried first);
- GCN_CASE_MISTAKES -- models that need the whole case (the cost function used, the dict's order, earlier calls),
  tried only when none of the first explains the answers;
- GCN_APPROX_MISTAKES -- models of the gradapprox returned when the difference is right (GRAD_RETURNED first).
"""
import numpy as np

from course_utils import network, vectors
from course_utils.expect.mistakes import Mistake, table
from course_utils.expect.nb04 import _rd, _rd_model

EXERCISE = "gradient_check_n"


def _one_norm(c):
    d = c.data
    num = float(np.linalg.norm(d.grad - d.approx))
    noise = np.sqrt(d.n) * d.noise(1 / (2 * d.epsilon))
    out = []
    for den in (np.linalg.norm(d.grad), np.linalg.norm(d.approx)):
        out.append((num / den, noise / den + 1e-9 * num / den) if den > 0 else (np.inf, 0.0))
    return out


def _numerator_only(c):
    d = c.data
    value = float(np.linalg.norm(d.grad - d.approx))
    return value, np.sqrt(d.n) * d.noise(1 / (2 * d.epsilon)) + 1e-9 * value


def _from_plus(c):
    d, e = c.data, c.data.epsilon
    return [_rd_model(d, (d.plus - d.base) / (2 * e), 1 / (2 * e)),
            _rd_model(d, np.subtract(*d.accumulated()) / (2 * e), 1 / (2 * e))]


def _one_sided(c):
    d, e = c.data, c.data.epsilon
    return [_rd_model(d, (d.plus - d.base) / e, 1 / e), _rd_model(d, (d.base - d.minus) / e, 1 / e)]


def _flat_approx(c):
    """The difference when gradapprox is (n,) and grad (n, 1): numpy broadcasts the subtraction to (n, n)."""
    d = c.data
    a = d.approx.reshape(-1)
    total = np.linalg.norm(d.grad) + np.linalg.norm(a)
    value = float(np.linalg.norm(d.grad.reshape(-1, 1) - a.reshape(1, -1)) / total) if total > 0 else 0.0
    return value, (2 * d.n * d.noise(1 / (2 * d.epsilon)) / total if total > 0 else 0.0) + 1e-9 * value


def _norm_of_sum(c):
    d = c.data
    value, tol = _rd_model(d, d.approx, 1 / (2 * d.epsilon))
    total = np.linalg.norm(d.grad) + np.linalg.norm(d.approx)
    return value * total / np.linalg.norm(d.grad + d.approx), 2 * tol * total / np.linalg.norm(d.grad + d.approx)


GCN_DIFFERENCE_MISTAKES = table(
    EXERCISE,
    Mistake("gcn.thetaminus_from_thetaplus",
            "thetaminus was built from thetaplus (or without np.copy), so J_minus is J(theta) and gradapprox is half "
            "the slope (difference about 1/3 when grad is right): thetaminus = np.copy(theta); thetaminus[i] -= "
            "epsilon.", _from_plus),
    Mistake("gcn.missing_factor_2",
            "gradapprox divides by epsilon instead of 2 * epsilon (twice the slope: a difference of about 1/3 when "
            "grad is right): gradapprox[i] = (J_plus[i] - J_minus[i]) / (2 * epsilon).",
            lambda c: _rd_model(c.data, (c.data.plus - c.data.minus) / c.data.epsilon, 1 / c.data.epsilon)),
    Mistake("gcn.operator_precedence",
            "operator precedence: `/ 2 * epsilon` multiplies by epsilon (a difference of about 1); write "
            "/ (2 * epsilon).",
            lambda c: _rd_model(c.data, (c.data.plus - c.data.minus) / 2 * c.data.epsilon, c.data.epsilon)),
    Mistake("gcn.one_sided_difference",
            "you used a one-sided difference (J(theta + epsilon) - J(theta)) / epsilon; use the centered one, "
            "(J_plus[i] - J_minus[i]) / (2 * epsilon) with thetaminus[i] = theta[i] - epsilon.", _one_sided),
    Mistake("gcn.numerator_only",
            "you returned only the numerator ||grad - gradapprox||; divide by ||grad|| + ||gradapprox||.",
            _numerator_only),
    Mistake("gcn.one_norm_in_denominator",
            "the denominator is ||grad|| + ||gradapprox||: you left one of the two norms out (which about doubles "
            "the difference when grad is right).", _one_norm),
    Mistake("gcn.compared_with_itself",
            "a difference of exactly 0 is too good to be true: you compared gradapprox with itself (or grad with "
            "itself); grad must come from gradients_to_vector(gradients).", lambda c: (0.0, 0.0)),
    Mistake("gcn.swapped_signs",
            "gradapprox has the opposite sign of the slope (a difference of about 1 when grad is right): J_plus "
            "must be the cost at theta + epsilon and J_minus at theta - epsilon, gradapprox[i] = (J_plus[i] - "
            "J_minus[i]) / (2 * epsilon).",
            lambda c: _rd_model(c.data, (c.data.minus - c.data.plus) / (2 * c.data.epsilon), 1 / (2 * c.data.epsilon))),
    Mistake("gcn.flat_gradapprox_broadcast",
            "gradapprox has shape (n,) while grad has shape (n, 1), so grad - gradapprox broadcasts to an (n, n) "
            "matrix: make gradapprox an (n, 1) array, e.g. gradapprox = np.zeros((n, 1)).", _flat_approx),
    Mistake("gcn.norm_of_sum",
            "the denominator is ||grad|| + ||gradapprox||, the sum of the two norms, not the norm of the sum "
            "||grad + gradapprox||.", _norm_of_sum),
    Mistake("gcn.ignored_epsilon",
            "you ignored the epsilon argument (this matches epsilon = 1e-7): perturb by the epsilon you are given.",
            lambda c: c.at_default()),
)


# ------------------------------------------------------------------------------- the mistakes that need the case
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


def _coefficient(c):
    return 1 / (2 * c.data.epsilon)


def _global_cost(c):
    X0, Y0, _ = network.gradient_check_n_test_case()
    plus, minus = _costs(c.data, lambda p: network.forward_propagation_n(X0, Y0, p)[0], c.data.theta)
    return _rd_model(c.data, (plus - minus) / (2 * c.data.epsilon), _coefficient(c))


def _float32(c):
    plus, minus = _costs(c.data, lambda p: c.cost(p), c.data.theta.astype(np.float32))
    return _rd_model(c.data, (plus - minus) / (2 * c.data.epsilon), _coefficient(c))


def _last_entry(c):
    a = c.data.approx.copy()
    a[-1] = 0.0
    return _rd_model(c.data, a, _coefficient(c))


def _only_w(c):
    a = c.data.approx * np.array([[k.startswith("W")] for k in c.data.keys])
    return _rd_model(c.data, a, _coefficient(c))


def _first_47(c):
    if c.data.n < 47:
        raise ValueError("range(47) over fewer entries raises IndexError")
    a = c.data.approx.copy()
    a[47:] = 0.0
    return _rd_model(c.data, a, _coefficient(c))


def _early_return(c):
    a = np.zeros_like(c.data.approx)
    a[0] = c.data.approx[0]
    return _rd_model(c.data, a, _coefficient(c))


def _sorted_theta(c):  # theta in string order, unrolled in layer order: the costs are at other points
    d = c.data
    theta = np.concatenate([np.reshape(c.parameters[k], (-1, 1)) for k in sorted(c.parameters)])
    plus, minus = _costs(d, c.cost, theta)
    return _rd_model(d, (plus - minus) / (2 * d.epsilon), _coefficient(c))


def _insertion(c):
    d = c.data
    order_p = _insertion_order(list(c.parameters), d.keys)
    order_g = _insertion_order([k[1:] for k in c.gradients if k[1:] in c.parameters], d.keys)
    options = [_rd_model(d, d.approx[order_p], _coefficient(c))]  # grad in layer order, gradapprox in the dict's
    if len(order_g) == d.n:  # grad in the gradients dict's order, gradapprox in layer order
        options.append((_rd(d.grad[order_g], d.approx), _rd_model(d, d.approx, _coefficient(c))[1]))
    return options


def cached_approx(c, by_epsilon):
    """What a cache keyed by n (by_epsilon: by n and epsilon) returns on case c: the gradapprox returned by the first
    earlier call with as many parameters (and the same epsilon), or the right one when there was none."""
    return next((e.got_approx for e in c.earlier if e.data.n == c.data.n and (e.eps == c.eps or not by_epsilon)),
                c.data.approx)


_INSERTION = ("your theta follows the order of the parameters dict (parameters.values(), or a loop over its keys); "
              "its entries, and gradapprox's, must follow dictionary_to_vector's layer order W1, b1, W2, b2, ... "
              "whatever order the dict lists them in: theta, keys = dictionary_to_vector(parameters).")
_CACHED = ("gradapprox is the one of an earlier call with as many parameters: you kept it between calls (a cache "
           "keyed by n or epsilon?); compute it anew from cost and parameters on every call.")

GCN_CASE_MISTAKES = table(
    EXERCISE,
    Mistake("gcn.notebook_data_cost",
            "you computed J with the notebook's X and Y (forward_propagation_n(X, Y, ...)) instead of calling "
            "cost: J_plus[i] = cost(vector_to_dictionary(thetaplus, shapes)) -- cost knows its own network and "
            "data.", _global_cost),
    Mistake("gcn.float32_theta",
            "theta is float32 (astype(np.float32)?): theta[i] + epsilon rounds to theta[i] or to the next float32 "
            "(about 1e-7 away near 1), so the centered differences are noise; keep theta in float64.", _float32),
    Mistake("gcn.last_entry_skipped",
            "the last entry of gradapprox is never computed (it stays 0): loop over all n entries, "
            "for i in range(n), not range(n - 1).", _last_entry),
    Mistake("gcn.only_weights_perturbed",
            "gradapprox is 0 for every entry of a b: perturb every entry of theta, the biases too, not only the "
            "W's.", _only_w),
    Mistake("gcn.dict_insertion_order", _INSERTION, _insertion),
    Mistake("gcn.cached_between_calls", _CACHED,
            lambda c: _rd_model(c.data, cached_approx(c, False), _coefficient(c))),
    Mistake("gcn.cached_between_calls", _CACHED,
            lambda c: _rd_model(c.data, cached_approx(c, True), _coefficient(c))),
    Mistake("gcn.first_47_entries",
            "gradapprox is computed for the first 47 entries only, the classic network's count: loop over "
            "range(n) with n = theta.shape[0].", _first_47),
    Mistake("gcn.return_inside_loop",
            "your function returns inside the loop, after the first entry: return once the loop is done "
            "(check the indentation of `return`).", _early_return),
    Mistake("gcn.theta_sorted_as_strings",
            "your theta lists the tensors sorted as strings (W1, W2, W3, b1, ..., with W10 before W2): its "
            "entries must follow dictionary_to_vector's layer order W1, b1, W2, b2, ...: "
            "theta, keys = dictionary_to_vector(parameters).", _sorted_theta),
)

# gradapprox's mistakes: models of the gradapprox returned (the difference being right)
GRAD_RETURNED = Mistake("gcn.grad_returned", "you returned grad as gradapprox: return the centered differences you "
                        "computed.", lambda c: c.data.grad)
GCN_APPROX_MISTAKES = table(
    EXERCISE,
    Mistake("gcn.dict_insertion_order", _INSERTION,
            lambda c: c.data.approx[_insertion_order(list(c.parameters), c.data.keys)]),
    Mistake("gcn.cached_between_calls", _CACHED, lambda c: cached_approx(c, False)),
    Mistake("gcn.cached_between_calls", _CACHED, lambda c: cached_approx(c, True)),
)
# named without a model: the check sees it in the shape of what was returned
FLAT_RETURNED = Mistake("gcn.flattened_gradapprox",
                        "you flattened gradapprox (np.ravel, .flatten(), np.array of a list of numbers): return an "
                        "(n, 1) array like grad, e.g. gradapprox.reshape(-1, 1); with shape (n,), grad - gradapprox "
                        "broadcasts to an (n, n) matrix in the next cells.")
table(EXERCISE, GRAD_RETURNED, FLAT_RETURNED)
