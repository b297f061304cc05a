"""Checks of notebook 03 flatten parameters into one vector."""
import numpy as np

from course_utils import network, vectors
from course_utils.checks._common import (
    DEEP_DIMS,
    SEED,
    _copy_dict,
    _deep_parameters,
    _fmt,
    _reports_stubs,
    _require_function,
    _same_arrays,
)


def _scrambled(d):
    """The same dict, inserted in reverse order (the order of a dict must not matter)."""
    return {k: d[k] for k in reversed(list(d))}


def _alphabetical_vector(d, prefix=""):
    names = sorted(k for k in d if k[len(prefix):][:1] in ("W", "b"))
    return np.concatenate([np.reshape(d[k], (-1, 1)) for k in names])


def _insertion_vector(d):
    names = [k for k in d if k[1:2] in ("W", "b") or k[:1] in ("W", "b")]
    names = [k for k in names if not k.startswith(("dZ", "dA"))]
    return np.concatenate([np.reshape(d[k], (-1, 1)) for k in names])


def _vector_order_hint(theta, d, prefix=""):
    """Why `theta` has the right entries in the wrong order, if it is one of the classic orders."""
    theta = np.asarray(theta).reshape(-1, 1)
    try:
        if np.array_equal(theta, _alphabetical_vector(d, prefix)):
            return ("the names were sorted as strings (alphabetically), so W10, W11, W12 come before W2 and the "
                    "b's after all the W's: order them by layer number, W1, b1, W2, b2, ..., W12, b12.")
        if np.array_equal(theta, _insertion_vector(d)):
            return ("you followed the dictionary's insertion order, which is not guaranteed to be the layer order "
                    "(this dict was filled from the last layer): build the order from the layer numbers, "
                    "for l in 1..L: W, then b.")
        names = vectors.parameter_order({k[len(prefix):]: 0 for k in d
                                         if k[len(prefix):][:1] in ("W", "b") and k[len(prefix):][1:].isdigit()})
        column_major = np.concatenate([np.reshape(d[prefix + k], (-1, 1), order="F") for k in names])
        if np.array_equal(theta, column_major):
            return ("inside each tensor the entries must follow numpy's row-major order, "
                    "reshape(-1, 1) (you used column order: a transpose or order='F').")
    except (ValueError, KeyError):
        pass
    return ""


@_reports_stubs("dictionary_to_vector")
def check_dictionary_to_vector(dictionary_to_vector):
    """dictionary_to_vector(parameters) must return (theta (n, 1), keys) in the order W1, b1, ..., WL, bL."""
    _require_function(dictionary_to_vector, "dictionary_to_vector")
    _, _, classic = network.gradient_check_n_test_case()
    deep = _deep_parameters()
    for label, params in (("the classic parameters", classic), ("a 12-layer net", deep),
                          ("a 12-layer net, dict filled from layer 12 down", _scrambled(deep))):
        want_theta, want_keys = vectors.dictionary_to_vector(params)
        before = _copy_dict(params)
        call = f"dictionary_to_vector({label})"
        result = dictionary_to_vector(params)
        if result is None:
            raise AssertionError(f"{call} returned None. Did you forget `return theta, keys`?")
        if not _same_arrays(params, before):
            raise AssertionError(f"{call} changed the parameters it was given: work on copies.")
        if not isinstance(result, tuple) or len(result) != 2:
            raise AssertionError(f"{call} returned {_fmt(result)}; expected a pair (theta, keys).")
        theta, keys = result
        if not isinstance(theta, np.ndarray) or theta.shape != want_theta.shape:
            shape = getattr(theta, "shape", type(theta).__name__)
            raise AssertionError(f"{call}: theta has shape {shape}, expected {want_theta.shape} (a column "
                                 "vector: reshape each tensor with .reshape(-1, 1) and np.concatenate them along axis 0).")
        if not np.array_equal(theta, want_theta):
            hint = _vector_order_hint(theta, params)
            raise AssertionError(f"{call}: theta has the wrong entries or order, expected "
                                 "W1, b1, W2, b2, ..., WL, bL, each tensor reshaped with reshape(-1, 1)."
                                 + (f"\nMost likely: {hint}" if hint else ""))
        if not isinstance(keys, (list, tuple)) or len(keys) != len(want_keys):
            length = len(keys) if hasattr(keys, "__len__") else "no"
            raise AssertionError(f"{call}: keys must be a list with one name per entry of theta "
                                 f"({len(want_keys)} names), got {type(keys).__name__} with {length} items.")
        if list(keys) != want_keys:
            i = next(i for i, (a, b) in enumerate(zip(keys, want_keys)) if a != b)
            raise AssertionError(f"{call}: keys[{i}] is {keys[i]!r}, expected {want_keys[i]!r} (keys[i] names "
                                 "the tensor theta[i] came from).")
    n = vectors.dictionary_to_vector(deep)[0].shape[0]
    print(f"dictionary_to_vector passed: 12 layers -> theta of shape ({n}, 1), order W1, b1, ..., W12, b12")


def _split(theta, shapes, names):
    """theta cut into tensors taken in the order `names` (to recognise a wrong-order answer)."""
    out, start = {}, 0
    for name in names:
        size = int(np.prod(shapes[name]))
        out[name] = theta[start:start + size].reshape(shapes[name])
        start += size
    return out


@_reports_stubs("vector_to_dictionary")
def check_vector_to_dictionary(vector_to_dictionary):
    """vector_to_dictionary(theta, shapes) must undo dictionary_to_vector."""
    _require_function(vector_to_dictionary, "vector_to_dictionary")
    _, _, classic = network.gradient_check_n_test_case()
    deep = _deep_parameters()
    for label, params in (("the classic parameters", classic), ("a 12-layer net", deep)):
        for shapes in (vectors.parameter_shapes(params), _scrambled(vectors.parameter_shapes(params))):
            theta = vectors.dictionary_to_vector(params)[0]
            theta_before = theta.copy()
            call = f"vector_to_dictionary(theta, shapes) for {label}"
            got = vector_to_dictionary(theta, dict(shapes))
            if got is None:
                raise AssertionError(f"{call} returned None. Did you forget `return parameters`?")
            if not np.array_equal(theta, theta_before):
                raise AssertionError(f"{call} changed theta: read from it, do not modify it.")
            if not isinstance(got, dict):
                raise AssertionError(f"{call} returned {type(got).__name__}; expected a dict name -> array.")
            if set(got) != set(params):
                missing = vectors.parameter_order(set(params) - set(got)) if set(params) - set(got) else []
                extra = sorted(map(str, set(got) - set(params)))
                raise AssertionError(f"{call}: the keys are wrong; missing {missing}, unexpected {extra}.")
            for name in vectors.parameter_order(params):
                value = got[name]
                if np.shape(value) != params[name].shape:
                    raise AssertionError(f"{call}: {name} has shape {np.shape(value)}, expected {params[name].shape} "
                                         f"(reshape the slice with .reshape(shapes[{name!r}])).")
            wrong = [name for name in vectors.parameter_order(params) if not np.array_equal(got[name], params[name])]
            if wrong:
                hint = ""
                alpha = _split(theta, shapes, sorted(shapes))
                if all(np.array_equal(got[k], alpha[k]) for k in params):
                    hint = ("the names were taken in string order (W10 before W2, all W's before the b's): "
                            "take them by layer number, W1, b1, W2, b2, ...")
                else:
                    ins = _split(theta, shapes, list(shapes))
                    if all(np.array_equal(got[k], ins[k]) for k in params):
                        hint = ("you followed the order of the shapes dict, which need not be the layer order: "
                                "take the names by layer number, W1, b1, W2, b2, ...")
                raise AssertionError(f"{call}: wrong values in {', '.join(wrong)} (the slices of theta must be taken "
                                     "in the order W1, b1, W2, b2, ..., WL, bL)." + (f"\nMost likely: {hint}" if hint else ""))
    print("vector_to_dictionary passed: the 12-layer net round-trips exactly")


@_reports_stubs("gradients_to_vector")
def check_gradients_to_vector(gradients_to_vector):
    """gradients_to_vector(gradients) must return the dW, db in the order dW1, db1, ..., dWL, dbL, shape (n, 1)."""
    _require_function(gradients_to_vector, "gradients_to_vector")
    rng = np.random.default_rng(SEED)
    deep = _deep_parameters()
    X = rng.standard_normal((DEEP_DIMS[0], 5))
    Y = np.array([[1, 0, 1, 1, 0]])
    cases = [("the backward pass of a 12-layer net (keys dZ12, dW12, db12, dA11, ...)",
              network.NetworkCost(X, Y).gradients(deep))]
    X, Y, classic = network.gradient_check_n_test_case()
    _, cache = network.forward_propagation_n(X, Y, classic)
    cases.append(("the classic backward pass", network.backward_propagation_n(X, Y, cache)))
    for label, gradients in cases:
        want = vectors.gradients_to_vector(gradients)
        call = f"gradients_to_vector({label})"
        got = gradients_to_vector(_copy_dict(gradients))
        if got is None:
            raise AssertionError(f"{call} returned None. Did you forget `return`?")
        if not isinstance(got, np.ndarray):
            raise AssertionError(f"{call} returned {type(got).__name__}; expected a numpy array of shape {want.shape}.")
        if got.size != want.size:
            extra = ("; did you include the dZ and dA entries? Only dW1, db1, ... belong in the vector"
                     if got.size > want.size else "")
            raise AssertionError(f"{call} returned {got.size} entries, expected {want.size}{extra}.")
        if got.shape != want.shape:
            raise AssertionError(f"{call} returned shape {got.shape}, expected {want.shape} (a column vector).")
        if not np.array_equal(got, want):
            hint = _vector_order_hint(got, gradients, prefix="d")
            raise AssertionError(f"{call}: the entries are in the wrong order, expected dW1, db1, dW2, db2, ..., "
                                 "each reshaped with reshape(-1, 1)." + (f"\nMost likely: {hint}" if hint else ""))
    n = vectors.gradients_to_vector(cases[0][1]).shape[0]
    print(f"gradients_to_vector passed: 12 layers -> ({n}, 1) in the order dW1, db1, ..., dW12, db12")
