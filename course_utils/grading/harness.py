"""The verification harness: runs INSIDE a verification sandbox, as ``python harness.py REQUEST``.

It must stay importable without the rest of course_utils (only the standard library and numpy): the
sandbox holds this file, the request and the course_utils modules the exercise may use, nothing else.

REQUEST (JSON, see verify.py): {"namespace": {name: "module" | "module:attribute"}, "cells": [[exercise,
source], ...], "calls": [{"exercise", "function", "args", "kwargs", "overrides"}]}. The harness binds the
namespace, runs every exercise cell in it (in order, each on its own), then makes each call and writes
one JSON line per event to the result descriptor (a private copy of stdout; what the student's code
prints goes to a buffer or to /dev/null): {"cell": exercise, "error": ...}, {"start": i}, {"call": i,
"ok": true, "value": ..., "stdout": ...} or {"call": i, "ok": false, "error": "Name: message"}.

Values travel as plain data only: numbers, strings, None, lists, and tagged dicts for tuples,
dictionaries and numeric arrays (encode/decode). The controller never unpickles anything.
Arguments may be PROVIDERS -- small callables built from data (a polynomial, a quadratic cost, ...),
which the controller also uses to compute the expected values.
"""
import contextlib
import importlib
import io
import json
import math
import os
import sys

import numpy as np

MAX_STDOUT = 4000
MAX_ITEMS = 2_000_000  # numbers in one encoded value


# ------------------------------------------------------------------------------------------- data
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


# -------------------------------------------------------------------------------------- providers
def polynomial(coefficients):
    """f(x) = sum_k c_k x**k (Horner), for finite-difference exercises."""
    coefficients = [float(c) for c in coefficients]

    def f(x):
        total = 0.0
        for c in reversed(coefficients):
            total = total * x + c
        return total
    return f


def wave(a, b, c):
    """f(x) = a sin(b x) + c x**3."""
    return lambda x: a * math.sin(b * x) + c * x ** 3


def product():
    """J(x, theta) = theta * x, the 1-D model's forward pass."""
    return lambda x, theta: theta * x


def scaled_slope(k):
    """dtheta(x, theta) = k * x: a backward pass of J = theta x that is right only for k = 1."""
    return lambda x, theta: k * x


def quadratic(A, b):
    """cost(theta) = 1/2 theta^T A theta + b^T theta, theta a column vector; its gradient is A theta + b."""
    A, b = np.asarray(A, dtype=float), np.asarray(b, dtype=float)

    def cost(theta):
        theta = np.asarray(theta, dtype=float).reshape(b.shape)
        return float(0.5 * np.sum(theta * (A @ theta)) + np.sum(b * theta))
    return cost


def euclidean_norm():
    """norm(v) = sqrt(sum v**2), a float."""
    return lambda v: float(np.sqrt(np.sum(np.square(np.asarray(v, dtype=float)))))


def network_cost(X, Y, classic=False):
    """cost(parameters) of a fully connected net W1, b1, ..., WL, bL (any L): LINEAR -> RELU hidden layers,
    LINEAR -> SIGMOID output, logistic cost averaged over the m columns of X (Y: m labels). classic=True takes
    log(a) and log(1 - a) of the rounded sigmoid a, as the original assignment does; else the stable form."""
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float).reshape(1, -1)
    m = X.shape[1]

    def cost(parameters):
        L = len(parameters) // 2
        A = X
        for l in range(1, L + 1):
            Z = np.asarray(parameters[f"W{l}"], dtype=float) @ A + np.asarray(parameters[f"b{l}"], dtype=float)
            A = np.maximum(Z, 0.0) if l < L else Z
        if classic:
            a = 1.0 / (1.0 + np.exp(-Z))
            return float(1.0 / m * np.sum(-np.log(a) * Y - np.log(1 - a) * (1 - Y)))
        return float(np.sum(Y * np.logaddexp(0.0, -Z) + (1 - Y) * np.logaddexp(0.0, Z)) / m)
    return cost


PROVIDERS = {"polynomial": polynomial, "wave": wave, "product": product, "scaled_slope": scaled_slope,
             "quadratic": quadratic, "euclidean_norm": euclidean_norm, "network_cost": network_cost}


def _snapshot(value):
    """A deep copy of the plain data in value (arrays copied), to tell later whether a call changed it."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        return type(value)(_snapshot(v) for v in value)
    if isinstance(value, dict):
        return {k: _snapshot(v) for k, v in value.items()}
    return value


def _same(before, after):
    if isinstance(before, np.ndarray):
        return isinstance(after, np.ndarray) and before.shape == after.shape and np.array_equal(before, after,
                                                                                                   equal_nan=True)
    if isinstance(before, (list, tuple)):
        return type(after) is type(before) and len(after) == len(before) and all(map(_same, before, after))
    if isinstance(before, dict):
        return isinstance(after, dict) and after.keys() == before.keys() and all(_same(before[k], after[k])
                                                                                   for k in before)
    return True  # numbers, strings, callables: immutable here


# ------------------------------------------------------------------------------------------- main
class _Shell:
    """get_ipython() in the verification run: %time and %timeit run their code once; every other magic and
    shell command does nothing here (an exercise's function must not depend on them)."""

    def __init__(self, namespace):
        self.namespace = namespace

    def _run(self, magic, code):
        if magic not in ("time", "timeit"):
            return None
        if magic == "timeit":  # drop timeit's options (-n 10 -r 3 -q -o ...)
            words = code.split()
            while words and words[0].startswith("-"):
                takes_value = words[0] in ("-n", "-r", "-p")
                words = words[2:] if takes_value else words[1:]
            code = " ".join(words) if "\n" not in code else code
        exec(compile(code, f"<%{magic}>", "exec"), self.namespace)  # noqa: S102

    def run_line_magic(self, magic, line, *args, **kwargs):
        self._run(magic, line)

    def run_cell_magic(self, magic, line, cell):
        self._run(magic, cell)

    def system(self, *args, **kwargs):
        return None

    getoutput = system


def _error(exc):
    return f"{type(exc).__name__}: {str(exc)[:500]}"


def main(request_path):
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")  # the result descriptor
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # the student's code printing to fd 1 cannot interleave with results

    def emit(event):
        out.write(json.dumps(event) + "\n")
        out.flush()

    with open(request_path, encoding="utf-8") as handle:
        request = json.load(handle)
    sys.setrecursionlimit(3000)
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    namespace["get_ipython"] = lambda: _Shell(namespace)
    for name, target in request["namespace"].items():
        module, _, attribute = target.partition(":")
        try:
            value = importlib.import_module(module)
            namespace[name] = getattr(value, attribute) if attribute else value
        except Exception as exc:  # noqa: BLE001 -- reported, and the name stays undefined
            emit({"namespace": name, "error": _error(exc)})
    for exercise, source in request["cells"]:
        try:
            exec(compile(source, f"<exercise cell {exercise}>", "exec"), namespace)  # noqa: S102 -- the point
        except BaseException as exc:  # noqa: BLE001 -- a cell's error is reported; the others still run
            emit({"cell": exercise, "error": _error(exc)})
    missing = object()
    for i, call in enumerate(request["calls"]):
        emit({"start": i})
        saved = {}
        buffer = io.StringIO()
        try:
            args, kwargs = decode(call["args"]), decode(call["kwargs"])
            function = namespace.get(call["function"], missing)
            if function is missing:
                raise NameError(f"name {call['function']!r} is not defined")
            for name, provided in call["overrides"].items():
                saved[name] = namespace.get(name, missing)
                namespace[name] = decode(provided)
            before = _snapshot((args, kwargs))
            with contextlib.redirect_stdout(buffer):
                value = function(*args, **kwargs)
            if not _same(before, (args, kwargs)):  # an exercise must leave its inputs as they were
                raise ValueError("it changed one of its arguments in place; work on copies (np.copy) instead")
            emit({"call": i, "ok": True, "value": encode(value), "stdout": buffer.getvalue()[:MAX_STDOUT]})
        except EncodeError as exc:
            emit({"call": i, "ok": False, "error": f"returned {exc}, which is not a number, array, list, tuple "
                                                    "or dict of those"})
        except BaseException as exc:  # noqa: BLE001 -- the student's error is the result of this call
            emit({"call": i, "ok": False, "error": _error(exc), "stdout": buffer.getvalue()[:MAX_STDOUT]})
        finally:
            for name, value in saved.items():
                if value is missing:
                    namespace.pop(name, None)
                else:
                    namespace[name] = value
    emit({"done": True})


if __name__ == "__main__":
    main(sys.argv[1])
