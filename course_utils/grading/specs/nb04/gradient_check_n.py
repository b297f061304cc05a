"""Verification spec of gradient_check_n (notebook 04 check an N-D gradient; see course_utils/grading/verify.py).

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
(course_utils.expect.gradient_check_n) that explains every difference returned.
"""
from dataclasses import dataclass

import numpy as np

from course_utils import network
from course_utils.backprop import backward_propagation_deep as _reference_deep
from course_utils.backprop import backward_propagation_n as _reference_backward
from course_utils.expect.exposure import allowed
from course_utils.expect.gradient_check_n import GCN_DIFFERENCE_MISTAKES
from course_utils.expect.mistakes import NO_RESULT
from course_utils.expect.nb04 import _nd_reference, _nd_tolerance, _NDData, _says_mistake
from course_utils.gradcheck import THRESHOLD
from course_utils.grading.specs._common import named_mistake, result_of
from course_utils.grading.specs.nb04._shared import ANSWER_MODULES, _classic_case
from course_utils.grading.verify import Case, Provided, Spec, as_number, describe

CLASSIC_LAYER_BUGS = ("dW2_times_2", "db1_4_over_m", "dW3_missing_1_over_m", "db2_sum_without_axis",
                      "relu_mask_uses_dA2", "relu_grad_missing_layer1", "output_sign_flipped")


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

