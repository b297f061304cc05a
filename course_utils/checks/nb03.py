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

When the answer is wrong, a known mistake (a record of course_utils.expect.nb03) is named only when it
explains the answer on EVERY input, and no other mistake does (course_utils.expect.mistakes.explain; e.g.
sorting the names as strings and "all W's, then all b's" agree for 3 layers, not for 12), so a
coincidence on one input cannot name the wrong mistake; the AssertionError carries the mistake's id.
Errors the student's code raises for a known reason (KeyError 'W1' in gradients_to_vector: the missing
d prefix; KeyError 'W2' on a 1-layer net: a hard-coded layer count) become an AssertionError naming it;
any other error propagates unchanged.
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
from course_utils.expect.mistakes import explain, explaining, failure
from course_utils.expect.nb03 import (
    D2V_MISTAKES,
    G2V_EVERYTHING,
    G2V_MISTAKES,
    G2V_NO_D_PREFIX,
    V2D_MISTAKES,
    V2D_VIEWS,
    DictCase,
    SlicesCase,
    dict_agrees,
    offset_mistake,
    vector_agrees,
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


def _raised(call, error):
    return f"{call} raised {type(error).__name__}: {error}."


# ------------------------------------------------------------------------------------------ d2v
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
    dicts = [DictCase(params, "", len(params)) for _, params in cases]

    def why():
        return explain(D2V_MISTAKES, dicts, [o if isinstance(o, BaseException) else o[0] for o in outcomes],
                       vector_agrees)

    for (label, params), outcome in zip(cases, outcomes):
        call = f"dictionary_to_vector({label})"
        want_theta, want_keys = vectors.dictionary_to_vector(params)
        if isinstance(outcome, BaseException):
            raise failure(_raised(call, outcome), why())
        theta, keys = outcome
        if not isinstance(theta, np.ndarray) or theta.shape != want_theta.shape:
            shape = getattr(theta, "shape", type(theta).__name__)
            if isinstance(theta, np.ndarray) and theta.size == want_theta.size:
                raise AssertionError(f"{call}: theta has shape {shape}, expected {want_theta.shape}: a column vector "
                                     "(reshape each tensor with .reshape(-1, 1) and np.concatenate them along axis 0).")
            raise failure(f"{call}: theta has shape {shape}, expected {want_theta.shape} "
                          f"({want_theta.size} entries, one per parameter).", why())
        if not np.array_equal(theta, want_theta):
            raise failure(f"{call}: theta has the wrong entries or order, expected "
                          "W1, b1, W2, b2, ..., WL, bL, each tensor reshaped with reshape(-1, 1).", why())
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

    slices = [SlicesCase(theta, shapes) for _, _, theta, shapes in cases]

    def why(wrong=None):
        found = explaining(V2D_MISTAKES, slices, outcomes, dict_agrees)
        if not found and wrong is not None:
            return offset_mistake(*wrong)
        return found[0] if len(found) == 1 else None

    for (call, params, theta, shapes), got in zip(cases, outcomes):
        if isinstance(got, BaseException):
            raise failure(_raised(call, got), why())
        if set(got) != set(params):
            missing = vectors.parameter_order(set(params) - set(got)) if set(params) - set(got) else []
            extra = sorted(map(str, set(got) - set(params)))
            raise failure(f"{call}: the keys are wrong; missing {missing}, unexpected {extra}.", why())
        for name in vectors.parameter_order(params):
            if np.shape(got[name]) != params[name].shape:
                raise AssertionError(f"{call}: {name} has shape {np.shape(got[name])}, expected {params[name].shape} "
                                     f"(reshape the slice with .reshape(shapes[{name!r}])).")
        wrong = [name for name in vectors.parameter_order(params) if not np.array_equal(got[name], params[name])]
        if wrong:
            raise failure(f"{call}: wrong values in {', '.join(wrong)} (W1 is the first W1.size entries of "
                          "theta, b1 the next b1.size, then W2, b2, ..., each reshaped row-major to its shape).",
                          why((SlicesCase(theta, shapes), got)))
    for (call, params, theta, _), got in zip(cases, outcomes):
        views = [name for name in vectors.parameter_order(params) if np.shares_memory(got[name], theta)]
        if views:
            raise failure(f"{call}: {', '.join(views)} share{'s' if len(views) == 1 else ''} memory with theta "
                          "(views, not copies): a later change to theta, such as thetaplus[i] += epsilon, "
                          "would change them too.", V2D_VIEWS)
    print("vector_to_dictionary passed: the 12-layer net round-trips exactly")


# ------------------------------------------------------------------------------------------ g2v
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
                raise failure(_raised(call, error),
                              G2V_NO_D_PREFIX.filled(key=error.args[0], key_repr=repr(error.args[0]))) from None
            outcomes.append(error)
            continue
        if got is None:
            raise AssertionError(f"{call} returned None. Did you forget `return`?")
        _require_unchanged(call, given, before, "gradients")
        _require_not_aliased(call, got, given, "gradients")
        outcomes.append(got)

    dicts = [DictCase(g, "d", len(g) // 2) for _, g in cases]

    def why():
        return explain(G2V_MISTAKES, dicts, outcomes, vector_agrees)

    for (label, gradients), got in zip(cases, outcomes):
        call = f"gradients_to_vector({label})"
        want = vectors.gradients_to_vector(gradients)
        if isinstance(got, BaseException):
            raise failure(_raised(call, got), why())
        if not isinstance(got, np.ndarray):
            raise AssertionError(f"{call} returned {type(got).__name__}; expected a numpy array of shape {want.shape}.")
        if got.size != want.size:
            everything = sum(np.size(v) for v in gradients.values())
            raise failure(f"{call} returned {got.size} entries, expected {want.size}.",
                          G2V_EVERYTHING if got.size == everything else why())
        if got.shape != want.shape:
            raise AssertionError(f"{call} returned shape {got.shape}, expected {want.shape} (a column vector: "
                                 "reshape each gradient with .reshape(-1, 1) and concatenate along axis 0).")
        if not np.array_equal(got, want):
            raise failure(f"{call}: the entries are wrong or in the wrong order, expected dW1, db1, dW2, db2, "
                          "..., each reshaped with reshape(-1, 1).", why())
    n = vectors.gradients_to_vector(cases[1][1]).shape[0]
    print(f"gradients_to_vector passed: 12 layers -> grad ({n}, 1), order dW1, db1, ..., dW12, db12")
