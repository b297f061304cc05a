"""The verification harness's data codec: values as plain JSON-able data (encode) and back (decode).

Values travel as plain data only: numbers, strings, None, lists, and tagged dicts for tuples, dictionaries, numeric
arrays and PROVIDERS (harness_providers.py); an array of more than BINARY_ITEMS numbers travels as the base64 of its
little-endian bytes, which JSON writes and reads a hundred times faster than a list of numbers. The controller never
unpickles anything. Like harness.py, this file is copied into the verification sandbox: only the standard library,
numpy and its sibling harness_providers.py.
"""
import base64
import math

import numpy as np

# the grader imports this file from the package; the sandbox runs harness.py as a script beside a copy of this file
if __package__:
    from course_utils.grading.harness_providers import PROVIDERS
else:
    from harness_providers import PROVIDERS

MAX_ITEMS = 2_000_000  # numbers in one encoded value
BINARY_ITEMS = 1000  # an array of more numbers than this is encoded as the base64 of its bytes, not as a list
_DTYPES = {"bool": "|u1", "int64": "<i8", "float64": "<f8"}  # how each kind of array is laid out in those bytes


class EncodeError(ValueError):
    """A value that is not plain data (numbers, strings, lists, tuples, dicts, numeric arrays)."""


def encode(value, _depth=0):
    """value as JSON-able plain data; raises EncodeError for anything else."""
    if _depth > 20:
        raise EncodeError("nested more than 20 levels")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf" or value.size > MAX_ITEMS:
            raise EncodeError(f"an array of dtype {value.dtype} and {value.size} entries")
        kind = {"b": "bool", "i": "int64", "u": "int64", "f": "float64"}[value.dtype.kind]
        if value.size > BINARY_ITEMS:
            raw = np.ascontiguousarray(value.astype(kind), dtype=_DTYPES[kind]).tobytes()
            return {"__array__": kind, "shape": list(value.shape), "b64": base64.b64encode(raw).decode("ascii")}
        return {"__array__": kind, "shape": list(value.shape), "data": value.astype(kind).ravel().tolist()}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, _depth + 1) for v in value]}
    if isinstance(value, list):
        return [encode(v, _depth + 1) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise EncodeError("a dict whose keys are not all strings")
        return {"__dict__": [[k, encode(v, _depth + 1)] for k, v in value.items()]}
    raise EncodeError(f"an object of type {type(value).__name__}")


def decode(data, _depth=0):
    """The value encode() described (arrays become numpy arrays); raises EncodeError for anything else."""
    if _depth > 24:
        raise EncodeError("nested too deeply")
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode(v, _depth + 1) for v in data]
    if isinstance(data, dict):
        if set(data) == {"__array__", "shape", "data"} and data["__array__"] in ("bool", "int64", "float64"):
            shape = data["shape"]
            if not (isinstance(shape, list) and all(isinstance(n, int) and 0 <= n for n in shape)
                    and isinstance(data["data"], list) and math.prod(shape) == len(data["data"])):
                raise EncodeError("a malformed array")
            flat = data["data"]
            if not all(isinstance(x, (int, float)) and not isinstance(x, str) for x in flat):
                raise EncodeError("an array with non-numbers")
            return np.array(flat, dtype=data["__array__"]).reshape(shape)
        if set(data) == {"__array__", "shape", "b64"} and data["__array__"] in _DTYPES:
            return _binary_array(data["__array__"], data["shape"], data["b64"])
        if set(data) == {"__tuple__"} and isinstance(data["__tuple__"], list):
            return tuple(decode(v, _depth + 1) for v in data["__tuple__"])
        if set(data) == {"__dict__"} and isinstance(data["__dict__"], list):
            out = {}
            for pair in data["__dict__"]:
                if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
                    raise EncodeError("a malformed dict")
                out[pair[0]] = decode(pair[1], _depth + 1)
            return out
        if set(data) == {"__provided__", "params"} and data["__provided__"] in PROVIDERS:
            return PROVIDERS[data["__provided__"]](*decode(data["params"], _depth + 1))
    raise EncodeError(f"unexpected data of type {type(data).__name__}")


def _binary_array(kind, shape, text):
    """The array encode() wrote as base64 (kind "bool", "int64" or "float64"); EncodeError unless the bytes are exactly
    those of `shape`."""
    if not (isinstance(shape, list) and all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n for n in shape)
            and isinstance(text, str)):
        raise EncodeError("a malformed array")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise EncodeError("a malformed array") from None
    dtype = np.dtype(_DTYPES[kind])
    if math.prod(shape) > MAX_ITEMS or len(raw) != math.prod(shape) * dtype.itemsize:
        raise EncodeError("a malformed array")
    flat = np.frombuffer(raw, dtype=dtype)
    flat = flat != 0 if kind == "bool" else flat.astype(kind)  # a copy: writable, in the machine's byte order
    return flat.reshape(shape)

