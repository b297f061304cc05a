"""The check of backward_propagation_n (notebook 04).

backward_propagation_n runs on the classic case and on random nets with m = 7 (labels of shape (1, m)),
m = 12 and m = 1 (labels of shape (m,)), then m = 7 again with other values (a result kept between calls, keyed by
X.shape, fails). The dZ and dA the returned dict holds must be theirs too (dA2 masked in place is dZ2). Every wrong
dW/db is named, each with the mistake it agrees with
on every case: a constant factor (a missing 1/m, a hard-coded m = 3, m taken from Y.shape[0], any other),
the backprop bugs of the catalog (sign of dZ3, ReLU masks, sigmoid derivative applied twice, a sum without
axis), a missing keepdims, a transposed dW -- except a gradient that is still the colleague's (the stray 2 of
dW2, the 4./m of db1): those are counted, not named, and the message sends the student to their diagnose.
The known mistakes are records in course_utils.expect.backward_propagation_n (bpn.*).
Values are compared within a round-off bound computed from the actual inputs (_backward_tolerance), plus 1e-7
relative, and the classic case's gradient check of the student's pass must be below 2e-7: what the pass line
says (the grader's verification alone uses the round-off bound, tight enough that a numerical gradient fails
there).
"""
import numbers
from dataclasses import dataclass

import numpy as np

from course_utils import backprop, network
from course_utils.checks._common import (
    SEED,
    THRESHOLD,
    _fmt,
    exercise_check,
)
from course_utils.checks.nb04._shared import DEFAULT_EPSILON, _random_net, classic_cost_function
from course_utils.compare import within
from course_utils.expect.backward_propagation_n import (
    CACHED,
    COLLEAGUE_BUG,
    HARD_CODED_M,
    IN_PLACE_MASK,
    LOST_AXIS,
    M_FROM_Y,
    MISSING_1_OVER_M,
    OPPOSITE_SIGN,
    RETURN_IN_LOOP,
    STRAY_FACTOR,
    SUM_OF_EVERY_ENTRY,
    TRANSPOSED,
    WHOLE_PASS_MISTAKES,
)
from course_utils.expect.mistakes import Said, failure
from course_utils.expect.nb04 import (
    _backward_tolerance,
    _NDData,
    _rd,
)

# ---------------------------------------------------------------------------------------------------------
# backward_propagation_n (the right gradients: the course library's backward pass, course_utils.backprop, which no
# verification run exposes)

GRADIENT_KEYS = ("dW3", "db3", "dW2", "db2", "dW1", "db1")  #: the order of the backward pass
INTERMEDIATE_KEYS = ("dZ3", "dA2", "dZ2", "dA1", "dZ1")  #: the other entries the docstring lists
CACHE_NAMES = ("Z1", "A1", "W1", "b1", "Z2", "A2", "W2", "b2", "Z3", "A3", "W3", "b3")


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
STILL_THE_COLLEAGUES = COLLEAGUE_BUG.hint


def _still_the_colleagues(key, cases):
    """Whether gradient `key` is, on every case, what the colleague's pass returns (one of its two bugs, unfixed)."""
    k = COLLEAGUE_FACTORS.get(key)
    return k is not None and all(_matches(c.got[key], k * c.want[key], k * c.tol[key] + 1e-300) for c in cases)


def _tensor_mistake(key, cases):
    """The first mistake that explains tensor `key` on every case (its hint filled in), or None: the factors of m,
    then the whole-pass mistakes, then the tensor's own (a lost axis, a sum over every entry, a transpose), and a
    constant factor last, named only when nothing more specific explains the tensor."""
    values = [(c.got[key], c.want[key], c.tol[key], c) for c in cases]

    def every(test):
        return all(test(v, r, t, c) for v, r, t, c in values)

    def factor_of(k_of):
        return every(lambda v, r, t, c: _matches(v, k_of(c) * r, abs(k_of(c)) * t + 1e-300))
    if factor_of(lambda c: float(c.m)):
        return MISSING_1_OVER_M
    if factor_of(lambda c: c.m / 3):
        return HARD_CODED_M
    if factor_of(lambda c: c.m / np.shape(c.Y)[0]):
        return M_FROM_Y
    for mistake in WHOLE_PASS_MISTAKES:
        if every(lambda v, r, t, c, mistake=mistake: _matches(v, c.models[mistake.id][key], t)):
            return mistake
    if key.startswith("db"):
        if every(lambda v, r, t, c: _matches(v, r, t) or (v.shape == (r.shape[0],) and _matches(v, r[:, 0], t[:, 0]))):
            return LOST_AXIS.filled(key=key)
        if every(lambda v, r, t, c: (v.size == 1 and bool(within(v.ravel()[0], r.sum(), 0.0, t.sum())))
                 or _matches(v, np.full(r.shape, r.sum()), np.full(r.shape, t.sum()))):
            return SUM_OF_EVERY_ENTRY.filled(key=key)
    if key.startswith("dW") and every(lambda v, r, t, c: _matches(v, r.T, t.T)):
        return TRANSPOSED.filled(key=key)
    k = next((f for f in (_factor(v, r) for v, r, _, _ in values) if f is not None), None)
    if k is not None and abs(k - 1) > 1e-6 and factor_of(lambda c: k):
        if abs(k + 1) < 1e-9:
            return OPPOSITE_SIGN.filled(key=key)
        return STRAY_FACTOR.filled(key=key, k=f"{k:.4g}")
    return None


def _failure(message, mistake_id):
    """The AssertionError of a message whose "Most likely" part the check wrote itself; it carries the id (or None)
    as course_utils.expect.mistakes.failure's do."""
    error = AssertionError(Said(message, mistake_id))
    error.mistake = mistake_id
    return error


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
        models = {}
        case = _BPCase(label, X_, Y_, cache, None, None, models)
        models.update((mistake.id, mistake.model(case)) for mistake in WHOLE_PASS_MISTAKES)
        want = backprop.backward_propagation_n(X_, Y_, cache)
        # the check asks what its line says, that every dW and db matches the gradient check: within the
        # round-off of any analytic pass, plus 1e-7 relative (the grader's verification alone is strict)
        tol = {k: t + 1e-7 * np.abs(want[k]) + 1e-12 for k, t in _backward_tolerance(X_, Y_, cache).items()}
        case.want, case.tol = want, tol
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
                early = {"dW3", "db3"} <= set(got) and not {"dW2", "db2", "dW1", "db1"} & set(got)
                raise failure(f"{call}: gradients has no {key!r} key.", RETURN_IN_LOOP if early else None)
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
        raise failure(memo, CACHED)
    wrong = [key for key in GRADIENT_KEYS if any(not _matches(c.got[key], c.want[key], c.tol[key]) for c in cases)]
    if wrong:
        raise _failure(*_backward_message(wrong, cases))
    problem = _intermediate_problem(cases)
    if problem:
        raise failure(*problem)
    classic = cases[0]  # the course's own check of the student's pass: what the pass line says
    data = _NDData(classic_cost_function(classic.X, classic.Y), parameters, classic.got, DEFAULT_EPSILON)
    difference = _rd(data.grad, data.approx)
    if not difference < THRESHOLD:
        raise AssertionError(f"{classic.call}: every dW and db is close to the right one, but the gradient check of the "
                             f"classic case gives {difference:.3g}, above {THRESHOLD:.0e}: look for a small error.")
    print(f"backward_propagation_n passed: every dW and db right to 1e-07 relative (the classic case; m = 7, 12, 1); "
          f"your pass's gradient check on the classic case is below {THRESHOLD:.0e}")


def _same_result(a, b):
    return all(k in a and k in b and a[k].shape == b[k].shape and np.array_equal(a[k], b[k]) for k in GRADIENT_KEYS)


def _memo_problem(cases):
    """The message (its mistake: CACHED) when a cache keyed by X.shape explains every case -- a call with the X.shape
    of an earlier one
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
            f"{c.X.shape}.")


def _intermediate_tol(want):
    return 1e-7 * float(np.max(np.abs(want))) + 1e-12 if want.size else 0.0


def _intermediate_problem(cases):
    """(message, mistake or None) when a dZ or dA the student's dict holds is not what its name says (on some case),
    else None."""
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
                return message, IN_PLACE_MASK.filled(l=l)
        return message, None
    return None


def _backward_message(wrong, cases):
    """(message, mistake id or None) of a wrong backward pass: which gradients are wrong and, for each, the mistake it
    agrees with on every case (the id: the one mistake of every wrong gradient, if there is one). A gradient that is
    still the colleague's is not named: the student's diagnose finds it."""
    first = next(c for c in cases if any(not _matches(c.got[k], c.want[k], c.tol[k]) for k in wrong))
    still = [k for k in wrong if _still_the_colleagues(k, cases)]
    named = [k for k in wrong if k not in still]
    details = []
    for key in named:
        value, ref = first.got[key], first.want[key]
        if not _matches(value, ref, first.tol[key]):
            details.append(f"{key} has shape {value.shape}, expected {ref.shape}" if value.shape != ref.shape else
                           f"{key} is off by up to {float(np.max(np.abs(value - ref))):.3g}")
    hints, ids = {}, set()
    for key in named:
        mistake = _tensor_mistake(key, cases)
        if mistake:
            hints.setdefault(mistake.hint, []).append(key)
            ids.add(mistake.id)
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
    ids |= {COLLEAGUE_BUG.id} if still else set()
    return message, (ids.pop() if len(ids) == 1 and not unexplained else None)
