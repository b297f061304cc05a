"""Tests of course_utils/bugs.py: every bug corrupts exactly the tensors it says it does."""
import numpy as np
import pytest

from course_utils.bugs import BUGS, Bug, validate_bugs
from course_utils.network import (
    backward_propagation_deep, backward_propagation_n, forward_propagation_deep,
    forward_propagation_n, gradient_check_n_test_case, initialize_parameters)

PARAMS = ["W1", "b1", "W2", "b2", "W3", "b3"]


def test_catalog_has_the_classics_first_and_enough_bugs():
    names = list(BUGS)
    assert len(names) >= 8
    assert names[:2] == ["dW2_times_2", "db1_4_over_m"]
    for name, bug in BUGS.items():
        assert isinstance(bug, Bug) and bug.name == name
        assert bug.description and bug.buggy != bug.correct
        assert bug.corrupts and all(p in PARAMS for p in bug.corrupts)
        assert list(bug.corrupts) == [p for p in PARAMS if p in bug.corrupts]  # parameter order


def classic_gradients(bugs=(), lambd=0.0):
    X, Y, parameters = gradient_check_n_test_case()
    if lambd:
        _, cache = forward_propagation_deep(X, Y, parameters, lambd=lambd, cost_formula="classic")
        return backward_propagation_deep(X, Y, cache, bugs=bugs)
    _, cache = forward_propagation_n(X, Y, parameters)
    return backward_propagation_n(X, Y, cache, bugs=bugs)


@pytest.mark.parametrize("name", list(BUGS))
def test_bug_changes_exactly_the_tensors_it_corrupts(name):
    lambd = 0.5 if BUGS[name].needs_l2 else 0.0
    clean = classic_gradients(lambd=lambd)
    buggy = classic_gradients(bugs={name}, lambd=lambd)
    for p in PARAMS:
        if p in BUGS[name].corrupts:
            assert not np.allclose(buggy["d" + p], clean["d" + p], rtol=1e-3, atol=0), p
        else:
            assert np.array_equal(buggy["d" + p], clean["d" + p]), p  # bit-identical
        assert buggy["d" + p].shape == clean["d" + p].shape


def test_l2_term_missing_is_invisible_without_l2():
    assert BUGS["l2_term_missing"].needs_l2
    clean, buggy = classic_gradients(), classic_gradients(bugs={"l2_term_missing"})
    assert all(np.array_equal(buggy["d" + p], clean["d" + p]) for p in PARAMS)


def test_classic_bugs_scale_by_the_factors_they_describe():
    X, Y, parameters = gradient_check_n_test_case()
    clean = classic_gradients()
    buggy = classic_gradients(bugs=("dW2_times_2", "db1_4_over_m"))
    assert np.array_equal(buggy["dW2"], 2 * clean["dW2"])
    assert np.array_equal(buggy["db1"], 4 * clean["db1"])
    m3 = classic_gradients(bugs="dW3_missing_1_over_m")  # a single string is one name
    assert np.allclose(m3["dW3"], X.shape[1] * clean["dW3"], rtol=1e-14, atol=0)
    lambd = 0.5
    no_l2 = classic_gradients(bugs={"l2_term_missing"}, lambd=lambd)
    with_l2 = classic_gradients(lambd=lambd)
    for l in (1, 2, 3):  # the missing term is exactly lambd/m * W
        assert np.allclose(with_l2[f"dW{l}"] - no_l2[f"dW{l}"], lambd / 3 * parameters[f"W{l}"],
                           rtol=1e-12, atol=1e-15)


def test_unknown_bug_names_are_refused_clearly():
    with pytest.raises(ValueError, match=r"unknown bug name\(s\) \['dW9_typo'\]"):
        classic_gradients(bugs={"dW9_typo"})
    with pytest.raises(ValueError, match="unknown"):
        validate_bugs(["dW2_times_2", "nope"])
    with pytest.raises(TypeError, match="bugs must be an iterable"):
        validate_bugs(42)
    assert validate_bugs(None) == frozenset()


@pytest.mark.parametrize("name, dims", [
    ("dW3_missing_1_over_m", [4, 3, 1]),   # layer 3 in a 2-layer net
    ("relu_mask_uses_dA2", [4, 3, 1]),     # layer 2 is the sigmoid output, not a ReLU
    ("relu_grad_missing_layer1", [4, 1]),  # a 1-layer net has no hidden ReLU
])
def test_bug_in_a_layer_the_network_lacks_is_refused(name, dims):
    parameters = initialize_parameters(dims, seed=0)
    X, Y = np.ones((4, 2)), np.array([1, 0])
    _, cache = forward_propagation_deep(X, Y, parameters)
    with pytest.raises(ValueError, match=rf"bug '{name}'.*layer"):
        backward_propagation_deep(X, Y, cache, bugs={name})


def test_layer_bugs_apply_in_deeper_networks():
    parameters = initialize_parameters([4, 5, 4, 3, 1], seed=1)
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((4, 6)), np.array([1, 0, 1, 1, 0, 0])
    _, cache = forward_propagation_deep(X, Y, parameters)
    clean = backward_propagation_deep(X, Y, cache)
    buggy = backward_propagation_deep(X, Y, cache, bugs={"dW2_times_2"})
    assert np.array_equal(buggy["dW2"], 2 * clean["dW2"])
    assert all(np.array_equal(buggy[k], clean[k]) for k in ["dW1", "db1", "db2", "dW3", "dW4"])
