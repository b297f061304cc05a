"""Checks of notebook 00 start here.

warm_up_square's known mistakes are records in course_utils.expect.nb00; a known mistake is named
only when it explains the student's results on EVERY input the check tried, not just on the one that failed
(course_utils.expect.mistakes.explain), so that two mistakes which agree on one input by chance are never confused.
"""
import numbers

import numpy as np

from course_utils.checks._common import (
    SEED,
    _as_float,
    _close,
    _fmt,
    exercise_check,
)
from course_utils.expect.mistakes import explain, failure
from course_utils.expect.nb00 import SQUARE_MISTAKES, SquareCase


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


@exercise_check
def check_warm_up_square(warm_up_square):
    """warm_up_square(x) must return x ** 2."""
    rng = np.random.default_rng(SEED)
    xs = _square_inputs(rng)
    results = []
    for n, x in enumerate(xs):
        call = f"warm_up_square({x})"
        want = x ** 2
        got = _as_float(warm_up_square(x), call=call)
        results.append(got)
        if not _close(got, want, 1e-12):
            results += _gather(warm_up_square, [(v,) for v in xs], n + 1)
            mistake = explain(SQUARE_MISTAKES, [SquareCase(v) for v in xs], results,
                              lambda got, value, _: _matches(got, _evidence(value), 0.0), needed=(n,))
            raise failure(f"{call} returned {_fmt(got)}, expected {_fmt(want)}.", mistake)
    print("warm_up_square passed: warm_up_square(3) = 9")
