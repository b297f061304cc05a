"""The check of block_differences (notebook 04), and what the check of diagnose shares with it.

block_differences(grad, gradapprox, keys) -> {tensor: d_T} and diagnose(grad, gradapprox, keys, threshold=1e-5)
-> {suspect: ||g_T|| / ||a_T||} run on the colleague's vectors, on the 12-layer net's keys (first-appearance
order is not sorted order), on keys with names that are not W/b at all, on a tensor whose grad and gradapprox
are both zero (d_T = 0.0), on a too-small tensor (k = 1/2), a sign error (ratio 1) and a block exactly at the
threshold (d_T = 0.5 exactly, so "> threshold" and ">= threshold" disagree), and once more on the keys of the names
case with other values and a tensor of norm ~1e-6 (a result kept between calls, or an epsilon added to a denominator,
fails); every value must be a float, not an array of one entry. Known mistakes are named as above.
The colleague's case is judged last and its expected values are never shown, nor named in the pass lines: which
tensors are wrong and by what factor is what the student's own cells find (notebook 04 shows it in student-output
cells once these checks pass). The known mistakes are records in course_utils.expect.block_differences.

diagnose's own mistakes and check: diagnose.py.
"""
import numbers

import numpy as np

from course_utils import backprop, network
from course_utils.checks._common import (
    COLLEAGUE_BUGS,
    DEEP_DIMS,
    SEED,
    _fmt,
    exercise_check,
)
from course_utils.checks.nb04._shared import DEFAULT_EPSILON, classic_cost_function
from course_utils.expect.block_differences import BD_MODELLED, BD_SEEN, BlockCase
from course_utils.expect.mistakes import explain, failure
from course_utils.expect.nb04 import (
    _groups,
    _NDData,
    _norm,
    expected_block_differences,
)


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


def _as_number(value, call, name, seen=BD_SEEN):
    """The value of tensor `name` as a float, or the failure naming the usual type mistakes (seen: the exercise's
    mistakes the check sees itself, BD_SEEN or DG_SEEN)."""
    if isinstance(value, str):
        raise AssertionError(f"{call} returned {value!r} for {name}; expected a number.")  # noqa: TRY004
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        if value.ndim > 0:  # the notebook's f"{d:.2g}" fails on it; a dict of floats is what the docstring says
            mistake = seen["one_entry_axis" if value.ndim == 1 else "one_entry_dot"]
            raise failure(f"{call} returned an array of shape {value.shape} for {name}; expected a number (a float), "
                          "as the docstring says.", mistake)
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


def _want_of(result):
    """The expected block differences of a result (call, items, grad, gradapprox, keys, ...) of the check."""
    return expected_block_differences(grad=result[2], gradapprox=result[3], keys=result[4])


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
        want = expected_block_differences(grad=grad, gradapprox=approx, keys=keys)
        problem = _compare_dicts(items, want, _blocks_tol)
        if problem is None:
            continue
        if index == 0:  # right everywhere else: say what is wrong without the colleague's values
            raise AssertionError(_colleague_only(call, items, want, problem, "the relative difference over that "
                                                 "tensor's own entries", _blocks_tol))
        message = _returned(call, items, want)
        if problem == "order":
            sorted_right = _compare_dicts(sorted(items), dict(sorted(want.items())), _blocks_tol) is None
            raise failure(message, BD_SEEN["sorted"] if sorted_right else None)
        if problem == "keys":
            got_names = [k for k, _ in items]
            if set(got_names) <= set(network.CLASSIC_SHAPES) and set(want) != set(network.CLASSIC_SHAPES):
                raise failure(message, BD_SEEN["hard_coded"].filled(names=", ".join(want)))
            raise failure(message)
        raise failure(message, _blocks_mistake(results))
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


def _blocks_mistake(results):
    """The one known mistake that explains every case, or None (course_utils.expect.mistakes.explain)."""
    if _cache_explains(results, _want_of):
        return BD_SEEN["cached"]
    if _epsilon_explains(results):
        return BD_SEEN["epsilon"]
    zero_nan = any(np.isnan(v) for _, items, *_ in results for _, v in items)
    if zero_nan:
        ok = all(all((np.isnan(v) and _want_of(r)[n] == 0.0) or abs(v - _want_of(r)[n]) <= _blocks_tol(_want_of(r)[n])
                     for n, v in r[1])
                 for r in results)
        if ok:
            return BD_SEEN["zero_block"]
    return explain(BD_MODELLED, [BlockCase(g, a, k) for _, _, g, a, k in results], [items for _, items, *_ in results],
                   _dict_close(_blocks_tol))


def _dict_close(tol):
    """close(items, prediction, case) of the engine: the items are the prediction's, in its order, within tol."""
    return lambda items, predicted, _case: _compare_dicts(items, predicted, tol) is None
