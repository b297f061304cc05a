"""The check of gradient_check_n (notebook 04 check an N-D gradient).

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
computation) on EVERY case, and no other mistake does, so that one coincidence cannot name the wrong mistake
(course_utils.expect.mistakes.explain); the failing check's AssertionError carries the mistake's id.

The known mistakes, as records with their hints and models: course_utils.expect.gradient_check_n.
"""
import contextlib
import io
import numbers
import warnings
from dataclasses import dataclass, field

import numpy as np

from course_utils import backprop, network
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
from course_utils.checks.nb04._shared import DEFAULT_EPSILON, _random_net, classic_cost_function, deep_cost_function
from course_utils.compare import within
from course_utils.expect.gradient_check_n import (
    FLAT_RETURNED,
    GCN_APPROX_MISTAKES,
    GCN_CASE_MISTAKES,
    GCN_DIFFERENCE_MISTAKES,
    GRAD_RETURNED,
)
from course_utils.expect.mistakes import explain, explaining, failure
from course_utils.expect.nb04 import (
    _approx_tolerance,
    _nd_tolerance,
    _NDData,
    _says_mistake,
)

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
    earlier: tuple = ()  # the cases run before this one (what a cache between calls returns)
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


# ---------------------------------------------------------------------------------------------------------
# the known mistakes (course_utils.expect.gradient_check_n): which one explains every case

def _close_difference(got, model, case):
    """Whether the difference returned is what a mistake's model gives: (value, tolerance) or a list of them."""
    return any(within(got, v, 0.0, tol) for v, tol in (model if isinstance(model, list) else [model]))


def _close_approx(got, expected, case):
    return bool(np.all(within(got, expected, 0.0, _approx_tolerance(case.data))))


def _difference_mistake(cases):
    """The one known mistake that explains every difference returned, or None: the models from the costs first,
    those that need the whole case only when none of the first explains them."""
    results = [c.got for c in cases]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a model's float32 parameters warn, as the student's own did
        found = explaining(GCN_DIFFERENCE_MISTAKES, cases, results, _close_difference)
        if not found:
            found = explaining(GCN_CASE_MISTAKES, cases, results, _close_difference)
    return found[0] if len(found) == 1 else None


def _approx_mistake(cases):
    """The one known mistake that explains every gradapprox returned (the differences being right), or None."""
    results = [c.got_approx for c in cases]
    return explain([GRAD_RETURNED], cases, results, _close_approx) or \
        explain(GCN_APPROX_MISTAKES, cases, results, _close_approx)


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


def _apart(got, want):
    """got and want with as many digits (6 to 17) as it takes to tell them apart."""
    for digits in (6, 10, 17):
        if f"{got:.{digits}g}" != f"{want:.{digits}g}":
            break
    return f"{got:.{digits}g}", f"{want:.{digits}g}"


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
    difference = _as_float(result[0], call=call + "[0] (the difference)")
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
        case.earlier = tuple(done)
        done.append(case)
    for case in done:
        if case.wrong():
            message = f"{case.call} returned the difference {_fmt(case.got)}, expected {_fmt(case.want)}"
            if case.tol > 1e-3 * abs(case.want):
                message += f" (within {case.tol:.2g}: the round-off of the costs)"
            raise failure(message + ".", _difference_mistake(done))
    flat = next((c for c in done if c.approx_shape != (c.data.n, 1)), None)
    if flat is not None:
        raise failure(f"{flat.call} returned the right difference, but a gradapprox of shape {flat.approx_shape}: "
                      f"the docstring asks for shape ({flat.data.n}, 1), like grad.", FLAT_RETURNED)
    for case in done:
        bad = ~within(case.got_approx, case.data.approx, 0.0, _approx_tolerance(case.data))
        if np.any(bad):
            i = int(np.flatnonzero(bad.ravel())[0])
            got_i, want_i = _apart(case.got_approx[i, 0], case.data.approx[i, 0])
            raise failure(f"{case.call} returned the right difference, but entry {i} of gradapprox (in "
                          f"{case.data.keys[i]}) is {got_i}, expected {want_i}: return the gradapprox you computed, one "
                          "centered difference per entry of theta, in the order of dictionary_to_vector.",
                          _approx_mistake(done))
    for case in cases:
        if not case.print_msg and case.printed.strip():
            raise AssertionError(f"{case.call} printed {case.printed.strip()[:200]!r} although print_msg was False: "
                                 "print the verdict only `if print_msg:`, and nothing else.")
    problem = _verdict_problem([(c.call, c.got, c.printed) for c in cases if c.print_msg])
    if problem:
        raise AssertionError(problem)
    print(f"gradient_check_n passed: difference = {cases[1].want:.3g} with the colleague's bugs, "
          f"below {THRESHOLD:.0e} with correct gradients; 3-, 5- and 12-layer nets")
