"""Tests of course_utils/activations.py: sigmoid (stable for large |z|) and relu."""
import warnings

import numpy as np
import pytest

from course_utils.activations import relu, sigmoid


def naive_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_sigmoid_large_inputs_are_exact_limits_without_warnings():
    z = np.array([-1000.0, -800.0, 800.0, 1000.0])
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        s = sigmoid(z)
    assert s[0] == 0.0 and s[1] == 0.0
    assert s[2] == 1.0 and s[3] == 1.0
    assert np.all(np.isfinite(s))


def test_sigmoid_matches_naive_formula_on_moderate_values():
    z = np.linspace(-30, 30, 241).reshape(1, -1)
    assert np.allclose(sigmoid(z), naive_sigmoid(z), rtol=1e-13, atol=0)


def test_sigmoid_hand_values_shape_and_symmetry():
    assert sigmoid(0.0) == 0.5
    assert sigmoid(np.log(3.0)) == pytest.approx(0.75, abs=1e-15)  # 1 / (1 + 1/3)
    z = np.linspace(-5, 5, 12).reshape(3, 4)
    s = sigmoid(z)
    assert s.shape == (3, 4)
    assert np.allclose(sigmoid(-z), 1 - s, rtol=0, atol=1e-15)


def test_sigmoid_accepts_integers():
    s = sigmoid(np.array([0, 2]))
    assert s.dtype == np.float64
    assert s[1] == pytest.approx(1 / (1 + np.exp(-2.0)), rel=1e-15)


def test_relu_hand_values():
    z = np.linspace(-2, 2, 9).reshape(3, 3)  # -2, -1.5, ..., 2
    expected = np.array([[0, 0, 0], [0, 0, 0.5], [1, 1.5, 2]])
    assert np.array_equal(relu(z), expected)
    assert relu(z).shape == (3, 3)
    assert relu(-0.0) == 0.0 and relu(3.5) == 3.5
