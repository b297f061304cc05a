"""Checks of notebook 04 check an N-D gradient.

gradient_check_n(cost, parameters, gradients, epsilon=1e-7, print_msg=False) -> (difference, gradapprox) runs on
the classic case (its numbers are the notebook's reference output), on random 3-layer nets of other sizes,
scales and numbers of examples (the classic cost formula) and on deeper nets (5 and 12 layers, the stable cost
of forward_propagation_deep; 12 layers so that "W10" sorts before "W2" as a string), with epsilon and print_msg
given and left to their defaults; cost is a plain function of the parameter dictionary:
- the expected difference and gradapprox are the classic loop's, recomputed here; where they are round-off
  (a correct gradient's ~1e-7) the answer is compared within a noise bound computed from the actual costs and
  epsilon (_nd_tolerance), so a right answer that orders its float operations differently passes;
- epsilon = 1e-2 on a random net makes the truncation error of a correct gradient (not round-off) the
  expected value, so an answer that ignores epsilon, or leaves a norm out of the denominator, fails;
- print_msg=True is exercised on the correct classic gradients (1.19e-7), on the colleague's (0.285) and on
  gradients scaled to land just below (1.6e-7) and just above (2.6e-7) the course's threshold 2e-7: the
  printed line must say "mistake" exactly when the difference is above 2e-7 (a reversed test or a threshold
  of 1e-7 fails); with print_msg False nothing may be printed;
- cost's argument, parameters and gradients must come back unchanged;
- the 12-layer net's dicts come in shuffled key orders (theta and gradapprox follow dictionary_to_vector's layer
  order, not the dict's), and a second random 3-layer net has the first one's sizes and epsilon with other values
  (a gradapprox kept between calls fails); gradapprox must have shape (n, 1), like grad.
A known mistake is named only when the answer agrees with it (the mistake applied to the reference
computation) on EVERY case, so that one coincidence cannot name the wrong mistake.

block_differences(grad, gradapprox, keys) -> {tensor: d_T} and diagnose(grad, gradapprox, keys, threshold=1e-5)
-> {suspect: ||g_T|| / ||a_T||} run on the colleague's vectors, on the 12-layer net's keys (first-appearance
order is not sorted order), on keys with names that are not W/b at all, on a tensor whose grad and gradapprox
are both zero (d_T = 0.0), on a too-small tensor (k = 1/2), a sign error (ratio 1) and a block exactly at the
threshold (d_T = 0.5 exactly, so "> threshold" and ">= threshold" disagree), and once more on the keys of the names
case with other values and a tensor of norm ~1e-6 (a result kept between calls, or an epsilon added to a denominator,
fails); every value must be a float, not an array of one entry. Known mistakes are named as above.
The colleague's case is judged last and its expected values are never shown, nor named in the pass lines: which
tensors are wrong and by what factor is what the student's own cells find (notebook 04 shows it in student-output
cells once these checks pass).

backward_propagation_n runs on the classic case and on random nets with m = 7 (labels of shape (1, m)),
m = 12 and m = 1 (labels of shape (m,)), then m = 7 again with other values (a result kept between calls, keyed by
X.shape, fails). The dZ and dA the returned dict holds must be theirs too (dA2 masked in place is dZ2). Every wrong
dW/db is named, each with the mistake it agrees with
on every case: a constant factor (a missing 1/m, a hard-coded m = 3, m taken from Y.shape[0], any other),
the backprop bugs of the catalog (sign of dZ3, ReLU masks, sigmoid derivative applied twice, a sum without
axis), a missing keepdims, a transposed dW -- except a gradient that is still the colleague's (the stray 2 of
dW2, the 4./m of db1): those are counted, not named, and the message sends the student to their diagnose.
Values are compared within a round-off bound computed from the actual inputs (_backward_tolerance), plus 1e-7
relative, and the classic case's gradient check of the student's pass must be below 2e-7: what the pass line
says (the grader's verification alone uses the round-off bound, tight enough that a numerical gradient fails
there).
"""
import contextlib
import io
import numbers
import warnings
from dataclasses import dataclass, field

import numpy as np

from course_utils import backprop, network, vectors
from course_utils.bugs import BUGS
from course_utils.checks._common import (
    COLLEAGUE_BUGS,
    DEEP_DIMS,
    SEED,
    THRESHOLD,
    _as_float,
    _copy_dict,
    _fmt,
    _same_arrays,
    exercise_check,
)
from course_utils.compare import within
from course_utils.expect.nb04 import (
    SUSPECT_THRESHOLD,
    _approx_tolerance,
    _backward_tolerance,
    _groups,
    _nd_tolerance,
    _NDData,
    _norm,
    _rd,
    _rd_model,
    _says_mistake,
    reference_block_differences,
    reference_diagnose,
)

DEFAULT_EPSILON = 1e-7  #: the default epsilon of gradient_check_n and of the classic loop


# ---------------------------------------------------------------------------------------------------------
# print_msg: is the printed line right? (whether it says there is a mistake: course_utils.expect.nb04)

def _verdict_problem(results, threshold=THRESHOLD):
    """What is wrong with the print_msg=True lines, or None. results: [(call, difference, printed)]."""
    for call, _, printed in results:
        lines = [line for line in printed.splitlines() if line.strip()]
        if not lines:
            return (f"{call} printed nothing: with print_msg=True print one line saying whether the difference "
                    f"is above {threshold:.0e} (e.g. \"There is a mistake in the backward propagation! "
                    "difference = ...\").")
        if len(lines) > 1:
            return (f"{call} printed {len(lines)} lines ({printed.strip()[:200]!r}): with print_msg=True print "
                    "ONE line, the verdict; remove the other print calls from your function.")
        if _says_mistake(printed) is None:
            return (f"{call} printed {printed.strip()[:200]!r}, which does not say whether there is a mistake: "
                    f"say \"mistake\" when the difference is above {threshold:.0e}, and e.g. \"works fine\" when "
                    "it is not.")
    wrong = [(call, d, p) for call, d, p in results if _says_mistake(p) != (d > threshold)]
    if not wrong:
        return None
    if len(wrong) == len(results):
        big = max(results, key=lambda r: r[1])
        small = min(results, key=lambda r: r[1])
        return (f"the print_msg verdict is reversed: {small[0]} printed {small[2].strip()[:120]!r} for a difference "
                f"of {small[1]:.3g}, and {big[0]} printed {big[2].strip()[:120]!r} for {big[1]:.3g}. A difference "
                f"ABOVE {threshold:.0e} means a mistake: `if difference > {threshold:.0e}:` prints the mistake.")
    flagged = sorted(d for _, d, p in wrong if d <= threshold)
    missed = sorted(d for _, d, p in wrong if d > threshold)
    if flagged and not missed:
        call, d, printed = min(wrong, key=lambda r: r[1])
        text = (f"{call} printed {printed.strip()[:120]!r}: a difference of {d:.3g} is below the course's "
                f"threshold {threshold:.0e}, so the gradient is right.")
        if d < 1.5e-7:
            text += (" 1e-7 is too strict a threshold here: the classic cost's round-off alone gives a correct "
                     f"gradient 1.19e-07, which is why the course uses {threshold:.0e}.")
        return text + f" Print the mistake only if difference > {threshold:.0e}."
    if missed and not flagged:
        call, d, printed = max(wrong, key=lambda r: r[1])
        return (f"{call} printed {printed.strip()[:120]!r}, but a difference of {d:.3g} is above the course's "
                f"threshold {threshold:.0e}: that is a mistake. Print the mistake if difference > {threshold:.0e}.")
    call, d, printed = wrong[0]
    return (f"{call} printed {printed.strip()[:120]!r} for a difference of {d:.3g}: the line must say there is a "
            f"mistake exactly when the difference is above {threshold:.0e}.")


# ---------------------------------------------------------------------------------------------------------
# gradient_check_n: the known mistakes (the reference computation: course_utils.expect.nb04)

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


def classic_cost_function(X, Y):
    """J(parameters) of the classic net as forward_propagation_n computes it, as a plain function."""
    return lambda parameters: network.forward_propagation_n(X, Y, parameters)[0]


def deep_cost_function(X, Y):
    """J(parameters) of a net of any depth as forward_propagation_deep computes it (the stable formula)."""
    return lambda parameters: network.forward_propagation_deep(X, Y, parameters)[0]


@dataclass
class _GCNCase:
    label: str
    cost: object
    parameters: dict
    gradients: dict
    epsilon: float = None  # None: left to the default
    print_msg: bool = None  # None: left to the default
    data: _NDData = None
    got: float = None
    got_approx: np.ndarray = None
    approx_shape: tuple = None  # the shape of the gradapprox returned, (n, 1) or (n,)
    printed: str = ""
    want: float = field(init=False, default=None)
    tol: float = field(init=False, default=None)

    @property
    def eps(self):
        return DEFAULT_EPSILON if self.epsilon is None else self.epsilon

    @property
    def call(self):
        extra = ("" if self.epsilon is None else f", epsilon={self.epsilon:g}") + \
                ("" if self.print_msg is None else f", print_msg={self.print_msg}")
        return f"gradient_check_n({self.label}{extra})"

    def args(self):
        args = (self.cost, self.parameters, self.gradients)
        if self.epsilon is not None or self.print_msg is not None:
            args += (self.eps,)
        if self.print_msg is not None:
            args += (self.print_msg,)
        return args

    def prepare(self, shared=None):
        """Compute the reference costs (`shared`: {inputs: data} of the cases run before, reused)."""
        key = (id(self.parameters), id(self.gradients), self.eps)
        shared = {} if shared is None else shared
        if key not in shared:
            shared[key] = _NDData(self.cost, self.parameters, self.gradients, self.eps)
        self.data = shared[key]
        self.want, self.tol = _nd_tolerance(self.data)

    def at_default(self):
        """(want, tolerance) with epsilon = 1e-7, what an answer that ignores epsilon gives."""
        if self.eps == DEFAULT_EPSILON:
            return self.want, self.tol
        return _nd_tolerance(_NDData(self.cost, self.parameters, self.gradients, DEFAULT_EPSILON))

    def wrong(self):
        return not within(self.got, self.want, 0.0, self.tol)


def _random_net(rng, m, sizes=None):
    """A random 3-layer net of other sizes and scales than the classic one (at least 55 parameters; or of the
    layer sizes `sizes`), data X (4, m) of a random scale and labels Y (1, m) with both labels present."""
    sizes = [4, int(rng.integers(6, 9)), int(rng.integers(3, 6)), 1] if sizes is None else list(sizes)
    parameters = {}
    for l in (1, 2, 3):
        scale = float(rng.uniform(0.5, 1.5)) / np.sqrt(sizes[l - 1])
        parameters[f"W{l}"] = rng.normal(0.0, scale, size=(sizes[l], sizes[l - 1]))
        parameters[f"b{l}"] = rng.normal(0.0, 0.5, size=(sizes[l], 1))
    X = rng.normal(0.0, float(rng.uniform(0.5, 3.0)), size=(4, m))
    Y = rng.integers(0, 2, size=(1, m))
    Y[0, :2] = (0, 1)[:m]
    return X, Y, parameters


def _deep_net(rng, dims, m):
    """A deep net of layer sizes dims (initialize_parameters), data X (dims[0], m), labels Y (1, m)."""
    parameters = network.initialize_parameters(list(dims), seed=int(rng.integers(1 << 30)))
    X = rng.normal(0.0, 1.0, size=(dims[0], m))
    Y = rng.integers(0, 2, size=(1, m))
    Y[0, :2] = (0, 1)
    return X, Y, parameters


def _scaled(gradients, s):
    return {k: v * s for k, v in gradients.items()}


def _gcn_cases():
    X, Y, parameters = network.gradient_check_n_test_case()
    _, cache = network.forward_propagation_n(X, Y, parameters)
    correct = backprop.backward_propagation_n(X, Y, cache)
    buggy = backprop.backward_propagation_n(X, Y, cache, bugs=COLLEAGUE_BUGS)
    cost = classic_cost_function(X, Y)
    rng = np.random.default_rng(SEED)
    Xa, Ya, pa = _random_net(rng, 6)
    _, cache_a = network.forward_propagation_n(Xa, Ya, pa)
    Xb, Yb, pb = _random_net(rng, 5)
    _, cache_b = network.forward_propagation_n(Xb, Yb, pb)
    Xc, Yc, pc = _deep_net(rng, (4, 5, 4, 3, 3, 1), 6)
    _, cache_c = network.forward_propagation_deep(Xc, Yc, pc)
    Xd, Yd, pd = _deep_net(rng, DEEP_DIMS, 4)
    _, cache_d = network.forward_propagation_deep(Xd, Yd, pd)
    gd = backprop.backward_propagation_deep(Xd, Yd, cache_d)
    Xe, Ye, pe = _random_net(rng, 6, sizes=[4, pa["W1"].shape[0], pa["W2"].shape[0], 1])  # as many parameters as a
    _, cache_e = network.forward_propagation_n(Xe, Ye, pe)
    # the 12-layer net's dicts in shuffled orders: theta follows dictionary_to_vector's layer order, not the dict's
    pd = {str(k): pd[k] for k in rng.permutation(list(pd))}
    gd = {str(k): gd[k] for k in rng.permutation(list(gd))}
    above, below = 2.6e-7, 1.6e-7  # the differences of the scaled gradients: just above / below 2e-7
    s_above, s_below = (1 + above) / (1 - above), (1 + below) / (1 - below)
    return [
        _GCNCase("the classic case, correct gradients", cost, parameters, correct),
        _GCNCase("the classic case, the colleague's gradients", cost, parameters, buggy),
        _GCNCase("the classic case, correct gradients", cost, parameters, correct, 1e-7, True),
        _GCNCase("the classic case, the colleague's gradients", cost, parameters, buggy, 1e-7, True),
        _GCNCase("a random 3-layer net, a wrong dW3", classic_cost_function(Xa, Ya), pa,
                 backprop.backward_propagation_n(Xa, Ya, cache_a, bugs=("dW3_missing_1_over_m",)), 1e-6, False),
        _GCNCase("a random 3-layer net, correct gradients", classic_cost_function(Xb, Yb), pb,
                 backprop.backward_propagation_n(Xb, Yb, cache_b), 1e-2),
        _GCNCase("a 5-layer net, a wrong db2", deep_cost_function(Xc, Yc), pc,
                 backprop.backward_propagation_deep(Xc, Yc, cache_c, bugs=("db2_sum_without_axis",)), 1e-6, False),
        _GCNCase("a 12-layer net, its dicts in shuffled orders, correct gradients", deep_cost_function(Xd, Yd), pd,
                 gd, 1e-5, False),
        _GCNCase("a random 3-layer net of the same sizes as the first one, other values, correct gradients",
                 classic_cost_function(Xe, Ye), pe, backprop.backward_propagation_n(Xe, Ye, cache_e), 1e-6, False),
        _GCNCase(f"the classic case, every gradient {s_above:.9f} times the right one", cost, parameters,
                 _scaled(correct, s_above), 1e-5, True),
        _GCNCase(f"the classic case, every gradient {s_below:.9f} times the right one", cost, parameters,
                 _scaled(correct, s_below), 1e-5, True),
    ]


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


def _apart(got, want):
    """got and want with as many digits (6 to 17) as it takes to tell them apart."""
    for digits in (6, 10, 17):
        if f"{got:.{digits}g}" != f"{want:.{digits}g}":
            break
    return f"{got:.{digits}g}", f"{want:.{digits}g}"


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


def _unpack_gcn(result, case):
    """(difference, gradapprox as an (n, 1) array) from what gradient_check_n returned, or AssertionError."""
    call, n = case.call, case.data.n
    if not isinstance(result, (tuple, list)):
        if result is None:
            raise AssertionError(f"{call} returned None. Did you forget `return difference, gradapprox`?")
        if isinstance(result, (numbers.Real, np.ndarray)) and np.size(result) == 1:
            raise AssertionError(f"{call} returned only a number ({_fmt(result)}): return both, "
                                 "`return difference, gradapprox` (the next exercises need gradapprox).")
        raise AssertionError(f"{call} returned {_fmt(result)}; expected `difference, gradapprox`.")  # noqa: TRY004
    if len(result) != 2:
        raise AssertionError(f"{call} returned {len(result)} values; expected two: `return difference, gradapprox`.")
    if isinstance(result[0], np.ndarray) and result[0].size == n > 1 and np.size(result[1]) == 1:
        raise AssertionError(f"{call} returned (gradapprox, difference), an array of {n} entries first: return them "
                             "in the order `return difference, gradapprox`.")
    difference = _as_float(result[0], call + "[0] (the difference)")
    approx = result[1]
    if not isinstance(approx, np.ndarray) or approx.dtype.kind not in "iuf":
        raise AssertionError(f"{call} returned {_fmt(approx)} as gradapprox; expected the array of the n = {n} "
                             "centered differences, shape (n, 1).")
    if approx.shape not in ((n, 1), (n,)):
        raise AssertionError(f"{call} returned a gradapprox of shape {approx.shape}; expected ({n}, 1), one entry "
                             "per entry of theta.")
    return difference, approx.astype(float).reshape(n, 1), approx.shape


def _call_gcn(gradient_check_n, case):
    parameters, gradients = _copy_dict(case.parameters), _copy_dict(case.gradients)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        result = gradient_check_n(*case.args())
    if not (_same_arrays(case.parameters, parameters) and _same_arrays(case.gradients, gradients)):
        raise AssertionError(f"{case.call} changed the parameters or gradients it was given: perturb copies "
                             "(np.copy) of theta, never the caller's arrays.")
    case.got, case.got_approx, case.approx_shape = _unpack_gcn(result, case)
    case.printed = printed.getvalue()


@exercise_check
def check_gradient_check_n(gradient_check_n):
    """gradient_check_n(cost, parameters, gradients, epsilon=1e-7, print_msg=False) must return (difference,
    gradapprox) and, with print_msg=True, print whether the difference is above 2e-7 (see the module doc)."""
    cases = _gcn_cases()
    done, shared = [], {}
    for case in cases:
        case.prepare(shared)
        try:
            _call_gcn(gradient_check_n, case)
        except (AssertionError, NotImplementedError):
            raise
        except Exception:
            if any(c.wrong() for c in done):
                break  # an earlier case is wrong already: say what is wrong there
            raise
        done.append(case)
    for case in done:
        if case.wrong():
            hint = _gcn_hints(done)
            message = f"{case.call} returned the difference {_fmt(case.got)}, expected {_fmt(case.want)}"
            if case.tol > 1e-3 * abs(case.want):
                message += f" (within {case.tol:.2g}: the round-off of the costs)"
            raise AssertionError(message + "." + (f"\nMost likely: {hint}" if hint else ""))
    flat = next((c for c in done if c.approx_shape != (c.data.n, 1)), None)
    if flat is not None:
        raise AssertionError(f"{flat.call} returned the right difference, but a gradapprox of shape {flat.approx_shape}: "
                             f"the docstring asks for shape ({flat.data.n}, 1), like grad.\nMost likely: {_FLAT_RETURNED}")
    for case in done:
        bad = ~within(case.got_approx, case.data.approx, 0.0, _approx_tolerance(case.data))
        if np.any(bad):
            i = int(np.flatnonzero(bad.ravel())[0])
            got_i, want_i = _apart(case.got_approx[i, 0], case.data.approx[i, 0])
            raise AssertionError(f"{case.call} returned the right difference, but entry {i} of gradapprox (in "
                                 f"{case.data.keys[i]}) is {got_i}, expected {want_i}: return the gradapprox you "
                                 "computed, one centered "
                                 "difference per entry of theta, in the order of dictionary_to_vector."
                                 + _approx_hint(done))
    for case in cases:
        if not case.print_msg and case.printed.strip():
            raise AssertionError(f"{case.call} printed {case.printed.strip()[:200]!r} although print_msg was False: "
                                 "print the verdict only `if print_msg:`, and nothing else.")
    problem = _verdict_problem([(c.call, c.got, c.printed) for c in cases if c.print_msg])
    if problem:
        raise AssertionError(problem)
    print(f"gradient_check_n passed: difference = {cases[1].want:.3g} with the colleague's bugs, "
          f"below {THRESHOLD:.0e} with correct gradients; 3-, 5- and 12-layer nets")


# ---------------------------------------------------------------------------------------------------------
# block_differences and diagnose: the known mistakes (the reference: course_utils.expect.nb04)

def _prefix_groups(keys):
    """{name: index array} of the entries whose key starts with the name: W1 takes W10, W11, W12 too."""
    keys = [str(k) for k in keys]
    return {name: np.flatnonzero([k.startswith(name) for k in keys]) for name in dict.fromkeys(keys)}


def _block_models(grad, gradapprox, keys):
    """{hint: {tensor: value}} of the known block_differences mistakes on one case."""
    g, a = np.ravel(grad).astype(float), np.ravel(gradapprox).astype(float)
    groups = _groups(keys)
    total = _norm(g) + _norm(a)

    def per_block(numerator, denominator, groups=groups):  # with the 0.0-when-both-are-zero guard of a right answer
        out = {}
        for name, idx in groups.items():
            den = float(denominator(g[idx], a[idx]))
            out[name] = float(numerator(g[idx], a[idx])) / den if den > 0 else 0.0
        return out
    both = lambda gt, at: _norm(gt) + _norm(at)
    return {
        _PREFIX: per_block(lambda gt, at: _norm(gt - at), both, _prefix_groups(keys)),
        _OVERALL_DENOMINATOR: per_block(lambda gt, at: _norm(gt - at), lambda gt, at: total),
        _ONE_NORM_BLOCK: per_block(lambda gt, at: _norm(gt - at), lambda gt, at: _norm(gt)),
        _ONE_NORM_BLOCK + " ": per_block(lambda gt, at: _norm(gt - at), lambda gt, at: _norm(at)),
        _NUMERATOR_BLOCK: {n: float(_norm(g[idx] - a[idx])) for n, idx in groups.items()},
        _SQUARED: per_block(lambda gt, at: np.sum(np.square(gt - at)), lambda gt, at: np.sum(gt * gt) + np.sum(at * at)),
        _NORM_DIFFERENCE: per_block(lambda gt, at: abs(_norm(gt) - _norm(at)), both),
        _OVERALL: {n: float(_norm(g - a) / total) for n in groups},
    }


_OVERALL_DENOMINATOR = ("each tensor's difference is divided by the norms of the WHOLE vectors; d_T uses only T's "
                        "entries in the denominator too: ||g_T - a_T|| / (||g_T|| + ||a_T||).")
_ONE_NORM_BLOCK = "the denominator is ||g_T|| + ||a_T||: you left one of the two norms out."
_NUMERATOR_BLOCK = "you returned only the numerator ||g_T - a_T||; divide by ||g_T|| + ||a_T||."
_SQUARED = "the norms are square roots of sums of squares: you left the square roots out."
_NORM_DIFFERENCE = ("you used the difference of the norms, | ||g_T|| - ||a_T|| |, which is 0 for a gradient of the "
                    "right size pointing the wrong way: use the norm of the difference, ||g_T - a_T||.")
_OVERALL = "every tensor got the overall difference: compute it over each tensor's own entries."
_PREFIX = ("W1's entries include those of W10, W11, W12 (and b1's those of b10, ...): you matched the names by their "
           "beginning (k.startswith(name), name in k); compare whole names, keys[i] == name.")
_EPSILON_DENOMINATOR = ("you added a small number to the denominator (... + 1e-8): d_T is exactly "
                        "||g_T - a_T|| / (||g_T|| + ||a_T||); give 0.0 only where that denominator is 0.")
_CACHED_BLOCKS = ("the values of an earlier call with the same keys: you kept results between calls (a cache keyed by "
                  "keys?); compute them from grad and gradapprox on every call.")


def _cache_explains(results, want_of):
    """Whether a cache keyed by keys explains every result: a call with the keys of an earlier one returned exactly
    what that one did, every other call the right values; and at least one call was answered from the cache.
    results: [(call, items, grad, approx, keys, ...)] in the order of the calls."""
    hit = False
    for i, (_, items, _, _, keys, *_) in enumerate(results):
        first = next((r for r in results[:i] if list(r[4]) == list(keys)), None)
        if first is not None:
            if items != first[1]:
                return False
            hit = True
        elif _compare_dicts(items, want_of(results[i]), _blocks_tol) is not None:
            return False
    return hit


def _epsilon_explains(results):
    """Whether ||g_T - a_T|| / (||g_T|| + ||a_T|| + e) for one e > 0 explains every value of every result."""
    fits = []
    for _, items, g, a, keys, *_ in results:
        g, a = np.ravel(g).astype(float), np.ravel(a).astype(float)
        for name, idx in _groups(keys).items():
            value = dict(items).get(name)
            num, den = float(_norm(g[idx] - a[idx])), float(_norm(g[idx]) + _norm(a[idx]))
            if value and value > 0 and num > 0:
                fits.append(num / value - den)
    if not fits or min(fits) <= 0:
        return False
    e = float(np.median(fits))
    for _, items, g, a, keys, *_ in results:
        g, a = np.ravel(g).astype(float), np.ravel(a).astype(float)
        want = {name: float(_norm(g[idx] - a[idx]) / (_norm(g[idx]) + _norm(a[idx]) + e))
                for name, idx in _groups(keys).items()}
        if _compare_dicts(items, want, lambda w: 1e-6 * abs(w) + 1e-15) is not None:
            return False
    return True
_ZERO_BLOCK = ("a tensor whose grad and gradapprox are both zero gives 0 / 0: its difference is 0.0 (nothing "
               "disagrees), as relative_difference returns.")
_SORTED = ("the right values, in another order: list the tensors in the order their names first appear in keys "
           "(the parameter order, W1, b1, W2, ... -- not sorted, where \"W10\" comes before \"W2\").")
_HARD_CODED = ("the names must come from keys, not from a list of the classic network's names: this case has "
               "tensors {names}.")


def _ordered_items(value, call, what="tensor names"):
    if value is None:
        raise AssertionError(f"{call} returned None. Did you forget `return`?")
    if not isinstance(value, dict):
        raise AssertionError(f"{call} returned {_fmt(value)} ({type(value).__name__}); "  # noqa: TRY004
                             "expected a dict {tensor name: number}.")
    if not all(isinstance(k, str) for k in value):
        raise AssertionError(f"{call} returned a dict whose keys are not all strings: its keys must be the "
                             f"{what} of keys.")
    return list(value.items())


_ONE_ENTRY = {
    1: ("a norm or a sum over axis=0 of a (k, 1) column keeps one axis (np.linalg.norm(v, axis=0) has shape (1,)): "
        "wrap the number in float(...), or take the norm of the whole block, float(np.linalg.norm(v))."),
    2: ("np.dot of two (k, 1) columns, or a product with a .T, is a (1, 1) array: wrap the number in float(...), or "
        "use np.linalg.norm."),
}


def _as_number(value, call, name):
    if isinstance(value, str):
        raise AssertionError(f"{call} returned {value!r} for {name}; expected a number.")  # noqa: TRY004
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        if value.ndim > 0:  # the notebook's f"{d:.2g}" fails on it; a dict of floats is what the docstring says
            hint = _ONE_ENTRY.get(min(value.ndim, 2))
            raise AssertionError(f"{call} returned an array of shape {value.shape} for {name}; expected a number (a "
                                 f"float), as the docstring says.\nMost likely: {hint}")
        return float(value.reshape(()))
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise AssertionError(f"{call} returned {_fmt(value)} for {name}; expected a number (a float).")  # noqa: TRY004
    return float(value)


def _compare_dicts(got, want, tol):
    """None when got (a list of items) has want's keys in want's order and values within tol, else 'order',
    'keys' or 'values'."""
    if [k for k, _ in got] != list(want):
        return "order" if sorted(k for k, _ in got) == sorted(want) else "keys"
    for k, v in got:
        w = want[k]
        if not (v == w or (np.isnan(v) and np.isnan(w)) or (np.isfinite(v) and abs(v - w) <= tol(w))):
            return "values"
    return None


def _blocks_tol(w):
    return 1e-8 * abs(w) + 1e-15


def _vectors_of(case):
    """(grad, gradapprox, keys) of the classic case with the colleague's gradients (the classic loop)."""
    X, Y, parameters = network.gradient_check_n_test_case()
    _, cache = network.forward_propagation_n(X, Y, parameters)
    buggy = backprop.backward_propagation_n(X, Y, cache, bugs=COLLEAGUE_BUGS)
    d = _NDData(classic_cost_function(X, Y), parameters, buggy, DEFAULT_EPSILON)
    return d.grad, d.approx, list(d.keys)


def _scaled_blocks(rng, spec):
    """(grad, gradapprox, keys) from spec = [(name, size, k)]: a_T random, g_T = k a_T (k None: a small error of
    relative size 1e-9; k 'zero': both zero; k 'mask': half the entries zeroed)."""
    grads, approxes, keys = [], [], []
    for name, size, k in spec:
        a = rng.normal(0.0, float(rng.uniform(0.5, 2.0)), size=size)
        if k == "zero":
            a = np.zeros(size)
            g = np.zeros(size)
        elif k is None:
            g = a * (1 + 1e-9 * rng.standard_normal(size))
        elif k == "mask":
            g = a * (np.arange(size) % 2 == 0)
        else:
            g = k * a
        grads.append(g)
        approxes.append(a)
        keys += [name] * size
    return np.concatenate(grads).reshape(-1, 1), np.concatenate(approxes).reshape(-1, 1), keys


def _blocks_cases():
    """[(label, grad, gradapprox, keys, threshold or None)] of the block_differences and diagnose checks."""
    rng = np.random.default_rng(SEED + 40)
    g0, a0, k0 = _vectors_of("classic")
    deep = [(name, int(np.prod(np.shape(v))), None) for name, v in network.initialize_parameters(
        list(DEEP_DIMS), seed=SEED).items()]
    deep = [(n, s, {"W10": 3.0, "b2": 0.5, "W11": -1.0}.get(n)) for n, s, _ in deep]
    g1, a1, k1 = _scaled_blocks(rng, deep)
    g2, a2, k2 = _scaled_blocks(rng, [("conv_w", 6, None), ("gamma", 3, 0.25), ("beta", 3, "zero"),
                                      ("fc_w", 5, "mask"), ("fc_b", 2, 2.0)])
    g3 = np.array([[9.0], [12.0], [1.0], [2.0], [2.0]])  # "a" is 3 times its gradapprox: d = 0.5 exactly
    a3 = np.array([[3.0], [4.0], [1.0], [2.0], [2.0]])
    k3 = ["a", "a", "b", "b", "b"][::-1]
    g3, a3 = g3[::-1].copy(), a3[::-1].copy()  # "b" first
    # the keys of the third case again, with other values and kinds of error: nothing may be kept between calls
    g4, a4, k4 = _scaled_blocks(rng, [("conv_w", 6, 3.0), ("gamma", 3, None), ("beta", 3, "mask"), ("fc_w", 5, 0.5),
                                      ("fc_b", 2, "zero")])
    tiny = np.array([[k == "beta"] for k in k4])  # a tensor of norm ~1e-6: an epsilon added to a denominator shows
    g4, a4 = np.where(tiny, 1e-6 * g4, g4), np.where(tiny, 1e-6 * a4, a4)
    return [("the colleague's classic case", g0, a0, k0, None),
            ("a 12-layer net, keys W1, b1, ..., W12, b12", g1, a1, k1, None),
            ("tensors conv_w, gamma, beta, fc_w, fc_b", g2, a2, k2, None),
            ("tensors conv_w, gamma, beta, fc_w, fc_b", g2, a2, k2, 0.5),
            ("tensors b and a, a exactly 3 times its gradapprox", g3, a3, k3, 0.5),
            ("tensors conv_w, gamma, beta, fc_w, fc_b again, other values", g4, a4, k4, None)]


def _call_blocks(fn, name, label, grad, approx, keys, threshold):
    args = (grad.copy(), approx.copy(), list(keys)) + (() if threshold is None else (threshold,))
    call = f"{name}({label}" + ("" if threshold is None else f", threshold={threshold:g}") + ")"
    result = fn(*args)
    if not (np.array_equal(args[0], grad) and np.array_equal(args[1], approx) and list(args[2]) == list(keys)):
        raise AssertionError(f"{call} changed grad, gradapprox or keys in place: work on copies.")
    return call, result


@exercise_check
def check_block_differences(block_differences):
    """block_differences(grad, gradapprox, keys) must return {tensor: d_T} in the order of keys (module doc)."""
    cases = [c for c in _blocks_cases() if c[4] is None]
    results = []
    for label, grad, approx, keys, _ in cases:
        call, result = _call_blocks(block_differences, "block_differences", label, grad, approx, keys, None)
        items = _ordered_items(result, call)
        items = [(k, _as_number(v, call, k)) for k, v in items]
        results.append((call, items, grad, approx, keys))
    for index, (call, items, grad, approx, keys) in _colleague_last(results):
        want = reference_block_differences(grad, approx, keys)
        problem = _compare_dicts(items, want, _blocks_tol)
        if problem is None:
            continue
        if index == 0:  # right everywhere else: say what is wrong without the colleague's values
            raise AssertionError(_colleague_only(call, items, want, problem, "the relative difference over that "
                                                 "tensor's own entries", _blocks_tol))
        message = _returned(call, items, want)
        if problem == "order":
            message += f"\nMost likely: {_SORTED}" if _compare_dicts(sorted(items), dict(sorted(want.items())),
                                                                      _blocks_tol) is None else ""
            raise AssertionError(message)
        if problem == "keys":
            got_names = [k for k, _ in items]
            if set(got_names) <= set(network.CLASSIC_SHAPES) and set(want) != set(network.CLASSIC_SHAPES):
                message += "\nMost likely: " + _HARD_CODED.format(names=", ".join(want))
            raise AssertionError(message)
        raise AssertionError(message + _blocks_hint(results))
    print("block_differences passed: the colleague's vectors, a 12-layer net, other names, an all-zero tensor")


def _colleague_last(results):
    """(index, result) of the cases in the order their failures are reported: the colleague's case (index 0)
    last, so that a wrong answer is shown its expected values on a case that gives nothing away."""
    return [(i, r) for i, r in enumerate(results) if i != 0] + [(0, results[0])]


def _colleague_only(call, items, want, problem, what, tol):
    """The message of an answer wrong only on the colleague's vectors: it names what is wrong in the student's
    own result, never the values the colleague's pass should give (the student's cell shows them, once the
    check passes)."""
    got = dict(items)
    if problem == "keys":
        detail = (f"it names {', '.join(map(repr, got)) or 'no tensor'}, which are not the right tensors here")
    elif problem == "order":
        detail = "the right tensors, in another order than in keys"
    else:
        bad = [name for name in want if name in got and not (abs(got[name] - want[name]) <= tol(want[name])
                                                             or got[name] == want[name])]
        detail = f"the value of {', '.join(bad)} is not {what}"
    return (f"{call} returned {{{_short(items)}}}: {detail}. It is right on the check's other cases, so look at "
            "what is special here (the classic network's keys W1, b1, ..., b3, its 47 entries). The expected values "
            "are what your own cell under the check shows once the check passes.")


def _short(items, limit=6, digits=3):
    items = list(items)
    text = ", ".join(f"{k!r}: {v:.{digits}g}" if isinstance(v, float) else f"{k!r}: {v!r}" for k, v in items[:limit])
    return text + (", ..." if len(items) > limit else "")


def _returned(call, items, want):
    """"<call> returned {...}, expected {...}." with enough digits to show where they differ."""
    for digits in (3, 10, 17):
        got_text, want_text = _short(items, digits=digits), _short(want.items(), digits=digits)
        if got_text != want_text:
            break
    return f"{call} returned {{{got_text}}}, expected {{{want_text}}}."


def _blocks_hint(results):
    """The one known mistake that explains every case, as "\\nMost likely: ..." (or "")."""
    if _cache_explains(results, lambda r: reference_block_differences(*r[2:5])):
        return f"\nMost likely: {_CACHED_BLOCKS}"
    if _epsilon_explains(results):
        return f"\nMost likely: {_EPSILON_DENOMINATOR}"
    zero_nan = any(np.isnan(v) for _, items, *_ in results for _, v in items)
    if zero_nan:
        ok = all(all((np.isnan(v) and reference_block_differences(g, a, k)[n] == 0.0)
                     or abs(v - reference_block_differences(g, a, k)[n]) <= _blocks_tol(
                         reference_block_differences(g, a, k)[n]) for n, v in items)
                 for _, items, g, a, k in results)
        if ok:
            return f"\nMost likely: {_ZERO_BLOCK}"
    hints = []
    for hint in _block_models(*results[0][2:]):
        if all(_compare_dicts(items, _block_models(g, a, k)[hint], _blocks_tol) is None
               for _, items, g, a, k in results):
            hints.append(hint.strip())
    return f"\nMost likely: {' Or: '.join(dict.fromkeys(hints))}" if hints else ""


_INVERTED = "the ratio is upside down: ||g_T|| / ||a_T|| (backprop over gradapprox), so 2 means 2 times too big."
_AT_THRESHOLD = ("a tensor whose block difference equals the threshold is not a suspect: keep the tensors whose "
                 "difference is strictly above it (d > threshold).")
_IGNORED_THRESHOLD = "you ignored the threshold argument: compare with the threshold you are given."
_EVERY_TENSOR = "you returned every tensor: keep only the suspects, whose block difference is above the threshold."
_FROM_D = ("k = (1 + d) / (1 - d) undoes |k - 1| / (k + 1) only for k > 1: the difference is the same for k and 1/k, "
           "so it cannot say too big from too small. Use the norm ratio ||g_T|| / ||a_T||.")
_WORDS = ("return the norm ratio itself, a number such as 2.0 (the notebook turns it into words): "
          "{name}: ||g_T|| / ||a_T||.")
_SUMS = "use the ratio of the norms ||g_T|| / ||a_T||, not of the sums of the entries (signs cancel in a sum)."


def _diagnose_models(grad, gradapprox, keys, threshold):
    """{hint: {suspect: value}} of the known diagnose mistakes on one case (threshold None: the default)."""
    t = SUSPECT_THRESHOLD if threshold is None else threshold
    g, a = np.ravel(grad).astype(float), np.ravel(gradapprox).astype(float)
    groups = _groups(keys)
    blocks = reference_block_differences(grad, gradapprox, keys)
    prefix = _prefix_groups(keys)
    prefix_blocks = _block_models(grad, gradapprox, keys)[_PREFIX]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = {n: _norm(g[idx]) / _norm(a[idx]) for n, idx in groups.items()}

    def pick(test, value):
        return {n: value(n) for n, d in blocks.items() if test(d)}
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            _PREFIX: {n: float(_norm(g[prefix[n]]) / _norm(a[prefix[n]])) for n, d in prefix_blocks.items() if d > t},
            _INVERTED: pick(lambda d: d > t, lambda n: 1 / ratio[n]),
            _AT_THRESHOLD: pick(lambda d: d >= t, lambda n: ratio[n]),
            _IGNORED_THRESHOLD: pick(lambda d: d > SUSPECT_THRESHOLD, lambda n: ratio[n]),
            _IGNORED_THRESHOLD + " ": pick(lambda d: d > THRESHOLD, lambda n: ratio[n]),
            _EVERY_TENSOR: pick(lambda d: True, lambda n: ratio[n]),
            _FROM_D: pick(lambda d: d > t, lambda n: (1 + blocks[n]) / (1 - blocks[n]) if blocks[n] < 1 else np.inf),
            _SUMS: pick(lambda d: d > t, lambda n: float(np.sum(g[groups[n]]) / np.sum(a[groups[n]]))),
        }


def _diagnose_tol(w):
    return 1e-8 * abs(w) + 1e-300


@exercise_check
def check_diagnose(diagnose):
    """diagnose(grad, gradapprox, keys, threshold=1e-5) must return {suspect: ||g_T|| / ||a_T||} (module doc)."""
    called = [_call_blocks(diagnose, "diagnose", label, grad, approx, keys, threshold) + (grad, approx, keys, threshold)
              for label, grad, approx, keys, threshold in _blocks_cases()]
    checked = {}
    for index, (call, result, grad, approx, keys, threshold) in _colleague_last(called):  # the colleague's suspects last
        if isinstance(result, (list, tuple, set)) and all(isinstance(n, str) for n in result):
            raise AssertionError(f"{call} returned {_fmt(result)}, a {type(result).__name__} of names: return a "
                                 "dict {suspect: norm ratio ||g_T|| / ||a_T||}, e.g. {'gamma': 0.25}.")
        items = _ordered_items(result, call, "suspects' names")
        for name, value in items:
            if isinstance(value, str):
                raise AssertionError(f"{call} returned {value!r} for {name}: " + _WORDS.format(name=name))  # noqa: TRY004
        checked[index] = (call, [(k, _as_number(v, call, k)) for k, v in items], grad, approx, keys, threshold)
    results = [checked[index] for index in range(len(called))]
    for index, (call, items, grad, approx, keys, threshold) in _colleague_last(results):
        want = reference_diagnose(grad, approx, keys, SUSPECT_THRESHOLD if threshold is None else threshold)
        problem = _compare_dicts(items, want, _diagnose_tol)
        if problem is None:
            continue
        if index == 0:  # right everywhere else: say what is wrong without the colleague's suspects and ratios
            raise AssertionError(_colleague_only(call, items, want, problem, "the norm ratio ||g_T|| / ||a_T||",
                                                 _diagnose_tol))
        message = _returned(call, items, want)
        if problem == "order" and _compare_dicts(sorted(items), dict(sorted(want.items())), _diagnose_tol) is None:
            raise AssertionError(message + f"\nMost likely: {_SORTED}")
        got_names = [k for k, _ in items]
        if problem == "keys" and set(got_names) <= set(network.CLASSIC_SHAPES) and not set(want) <= set(
                network.CLASSIC_SHAPES):
            raise AssertionError(message + "\nMost likely: " + _HARD_CODED.format(names=", ".join(dict.fromkeys(keys))))
        hints = []
        if _cache_explains(results, lambda r: reference_diagnose(*r[2:5], SUSPECT_THRESHOLD if r[5] is None else r[5])):
            hints.append(_CACHED_BLOCKS)
        for hint in _diagnose_models(*results[0][2:]):
            if all(_compare_dicts(it, _diagnose_models(g, a, k, t)[hint], _diagnose_tol) is None
                   for _, it, g, a, k, t in results):
                hints.append(hint.strip())
        raise AssertionError(message + (f"\nMost likely: {' Or: '.join(dict.fromkeys(hints))}" if hints else ""))
    print("diagnose passed: suspects and ratios right on the colleague's vectors, a 12-layer net, other names, "
          "a tensor too small, a sign error, a block exactly at the threshold")



# ---------------------------------------------------------------------------------------------------------
# backward_propagation_n

GRADIENT_KEYS = ("dW3", "db3", "dW2", "db2", "dW1", "db1")  #: the order of the backward pass
INTERMEDIATE_KEYS = ("dZ3", "dA2", "dZ2", "dA1", "dZ1")  #: the other entries the docstring lists
CACHE_NAMES = ("Z1", "A1", "W1", "b1", "Z2", "A2", "W2", "b2", "Z3", "A3", "W3", "b3")


def _classic_backward(X, Y, cache, sign=1.0, sigmoid_twice=False, mask2="A", mask1="A"):
    """The classic backward pass with a whole-pass mistake: sign of dZ3, the sigmoid derivative applied twice,
    a ReLU mask taken from A (right), from dA, or missing (None)."""
    _, A1, _, _, _, A2, W2, _, _, A3, W3, _ = cache
    m = X.shape[1]
    dZ3 = sign * (A3 - Y)
    if sigmoid_twice:
        dZ3 = dZ3 * A3 * (1 - A3)
    out = {"dW3": 1.0 / m * (dZ3 @ A2.T), "db3": 1.0 / m * np.sum(dZ3, axis=1, keepdims=True)}
    dA2 = W3.T @ dZ3
    dZ2 = dA2 * {"A": A2 > 0, "dA": dA2 > 0, None: 1.0}[mask2]
    out.update(dW2=1.0 / m * (dZ2 @ A1.T), db2=1.0 / m * np.sum(dZ2, axis=1, keepdims=True))
    dA1 = W2.T @ dZ2
    dZ1 = dA1 * {"A": A1 > 0, "dA": dA1 > 0, None: 1.0}[mask1]
    out.update(dW1=1.0 / m * (dZ1 @ X.T), db1=1.0 / m * np.sum(dZ1, axis=1, keepdims=True))
    return out


_WHOLE_PASS = {  # whole-pass mistakes: (hint, keyword arguments of _classic_backward)
    "sign": ("every gradient has the opposite sign: the output layer's dZ3 = A3 - Y (not Y - A3).",
             {"sign": -1.0}),
    "sigmoid_twice": (BUGS["sigmoid_derivative_twice"].description + " Write dZ3 = A3 - Y.",
                      {"sigmoid_twice": True}),
    "mask2_dA": (("the ReLU mask of layer 2 is taken from the sign of dA2 instead of from A2: "
                  "dZ2 = np.multiply(dA2, np.int64(A2 > 0))."), {"mask2": "dA"}),
    "mask2_none": (("the ReLU derivative of layer 2 is missing (dZ2 = dA2, or a mask that is always 1 such as "
                    "A2 >= 0): dZ2 = np.multiply(dA2, np.int64(A2 > 0))."), {"mask2": None}),
    "mask1_dA": (("the ReLU mask of layer 1 is taken from the sign of dA1 instead of from A1: "
                  "dZ1 = np.multiply(dA1, np.int64(A1 > 0))."), {"mask1": "dA"}),
    "mask1_none": (("the ReLU derivative of layer 1 is missing (dZ1 = dA1, or a mask that is always 1 such as "
                    "A1 >= 0): dZ1 = np.multiply(dA1, np.int64(A1 > 0))."), {"mask1": None}),
}


@dataclass
class _BPCase:
    label: str
    X: np.ndarray
    Y: np.ndarray
    cache: tuple
    want: dict
    tol: dict
    models: dict
    got: dict = None

    @property
    def m(self):
        return self.X.shape[1]

    @property
    def call(self):
        return f"backward_propagation_n({self.label})"


def _matches(value, target, tol):
    return value.shape == target.shape and bool(np.all(within(value, target, 0.0, tol)))


def _factor(value, ref):
    """k when value = k * ref (least squares), else None (or 1.0 for ref = 0)."""
    if value.shape != ref.shape:
        return None
    denominator = float(np.sum(ref * ref))
    return float(np.sum(value * ref) / denominator) if denominator > 0 else None


#: the colleague's bugs: gradient -> the factor it carries (course_utils.bugs: dW2_times_2, db1_4_over_m)
COLLEAGUE_FACTORS = {"dW2": 2.0, "db1": 4.0}
STILL_THE_COLLEAGUES = ("not fixed yet: your diagnose (section 4) names the tensors whose gradient is wrong and how "
                        "far off each is; fix the lines that compute them (every dW and db is averaged once over "
                        "the m examples, 1./m).")


def _still_the_colleagues(key, cases):
    """Whether gradient `key` is, on every case, what the colleague's pass returns (one of its two bugs, unfixed)."""
    k = COLLEAGUE_FACTORS.get(key)
    return k is not None and all(_matches(c.got[key], k * c.want[key], k * c.tol[key] + 1e-300) for c in cases)


def _tensor_hint(key, cases):
    """The one mistake that explains tensor `key` on every case, or None."""
    values = [(c.got[key], c.want[key], c.tol[key], c) for c in cases]

    def every(test):
        return all(test(v, r, t, c) for v, r, t, c in values)

    def factor_of(k_of):
        return every(lambda v, r, t, c: _matches(v, k_of(c) * r, abs(k_of(c)) * t + 1e-300))
    if factor_of(lambda c: float(c.m)):
        return "the 1./m is missing: the sum over the m examples must be averaged (1./m * ...)."
    if factor_of(lambda c: c.m / 3):
        return ("m / 3 times the right value wherever m is not 3: did you hard-code m = 3? "
                "Use m = X.shape[1].")
    if factor_of(lambda c: c.m / np.shape(c.Y)[0]):
        return ("m is taken from Y.shape[0], which is 1 when Y has shape (1, m): use m = X.shape[1] "
                "(the examples are the columns of X).")
    for hint, kwargs in _WHOLE_PASS.values():
        if every(lambda v, r, t, c, kwargs=kwargs: _matches(v, c.models[str(kwargs)][key], t)):
            return hint
    if key.startswith("db"):
        if every(lambda v, r, t, c: _matches(v, r, t) or (v.shape == (r.shape[0],) and _matches(v, r[:, 0], t[:, 0]))):
            return f"{key} has lost its second axis: np.sum(..., axis=1, keepdims=True) keeps the shape (n, 1)."
        if every(lambda v, r, t, c: (v.size == 1 and bool(within(v.ravel()[0], r.sum(), 0.0, t.sum())))
                 or _matches(v, np.full(r.shape, r.sum()), np.full(r.shape, t.sum()))):
            return (f"{key} sums over every entry instead of over the examples: np.sum(dZ, axis=1, keepdims=True) "
                    "(one number per unit).")
    if key.startswith("dW") and every(lambda v, r, t, c: _matches(v, r.T, t.T)):
        return f"{key} is transposed: dW = 1./m * np.dot(dZ, A_prev.T) has the shape of W."
    k = next((f for f in (_factor(v, r) for v, r, _, _ in values) if f is not None), None)
    if k is not None and abs(k - 1) > 1e-6 and factor_of(lambda c: k):
        if abs(k + 1) < 1e-9:
            return f"{key} has the opposite sign of the right gradient: look for a stray minus in that line."
        return f"{key} is {k:.4g} times the right value: look for a stray factor in that line."
    return None


def _random_backward_case(rng, m, labels_2d):
    X, Y, parameters = _random_net(rng, m)
    if not labels_2d:
        Y = Y.ravel().astype(float)
    return X, Y, parameters


@exercise_check
def check_backward_propagation_n(backward_propagation_n):
    """backward_propagation_n(X, Y, cache) must return the correct gradients (the colleague's bugs fixed)."""
    X, Y, parameters = network.gradient_check_n_test_case()
    rng = np.random.default_rng(SEED + 4)
    inputs = [("the classic case", X, Y, parameters),
              ("a random 3-layer net with m = 7, Y of shape (1, 7)",) + _random_backward_case(rng, 7, True),
              ("a random 3-layer net with m = 12, Y of shape (12,)",) + _random_backward_case(rng, 12, False),
              ("a random 3-layer net with m = 1, Y of shape (1,)",) + _random_backward_case(rng, 1, False),
              ("another random 3-layer net with m = 7, Y of shape (1, 7)",) + _random_backward_case(rng, 7, True)]
    cases = []
    for label, X_, Y_, p in inputs:
        _, cache = network.forward_propagation_n(X_, Y_, p)
        models = {str(kw): _classic_backward(X_, Y_, cache, **kw) for _, kw in _WHOLE_PASS.values()}
        want = backprop.backward_propagation_n(X_, Y_, cache)
        # the check asks what its line says, that every dW and db matches the gradient check: within the
        # round-off of any analytic pass, plus 1e-7 relative (the grader's verification alone is strict)
        tol = {k: t + 1e-7 * np.abs(want[k]) + 1e-12 for k, t in _backward_tolerance(X_, Y_, cache).items()}
        case = _BPCase(label, X_, Y_, cache, want, tol, models)
        before = (X_.copy(), np.array(Y_, copy=True), tuple(np.array(a, copy=True) for a in cache))
        got = backward_propagation_n(X_, Y_, cache)
        call = case.call
        changed = [name for name, a, b in zip(("X", "Y") + CACHE_NAMES, (X_, Y_) + cache,
                                              (before[0], before[1]) + before[2]) if not np.array_equal(a, b)]
        if changed:
            raise AssertionError(f"{call} changed {', '.join(changed)} in place (an in-place mask, `-=` or `*=` on an "
                                 "array it was given): it changed the cache the forward pass returned. Compute new "
                                 "arrays, e.g. dZ2 = np.multiply(dA2, np.int64(A2 > 0)).")
        if got is None:
            raise AssertionError(f"{call} returned None. Did you forget `return gradients`?")
        if not isinstance(got, dict):
            raise AssertionError(f"{call} returned {type(got).__name__}; expected the gradients dict.")  # noqa: TRY004
        values = {}
        for key in GRADIENT_KEYS[::-1]:
            if key not in got:
                early = ("\nMost likely: your function returns inside its layer loop, after the first layer it "
                         "computes: return once the loop is done (check the indentation of `return`)."
                         if {"dW3", "db3"} <= set(got) and not {"dW2", "db2", "dW1", "db1"} & set(got) else "")
                raise AssertionError(f"{call}: gradients has no {key!r} key." + early)
        for key in GRADIENT_KEYS:
            value = got[key]
            array = np.asarray(value) if isinstance(value, (np.ndarray, numbers.Real)) else None
            if array is None or array.dtype.kind not in "iuf":
                raise AssertionError(f"{call}: {key} is {_fmt(value)}, not an array of numbers.")
            if any(np.may_share_memory(array, a) for a in (X_, Y_) + cache if isinstance(a, np.ndarray)):
                raise AssertionError(f"{call}: {key} is an array of the cache (or X, Y) itself, not a new array: "
                                     "compute it, e.g. 1./m * np.sum(dZ, axis=1, keepdims=True).")
            values[key] = array.astype(float)
        for key in INTERMEDIATE_KEYS:  # the docstring's dZ3, dA2, ...: judged where the dict has them
            value = got.get(key)
            if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
                values[key] = value.astype(float)
            elif key in got:
                raise AssertionError(f"{call}: {key} is {_fmt(value)}, not an array of numbers.")
        case.got = values
        cases.append(case)
    memo = _memo_problem(cases)
    if memo:
        raise AssertionError(memo)
    wrong = [key for key in GRADIENT_KEYS if any(not _matches(c.got[key], c.want[key], c.tol[key]) for c in cases)]
    if wrong:
        raise AssertionError(_backward_message(wrong, cases))
    problem = _intermediate_problem(cases)
    if problem:
        raise AssertionError(problem)
    classic = cases[0]  # the course's own check of the student's pass: what the pass line says
    data = _NDData(classic_cost_function(classic.X, classic.Y), parameters, classic.got, DEFAULT_EPSILON)
    difference = _rd(data.grad, data.approx)
    if not difference < THRESHOLD:
        raise AssertionError(f"{classic.call}: every dW and db is close to the right one, but the gradient check of the "
                             f"classic case gives {difference:.3g}, above {THRESHOLD:.0e}: look for a small error.")
    print(f"backward_propagation_n passed: every dW and db right to 1e-07 relative (the classic case; m = 7, 12, 1); "
          f"your pass's gradient check on the classic case is below {THRESHOLD:.0e}")


_MEMO = ("you kept results between calls (a cache keyed by X.shape?): compute the gradients from this call's X, Y "
         "and cache every time.")
_IN_PLACE_MASK = ("you masked dA{l} in place (dA{l}[A{l} <= 0] = 0, or np.multiply(..., out=dA{l})), so the dA{l} you "
                  "return is dZ{l}: compute dZ{l} as a new array, dZ{l} = np.multiply(dA{l}, np.int64(A{l} > 0)).")


def _same_result(a, b):
    return all(k in a and k in b and a[k].shape == b[k].shape and np.array_equal(a[k], b[k]) for k in GRADIENT_KEYS)


def _memo_problem(cases):
    """The message when a cache keyed by X.shape explains every case -- a call with the X.shape of an earlier one
    returned exactly what that one did, every other call the right gradients -- else None."""
    hit = None
    for i, c in enumerate(cases):
        first = next((e for e in cases[:i] if e.X.shape == c.X.shape), None)
        if first is not None:
            if not _same_result(c.got, first.got):
                return None
            if any(not _matches(c.got[k], c.want[k], c.tol[k]) for k in GRADIENT_KEYS):
                hit = hit or (c, first)
        elif any(not _matches(c.got[k], c.want[k], c.tol[k]) for k in GRADIENT_KEYS):
            return None
    if hit is None:
        return None
    c, first = hit
    return (f"{c.call} returned exactly the gradients of an earlier call, {first.call}, whose X has the same shape "
            f"{c.X.shape}.\nMost likely: {_MEMO}")


def _intermediate_tol(want):
    return 1e-7 * float(np.max(np.abs(want))) + 1e-12 if want.size else 0.0


def _intermediate_problem(cases):
    """The message when a dZ or dA the student's dict holds is not what its name says (on some case), else None."""
    for key in INTERMEDIATE_KEYS:
        bad = [c for c in cases if key in c.got and not _matches(c.got[key], c.want[key], _intermediate_tol(c.want[key]))]
        if not bad:
            continue
        c = bad[0]
        value, want = c.got[key], c.want[key]
        detail = (f"has shape {value.shape}, expected {want.shape}" if value.shape != want.shape
                  else f"is off by up to {float(np.max(np.abs(value - want))):.3g}")
        message = (f"{c.call}: every dW and db is right, but the {key} in the dict you return {detail}: the docstring "
                   f"lists dZ3, dA2, dZ2, ...; each must hold the value of its name (or leave it out).")
        if key.startswith("dA"):
            l = key[2:]
            if all(_matches(c.got[key], c.want[f"dZ{l}"], _intermediate_tol(c.want[f"dZ{l}"]))
                   for c in cases if key in c.got):
                message += "\nMost likely: " + _IN_PLACE_MASK.format(l=l)
        return message
    return None


def _backward_message(wrong, cases):
    """The message of a wrong backward pass: which gradients are wrong and, for each, the mistake it agrees with on
    every case. A gradient that is still the colleague's is not named: the student's diagnose finds it."""
    first = next(c for c in cases if any(not _matches(c.got[k], c.want[k], c.tol[k]) for k in wrong))
    still = [k for k in wrong if _still_the_colleagues(k, cases)]
    named = [k for k in wrong if k not in still]
    details = []
    for key in named:
        value, ref = first.got[key], first.want[key]
        if not _matches(value, ref, first.tol[key]):
            details.append(f"{key} has shape {value.shape}, expected {ref.shape}" if value.shape != ref.shape else
                           f"{key} is off by up to {float(np.max(np.abs(value - ref))):.3g}")
    hints = {}
    for key in named:
        hint = _tensor_hint(key, cases)
        if hint:
            hints.setdefault(hint, []).append(key)
    lines = [f"- {', '.join(keys)}: {hint}" for hint, keys in hints.items()]
    parts = []
    if named:
        names = " and ".join(named) if len(named) == 2 else ", ".join(named)
        parts.append(f"{names} {'are' if len(named) > 1 else 'is'} wrong" + (f" ({'; '.join(details)})" if details else ""))
    if still:
        count = "1 gradient is" if len(still) == 1 else f"{len(still)} gradients are"
        parts.append(f"{count} still exactly what the colleague's pass returns")
        bugs = "the colleague's bug is" if len(still) == 1 else "the colleague's bugs are"
        lines.append(f"- {bugs} {STILL_THE_COLLEAGUES}")
    message = f"{first.call}: {'; '.join(parts)}."
    if lines:
        message += "\nMost likely:\n" + "\n".join(lines)
    unexplained = [k for k in named if not any(k in keys for keys in hints.values())]
    if lines and unexplained:
        message += f"\n(and look again at {', '.join(unexplained)})"
    return message
