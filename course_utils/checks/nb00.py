"""Checks of notebook 00 start here.

Also home of the evidence-based hints the checks of notebook 01 share (`_evidence`, `_consistent_hints`):
a known mistake is named only when it explains the student's results on EVERY input the check tried,
not just on the one that failed, so that two mistakes which agree on one input by chance are never
confused.
"""
import numbers

import numpy as np

from course_utils.checks._common import (
    SEED,
    _as_float,
    _close,
    _fail,
    exercise_check,
)


def _evidence(value):
    """A student's result as evidence for the hints: a float, a numeric array, or None (no evidence)."""
    if isinstance(value, (bool, np.bool_)) or value is None:
        return None
    if isinstance(value, np.ndarray):
        if not np.issubdtype(value.dtype, np.number) or np.iscomplexobj(value):
            return None
        return float(value) if value.ndim == 0 else np.asarray(value, dtype=float)
    if isinstance(value, numbers.Real):
        return float(value)
    return None


def _matches(got, value, tol):
    """Whether evidence `got` (float or array) is `value` (float or array) within `tol`; the same infinities
    and NaNs match (a division by zero the mistake makes too)."""
    if got is None or value is None:
        return False
    arrays = isinstance(got, np.ndarray), isinstance(value, np.ndarray)
    if any(arrays) and (not all(arrays) or got.shape != value.shape):
        return False
    got, value = np.asarray(got, float), np.asarray(value, float)
    finite = np.isfinite(got) & np.isfinite(value)
    with np.errstate(invalid="ignore"):
        close = np.abs(got - value) <= tol + 1e-9 * np.abs(value)
    same = (got == value) | (np.isnan(got) & np.isnan(value))
    return bool(np.all(np.where(finite, close, same)))


def _consistent_hints(results, failing, mistakes):
    """The hints of the mistakes that explain every result, the failing one included.

    results -- one entry per input the check tried: None (no usable result) or (evidence, tol)
    failing -- the index of the input whose result was wrong
    mistakes -- [(predict, hint)]: predict(i) -> what the mistake gives on input i (None: it cannot say),
        or (that, a bound on its round-off) when it is noisier than the results
    A mistake must predict the failing result; on every other input with a result it must either
    predict that result too or say nothing. Returns the hints found, distinct, in order.
    """
    found = []
    if results[failing] is None:
        return found
    for predict, hint in mistakes:
        agreed = False
        for i, result in enumerate(results):
            if result is None:
                continue
            try:
                value = predict(i)
            except (ArithmeticError, ValueError, TypeError, IndexError):
                value = None
            tol = result[1]
            if isinstance(value, tuple):  # (prediction, its own round-off bound)
                value, tol = value[0], max(tol, value[1])
            if value is None:
                if i == failing:
                    break
                continue
            if not _matches(result[0], _evidence(value), tol):
                break
            agreed = agreed or i == failing
        else:
            if agreed and hint not in found:
                found.append(hint)
    return found


def _gather(call, inputs, start):
    """The student's results on inputs[start:], each None when it raised (evidence for the hints only)."""
    out = []
    for args in inputs[start:]:
        try:
            with np.errstate(all="ignore"):
                out.append(_evidence(call(*args)))
        except Exception:  # noqa: BLE001 -- evidence only: the failing input is already known
            out.append(None)
    return out


def _square_inputs(rng):
    """3 first (the success line), then -1.5, then other signs, sizes and a non-integer under 1; last a small float
    with all its digits (its square has more than 6 decimals, so a rounded result cannot pass)."""
    return [3, -1.5, round(float(rng.uniform(-10, -2)), 3), int(rng.integers(-60, -11)), 0.5,
            round(float(rng.uniform(100, 1000)), 2), 12345, float(rng.uniform(0.001, 0.01))]


def _square_mistakes(xs):
    return [
        (lambda i: 2.0 * xs[i], "you computed 2 * x; the square is x ** 2 (or x * x)."),
        (lambda i: float(xs[i] ^ 2) if isinstance(xs[i], int) else None,
         "`x ^ 2` is bitwise XOR in Python; write x ** 2."),
        (lambda i: float(xs[i]), "you returned x unchanged."),
        (lambda i: float(xs[i]) ** 3, "you computed x ** 3."),
        (lambda i: float(xs[i]) ** 0.5 if xs[i] >= 0 else None, "you computed the square root; the square is x ** 2."),
        (lambda i: float(xs[i]) * abs(xs[i]),
         "your result is negative for a negative x: a square never is (x * abs(x)? write x ** 2)."),
        (lambda i: float(int(xs[i])) ** 2, "you truncated x to an integer (int(x)) before squaring it."),
        (lambda i: float(np.float32(xs[i]) ** 2),
         "you computed in float32 (np.float32): about 7 significant digits; keep x as it is, x ** 2."),
    ] + [(lambda i, k=k: round(float(xs[i]) ** 2, k),
          "you rounded the result (round(x ** 2, 6)?): return x ** 2 itself; round only where you print it.")
         for k in range(13)]


@exercise_check
def check_warm_up_square(warm_up_square):
    """warm_up_square(x) must return x ** 2."""
    rng = np.random.default_rng(SEED)
    xs = _square_inputs(rng)
    results = []
    for n, x in enumerate(xs):
        call = f"warm_up_square({x})"
        want = x ** 2
        got = _as_float(warm_up_square(x), call)
        results.append((got, 0.0))
        if not _close(got, want, 1e-12):
            later = _gather(warm_up_square, [(v,) for v in xs], n + 1)
            results += [None if r is None else (r, 0.0) for r in later]
            _fail(call, got, want, " Or: ".join(_consistent_hints(results, n, _square_mistakes(xs))))
    print("warm_up_square passed: warm_up_square(3) = 9")
