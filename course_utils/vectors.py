"""Parameters <-> one long vector theta, in a fixed, numeric layer order.

The order is W1, b1, W2, b2, ..., W10, b10, ... (layers by number, never alphabetically: "W10"
sorts before "W2" as a string, a classic way to compare the wrong entries). Inside a tensor the
entries follow numpy's row-major order, like `reshape(-1, 1)`.
"""
import math
import re
from functools import lru_cache

import numpy as np

from course_utils._validate import as_float_array, check_mapping

PARAMETER_NAME = re.compile(r"^([A-Za-z]+?)(\d+)$")
_KIND_ORDER = {"W": 0, "b": 1}


def parameter_order(names, argname="parameters"):
    """Return parameter names sorted by layer number, then W before b (then alphabetically).

    names -- iterable of names like "W1", "b12"; anything else raises ValueError
    """
    names = tuple(names)
    if all(type(name) is str for name in names):  # the usual case: the same few layouts, over and over
        return list(_str_order(names, argname))
    return _order(names, argname)


@lru_cache(maxsize=256)
def _str_order(names, argname):
    return tuple(_order(names, argname))


def _order(names, argname):
    keyed = []
    for name in names:
        match = PARAMETER_NAME.match(name) if isinstance(name, str) else None
        if not match:
            raise ValueError(f"{argname} has key {name!r}; expected names like 'W1', 'b1' "
                             "(letters followed by the layer number)")
        kind, layer = match.group(1), int(match.group(2))
        keyed.append(((layer, _KIND_ORDER.get(kind, 2), kind), name))
    return [name for _, name in sorted(keyed)]


def _check_layers(names, argname):
    """Raise unless the names are exactly W1, b1, ..., WL, bL for some L >= 1."""
    _check_layer_names(tuple(names), argname)


@lru_cache(maxsize=256)
def _check_layer_names(names, argname):
    layers = sorted({int(PARAMETER_NAME.match(n).group(2)) for n in names})
    expected = {f"{k}{l}" for l in range(1, len(layers) + 1) for k in "Wb"}
    missing = sorted(expected - set(names), key=lambda n: (int(n[1:]), n[0]))
    extra = sorted(set(names) - expected)
    if missing or extra or not names:
        detail = []
        if missing:
            detail.append(f"missing {missing}")
        if extra:
            detail.append(f"unexpected {extra}")
        raise ValueError(f"{argname} must hold W1, b1, ..., WL, bL for layers 1..L; "
                         + ("; ".join(detail) if detail else "it is empty"))


def dictionary_to_vector(parameters):
    """Flatten a parameter dict into one column vector.

    parameters -- dict "W1" -> (n1, n0), "b1" -> (n1, 1), ... for layers 1..L (float arrays)
    Returns (theta, keys): theta has shape (n, 1), n the total number of entries; keys is a list
    of n names, keys[i] being the tensor theta[i] came from.
    """
    check_mapping(parameters, "parameters")
    names = parameter_order(parameters, "parameters")
    _check_layers(names, "parameters")
    arrays = [as_float_array(parameters[name], f"parameters[{name!r}]") for name in names]
    theta = np.concatenate([a.reshape(-1, 1) for a in arrays], axis=0)
    keys = [name for name, a in zip(names, arrays) for _ in range(a.size)]
    return theta, keys


def parameter_shapes(parameters):
    """Return {name: shape} in parameter order, for `vector_to_dictionary`."""
    check_mapping(parameters, "parameters")
    return {name: np.shape(parameters[name]) for name in parameter_order(parameters, "parameters")}


def vector_to_dictionary(theta, shapes):
    """Unroll a column vector back into a parameter dict (the inverse of dictionary_to_vector).

    theta -- shape (n, 1) or (n,)
    shapes -- dict name -> shape tuple (e.g. from `parameter_shapes`); a dict of arrays works too,
              their shapes are used. n must equal the total size of the shapes.
    Returns a dict name -> array of that shape (copies, so editing them leaves theta alone).
    """
    check_mapping(shapes, "shapes")
    shapes = {name: tuple(np.shape(s) if isinstance(s, np.ndarray) else s) for name, s in shapes.items()}
    names = parameter_order(shapes, "shapes")
    _check_layers(names, "shapes")
    theta = np.asarray(theta)
    if theta.ndim not in (1, 2) or (theta.ndim == 2 and theta.shape[1] != 1):
        raise ValueError(f"theta must be a vector of shape (n, 1) or (n,), got shape {theta.shape}")
    for name in names:
        if not all(isinstance(d, (int, np.integer)) and d >= 0 for d in shapes[name]):
            raise ValueError(f"shapes[{name!r}] must be a tuple of non-negative ints, got {shapes[name]!r}")
    sizes = [int(math.prod(shapes[name])) for name in names]
    if theta.shape[0] != sum(sizes):
        raise ValueError(f"theta has {theta.shape[0]} entries but shapes need {sum(sizes)} "
                         f"({', '.join(f'{n}{shapes[n]}' for n in names)})")
    out, start = {}, 0
    for name, size in zip(names, sizes):
        out[name] = theta[start:start + size].reshape(shapes[name]).copy()
        start += size
    return out


def gradients_to_vector(gradients, parameters=None):
    """Flatten the parameter gradients dW1, db1, ... into one column vector, in parameter order.

    gradients -- dict with "dW1", "db1", ... (other keys such as "dZ1", "dA1" are ignored)
    parameters -- optional dict of parameters: then every parameter must have a gradient of the
                  same shape, and the order is theirs
    Returns grad of shape (n, 1), entry i being dJ/dtheta[i] for theta from dictionary_to_vector.
    """
    check_mapping(gradients, "gradients")
    grads = {key[1:]: value for key, value in gradients.items()
             if isinstance(key, str) and key.startswith("d") and key[1:2] in ("W", "b")}
    if parameters is None:
        names = parameter_order(grads, "gradients (without the leading 'd')")
        _check_layers(names, "gradients (as dW1, db1, ...)")
    else:
        names = parameter_order(check_mapping(parameters, "parameters"), "parameters")
        missing = [f"d{n}" for n in names if n not in grads]
        if missing:
            raise ValueError(f"gradients is missing {missing} (one per parameter)")
        extra = [f"d{n}" for n in grads if n not in parameters]
        if extra:
            raise ValueError(f"gradients has {extra} but parameters has no such tensor")
        for n in names:
            if np.shape(grads[n]) != np.shape(parameters[n]):
                raise ValueError(f"gradients['d{n}'] has shape {np.shape(grads[n])}, "
                                 f"expected {np.shape(parameters[n])} like parameters[{n!r}]")
    arrays = [as_float_array(grads[n], f"gradients['d{n}']") for n in names]
    return np.concatenate([a.reshape(-1, 1) for a in arrays], axis=0)
