"""Checks of notebook 03 flatten parameters into one vector.

Every check runs on several networks: the classic 3-layer parameters first (the notebook's example),
then a 12-layer net (so "W10" sorts before "W2" as a string), a 1-layer and a 2-layer net -- so a
function written for exactly 3 layers fails -- and on dictionaries in other key orders (filled from
the last layer, shuffled): the order of theta comes from the layer numbers, never from the dict's
order. Values have both signs; the shapes differ from layer to layer.

What the checks require besides the values: the inputs are left exactly as they were (no array
changed, reshaped or replaced, no key added, removed or moved), and theta does not share memory with
the parameters (np.concatenate copies). vector_to_dictionary MAY return views of theta (slices of
theta reshaped): the values are what counts, and theta itself must not change.

When the answer is wrong, a known mistake is named only when it explains the answer on EVERY input
(e.g. sorting the names as strings and "all W's, then all b's" agree for 3 layers, not for 12), so a
coincidence on one input cannot name the wrong mistake. Errors the student's code raises for a known
reason (KeyError 'W1' in gradients_to_vector: the missing d prefix; KeyError 'W2' on a 1-layer net: a
hard-coded layer count) become an AssertionError naming it; any other error propagates unchanged.
"""
import re

import numpy as np

from course_utils import backprop, fastcost, network, vectors
from course_utils.checks._common import (
    DEEP_DIMS,
    SEED,
    _deep_parameters,
    _fmt,
    exercise_check,
)

_BASE = re.compile(r"[Wb]\d+")
_CRASHES = (KeyError, IndexError, ValueError)


# ------------------------------------------------------------------------------------------ inputs
def _reordered(d, names):
    return {k: d[k] for k in names}


def _reversed(d):
    """The same dict, inserted in reverse order (filled from the last layer)."""
    return _reordered(d, reversed(list(d)))


def _random_parameters(rng, dims):
    """W1 (dims[1], dims[0]), b1, ... with values of both signs and different scales per tensor."""
    out = {}
    for l in range(1, len(dims)):
        out[f"W{l}"] = rng.standard_normal((dims[l], dims[l - 1])) * 10 ** rng.uniform(-2, 1)
        out[f"b{l}"] = rng.standard_normal((dims[l], 1)) * 10 ** rng.uniform(-2, 1)
    return out


def _parameter_cases():
    """(label, parameters): the classic net, the 12-layer net in layer order and reversed, a 1-layer
    and a 2-layer net in other orders."""
    rng = np.random.default_rng(SEED + 3)
    _, _, classic = network.gradient_check_n_test_case()
    deep = _deep_parameters()
    one = _random_parameters(rng, [4, 3])
    two = _random_parameters(rng, [3, 5, 2])
    return [("the classic parameters", classic),
            ("a 12-layer net", deep),
            ("a 12-layer net, dict filled from layer 12 down", _reversed(deep)),
            ("a 1-layer net, dict in the order b1, W1", _reversed(one)),
            ("a 2-layer net, dict in the order b2, W1, W2, b1", _reordered(two, ["b2", "W1", "W2", "b1"]))]


def _gradient_cases():
    """(label, gradients): backward passes (keys dZ, dW, db, dA, from the last layer), and a 1-layer and a
    2-layer set in other orders."""
    rng = np.random.default_rng(SEED)
    deep = _deep_parameters()
    X = rng.standard_normal((DEEP_DIMS[0], 5))
    Y = np.array([[1, 0, 1, 1, 0]])
    deep_grads = fastcost.NetworkCost(X, Y).gradients(deep)
    X, Y, classic = network.gradient_check_n_test_case()
    _, cache = network.forward_propagation_n(X, Y, classic)
    classic_grads = backprop.backward_propagation_n(X, Y, cache)
    rng = np.random.default_rng(SEED + 5)
    one = {"d" + k: v for k, v in _random_parameters(rng, [4, 3]).items()}
    one["dZ1"] = rng.standard_normal((3, 5))
    two = {"d" + k: v for k, v in _random_parameters(rng, [3, 5, 2]).items()}
    two.update(dZ1=rng.standard_normal((5, 4)), dA1=rng.standard_normal((5, 4)), dZ2=rng.standard_normal((2, 4)))
    return [("the classic backward pass", classic_grads),
            ("the backward pass of a 12-layer net (keys dZ12, dW12, db12, dA11, ...)", deep_grads),
            ("a 1-layer set, dict in the order db1, dZ1, dW1", _reordered(one, ["db1", "dZ1", "dW1"])),
            ("a 2-layer set, dict in the order dW1, db1, dZ1, dA1, dW2, db2, dZ2",
             _reordered(two, ["dW1", "db1", "dZ1", "dA1", "dW2", "db2", "dZ2"]))]


# ------------------------------------------------------------------------------- mutation and aliasing
def _snapshot(d):
    return [(k, np.array(v, copy=True)) for k, v in d.items()]


def _require_unchanged(call, d, snapshot, what):
    now = list(d.items())
    if [k for k, _ in now] != [k for k, _ in snapshot]:
        raise AssertionError(f"{call} changed the keys (or their order) of the {what} it was given: "
                             "work on your own list of names, leave the dictionary alone.")
    for (k, v), (_, before) in zip(now, snapshot):
        if not (isinstance(v, np.ndarray) and v.shape == before.shape and v.dtype == before.dtype
                and np.array_equal(v, before)):
            raise AssertionError(f"{call} changed {what}[{k!r}] (its values, shape or type): read the "
                                 "arrays you were given, do not modify, reshape in place or replace them.")


def _require_not_aliased(call, result, d, what):
    for k, v in d.items():
        if isinstance(v, np.ndarray) and isinstance(result, np.ndarray) and np.shares_memory(result, v):
            raise AssertionError(f"{call} returned an array that shares memory with {what}[{k!r}]: changing "
                                 "one would change the other. Return a new array (np.concatenate copies).")


# ------------------------------------------------------------------------------- the known mistakes
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


def _model_vector(mistake, d, prefix="", count=None):
    names = _model_names(mistake, d, prefix, count)
    if isinstance(names, _Missing):
        return names
    order = "F" if mistake == "column_major" else "C"
    return np.concatenate([np.reshape(d[k], (-1, 1), order=order) for k in names]).ravel()


def _same_key_error(outcome, predicted):
    return isinstance(outcome, KeyError) and isinstance(predicted, _Missing) and outcome.args[:1] == (predicted,)


def _agrees(outcome, predicted):
    """Whether a student's outcome (an exception or an array) is what a mistake predicts."""
    if isinstance(outcome, BaseException) or isinstance(predicted, _Missing):
        return _same_key_error(outcome, predicted)
    try:
        values = np.asarray(outcome, dtype=float).ravel()
    except (TypeError, ValueError):
        return False
    return values.shape == predicted.shape and np.array_equal(values, predicted)


def _vector_hints(dicts, outcomes, prefix, hints, count_of):
    """The hints of the mistakes that explain the outcome on every dict (see the module doc)."""
    found = []
    for mistake in ("alphabetical", "layers_as_strings", "insertion", "layer_only", "b_first", "all_w_first",
                    "hard_coded", "column_major", "count"):
        if all(_agrees(o, _model_vector(mistake, d, prefix, count_of(d))) for d, o in zip(dicts, outcomes)):
            found.append(hints[mistake])
    return found


def _most_likely(hints):
    hints = list(dict.fromkeys(h for h in hints if h))
    return ("\nMost likely: " + " Or: ".join(hints)) if hints else ""


def _raised(call, error):
    return f"{call} raised {type(error).__name__}: {error}."


# ------------------------------------------------------------------------------------------ d2v
_D2V_COUNT = ("the layer count is wrong: len(parameters) counts the W's and the b's, so the number of layers "
              "is len(parameters) // 2.")


@exercise_check
def check_dictionary_to_vector(dictionary_to_vector):
    """dictionary_to_vector(parameters) must return (theta (n, 1), keys) in the order W1, b1, ..., WL, bL."""
    cases = _parameter_cases()
    outcomes = []
    for label, params in cases:
        call = f"dictionary_to_vector({label})"
        before = _snapshot(params)
        try:
            result = dictionary_to_vector(params)
        except _CRASHES as error:
            outcomes.append(error)
            continue
        if result is None:
            raise AssertionError(f"{call} returned None. Did you forget `return theta, keys`?")
        _require_unchanged(call, params, before, "parameters")
        if not isinstance(result, tuple) or len(result) != 2:
            raise AssertionError(f"{call} returned {_fmt(result)}; expected a pair (theta, keys).")
        _require_not_aliased(call, result[0], params, "parameters")
        outcomes.append(result)
    dicts = [params for _, params in cases]
    hints = _order_hints(name="len(parameters) // 2")
    hints["count"] = _D2V_COUNT

    def why():
        return _most_likely(_vector_hints(dicts, [o if isinstance(o, BaseException) else o[0] for o in outcomes],
                                          "", hints, lambda d: len(d)))

    for (label, params), outcome in zip(cases, outcomes):
        call = f"dictionary_to_vector({label})"
        want_theta, want_keys = vectors.dictionary_to_vector(params)
        if isinstance(outcome, BaseException):
            raise AssertionError(_raised(call, outcome) + why())
        theta, keys = outcome
        if not isinstance(theta, np.ndarray) or theta.shape != want_theta.shape:
            shape = getattr(theta, "shape", type(theta).__name__)
            if isinstance(theta, np.ndarray) and theta.size == want_theta.size:
                raise AssertionError(f"{call}: theta has shape {shape}, expected {want_theta.shape}: a column vector "
                                     "(reshape each tensor with .reshape(-1, 1) and np.concatenate them along axis 0).")
            raise AssertionError(f"{call}: theta has shape {shape}, expected {want_theta.shape} "
                                 f"({want_theta.size} entries, one per parameter)." + why())
        if not np.array_equal(theta, want_theta):
            raise AssertionError(f"{call}: theta has the wrong entries or order, expected "
                                 "W1, b1, W2, b2, ..., WL, bL, each tensor reshaped with reshape(-1, 1)." + why())
        if not isinstance(keys, (list, tuple)) or len(keys) != len(want_keys):
            length = len(keys) if hasattr(keys, "__len__") else "no"
            raise AssertionError(f"{call}: keys must be a list with one name per entry of theta "
                                 f"({len(want_keys)} names), got {type(keys).__name__} with {length} items.")
        if list(keys) != want_keys:
            i = next(i for i, (a, b) in enumerate(zip(keys, want_keys)) if a != b)
            raise AssertionError(f"{call}: keys[{i}] is {keys[i]!r}, expected {want_keys[i]!r} (keys[i] names "
                                 "the tensor theta[i] came from).")
    n = vectors.dictionary_to_vector(_deep_parameters())[0].shape[0]
    print(f"dictionary_to_vector passed: 12 layers -> theta ({n}, 1), order W1, b1, ..., W12, b12")


# ------------------------------------------------------------------------------------------ v2d
def _model_dict(mistake, theta, shapes):
    """What a mistake of vector_to_dictionary returns (_Missing(key): KeyError; None: a reshape fails)."""
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


def _offset_model(kind, theta, shapes):
    """Slices at wrong offsets: start never advanced ("zero"), or start = size instead of start += size."""
    names = vectors.parameter_order(shapes)
    out, start = {}, 0
    for name in names:
        size = int(np.prod(shapes[name]))
        if start + size > theta.shape[0]:
            return None
        out[name] = theta[start:start + size].reshape(shapes[name])
        start = 0 if kind == "zero" else size
    return out


def _dict_agrees(outcome, predicted):
    if isinstance(outcome, BaseException) or predicted is None or isinstance(predicted, _Missing):
        return _same_key_error(outcome, predicted) or (predicted is None and isinstance(outcome, ValueError))
    if not isinstance(outcome, dict) or set(outcome) != set(predicted):
        return False
    try:
        return all(np.array_equal(np.asarray(outcome[k], dtype=float), predicted[k]) for k in predicted)
    except (TypeError, ValueError):
        return False


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


def _offset_hint(theta, shapes, got):
    """Where the wrong tensors' entries sit in theta, when each is a contiguous (row-major) slice of it."""
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
            return ""
        found.append(f"{name} holds theta[{where[0]}:{where[0] + size}], but its entries are "
                     f"theta[{starts[name]}:{starts[name] + size}]")
    if not found:
        return ""
    return ("wrong slice offsets: " + "; ".join(found[:2]) + ". Each tensor's slice begins where the previous "
            "one ended: theta[start:start + size], then start += size.")


@exercise_check
def check_vector_to_dictionary(vector_to_dictionary):
    """vector_to_dictionary(theta, shapes) must undo dictionary_to_vector, with copies (not views) of theta."""
    cases = []
    for label, params in _parameter_cases():
        shapes = {k: tuple(int(s) for s in v.shape) for k, v in params.items()}  # in the dict's own order
        theta = vectors.dictionary_to_vector(params)[0]
        cases.append((f"vector_to_dictionary(theta, shapes) for {label}", params, theta, shapes))
    outcomes = []
    for call, _, theta, shapes in cases:
        theta_before, shapes_before = theta.copy(), list(shapes.items())
        given = dict(shapes)
        try:
            got = vector_to_dictionary(theta, given)
        except _CRASHES as error:
            outcomes.append(error)
            continue
        if got is None:
            raise AssertionError(f"{call} returned None. Did you forget `return parameters`?")
        if theta.shape != theta_before.shape or not np.array_equal(theta, theta_before):
            raise AssertionError(f"{call} changed theta: read from it, do not modify it.")
        if list(given.items()) != shapes_before:
            raise AssertionError(f"{call} changed the shapes dict it was given: leave it as it is.")
        if not isinstance(got, dict):
            raise AssertionError(f"{call} returned {type(got).__name__}; expected a dict name -> array.")
        outcomes.append(got)

    def why(wrong=None):
        found = []
        for mistake in ("alphabetical", "layers_as_strings", "insertion", "layer_only", "b_first", "all_w_first",
                        "hard_coded", "column_major", "count"):
            if all(_dict_agrees(o, _model_dict(mistake, t, s)) for (_, _, t, s), o in zip(cases, outcomes)):
                found.append(_V2D_HINTS[mistake])
        for kind in ("zero", "size"):
            if all(_dict_agrees(o, _offset_model(kind, t, s)) for (_, _, t, s), o in zip(cases, outcomes)):
                found.append(_V2D_HINTS[kind])
        if not found and wrong is not None:
            found.append(_offset_hint(*wrong))
        return _most_likely(found)

    for (call, params, theta, shapes), got in zip(cases, outcomes):
        if isinstance(got, BaseException):
            raise AssertionError(_raised(call, got) + why())
        if set(got) != set(params):
            missing = vectors.parameter_order(set(params) - set(got)) if set(params) - set(got) else []
            extra = sorted(map(str, set(got) - set(params)))
            raise AssertionError(f"{call}: the keys are wrong; missing {missing}, unexpected {extra}." + why())
        for name in vectors.parameter_order(params):
            if np.shape(got[name]) != params[name].shape:
                raise AssertionError(f"{call}: {name} has shape {np.shape(got[name])}, expected {params[name].shape} "
                                     f"(reshape the slice with .reshape(shapes[{name!r}])).")
        wrong = [name for name in vectors.parameter_order(params) if not np.array_equal(got[name], params[name])]
        if wrong:
            raise AssertionError(f"{call}: wrong values in {', '.join(wrong)} (W1 is the first W1.size entries of "
                                 "theta, b1 the next b1.size, then W2, b2, ..., each reshaped row-major to its shape)."
                                 + why((theta, shapes, got)))
    for (call, params, theta, _), got in zip(cases, outcomes):
        views = [name for name in vectors.parameter_order(params) if np.shares_memory(got[name], theta)]
        if views:
            raise AssertionError(f"{call}: {', '.join(views)} share{'s' if len(views) == 1 else ''} memory with theta "
                                 "(views, not copies): a later change to theta, such as thetaplus[i] += epsilon, "
                                 "would change them too.\nMost likely: you returned theta[start:end].reshape(shape) "
                                 "without .copy(): copy each piece, theta[start:end].reshape(shape).copy().")
    print("vector_to_dictionary passed: the 12-layer net round-trips exactly")


# ------------------------------------------------------------------------------------------ g2v
_G2V_HINTS = dict(_order_hints(W="dW", b="db", name="count its dW keys"))
_G2V_HINTS["count"] = ("the layer count is wrong: len(gradients) also counts the dZ and dA entries; count the "
                       "dW keys instead.")


@exercise_check
def check_gradients_to_vector(gradients_to_vector):
    """gradients_to_vector(gradients) must return the dW, db in the order dW1, db1, ..., dWL, dbL, shape (n, 1)."""
    cases = _gradient_cases()
    outcomes = []
    for label, gradients in cases:
        call = f"gradients_to_vector({label})"
        given = {k: np.array(v, copy=True) for k, v in gradients.items()}
        before = _snapshot(given)
        try:
            got = gradients_to_vector(given)
        except _CRASHES as error:
            if isinstance(error, KeyError) and isinstance(error.args[0] if error.args else None, str) \
                    and _BASE.fullmatch(error.args[0]) and "d" + error.args[0] in gradients:
                raise AssertionError(f"{_raised(call, error)}\nMost likely: the gradient keys start with a 'd': "
                                     f"gradients['d{error.args[0]}'], not gradients[{error.args[0]!r}] (you forgot "
                                     "the d prefix).") from None
            outcomes.append(error)
            continue
        if got is None:
            raise AssertionError(f"{call} returned None. Did you forget `return`?")
        _require_unchanged(call, given, before, "gradients")
        _require_not_aliased(call, got, given, "gradients")
        outcomes.append(got)

    def why():
        return _most_likely(_vector_hints([g for _, g in cases], outcomes, "d", _G2V_HINTS,
                                          lambda d: len(d) // 2))

    for (label, gradients), got in zip(cases, outcomes):
        call = f"gradients_to_vector({label})"
        want = vectors.gradients_to_vector(gradients)
        if isinstance(got, BaseException):
            raise AssertionError(_raised(call, got) + why())
        if not isinstance(got, np.ndarray):
            raise AssertionError(f"{call} returned {type(got).__name__}; expected a numpy array of shape {want.shape}.")
        if got.size != want.size:
            everything = sum(np.size(v) for v in gradients.values())
            extra = ("\nMost likely: you included the dZ and dA entries; only dW1, db1, ... belong in the vector."
                     if got.size == everything else why())
            raise AssertionError(f"{call} returned {got.size} entries, expected {want.size}.{extra}")
        if got.shape != want.shape:
            raise AssertionError(f"{call} returned shape {got.shape}, expected {want.shape} (a column vector: "
                                 "reshape each gradient with .reshape(-1, 1) and concatenate along axis 0).")
        if not np.array_equal(got, want):
            raise AssertionError(f"{call}: the entries are wrong or in the wrong order, expected dW1, db1, dW2, db2, "
                                 "..., each reshaped with reshape(-1, 1)." + why())
    n = vectors.gradients_to_vector(cases[1][1]).shape[0]
    print(f"gradients_to_vector passed: 12 layers -> grad ({n}, 1), order dW1, db1, ..., dW12, db12")
