"""Notebook 03 flatten parameters into one vector: the known mistakes of dictionary_to_vector (d2v.*),
vector_to_dictionary (v2d.*) and gradients_to_vector (g2v.*), as records of course_utils.expect.mistakes. The checks
(course_utils/checks/nb03.py) name the one that explains the answer on every input.

A model takes a case -- a DictCase (the dict given to dictionary_to_vector or gradients_to_vector, the prefix of its
tensors' keys, the layer count a counting mistake computes) or a SlicesCase (vector_to_dictionary's theta and shapes)
-- and returns what the function with that mistake returns: a vector (1-D, its entries in order), a dict, or
_Missing(key) when the mistake raises KeyError(key) there (None: a reshape of the wrong size fails, ValueError).
"""
import re
from dataclasses import dataclass

import numpy as np

from course_utils import vectors
from course_utils.expect.mistakes import Mistake, table

_BASE = re.compile(r"[Wb]\d+")


@dataclass(frozen=True)
class DictCase:
    """A dict dictionary_to_vector or gradients_to_vector was given; prefix -- "" or "d"; count -- the number of
    layers a function that counts its dict's entries computes (len(d) for parameters, len(d) // 2 for gradients)."""

    d: dict
    prefix: str = ""
    count: int = 0


@dataclass(frozen=True)
class SlicesCase:
    """What vector_to_dictionary was given."""

    theta: np.ndarray
    shapes: dict


def _layer(name):
    return int(name[1:])


_ORDERS = {  # base names in dict order -> the order a mistake takes them in
    "right": lambda names: sorted(names, key=lambda n: (_layer(n), n[0] != "W")),
    "alphabetical": sorted,
    "layers_as_strings": lambda names: sorted(names, key=lambda n: (n[1:], n[0] != "W")),
    "insertion": list,
    "layer_only": lambda names: sorted(names, key=_layer),
    "b_first": lambda names: sorted(names, key=lambda n: (_layer(n), n[0] == "W")),
    "all_w_first": lambda names: sorted(names, key=lambda n: (n[0] != "W", _layer(n))),
    "hard_coded": lambda names: [f"{k}{l}" for l in (1, 2, 3) for k in "Wb"],
}
ORDER_MISTAKES = ("alphabetical", "layers_as_strings", "insertion", "layer_only", "b_first", "all_w_first",
                  "hard_coded", "column_major", "count")  #: the mistakes of the order, in the tables' order


def _order_hints(W="W", b="b", name="parameters"):
    return {
        "alphabetical": (f"the names were sorted as strings (alphabetically), so {W}10, {W}11, {W}12 come before "
                         f"{W}2 and the {b}'s after all the {W}'s: order them by layer number, {W}1, {b}1, {W}2, "
                         f"{b}2, ..., {W}12, {b}12."),
        "layers_as_strings": (f"the layer numbers were sorted as strings, so layers 10, 11, 12 come before layer 2 "
                              f"({W}10 before {W}2): sort by the number, int(name[{len(W)}:])."),
        "insertion": ("you followed the dictionary's insertion order, which is not the layer order (the check "
                      "also passes dicts filled from the last layer, or shuffled): build the order from the layer "
                      f"numbers, for l in 1..L: {W}, then {b}."),
        "layer_only": (f"you sorted by layer number only, so within a layer the dictionary's order decides "
                       f"whether {W} or {b} comes first: sort by (layer number, {W} before {b})."),
        "b_first": f"within each layer {b} came before {W}: the order is {W}1, {b}1, {W}2, {b}2, ...",
        "all_w_first": (f"all the {W}'s came first, then all the {b}'s: the order goes layer by layer, "
                        f"{W}1, {b}1, {W}2, {b}2, ..."),
        "hard_coded": (f"hard-coded layer count: your function handles exactly 3 layers ({W}1 ... {b}3), but "
                       "the check also passes nets of 1, 2 and 12 layers: take the number of layers from the "
                       f"dictionary ({name})."),
        "column_major": ("inside each tensor the entries must follow numpy's row-major order, reshape(-1, 1) "
                         "(you used column order: a transpose or order='F')."),
    }


class _Missing(str):
    """What a mistake predicts when it looks up a key d does not have: KeyError(this key)."""


def _model_names(mistake, d, prefix, count=None):
    """The full keys a mistake takes from d, in its order; _Missing(key) when it raises KeyError(key)."""
    tensors = {k[len(prefix):]: k for k in d if isinstance(k, str) and k.startswith(prefix)
               and _BASE.fullmatch(k[len(prefix):])}
    if mistake == "count":  # for l in range(1, count + 1): W, b
        names = [f"{k}{l}" for l in range(1, count + 1) for k in "Wb"]
    else:
        names = _ORDERS["right" if mistake == "column_major" else mistake](list(tensors))
    missing = next((n for n in names if n not in tensors), None)
    if missing is not None:
        return _Missing(prefix + missing)
    return [tensors[n] for n in names]


def _model_vector(mistake, case):
    """What dictionary_to_vector's theta (or gradients_to_vector's vector) is with `mistake`, as a 1-D array."""
    names = _model_names(mistake, case.d, case.prefix, case.count)
    if isinstance(names, _Missing):
        return names
    order = "F" if mistake == "column_major" else "C"
    return np.concatenate([np.reshape(case.d[k], (-1, 1), order=order) for k in names]).ravel()


def _same_key_error(outcome, predicted):
    return isinstance(outcome, KeyError) and isinstance(predicted, _Missing) and outcome.args[:1] == (predicted,)


def vector_agrees(outcome, predicted, case=None):
    """Whether a student's outcome (an exception or an array) is what a mistake predicts."""
    if isinstance(outcome, BaseException) or isinstance(predicted, _Missing):
        return _same_key_error(outcome, predicted)
    try:
        values = np.asarray(outcome, dtype=float).ravel()
    except (TypeError, ValueError):
        return False
    return values.shape == predicted.shape and np.array_equal(values, predicted)


def _model_dict(mistake, case):
    """What a mistake of vector_to_dictionary returns (_Missing(key): KeyError; None: a reshape fails)."""
    theta, shapes = case.theta, case.shapes
    names = _model_names(mistake, shapes, "", len(shapes))
    if isinstance(names, _Missing):
        return names
    out, start = {}, 0
    for name in names:
        size = int(np.prod(shapes[name]))
        if start + size > theta.shape[0]:
            return None
        out[name] = theta[start:start + size].reshape(shapes[name], order="F" if mistake == "column_major" else "C")
        start += size
    return out


def _offset_model(kind, case):
    """Slices at wrong offsets: start never advanced ("zero"), or start = size instead of start += size."""
    theta, shapes = case.theta, case.shapes
    names = vectors.parameter_order(shapes)
    out, start = {}, 0
    for name in names:
        size = int(np.prod(shapes[name]))
        if start + size > theta.shape[0]:
            return None
        out[name] = theta[start:start + size].reshape(shapes[name])
        start = 0 if kind == "zero" else size
    return out


def dict_agrees(outcome, predicted, case=None):
    """Whether what vector_to_dictionary gave (a dict or an exception) is what a mistake predicts."""
    if isinstance(outcome, BaseException) or predicted is None or isinstance(predicted, _Missing):
        return _same_key_error(outcome, predicted) or (predicted is None and isinstance(outcome, ValueError))
    if not isinstance(outcome, dict) or set(outcome) != set(predicted):
        return False
    try:
        return all(np.array_equal(np.asarray(outcome[k], dtype=float), predicted[k]) for k in predicted)
    except (TypeError, ValueError):
        return False


def _order_table(exercise, abbreviation, hints, model):
    return table(exercise, *(Mistake(f"{abbreviation}.{mistake}", hints[mistake],
                                     lambda case, m=mistake: model(m, case)) for mistake in ORDER_MISTAKES))


# ------------------------------------------------------------------------------------------ the tables
_D2V_HINTS = dict(_order_hints(name="len(parameters) // 2"),
                  count="the layer count is wrong: len(parameters) counts the W's and the b's, so the number of "
                        "layers is len(parameters) // 2.")
D2V_MISTAKES = _order_table("dictionary_to_vector", "d2v", _D2V_HINTS, _model_vector)

_V2D_HINTS = dict(_order_hints(name="len(shapes) // 2"))
_V2D_HINTS.update(
    alphabetical="the names were taken in string order (W10 before W2, all W's before the b's): take them by "
                 "layer number, W1, b1, W2, b2, ...",
    insertion="you followed the order of the shapes dict, which need not be the layer order: take the names by "
              "layer number, W1, b1, W2, b2, ...",
    column_major="each slice was reshaped in column order (order='F' or a transpose): reshape it row-major, "
                 "theta[start:start + size].reshape(shape), as dictionary_to_vector flattened it.",
    count="the layer count is wrong: len(shapes) counts the W's and the b's, so the number of layers is "
          "len(shapes) // 2.",
    zero="wrong slice offsets: every tensor was cut from the start of theta; after each tensor move on by its "
         "size (start += size).",
    size="wrong slice offsets: `start = size` sets the next start to the size of the last tensor; it must move on "
         "by it: start += size.",
)
V2D_MISTAKES = _order_table("vector_to_dictionary", "v2d", _V2D_HINTS, _model_dict) + table(
    "vector_to_dictionary",
    Mistake("v2d.offset_never_advanced", _V2D_HINTS["zero"], lambda case: _offset_model("zero", case)),
    Mistake("v2d.offset_set_to_size", _V2D_HINTS["size"], lambda case: _offset_model("size", case)),
)
# named from what the answer shows, without a model
V2D_OFFSETS = Mistake("v2d.wrong_slice_offsets", "wrong slice offsets: {where}. Each tensor's slice begins where "
                      "the previous one ended: theta[start:start + size], then start += size.")
V2D_VIEWS = Mistake("v2d.views_not_copies", "you returned theta[start:end].reshape(shape) without .copy(): copy "
                    "each piece, theta[start:end].reshape(shape).copy().")
table("vector_to_dictionary", V2D_OFFSETS, V2D_VIEWS)

_G2V_HINTS = dict(_order_hints(W="dW", b="db", name="count its dW keys"),
                  count="the layer count is wrong: len(gradients) also counts the dZ and dA entries; count the dW "
                        "keys instead.")
G2V_MISTAKES = _order_table("gradients_to_vector", "g2v", _G2V_HINTS, _model_vector)
G2V_NO_D_PREFIX = Mistake("g2v.missing_d_prefix", "the gradient keys start with a 'd': gradients['d{key}'], not "
                          "gradients[{key_repr}] (you forgot the d prefix).")
G2V_EVERYTHING = Mistake("g2v.included_dz_da", "you included the dZ and dA entries; only dW1, db1, ... belong in "
                         "the vector.")
table("gradients_to_vector", G2V_NO_D_PREFIX, G2V_EVERYTHING)


def offset_mistake(case, got):
    """V2D_OFFSETS, its hint saying where the wrong tensors' entries sit in theta, when each is a contiguous
    (row-major) slice of it; else None."""
    theta, shapes = case.theta, case.shapes
    names = vectors.parameter_order(shapes)
    starts = dict(zip(names, np.cumsum([0] + [int(np.prod(shapes[n])) for n in names])))
    flat = theta.ravel()
    found = []
    for name in names:
        value = np.asarray(got.get(name))
        size = int(np.prod(shapes[name]))
        if value.shape != tuple(shapes[name]) or np.array_equal(value, flat[starts[name]:starts[name] + size]
                                                                .reshape(shapes[name])):
            continue
        where = [o for o in range(flat.size - size + 1)
                 if np.array_equal(flat[o:o + size].reshape(shapes[name]), value)]
        if not where:
            return None
        found.append(f"{name} holds theta[{where[0]}:{where[0] + size}], but its entries are "
                     f"theta[{starts[name]}:{starts[name] + size}]")
    if not found:
        return None
    return V2D_OFFSETS.filled(where="; ".join(found[:2]))
