"""Tests of course_utils/vectors.py: exact round trips, numeric layer order, clear errors."""
import numpy as np
import pytest

from course_utils.network import initialize_parameters
from course_utils.vectors import dictionary_to_vector, gradients_to_vector, parameter_shapes, vector_to_dictionary

DIMS = [3, 4, 2, 5, 3, 2, 4, 3, 2, 3, 2, 4, 1]  # 12 layers: W10, W11, W12 sort before W2 as strings
L = len(DIMS) - 1


@pytest.fixture
def params():
    return initialize_parameters(DIMS, seed=5)


def numeric_names():
    return [f"{k}{l}" for l in range(1, L + 1) for k in "Wb"]


def test_dictionary_to_vector_order_and_keys_per_entry(params):
    scrambled = {k: params[k] for k in sorted(params)}  # alphabetical: W1, W10, W11, W12, W2, ...
    assert list(scrambled)[:2] == ["W1", "W10"]
    theta, keys = dictionary_to_vector(scrambled)
    expected = np.concatenate([params[n].ravel() for n in numeric_names()])  # oracle, by hand
    assert theta.shape == (expected.size, 1)
    assert np.array_equal(theta.ravel(), expected)
    expected_keys = [n for n in numeric_names() for _ in range(params[n].size)]
    assert keys == expected_keys
    assert list(dict.fromkeys(keys)) == numeric_names()
    assert keys[:DIMS[0] * DIMS[1]] == ["W1"] * 12 and keys[12:16] == ["b1"] * 4


def test_parameters_round_trip_exactly(params):
    theta, _ = dictionary_to_vector(params)
    shapes = parameter_shapes(params)
    assert list(shapes) == numeric_names()
    back = vector_to_dictionary(theta, shapes)
    assert set(back) == set(params)
    for name in params:
        assert np.array_equal(back[name], params[name]), name
    assert np.array_equal(dictionary_to_vector(back)[0], theta)
    back_1d = vector_to_dictionary(theta.ravel(), params)  # (n,) theta and a dict of arrays work too
    assert all(np.array_equal(back_1d[n], params[n]) for n in params)


def test_vector_to_dictionary_returns_copies(params):
    theta, _ = dictionary_to_vector(params)
    back = vector_to_dictionary(theta, parameter_shapes(params))
    back["W1"][0, 0] += 1.0
    assert theta[0, 0] == params["W1"][0, 0]


def test_gradients_in_the_same_order_as_parameters(params):
    rng = np.random.default_rng(0)
    grads = {"d" + k: rng.standard_normal(v.shape) for k, v in params.items()}
    grads.update({f"dZ{l}": np.ones(3) for l in range(1, L + 1)}, dA1=np.ones(2))  # ignored keys
    scrambled = dict(reversed(list(grads.items())))
    g = gradients_to_vector(scrambled)
    expected = np.concatenate([grads["d" + n].ravel() for n in numeric_names()])
    assert g.shape == (expected.size, 1)
    assert np.array_equal(g.ravel(), expected)
    assert np.array_equal(gradients_to_vector(grads, params), g)
    back = vector_to_dictionary(g, parameter_shapes(params))
    assert all(np.array_equal(back[n], grads["d" + n]) for n in params)


def test_missing_and_extra_keys_are_refused(params):
    missing = dict(params)
    del missing["b3"]
    with pytest.raises(ValueError, match=r"parameters.*missing \['b3'\]"):
        dictionary_to_vector(missing)
    with pytest.raises(ValueError, match=r"unexpected \['W14'\]"):
        dictionary_to_vector(dict(params, W14=np.ones((1, 1))))
    with pytest.raises(ValueError, match="parameters has key 'weights'"):
        dictionary_to_vector(dict(params, weights=np.ones(2)))
    with pytest.raises(ValueError, match="empty"):
        dictionary_to_vector({})
    with pytest.raises(TypeError, match="parameters must be a dict"):
        dictionary_to_vector([np.ones(2)])
    grads = {"d" + k: v for k, v in params.items()}
    del grads["dW7"]
    with pytest.raises(ValueError, match=r"gradients is missing \['dW7'\]"):
        gradients_to_vector(grads, params)
    with pytest.raises(ValueError, match="gradients.*missing"):
        gradients_to_vector(grads)


def test_bad_values_and_shapes_are_refused(params):
    theta, _ = dictionary_to_vector(params)
    shapes = parameter_shapes(params)
    with pytest.raises(ValueError, match=rf"theta has {theta.size - 1} entries but shapes need {theta.size}"):
        vector_to_dictionary(theta[:-1], shapes)
    with pytest.raises(ValueError, match=r"theta must be a vector of shape \(n, 1\)"):
        vector_to_dictionary(theta.reshape(-1, 2) if theta.size % 2 == 0 else np.ones((2, 3)), shapes)
    with pytest.raises(ValueError, match=r"shapes\['W2'\] must be a tuple of non-negative ints"):
        vector_to_dictionary(theta, dict(shapes, W2=(2, -1)))
    with pytest.raises(ValueError, match=r"shapes\['b1'\]"):
        vector_to_dictionary(theta, dict(shapes, b1=(4.0, 1)))
    with pytest.raises(TypeError, match=r"parameters\['W1'\] must hold floats"):
        dictionary_to_vector(dict(params, W1=np.ones((4, 3), dtype=int)))
    with pytest.raises(ValueError, match=r"parameters\['b2'\] must hold finite values"):
        dictionary_to_vector(dict(params, b2=np.full((2, 1), np.nan)))
    grads = {"d" + k: v for k, v in params.items()}
    grads["dW3"] = grads["dW3"].T
    with pytest.raises(ValueError, match=r"gradients\['dW3'\] has shape \(2, 5\), expected \(5, 2\)"):
        gradients_to_vector(grads, params)
