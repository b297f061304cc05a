"""Argument checks shared by the public functions: clear errors that name the argument."""
import numbers
import warnings

import numpy as np

#: arrays a gradient check never perturbs: float32 data only rounds the inputs (with float64 parameters numpy
#: computes the forward pass in float64), so they get no float32 warning
NOT_PERTURBED = frozenset({"X"})
FLOAT32_WARNING = (
    "{name} is float32: a cost computed in float32 keeps about 7 significant digits, and a step of epsilon around "
    "1e-7 changes J by less than that for most entries, so J(theta + epsilon) and J(theta - epsilon) often round to "
    "the same float32 number and a correct gradient will likely look wrong (use float64 to check)")


def as_float_array(value, name, *, allow_float32=True):
    """Return `value` as a finite floating numpy array, or raise naming `name`.

    Integer arrays are refused (a perturbation of 1e-7 would be rounded away), float32 is
    accepted with a warning (false alarms are likely; none for the data X, see NOT_PERTURBED),
    anything non-finite is refused.
    """
    if type(value) is np.ndarray and value.dtype == np.float64:  # the usual case, decided without the dtype tests
        if not all_finite(value):
            raise ValueError(f"{name} must hold finite values only, found NaN or inf")
        return value
    if isinstance(value, (str, bytes, dict)) or value is None:
        raise TypeError(f"{name} must be a numpy array of floats, got {type(value).__name__}")
    arr = np.asarray(value)
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be a numpy array of floats, got dtype {arr.dtype}")
    if not np.issubdtype(arr.dtype, np.floating):
        raise TypeError(
            f"{name} must hold floats (float64), got dtype {arr.dtype}: "
            "a perturbation of epsilon would be rounded away; convert with .astype(np.float64)")
    if arr.dtype == np.float32:
        if not allow_float32:
            raise TypeError(f"{name} must be float64, got float32")
        if name not in NOT_PERTURBED:
            warnings.warn(FLOAT32_WARNING.format(name=name), RuntimeWarning, stacklevel=3)
    elif arr.dtype not in (np.float64, np.float32):
        raise TypeError(f"{name} must be float64 (or float32), got dtype {arr.dtype}")
    if not all_finite(arr):
        raise ValueError(f"{name} must hold finite values only, found NaN or inf")
    return arr


def all_finite(arr):
    """True when every entry of the float array arr is finite (np.isfinite(arr).all() without the Python layer of
    ndarray.all, which weighed in the many small checks of a gradient check)."""
    return bool(np.logical_and.reduce(np.isfinite(arr), axis=None))


def check_epsilon(epsilon, name="epsilon"):
    """Return epsilon as a float, or raise unless it is a finite number > 0."""
    if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real):
        raise TypeError(f"{name} must be a positive number, got {type(epsilon).__name__}")
    epsilon = float(epsilon)
    if not np.isfinite(epsilon) or epsilon <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {epsilon!r}")
    return epsilon


def check_mapping(value, name):
    """Raise unless `value` is a dict."""
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be a dict of name -> numpy array, got {type(value).__name__}")
    return value


def as_scalar_cost(value, name="cost"):
    """Return a cost function's result as a Python float, or raise if it is not a finite scalar."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must return a finite scalar float, got {type(value).__name__}") from None
    if arr.size != 1:
        raise TypeError(f"{name} must return a scalar, got an array of shape {arr.shape}")
    out = float(arr.reshape(()))
    if not np.isfinite(out):
        raise ValueError(f"{name} returned {out}: it must return a finite number")
    return out
