"""One comparison, two users: what decides right or wrong for the notebooks' checks (course_utils.checks)
and for the grader's verification run (course_utils.grading.verify), so that a wrong answer that fails one
fails the other, and a right answer that orders its float operations differently passes both.

Every tolerance is |got - want| <= atol + rtol |want|: rtol for values that are not round-off, atol a noise
bound computed by the caller from the actual inputs where the expected value is itself round-off (see
noise_bound).
"""
import numbers

import numpy as np

EPS = np.finfo(float).eps  #: float64 machine epsilon: the relative size of one rounding step
MAX_MAGNITUDE_RATIO = 1e6  #: an answer whose entries exceed this times the largest right entry is absurd, not a gradient


def within(got, want, rtol=1e-9, atol=0.0):
    """True where got is finite and |got - want| <= atol + rtol |want| (numbers or arrays, elementwise)."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf: not within, and no warning
        ok = np.isfinite(got) & (np.abs(got - want) <= atol + rtol * np.abs(want))
    return bool(ok) if ok.ndim == 0 else ok


def noise_bound(scale, epsilon=1.0, factor=16):
    """The round-off of a difference quotient of values of size `scale` over a step epsilon: factor u scale / eps."""
    return factor * EPS * max(float(scale), 1.0) / float(epsilon)


def as_number(value):
    """value as a float when it is a real number (bool excluded), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
            return float(value.reshape(()))
        return None
    return float(value)


def close_number(value, want, rtol=1e-9, atol=0.0):
    """None when value is a real number within atol + rtol |want| of want, else the message."""
    got = as_number(value)
    if got is None:
        return f"returned {describe(value)}, expected a number close to {want:.6g}"
    if not within(got, want, rtol, atol):
        return f"returned {got:.6g}, expected {want:.6g}"
    return None


def close_array(value, want, rtol=1e-9, atol=0.0, what="returned"):
    """None when value is an array of want's shape and values (within atol + rtol |want|), else the message."""
    if not isinstance(value, np.ndarray):
        return f"{what} {describe(value)}, expected an array of shape {want.shape}"
    if value.shape != want.shape:
        return f"{what} an array of shape {value.shape}, expected shape {want.shape}"
    if value.dtype.kind not in "iuf" or not np.all(np.isfinite(value)):
        return f"{what} an array with non-numbers or non-finite values"
    bad = ~within(value, want, rtol, atol)
    if np.any(bad):
        i = tuple(int(k) for k in np.argwhere(bad)[0])
        return f"{what} an array whose entry {i} is {value[i]:.6g}, expected {want[i]:.6g}"
    return None


def magnitude_problem(value, scale, what="returned", ratio=MAX_MAGNITUDE_RATIO):
    """None when every entry of the array `value` is finite and at most ratio * scale in size, else the message.

    scale -- the size of the largest entry a right answer can have (the reference's largest entry, or a bound
    computed from the inputs). A judge that scales its tolerance by a norm of the student's answer calls this
    first: an answer of huge entries (np.full(shape, 1e200)) would otherwise make its own norm overflow to inf,
    and the tolerance with it.
    """
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        return f"{what} an array of {array.dtype} values, expected numbers"
    if array.size == 0:
        return None
    if not np.all(np.isfinite(array)):
        return f"{what} non-finite values (inf or nan)"
    biggest = float(np.max(np.abs(array)))
    limit = ratio * max(float(scale), np.finfo(float).tiny)
    if not biggest <= limit:
        return (f"{what} an entry of size {biggest:.3g}, absurd for this case: a right answer has no entry larger "
                f"than {float(scale):.3g}")
    return None


def describe(value):
    """A short description of a returned value for messages."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, (list, tuple, dict)):
        return f"a {type(value).__name__} of length {len(value)}"
    if value is None:
        return "None"
    if isinstance(value, float):
        return f"{value:.6g}"
    return f"a {type(value).__name__}"


def fmt(value):
    """A short, readable rendering of a value for messages."""
    if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, str):
        return repr(value)
    if isinstance(value, numbers.Real):
        return f"{float(value):.10g}"
    if isinstance(value, np.ndarray):
        if value.size <= 6 and np.issubdtype(value.dtype, np.number):
            return f"array of shape {value.shape} {np.array2string(value.ravel(), precision=6)}"
        return f"array of shape {value.shape}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
