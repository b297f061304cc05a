"""Verification spec of backward_propagation_n (notebook 04; see course_utils/grading/verify.py).

backward_propagation_n: random nets with m from 1 to 12 (two with X of one shape, new values), labels of shape (m,)
or (1, m); every dW/db within the round-off of any order of an analytic pass's float operations (a numerical
gradient fails), the dZ and dA the dict holds within 1e-7 of theirs, and a net with 600 to 800 units in each
hidden layer (~0.5M parameters, m = 16): an analytic pass takes milliseconds, a
numerical gradient of the student's own forward pass -- even a complex-step one, exact to round-off -- needs a
forward pass per parameter and runs out of time.
"""
import numpy as np

from course_utils import network
from course_utils.backprop import backward_propagation_n as _reference_backward
from course_utils.compare import magnitude_problem
from course_utils.expect.exposure import allowed
from course_utils.expect.nb04 import _backward_tolerance
from course_utils.grading.specs.nb04._shared import _classic_case
from course_utils.grading.verify import Case, Spec, describe


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
