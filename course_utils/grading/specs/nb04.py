"""Verification specs of notebook 04 check an N-D gradient (see course_utils/grading/verify.py).

gradient_check_n: random 3-layer nets of other sizes, scales and numbers of examples (all drawn from the rng),
each case with its own epsilon: a correct gradient with epsilon 10**-2.5 .. 10**-1.5 (the truncation error is
the expected value, so an ignored epsilon or a norm left out of the denominator fails), a random bug of the
catalog, the colleague's two bugs, and correct gradients scaled to land just above and just below the
threshold 2e-7 with print_msg=True -- the printed line must say "mistake" exactly when the difference is above
2e-7 (course_utils.checks.nb04._says_mistake), and with print_msg=False nothing may be printed. Where the
expected value is round-off it is compared within a noise bound from the actual costs and epsilon.

backward_propagation_n: random nets with m from 1 to 12, labels of shape (m,) or (1, m); every dW/db within
the round-off of any order of an analytic pass's float operations (a numerical gradient fails).
"""
import numpy as np

from course_utils import network
from course_utils.backprop import backward_propagation_n as _reference_backward
from course_utils.checks.nb04 import _backward_tolerance, _nd_reference, _says_mistake
from course_utils.grading.verify import Case, Spec, as_number, describe

CLASSIC_LAYER_BUGS = ("dW2_times_2", "db1_4_over_m", "dW3_missing_1_over_m", "db2_sum_without_axis",
                      "relu_mask_uses_dA2", "relu_grad_missing_layer1", "output_sign_flipped")
NETWORK_MODULES = ("_validate.py", "activations.py", "vectors.py", "network.py")
from course_utils.gradcheck import THRESHOLD  # noqa: E402 -- the course's one threshold


def _classic_case(rng, m=None, labels_2d=None):
    """A random 3-layer net of random sizes and scales, X (4, m) of a random scale, labels of shape (m,) or (1, m)."""
    m = int(rng.integers(3, 8)) if m is None else m
    sizes = [4, int(rng.integers(3, 7)), int(rng.integers(2, 5)), 1]
    params = {}
    for l in (1, 2, 3):
        scale = float(rng.uniform(0.5, 1.5)) / np.sqrt(sizes[l - 1])
        params[f"W{l}"] = rng.normal(0, scale, size=(sizes[l], sizes[l - 1]))
        params[f"b{l}"] = rng.normal(0, 0.5, size=(sizes[l], 1))
    X = rng.normal(0, float(rng.uniform(0.5, 2.5)), size=(4, m))
    Y = rng.integers(0, 2, size=m).astype(float)
    Y[: min(m, 2)] = (0.0, 1.0)[: min(m, 2)]
    if labels_2d if labels_2d is not None else bool(rng.integers(2)):
        Y = Y.reshape(1, m)
    return X, Y, params


def _judge_difference(want, tol, print_msg):
    def judge(v, out):
        if isinstance(v, np.ndarray) and v.ndim > 0:
            return f"returned an array of shape {v.shape}, expected a float (e.g. float(difference))"
        got = as_number(v)
        if got is None:
            return f"returned {describe(v)}, expected a number close to {want:.6g}"
        if not np.isfinite(got) or abs(got - want) > tol:
            return f"returned {got:.6g}, expected {want:.6g}" + (f" (within {tol:.2g})" if tol > 1e-3 * want else "")
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
    chosen_bug = (str(rng.choice(CLASSIC_LAYER_BUGS)),)
    plans = [("correct gradients", (), float(10 ** rng.uniform(-2.5, -1.5)), False, None),
             (f"bug {chosen_bug[0]}", chosen_bug, 1e-6, True, None),
             ("bugs dW2_times_2, db1_4_over_m", ("dW2_times_2", "db1_4_over_m"),
              float(10 ** rng.uniform(-7, -5.5)), True, None),
             ("gradients scaled just above the threshold", (), 1e-5, True, float(rng.uniform(2.5e-7, 4e-7))),
             ("gradients scaled just below the threshold", (), 1e-5, True, float(rng.uniform(1.3e-7, 1.7e-7)))]
    for what, bugs, eps, print_msg, target in plans:
        X, Y, params = _classic_case(rng)
        _, cache = network.forward_propagation_n(X, Y, params)
        gradients = _reference_backward(X, Y, cache, bugs=bugs)
        if target is not None:
            s = (1 + target) / (1 - target)
            gradients = {k: v * s for k, v in gradients.items()}
        want, tol = _nd_reference(X, Y, params, gradients, eps)
        label = (f"gradient_check_n(a random 3-layer net with {params['W1'].shape[0]} and {params['W2'].shape[0]} "
                 f"hidden units, m = {X.shape[1]}, {what}, epsilon={eps:.3g}, print_msg={print_msg})")
        cases.append(Case((params, gradients, X, Y, eps, print_msg), _judge_difference(want, tol, print_msg), label))
    return cases


gradient_check_n = Spec(
    "gradient_check_n", _gradient_check_n_cases,
    namespace={"np": "numpy", "forward_propagation_n": "course_utils.network:forward_propagation_n",
               "dictionary_to_vector": "course_utils.vectors:dictionary_to_vector",
               "vector_to_dictionary": "course_utils.vectors:vector_to_dictionary",
               "gradients_to_vector": "course_utils.vectors:gradients_to_vector",
               "parameter_shapes": "course_utils.vectors:parameter_shapes"},
    modules=NETWORK_MODULES, reference_modules=("gradcheck.py", "fastcost.py", "checks", "widgets.py"),
    policy="it may use forward_propagation_n and the vector helpers, but computes the differences itself")


def _suspects_cases(rng):
    def judge(v, _):
        if not isinstance(v, (list, tuple)) or not all(isinstance(s, str) for s in v):
            return f"returned {describe(v)}, expected a list of parameter names"
        return None if sorted(v) == ["W2", "b1"] else f"returned {sorted(v)}, which are not the suspects"
    return [Case((), judge, "name_the_suspects()")]


name_the_suspects = Spec("name_the_suspects", _suspects_cases, reference_modules=("checks", "widgets.py"))


def _backward_judge(want, tol):
    def judge(v, _):
        if not isinstance(v, dict):
            return f"returned {describe(v)}, expected a dict of gradients"
        wrong = []
        for name in ("dW1", "db1", "dW2", "db2", "dW3", "db3"):
            if name not in v:
                return f"returned no {name!r}"
            value = v[name]
            if not isinstance(value, np.ndarray) or value.shape != want[name].shape or value.dtype.kind not in "iuf" \
                    or not np.all(np.abs(value - want[name]) <= tol[name]):
                wrong.append(name)
        return f"returned wrong {', '.join(wrong)}" if wrong else None
    return judge


def _backward_cases(rng):
    cases = []
    for m, labels_2d in ((int(rng.integers(4, 9)), True), (int(rng.integers(9, 13)), False),
                         (1, bool(rng.integers(2))), (int(rng.integers(2, 13)), None)):
        X, Y, params = _classic_case(rng, m, labels_2d)
        _, cache = network.forward_propagation_n(X, Y, params)
        want = _reference_backward(X, Y, cache)
        want = {k: want[k] for k in ("dW1", "db1", "dW2", "db2", "dW3", "db3")}
        cases.append(Case((X, Y, cache), _backward_judge(want, _backward_tolerance(X, Y, cache)),
                          f"backward_propagation_n(X of shape {X.shape}, Y of shape {Y.shape}, cache)"))
    return cases


backward_propagation_n = Spec("backward_propagation_n", _backward_cases,
                              reference_modules=("backprop.py", "bugs.py", "fastcost.py", "network.py", "checks",
                                                 "widgets.py"),
                              policy="it computes the gradients itself; the course's backward pass is not there")
