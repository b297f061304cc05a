"""Verification specs of notebook 04 check an N-D gradient (see course_utils/grading/verify.py).

gradient_check_n(cost, parameters, gradients, epsilon, print_msg) -> (difference, gradapprox): cost is the
harness's network_cost provider (a plain function of the parameter dictionary, built from data in the sandbox
and, for the expected values, here). Random 3-layer nets of other sizes, scales and numbers of examples with the
classic cost formula, and deeper nets (4 to 6 layers, and 10 to 12 so that "W10" sorts before "W2") with the
stable one, each case with its own epsilon: a correct gradient with epsilon 10**-2.5 .. 10**-1.5 (the
truncation error is the expected value, so an ignored epsilon or a norm left out of the denominator fails), a
random bug of the catalog on a 3-layer and on a deeper net, the colleague's two bugs, and correct gradients
scaled to land just above and just below the threshold 2e-7 with print_msg=True -- the printed line must say
"mistake" exactly when the difference is above 2e-7 (course_utils.expect.nb04._says_mistake), and with
print_msg=False nothing may be printed. The difference and every entry of gradapprox (shape (n, 1)) are compared
within a noise bound from the actual costs and epsilon. Every parameter dict comes in a shuffled key order (theta
follows dictionary_to_vector's layer order, not the dict's), and the two threshold cases share their sizes and
epsilon with new values (nothing may be kept between calls). The sandbox holds the vector helpers, not the
network (the cost is given) nor the course's gradient checker. A failed verification names the difference mistake
(course_utils.expect.gradient_check_n) that explains every difference returned; block_differences' and diagnose's
name theirs (course_utils.expect.block_differences).

block_differences and diagnose: vectors split into tensors of 1 to 6 entries of scales 1e-6 to 10 (an epsilon added
to a denominator shows), named like parameters (W1, b1, ..., 2 to 12 layers -- the first case 10 to 12, so W1 must
not take W10's entries -- in parameter order) or not (3 to 6 of gamma2, conv_w, b10, ..., in a random order),
each tensor's backprop gradient its gradapprox times k (k in 1/4, 1/2, 2, 3, 4, -1), with half its entries
zeroed, right up to 1e-9 or both zero; diagnose with the default threshold, twice a drawn one that falls between
two suspects' block differences (so a threshold ignored for a fixed one, or honoured only when it is 0.5, fails),
and a tensor exactly at the threshold (d = 0.5); block_differences once more on its first case's keys with new
values; every value a float, not an array of one entry. The sandbox holds numpy alone.

backward_propagation_n: random nets with m from 1 to 12 (two with X of one shape, new values), labels of shape (m,)
or (1, m); every dW/db within the round-off of any order of an analytic pass's float operations (a numerical
gradient fails), the dZ and dA the dict holds within 1e-7 of theirs, and a net with 600 to 800 units in each
hidden layer (~0.5M parameters, m = 16): an analytic pass takes milliseconds, a
numerical gradient of the student's own forward pass -- even a complex-step one, exact to round-off -- needs a
forward pass per parameter and runs out of time.
"""
import itertools
from dataclasses import dataclass

import numpy as np

from course_utils import network
from course_utils.backprop import backward_propagation_deep as _reference_deep
from course_utils.backprop import backward_propagation_n as _reference_backward
from course_utils.compare import magnitude_problem
from course_utils.expect.block_differences import BD_MODELLED, DG_MODELLED, BlockCase
from course_utils.expect.cases import random_net
from course_utils.expect.exposure import allowed
from course_utils.expect.gradient_check_n import GCN_DIFFERENCE_MISTAKES
from course_utils.expect.mistakes import NO_RESULT
from course_utils.expect.nb04 import (
    SUSPECT_THRESHOLD,
    _backward_tolerance,
    _nd_reference,
    _nd_tolerance,
    _NDData,
    _says_mistake,
    expected_block_differences,
    expected_diagnose,
)
from course_utils.gradcheck import THRESHOLD
from course_utils.grading.specs._common import named_mistake, result_of
from course_utils.grading.verify import Case, Provided, Spec, as_number, describe

CLASSIC_LAYER_BUGS = ("dW2_times_2", "db1_4_over_m", "dW3_missing_1_over_m", "db2_sum_without_axis",
                      "relu_mask_uses_dA2", "relu_grad_missing_layer1", "output_sign_flipped")
ANSWER_MODULES = ("gradcheck.py", "differences.py", "fastcost.py", "checks", "expect", "widgets.py",
                  "widget_base.py", "widget_epsilon.py", "widget_bug_picker.py", "widget_bug_lab.py", "plots.py")


def _classic_case(rng, m=None, labels_2d=None, hidden=None):
    """A random 3-layer net of random sizes (or hidden = (n1, n2)) and scales, X (4, m) of a random scale, labels
    of shape (m,) or (1, m)."""
    m = int(rng.integers(3, 8)) if m is None else m
    sizes = [4, int(rng.integers(3, 7)), int(rng.integers(2, 5)), 1] if hidden is None else [4, *hidden, 1]
    X, Y, params = random_net(rng, m, sizes, x_scale=(0.5, 2.5))
    Y = Y.astype(float).reshape(m)
    if labels_2d if labels_2d is not None else bool(rng.integers(2)):
        Y = Y.reshape(1, m)
    return X, Y, params


def _deep_case(rng, layers):
    """A random net of `layers` layers (2 to 4 units each), X (n_x, m), labels (1, m) with both labels present."""
    dims = [int(n) for n in rng.integers(2, 5, size=layers)] + [1]
    params = network.initialize_parameters(dims, seed=int(rng.integers(1 << 30)))
    m = int(rng.integers(3, 7))
    X = rng.normal(0, 1.0, size=(dims[0], m))
    Y = rng.integers(0, 2, size=(1, m)).astype(float)
    Y[0, :2] = (0.0, 1.0)
    return X, Y, params


def _judge_difference(want, tol, approx, approx_tol, print_msg):
    n = approx.shape[0]

    def judge(v, out):
        if not isinstance(v, (tuple, list)) or len(v) != 2:
            return f"returned {describe(v)}, expected two values: difference, gradapprox"
        d, a = v
        if isinstance(d, np.ndarray) and d.ndim > 0:
            return f"returned a difference of shape {d.shape}, expected a float (e.g. float(difference))"
        got = as_number(d)
        if got is None:
            return f"returned {describe(d)} as the difference, expected a number close to {want:.6g}"
        if not np.isfinite(got) or abs(got - want) > tol:
            return (f"returned the difference {got:.6g}, expected {want:.6g}"
                    + (f" (within {tol:.2g})" if tol > 1e-3 * want else ""))
        if not isinstance(a, np.ndarray) or a.shape != (n, 1) or a.dtype.kind not in "iuf":
            return f"returned {describe(a)} as gradapprox, expected an array of shape ({n}, 1)"
        bad = ~(np.abs(a.reshape(n, 1).astype(float) - approx) <= approx_tol)
        if np.any(bad):
            i = int(np.flatnonzero(bad.ravel())[0])
            return f"returned a gradapprox whose entry {i} is {float(a.ravel()[i]):.6g}, expected {approx[i, 0]:.6g}"
        lines = [line for line in out.splitlines() if line.strip()]
        if not print_msg:
            return f"printed {out.strip()[:200]!r} with print_msg=False" if lines else None
        if len(lines) != 1:
            return f"printed {len(lines)} lines with print_msg=True, expected one line (the verdict)"
        says = _says_mistake(out)
        if says is None:
            return f"printed {out.strip()[:200]!r} with print_msg=True, which does not say whether there is a mistake"
        if says != (got > THRESHOLD):
            return (f"printed {out.strip()[:200]!r} with print_msg=True for a difference of {got:.3g}: the message "
                    f"must {'say' if got > THRESHOLD else 'not say'} there is a mistake (threshold {THRESHOLD:g})")
        return None
    return judge


def _gradient_check_n_cases(rng):
    cases = []
    plans = [  # (what, net: None = 3 layers (classic formula) or a number of layers, bugs, epsilon, print_msg, target)
        ("correct gradients", None, (), float(10 ** rng.uniform(-2.5, -1.5)), False, None),
        ("a bug", None, (str(rng.choice(CLASSIC_LAYER_BUGS)),), 1e-6, True, None),
        ("bugs dW2_times_2, db1_4_over_m", None, ("dW2_times_2", "db1_4_over_m"),
         float(10 ** rng.uniform(-7, -5.5)), True, None),
        ("gradients scaled just above the threshold", None, (), 1e-5, True, float(rng.uniform(2.5e-7, 4e-7))),
        ("gradients scaled just below the threshold", None, (), 1e-5, True, float(rng.uniform(1.3e-7, 1.7e-7))),
        ("a bug", int(rng.integers(4, 7)), (str(rng.choice(CLASSIC_LAYER_BUGS)),), 1e-6, True, None),
        ("correct gradients", int(rng.integers(10, 13)), (), float(10 ** rng.uniform(-6, -4)), False, None),
    ]
    repeat = None  # the second threshold case has the first one's sizes (as many parameters, same epsilon, new values)
    for what, layers, bugs, eps, print_msg, target in plans:
        if layers is None:
            for _ in range(50):  # a case that probes the threshold must not cross a ReLU kink (that moves d)
                X, Y, params = _classic_case(rng, hidden=repeat if target is not None else None)
                _, cache = network.forward_propagation_n(X, Y, params)
                gradients = _reference_backward(X, Y, cache, bugs=bugs)
                if target is None or _nd_reference(Provided("network_cost", (X, Y, True)).build(), params,
                                                   gradients, eps)[0] < 1e-2 * target:
                    break
            net = f"a random 3-layer net with {params['W1'].shape[0]} and {params['W2'].shape[0]} hidden units"
            repeat = (params["W1"].shape[0], params["W2"].shape[0]) if target is not None else repeat
        else:
            X, Y, params = _deep_case(rng, layers)
            _, cache = network.forward_propagation_deep(X, Y, params)
            gradients = _reference_deep(X, Y, cache, bugs=bugs)
            net = f"a random {layers}-layer net"
        if target is not None:
            s = (1 + target) / (1 - target)
            gradients = {k: v * s for k, v in gradients.items()}
        params = {str(k): params[k] for k in rng.permutation(list(params))}  # theta's order is not the dict's
        cost = Provided("network_cost", (X, Y, layers is None))
        want, tol, approx, approx_tol = _nd_reference(cost.build(), params, gradients, eps)
        label = (f"gradient_check_n(the cost of {net}, m = {X.shape[1]}, "
                 f"{what + (' ' + bugs[0] if what == 'a bug' else '')}, epsilon={eps:.3g}, print_msg={print_msg})")
        cases.append(Case((cost, params, gradients, eps, print_msg),
                          _judge_difference(want, tol, approx, approx_tol, print_msg), label))
    return cases


@dataclass
class _GCNModelCase:
    """A verification case as gradient_check_n's difference mistakes take it (course_utils.expect.gradient_check_n):
    the classic loop's costs (data) and, for an ignored epsilon, the right difference at epsilon = 1e-7."""

    cost: object
    parameters: dict
    gradients: dict
    eps: float
    data: _NDData

    @classmethod
    def of(cls, case):
        cost, parameters, gradients, eps, _ = case.args
        cost = cost.build()
        return cls(cost, parameters, gradients, eps, _NDData(cost, parameters, gradients, eps))

    def at_default(self):
        """(want, tolerance) with epsilon = 1e-7, what an answer that ignores epsilon gives."""
        return _nd_tolerance(_NDData(self.cost, self.parameters, self.gradients, 1e-7))


def _gcn_close(value, predicted, _case):
    """Whether the difference returned is a mistake's (value, tolerance), or any of a list of them."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return False
    got = None if isinstance(value[0], np.ndarray) and value[0].ndim > 0 else as_number(value[0])
    return got is not None and any(abs(got - v) <= tol or got == v
                                   for v, tol in (predicted if isinstance(predicted, list) else [predicted]))


_GCN_NAMED = named_mistake(GCN_DIFFERENCE_MISTAKES, _GCNModelCase.of, _gcn_close)


def _gcn_mistake(cases, events):
    """The difference mistake that explains every difference returned -- named only when a difference is wrong (a
    wrong gradapprox or print_msg beside right differences is no difference mistake, though several models give
    about the right difference when grad is right), and on two results at least: the run stops at the first wrong
    call, and one difference of exactly 1 or 0 (what swapped signs or gradapprox compared with itself give on the
    first case) is as likely a coincidence as a mistake."""
    answered = [event for event in events if result_of(event) is not NO_RESULT]
    wrong = [case for case, event in zip(cases, events)
             if str(case.judge(result_of(event), str((event or {}).get("stdout", ""))) or "").startswith(
                 "returned the difference ")]
    return _GCN_NAMED(cases, events) if wrong and len(answered) >= 2 else None


gradient_check_n = Spec(
    "gradient_check_n", _gradient_check_n_cases,
    namespace={"np": "numpy",
               "dictionary_to_vector": "course_utils.vectors:dictionary_to_vector",
               "vector_to_dictionary": "course_utils.vectors:vector_to_dictionary",
               "gradients_to_vector": "course_utils.vectors:gradients_to_vector",
               "parameter_shapes": "course_utils.vectors:parameter_shapes"},
    reference_modules=ANSWER_MODULES, mistake=_gcn_mistake, **allowed("gradient_check_n"))


# ------------------------------------------------------------------------------ block_differences, diagnose
_FACTORS = (0.25, 0.5, 2.0, 3.0, 4.0, -1.0)
_OTHER_NAMES = ("gamma2", "beta2", "conv_w", "conv_b", "fc_w", "fc_b", "embed", "W", "theta0", "b10", "W2b")


def _blocks(rng, names, zero=True, spread=False, a_zero=False):
    """(grad, gradapprox, keys): one tensor per name, 1 to 6 entries, each with a drawn kind of error (spread: at
    least two suspects, one with a block difference of 1 and one of 1/3 or 3/5, so a threshold can fall between;
    a_zero: at least one tensor that is zero in both, where 0 / 0 must give 0)."""
    grads, approxes, keys = [], [], []
    kinds = ["factor", "factor", "right", "right", "mask"] + (["zero"] if zero else [])
    chosen = [str(rng.choice(kinds)) for _ in names]
    suspect = int(rng.integers(len(names)))
    chosen[suspect] = "factor"  # at least one suspect
    if a_zero and len(names) >= 2:
        chosen[int(rng.choice([i for i in range(len(names)) if i != suspect]))] = "zero"
    factors = {}
    if spread and len(names) >= 2:
        i, j = (int(v) for v in rng.choice(len(names), size=2, replace=False))
        chosen[i] = chosen[j] = "factor"
        factors = {i: -1.0, j: float(rng.choice((0.25, 0.5, 2.0, 4.0)))}
    for index, (name, kind) in enumerate(zip(names, chosen)):
        size = int(rng.integers(1, 7)) if kind != "mask" else int(rng.integers(2, 7))
        a = rng.normal(0.0, float(10 ** rng.uniform(-6, 1)), size=size)  # tiny ones too: an epsilon added shows
        if kind == "factor":
            g = factors.get(index, float(rng.choice(_FACTORS))) * a
        elif kind == "right":
            g = a * (1 + 1e-9 * rng.standard_normal(size))
        elif kind == "mask":
            g = a * (np.arange(size) % 2 == 0)
        else:
            a, g = np.zeros(size), np.zeros(size)
        grads.append(g)
        approxes.append(a)
        keys += [name] * size
    return np.concatenate(grads).reshape(-1, 1), np.concatenate(approxes).reshape(-1, 1), keys


def _names(rng, parameter_like, fewest=2):
    if parameter_like:
        layers = int(rng.integers(fewest, 13))
        return [f"{kind}{l}" for l in range(1, layers + 1) for kind in "Wb"]
    names = list(rng.choice(_OTHER_NAMES, size=int(rng.integers(3, 7)), replace=False))
    return [str(n) for n in names]


def _label(name, keys, threshold=None):
    tensors = list(dict.fromkeys(keys))
    shown = ", ".join(tensors[:4]) + (", ..." if len(tensors) > 4 else "")
    return f"{name}(grad, gradapprox, keys of {len(keys)} entries in tensors {shown}" + (
        "" if threshold is None else f", threshold={threshold:.3g}") + ")"


def _judge_dict(want, rtol=1e-8):
    def judge(v, _):
        if not isinstance(v, dict):
            return f"returned {describe(v)}, expected a dict {{tensor: number}}"
        if list(v) != list(want):
            return f"returned the tensors {list(v)[:8]}, expected {list(want)[:8]} (in the order of keys)"
        for name, w in want.items():
            if isinstance(v[name], np.ndarray) and v[name].ndim > 0:
                return f"returned {describe(v[name])} for {name}, expected a number (a float)"
            got = as_number(v[name])
            if got is None or not np.isfinite(got) or abs(got - w) > rtol * abs(w) + 1e-15:
                shown = f"{got:.10g}" if got is not None else describe(v[name])
                return f"returned {shown} for {name}, expected {w:.10g}"
        return None
    return judge


def _block_cases(rng):
    cases = []
    for parameter_like, a_zero in ((True, False), (False, True), (bool(rng.integers(2)), False)):
        grad, approx, keys = _blocks(rng, _names(rng, parameter_like, 2 if cases else 10), a_zero=a_zero)  # W10 too
        cases.append(Case((grad, approx, keys), _judge_dict(expected_block_differences(grad=grad, gradapprox=approx, keys=keys)),
                          _label("block_differences", keys)))
    grad, approx, keys = cases[0].args  # the first case's keys again, new values: nothing may be kept between calls
    grad = grad * rng.uniform(0.5, 2.0, size=grad.shape)
    cases.append(Case((grad, approx, keys), _judge_dict(expected_block_differences(grad=grad, gradapprox=approx, keys=keys)),
                      _label("block_differences", keys)))
    return cases


def _dict_close(value, predicted, _case):
    """Whether the dict returned is a mistake's prediction: its tensors in its order, each value within 1e-8 relative
    (the same infinities and NaNs match) -- the checks' tolerance."""
    if not isinstance(value, dict) or list(value) != list(predicted):
        return False
    for name, w in predicted.items():
        got = None if isinstance(value[name], np.ndarray) and value[name].ndim > 0 else as_number(value[name])
        if got is None:
            return False
        w = float(w)
        if not (got == w or np.isnan(got) and np.isnan(w) or np.isfinite(got) and abs(got - w) <= 1e-8 * abs(w) + 1e-15):
            return False
    return True


def _block_case(case):
    return BlockCase(*case.args)


block_differences = Spec("block_differences", _block_cases, reference_modules=ANSWER_MODULES,
                         mistake=named_mistake(BD_MODELLED, _block_case, _dict_close), **allowed("block_differences"))


def _clear_threshold(rng, grad, approx, keys):
    """A threshold at least 5 % away from every tensor's block difference: where it can, between two suspects'
    block differences (so that a diagnose that ignores its threshold for a fixed one fails), else in 1e-7 .. 0.9."""
    blocks = [d for d in expected_block_differences(grad=grad, gradapprox=approx, keys=keys).values() if d > 0]
    big = sorted(d for d in set(blocks) if d > 1e-3)
    gaps = [(low, high) for low, high in itertools.pairwise(big) if high > 1.2 * low]
    if gaps:
        low, high = gaps[int(rng.integers(len(gaps)))]
        return float(np.exp(rng.uniform(np.log(low * 1.06), np.log(high / 1.06))))
    for _ in range(100):
        t = float(10 ** rng.uniform(-7, -0.05))
        if all(abs(d - t) > 0.05 * t for d in blocks):
            return t
    return SUSPECT_THRESHOLD


def _diagnose_cases(rng):
    cases = []
    for parameter_like, drawn in ((True, False), (False, True), (bool(rng.integers(2)), True)):
        grad, approx, keys = _blocks(rng, _names(rng, parameter_like, 2 if cases else 10), zero=False, spread=drawn)
        if not cases:  # W1 a suspect, W10 right: names matched by their beginning merge W1 with W10 and show
            names = np.asarray(keys)
            grad = np.where((names == "W1").reshape(grad.shape), 2.0 * approx, grad)
            grad = np.where((names == "W10").reshape(grad.shape), approx, grad)
        if drawn:
            t = _clear_threshold(rng, grad, approx, keys)
            args = (grad, approx, keys, t)
        else:
            t, args = SUSPECT_THRESHOLD, (grad, approx, keys)
        cases.append(Case(args, _judge_dict(expected_diagnose(grad=grad, gradapprox=approx, keys=keys, threshold=t)),
                          _label("diagnose", keys, None if not drawn else t)))
    # a tensor exactly at the threshold: ||(9, 12) - (3, 4)|| / (15 + 5) = 0.5 in any order of operations
    for _ in range(100):  # the other tensors stay clear of 0.5 (a factor 3 gives 0.5 up to rounding)
        grad, approx, keys = _blocks(rng, _names(rng, False)[:2], zero=False)
        if all(abs(d - 0.5) > 0.025 for d in expected_block_differences(grad=grad, gradapprox=approx, keys=keys).values()):
            break
    boundaries = [0] + [i for i in range(1, len(keys)) if keys[i] != keys[i - 1]] + [len(keys)]
    at = int(rng.choice(boundaries))
    grad = np.insert(grad, at, [[9.0], [12.0]], axis=0)
    approx = np.insert(approx, at, [[3.0], [4.0]], axis=0)
    keys = keys[:at] + ["edge", "edge"] + keys[at:]
    want = expected_diagnose(grad=grad, gradapprox=approx, keys=keys, threshold=0.5)
    cases.append(Case((grad, approx, keys, 0.5), _judge_dict(want),
                      _label("diagnose", keys, 0.5)))
    return cases


diagnose = Spec("diagnose", _diagnose_cases, reference_modules=ANSWER_MODULES,
                mistake=named_mistake(DG_MODELLED, _block_case, _dict_close), **allowed("diagnose"))


def _backward_judge(want, tol):
    def judge(v, _):
        if not isinstance(v, dict):
            return f"returned {describe(v)}, expected a dict of gradients"
        wrong = []
        for name in ("dW1", "db1", "dW2", "db2", "dW3", "db3"):
            if name not in v:
                return f"returned no {name!r}"
            value = v[name]
            if not isinstance(value, np.ndarray) or value.shape != want[name].shape or value.dtype.kind not in "iuf":
                wrong.append(name)
                continue
            scale = float(np.max(np.abs(want[name]) + tol[name])) if want[name].size else 0.0
            absurd = magnitude_problem(value, scale, what=f"returned {name} with")
            if absurd is not None:
                return absurd
            if not np.all(np.abs(value - want[name]) <= tol[name]):
                wrong.append(name)
        for name in ("dZ3", "dA2", "dZ2", "dA1", "dZ1"):  # the docstring's other entries, where the dict has them
            if name in v and not (isinstance(v[name], np.ndarray) and v[name].shape == want[name].shape
                                  and v[name].dtype.kind in "iuf" and np.all(np.abs(v[name] - want[name]) <= 1e-7 * float(
                                      np.max(np.abs(want[name]), initial=0.0)) + 1e-12)):
                wrong.append(name)
        return f"returned wrong {', '.join(wrong)}" if wrong else None
    return judge


LARGE_HIDDEN = (600, 800)  #: hidden units of the large case: ~0.5M parameters, an analytic pass takes milliseconds


def _backward_cases(rng):
    cases = []
    first_m = int(rng.integers(4, 9))  # twice: X of one shape, new values (nothing may be kept between calls)
    for m, labels_2d, large in ((first_m, True, False), (int(rng.integers(9, 13)), False, False),
                                (1, bool(rng.integers(2)), False), (first_m, None, False),
                                (16, None, True)):
        hidden = tuple(int(n) for n in rng.integers(*LARGE_HIDDEN, size=2)) if large else None
        X, Y, params = _classic_case(rng, m, labels_2d, hidden)
        _, cache = network.forward_propagation_n(X, Y, params)
        want = _reference_backward(X, Y, cache)
        label = f"backward_propagation_n(X of shape {X.shape}, Y of shape {Y.shape}, cache)"
        if hidden:  # a numerical gradient (centered differences, complex step) needs a forward pass per parameter
            size = sum(v.size for v in params.values())
            label += (f" on a net with {hidden[0]} and {hidden[1]} hidden units ({size:,} parameters: a backward "
                      "pass takes milliseconds, differentiating the cost numerically cannot finish in time)")
        cases.append(Case((X, Y, cache), _backward_judge(want, _backward_tolerance(X, Y, cache)), label))
    return cases


backward_propagation_n = Spec("backward_propagation_n", _backward_cases,
                              reference_modules=("backprop.py", "bugs.py", "fastcost.py", "network.py", "checks",
                                                 "widgets.py"),
                              **allowed("backward_propagation_n"))
