"""Tests of course_utils/gradcheck.py and course_utils/differences.py (the numbers it is made of).

Oracles: hand-computed values, a quadratic built from np.linspace, the published numbers of the
classic assignment, and the one-entry-at-a-time loop for the batched fast path. For the causes
("bug", "epsilon too large", "round-off", "kink"): which tensors a bug corrupts is read off the
gradients themselves (buggy vs correct backprop), truncation is checked against the epsilon^2 law of
centered differences, round-off against a cost rounded on purpose and against float32.
"""
import re

import numpy as np
import pytest

from course_utils import differences, gradcheck, verdicts
from course_utils.backprop import backward_propagation_n
from course_utils.bugs import BUGS, validate_bugs
from course_utils.fastcost import NetworkCost, classic_cost
from course_utils.gradcheck import check_directions, check_gradients, numerical_gradient, relative_difference
from course_utils.network import (
    forward_propagation_n,
    gradient_check_n_test_case,
    initialize_parameters,
)
from course_utils.vectors import dictionary_to_vector, gradients_to_vector, parameter_shapes, vector_to_dictionary


def deep_case(dims, seed=0, m=6, **cost_kwargs):
    """(cost, parameters, correct gradients) for a random deep net with fixed data."""
    rng = np.random.default_rng(1000 + seed)
    X = rng.standard_normal((dims[0], m))
    Y = (rng.random(m) < 0.5).astype(float)
    parameters = initialize_parameters(dims, seed=seed)
    cost = NetworkCost(X, Y, **cost_kwargs)
    return cost, parameters, cost.gradients(parameters)


def scaled(gradients, name, k):
    out = dict(gradients)
    out["d" + name] = gradients["d" + name] * k
    return out


# ------------------------------------------------------------------ relative_difference


def test_relative_difference_hand_cases():
    assert relative_difference(np.array([3.0, 4.0]), np.array([3.0, 4.0])) == 0.0
    assert relative_difference(np.array([3.0, 4.0]), np.zeros(2)) == 1.0
    assert relative_difference(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(np.sqrt(2) / 2, abs=1e-15)
    # ||g|| = 3, ||2g|| = 6, ||g - 2g|| = 3: 3 / 9
    assert relative_difference(np.array([1.0, 2.0, 2.0]), np.array([2.0, 4.0, 4.0])) == pytest.approx(1 / 3, abs=1e-15)
    assert relative_difference(np.zeros((3, 1)), np.zeros(3)) == 0.0  # both zero: 0, not NaN
    col, flat = np.array([[1.0], [2.0], [2.0]]), np.array([2.0, 4.0, 4.0])  # (n,1) vs (n,): no broadcasting
    assert relative_difference(col, flat) == pytest.approx(1 / 3, abs=1e-15)
    assert isinstance(relative_difference(col, flat), float)


def test_relative_difference_refuses_mismatched_sizes():
    with pytest.raises(ValueError, match="grad has 3 entries but gradapprox has 2"):
        relative_difference(np.ones(3), np.ones(2))


# ------------------------------------------------------------------ numerical_gradient


def test_numerical_gradient_of_a_quadratic_built_from_linspace():
    A = np.linspace(-1, 1, 36).reshape(6, 6)
    Q = A.T @ A + np.eye(6)
    c = np.linspace(0.5, -0.5, 6).reshape(6, 1)
    theta = np.linspace(-2, 3, 6).reshape(6, 1)
    cost = lambda t: float(0.5 * t.ravel() @ Q @ t.ravel() + c.ravel() @ t.ravel())
    approx = numerical_gradient(cost, theta, epsilon=1e-5)
    assert approx.shape == (6, 1) and approx.dtype == np.float64
    assert np.allclose(approx, Q @ theta + c, rtol=0, atol=1e-8)
    assert numerical_gradient(cost, theta.ravel(), epsilon=1e-5).shape == (6,)


def test_numerical_gradient_is_centered_hand_case():
    # d/dx x^3 by centered differences is exactly 3x^2 + eps^2 (a forward difference adds 3x eps)
    theta = np.array([1.0, -2.0, 0.5])
    eps = 1e-2
    approx = numerical_gradient(lambda t: float(np.sum(t ** 3)), theta, epsilon=eps)
    assert np.allclose(approx, 3 * theta ** 2 + eps ** 2, rtol=0, atol=1e-11)


def test_theta_is_not_modified_even_if_cost_raises():
    theta = np.linspace(0, 1, 5).reshape(5, 1)
    original = theta.copy()
    calls = []

    def cost(t):
        calls.append(t.copy())
        if len(calls) == 4:  # the minus side of entry 1
            raise RuntimeError("boom")
        return float(np.sum(t))

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(cost, theta, epsilon=0.1)
    assert np.array_equal(theta, original)
    assert calls[1][0, 0] == original[0, 0] - 0.1 and calls[2][0, 0] == original[0, 0]  # restored for entry 1

    X, Y, parameters = gradient_check_n_test_case()
    before = {k: v.copy() for k, v in parameters.items()}
    _, cache = forward_propagation_n(X, Y, parameters)
    grads = backward_propagation_n(X, Y, cache)
    count = []

    def flaky(p):
        count.append(1)
        if len(count) == 10:
            raise RuntimeError("flaky")
        return forward_propagation_n(X, Y, p)[0]

    with pytest.raises(RuntimeError, match="flaky"):
        check_gradients(flaky, parameters, grads)
    assert all(np.array_equal(parameters[k], before[k]) for k in before)


# ------------------------------------------------------------------ the classic numbers


@pytest.fixture(scope="module")
def classic():
    X, Y, parameters = gradient_check_n_test_case()
    _, cache = forward_propagation_n(X, Y, parameters)
    buggy = backward_propagation_n(X, Y, cache, bugs=("dW2_times_2", "db1_4_over_m"))
    fixed = backward_propagation_n(X, Y, cache)
    return X, Y, parameters, buggy, fixed


def plain_loop_difference(X, Y, parameters, gradients, epsilon=1e-7):
    """The original assignment's number: numerical_gradient over theta, then relative_difference."""
    theta, _ = dictionary_to_vector(parameters)
    shapes = parameter_shapes(parameters)
    approx = numerical_gradient(lambda t: forward_propagation_n(X, Y, vector_to_dictionary(t, shapes))[0], theta, epsilon)
    return relative_difference(gradients_to_vector(gradients, parameters), approx), approx.ravel()


def test_classic_numbers_with_both_bugs(classic):
    X, Y, parameters, buggy, _ = classic
    result = check_gradients(classic_cost(X, Y), parameters, buggy)
    assert abs(result.difference - 0.2851) < 1e-4
    # bit for bit the plain loop's number: the second look decides causes, it never changes the difference
    assert result.difference == plain_loop_difference(X, Y, parameters, buggy)[0]
    assert abs(result.block_differences["W2"] - 1 / 3) < 1e-6
    assert abs(result.block_differences["b1"] - 3 / 5) < 1e-6
    assert result.suspects == ["b1", "W2"]  # parameter order
    assert list(result.causes) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    assert [result.causes[n] for n in ("b1", "W2")] == ["bug", "bug"]
    assert all(result.causes[n] in ("ok", "round-off") for n in ("W1", "b2", "W3", "b3"))
    assert result.verdict == "bug"
    assert result.summary() == "b1 and W2 look wrong; everything else agrees to 1e-06."
    assert result.recheck_epsilon == pytest.approx(1e-8, rel=1e-12)
    # each stays put at epsilon / 10: a factor k error does not depend on epsilon
    assert result.recheck_ratios["b1"] == pytest.approx(1, abs=1e-3)
    assert result.recheck_ratios["W2"] == pytest.approx(1, abs=1e-3)


def test_classic_numbers_without_bugs(classic):
    X, Y, parameters, _, fixed = classic
    result = check_gradients(classic_cost(X, Y), parameters, fixed)
    assert abs(result.difference - 1.19e-7) < 1e-9
    assert 1e-7 < result.difference < 2e-7  # why the threshold is 2e-7
    assert result.suspects == [] and result.kink_tensors == []
    assert result.verdict == "pass"
    assert not result.rechecked.any() and result.recheck_ratios == {}  # nothing above round-off: no second look
    # the same numbers as the plain loop over theta through numerical_gradient, bit for bit
    difference, approx = plain_loop_difference(X, Y, parameters, fixed)
    assert result.difference == difference
    assert np.array_equal(result.gradapprox, approx)


# ------------------------------------------------------------------ verdicts on deep nets


@pytest.mark.parametrize("dims, seed", [([5, 4, 3, 1], 0), ([6, 5, 1], 1), ([3, 4, 4, 4, 1], 2), ([4, 1], 3)])
@pytest.mark.parametrize("lambd", [0.0, 0.5])
def test_correct_gradients_are_never_suspects(dims, seed, lambd):
    cost, parameters, grads = deep_case(dims, seed=seed, lambd=lambd)
    result = check_gradients(cost, parameters, grads)
    assert result.suspects == []
    assert result.verdict != "bug"
    loop = check_gradients(lambda p: cost(p), parameters, grads)  # a plain function: the loop path
    assert loop.suspects == []


@pytest.mark.parametrize("name", ["W1", "b1", "W2", "b2", "W3", "b3"])
def test_one_tensor_scaled_by_1_01_is_exactly_the_suspect(name):
    cost, parameters, grads = deep_case([4, 3, 2, 1], seed=4)
    result = check_gradients(cost, parameters, scaled(grads, name, 1.01))
    assert result.suspects == [name]
    assert result.block_differences[name] == pytest.approx(0.01 / 2.01, rel=1e-4)
    assert result.verdict == "bug"


def kink_case():
    """A net whose Z1[0, 0] is 1e-9: perturbing W1[0, :] or b1[0] by 1e-5 crosses the ReLU kink."""
    cost, parameters, _ = deep_case([3, 4, 3, 1], seed=1, m=5)
    X = cost.X
    parameters["b1"][0, 0] = 1e-9 - parameters["W1"][0] @ X[:, 0]
    return cost, parameters, cost.gradients(parameters)


@pytest.mark.parametrize("path", ["fast", "loop"])
def test_kink_is_reported_not_suspected(path):
    cost, parameters, grads = kink_case()
    assert abs(cost.forward(parameters)[1].Z[1][0, 0] - 1e-9) < 1e-15
    if path == "loop":  # the classic formula has no fast path, so the checker loops
        cost = NetworkCost(cost.X, cost.Y, cost_formula="classic")
    result = check_gradients(cost, parameters, grads, epsilon=1e-5)
    kink_entries = [0, 1, 2, 12]  # W1[0, 0..2] (W1 is 4x3) and b1[0] (b1 starts at 12)
    assert list(np.flatnonzero(result.kinks)) == kink_entries
    assert result.kink_tensors == ["W1", "b1"]
    assert result.suspects == []
    assert result.difference > result.threshold and result.verdict == "kink"
    assert "ReLU kinks" in result.summary()
    w1 = np.asarray(result.keys) == "W1"
    assert np.nanargmax(np.where(w1, result.errors, np.nan)) in kink_entries  # largest error at a kink


def test_a_real_bug_next_to_a_kink_is_still_caught():
    cost, parameters, grads = kink_case()
    result = check_gradients(cost, parameters, scaled(grads, "W2", 2.0), epsilon=1e-5)
    assert result.suspects == ["W2"]
    assert result.kink_tensors == ["W1", "b1"]


def test_sampling_covers_every_tensor_and_is_reproducible():
    cost, parameters, grads = deep_case([6, 8, 5, 1], seed=5, m=7)
    n = dictionary_to_vector(parameters)[0].size
    a = check_gradients(cost, parameters, grads, sample=20, seed=3)
    b = check_gradients(cost, parameters, grads, sample=20, seed=3)
    c = check_gradients(cost, parameters, grads, sample=20, seed=4)
    keys = np.asarray(a.keys)
    for name in parameters:
        assert a.checked[keys == name].any(), name
    assert 14 <= a.checked.sum() <= 26 and a.checked.sum() < n
    assert np.array_equal(a.checked, b.checked)
    assert np.array_equal(a.gradapprox, b.gradapprox, equal_nan=True)
    assert not np.array_equal(a.checked, c.checked)
    assert np.all(np.isnan(a.gradapprox[~a.checked])) and not np.any(np.isnan(a.gradapprox[a.checked]))
    full = check_gradients(cost, parameters, grads)
    assert np.allclose(a.gradapprox[a.checked], full.gradapprox[a.checked], rtol=0, atol=1e-12)
    assert check_gradients(cost, parameters, scaled(grads, "W2", 2.0), sample=20).suspects == ["W2"]
    with pytest.raises(ValueError, match="sample must be an int >= the number of tensors"):
        check_gradients(cost, parameters, grads, sample=3)


def test_results_are_identical_run_to_run():
    cost, parameters, grads = deep_case([5, 7, 4, 1], seed=6, m=9, lambd=0.1, keep_prob=0.8, dropout_seed=2)
    a = check_gradients(cost, parameters, grads)
    b = check_gradients(cost, parameters, grads)
    assert a.difference == b.difference and a.block_differences == b.block_differences
    assert np.array_equal(a.gradapprox, b.gradapprox) and np.array_equal(a.kinks, b.kinks)
    assert a.suspects == b.suspects == []


# ------------------------------------------------------------------ the fast path vs the loop


@pytest.mark.parametrize("dims", [[10, 16, 8, 1], [6, 7, 5, 4, 1]])  # the second has a hidden-to-hidden product
@pytest.mark.parametrize("kwargs", [{}, {"lambd": 0.7}, {"keep_prob": 0.8, "dropout_seed": 5},
                                    {"lambd": 0.3, "keep_prob": 0.6, "dropout_seed": 9}])
def test_fast_path_agrees_with_the_loop_entry_by_entry(dims, kwargs):
    cost, parameters, _ = deep_case(dims, seed=7, m=20, **kwargs)
    assert cost.has_fast_path
    theta, _ = dictionary_to_vector(parameters)
    n = theta.shape[0]
    fast, fast_kinks, J = cost.central_differences(parameters, 1e-7)
    loop, loop_kinks, J_loop = differences.loop_differences(cost, parameters, theta, np.arange(n), 1e-7)
    assert np.max(np.abs(fast - loop)) < 1e-8
    assert np.array_equal(fast_kinks, loop_kinks)
    assert J == J_loop
    shapes = parameter_shapes(parameters)  # and the most naive oracle of all
    approx = numerical_gradient(lambda t: cost(vector_to_dictionary(t, shapes)), theta).ravel()
    assert np.max(np.abs(fast - approx)) < 1e-8
    assert np.max(np.abs(fast)) > 1e-3
    small = cost.central_differences(parameters, 1e-7, batch_size=3)[0]  # batching changes nothing
    assert np.max(np.abs(small - fast)) < 1e-12


# ------------------------------------------------------------------ check_directions


def test_check_directions_passes_a_correct_gradient():
    cost, parameters, grads = deep_case([5, 4, 3, 1], seed=8, lambd=0.2)
    result = check_directions(cost, parameters, grads, directions=3)
    assert len(result.differences) == 3 and result.evaluations == 7
    assert result.difference < 2e-7 and result.suspects == []
    assert np.allclose(result.numerical, result.analytic, rtol=1e-6, atol=0)
    per = check_directions(cost, parameters, grads, per_tensor=True)
    assert per.suspects == [] and set(per.differences) == set(parameters)


def test_check_directions_names_a_scaled_tensor():
    cost, parameters, grads = deep_case([5, 4, 3, 1], seed=8)
    bad = scaled(grads, "W2", 1.5)
    per = check_directions(cost, parameters, bad, per_tensor=True)
    assert per.suspects == ["W2"]
    assert per.differences["W2"] == pytest.approx(0.5 / 2.5, abs=1e-6)  # |k - 1| / (k + 1)
    assert all(d < 2e-7 for name, d in per.differences.items() if name != "W2")
    whole = check_directions(cost, parameters, bad, directions=2)
    assert whole.difference > 1e-3


# ------------------------------------------------------------------ bad input, with the argument named


@pytest.fixture
def small():
    return deep_case([3, 2, 1], seed=9, m=4)


@pytest.mark.parametrize("epsilon", [0, -1e-7, float("nan")])
def test_bad_epsilon(small, epsilon):
    cost, parameters, grads = small
    with pytest.raises(ValueError, match="epsilon must be a finite number > 0"):
        check_gradients(cost, parameters, grads, epsilon=epsilon)
    with pytest.raises(ValueError, match="epsilon must be a finite number > 0"):
        numerical_gradient(lambda t: 0.0, np.zeros(2), epsilon=epsilon)
    with pytest.raises(ValueError, match="epsilon must be a finite number > 0"):
        check_directions(cost, parameters, grads, epsilon=epsilon)
    with pytest.raises(ValueError, match="threshold must be a finite number > 0"):
        check_gradients(cost, parameters, grads, threshold=0)


def test_integer_parameters_are_refused(small):
    cost, parameters, grads = small
    with pytest.raises(TypeError, match=r"parameters\['W1'\] must hold floats"):
        check_gradients(cost, dict(parameters, W1=np.ones((2, 3), dtype=int)), grads)
    with pytest.raises(TypeError, match="theta must hold floats"):
        numerical_gradient(lambda t: 0.0, np.arange(3))


def test_float32_warns(small):
    cost, parameters, grads = small
    p32 = {k: v.astype(np.float32) for k, v in parameters.items()}
    g32 = {k: v.astype(np.float32) for k, v in grads.items()}
    with pytest.warns(RuntimeWarning, match=r"float32"):
        result = check_gradients(lambda p: cost({k: v.astype(np.float64) for k, v in p.items()}), p32, g32)
    assert result.gradapprox.shape == (dictionary_to_vector(parameters)[0].size,)
    with pytest.warns(RuntimeWarning, match="theta is float32"):
        numerical_gradient(lambda t: float(np.sum(t)), np.ones(2, dtype=np.float32))


def test_nan_values_are_refused(small):
    cost, parameters, grads = small
    with pytest.raises(ValueError, match=r"parameters\['b2'\] must hold finite values"):
        check_gradients(cost, dict(parameters, b2=np.array([[np.nan]])), grads)
    with pytest.raises(ValueError, match=r"gradients\['dW1'\] must hold finite values"):
        check_gradients(cost, parameters, dict(grads, dW1=np.full((2, 3), np.nan)))
    with pytest.raises(ValueError, match="theta must hold finite values"):
        numerical_gradient(lambda t: 0.0, np.array([1.0, np.inf]))


def test_bad_costs_are_refused(small):
    _, parameters, grads = small
    with pytest.raises(TypeError, match=r"cost must return a scalar, got an array of shape \(2,\)"):
        check_gradients(lambda p: np.ones(2), parameters, grads)
    with pytest.raises(ValueError, match="cost returned nan"):
        check_gradients(lambda p: float("nan"), parameters, grads)
    with pytest.raises(TypeError, match="cost must return a scalar"):
        numerical_gradient(lambda t: t, np.ones(3))
    with pytest.raises(ValueError, match="cost returned nan"):
        check_directions(lambda p: float("nan"), parameters, grads)
    with pytest.raises(TypeError, match="cost must be a function"):
        check_gradients("J", parameters, grads)


def test_mismatched_or_missing_gradients_are_refused(small):
    cost, parameters, grads = small
    with pytest.raises(ValueError, match=r"gradients\['dW2'\] has shape \(2, 1\), expected \(1, 2\)"):
        check_gradients(cost, parameters, dict(grads, dW2=grads["dW2"].T))
    missing = {k: v for k, v in grads.items() if k != "db2"}
    with pytest.raises(ValueError, match=r"gradients is missing \['db2'\]"):
        check_gradients(cost, parameters, missing)
    with pytest.raises(ValueError, match=r"gradients is missing \['db2'\]"):
        check_directions(cost, parameters, missing)


def test_kinks_in_a_later_layer_agree_between_fast_path_and_loop():
    cost, parameters, _ = deep_case([3, 4, 3, 1], seed=1, m=5)
    _, cache = cost.forward(parameters)
    parameters["b2"][0, 0] -= cache.Z[2][0, 0] - 1e-9  # Z2[0, 0] = 1e-9: layer-1 perturbations can cross it
    assert abs(cost.forward(parameters)[1].Z[2][0, 0] - 1e-9) < 1e-12
    theta, keys = dictionary_to_vector(parameters)
    n = theta.shape[0]
    fast, fast_kinks, _ = cost.central_differences(parameters, 1e-5)
    loop, loop_kinks, _ = differences.loop_differences(cost, parameters, theta, np.arange(n), 1e-5)
    assert np.array_equal(fast_kinks, loop_kinks)
    flagged = {keys[i] for i in np.flatnonzero(fast_kinks)}
    assert {"W1", "b1", "W2", "b2"} <= flagged and "W3" not in flagged
    assert fast_kinks[keys.index("b2")]  # b2[0] moves Z2[0, 0] by exactly +-eps
    assert np.max(np.abs(fast - loop)) < 1e-8


def test_random_dropout_masks_make_the_check_unreliable_not_a_bug_report():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((4, 8)), (rng.random(8) > 0.5) * 1.0
    parameters = initialize_parameters([4, 5, 3, 1], seed=1)
    fresh_masks = NetworkCost(X, Y, keep_prob=0.8, dropout_seed=None)
    with pytest.warns(RuntimeWarning, match="two different values"):
        result = check_gradients(fresh_masks, parameters, fresh_masks.gradients(parameters))
    assert result.verdict == "unreliable"
    assert result.suspects == [] and not result.kinks.any()
    assert "unreliable" in result.summary()
    fixed_masks = NetworkCost(X, Y, keep_prob=0.8, dropout_seed=3)
    fixed = check_gradients(fixed_masks, parameters, fixed_masks.gradients(parameters))
    assert fixed.deterministic and fixed.verdict == "pass"


def test_central_differences_refuses_indices_outside_theta():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((4, 8)), (rng.random(8) > 0.5) * 1.0
    parameters = initialize_parameters([4, 5, 3, 1], seed=1)
    n = dictionary_to_vector(parameters)[0].shape[0]
    with pytest.raises(ValueError, match="indices must be entries of theta"):
        NetworkCost(X, Y).central_differences(parameters, 1e-7, indices=[0, n])


# ------------------------------------------------------------------ causes: truncation, round-off or a bug

EPSILONS = [1e-1, 3e-2, 1e-2, 1e-3, 1e-5, 1e-7]
#: deep nets for the bug matrix: 3, 4 and 5 layers (the 5-layer one crosses ReLU kinks on whole tensors at 0.1)
DEEP_NETS = [([4, 5, 3, 1], 0), ([5, 8, 6, 4, 1], 1), ([3, 6, 6, 6, 6, 1], 2)]


def corrupted(gradients, correct, parameters):
    """The tensors whose gradient a bug actually changed, in parameter order (the oracle: the gradients)."""
    return [name for name in parameters
            if np.linalg.norm(gradients["d" + name] - correct["d" + name]) > 1e-9 * np.linalg.norm(correct["d" + name])]


def test_cause_from_recheck_hand_cases():
    decide = verdicts.cause_from_recheck
    assert decide(1e-3, 1.0, 0.01, 2e-7) == "epsilon too large"  # fell 100x: epsilon^2
    assert decide(1e-3, 1.0, 1 / 19, 2e-7) == "bug"  # fell less than TRUNCATION_FALL, still far above threshold
    assert decide(1e-3, 1.0, 1 / 20, 2e-7) == "epsilon too large"
    assert decide(1e-3, 1.0, 1.0, 2e-7) == "bug"  # stayed put
    assert decide(1e-3, 1.0, 2.9, 2e-7) == "bug"
    assert decide(1e-3, 1.0, 3.0, 2e-7) == "round-off"  # grew like 1/epsilon
    assert decide(3e-7, 1.0, 0.5, 2e-7) == "epsilon too large"  # halved and passes at epsilon / 10
    assert decide(5e-7, 1.0, 0.5, 2e-7) == "bug"  # halved, but still above the threshold there


@pytest.mark.parametrize("epsilon", EPSILONS)
@pytest.mark.parametrize("bug", [None, *BUGS])
def test_every_bug_is_named_at_every_epsilon_on_the_classic_net(classic, bug, epsilon):
    X, Y, parameters, _, fixed = classic
    _, cache = forward_propagation_n(X, Y, parameters)
    gradients = backward_propagation_n(X, Y, cache, bugs=(bug,) if bug else ())
    expected = corrupted(gradients, fixed, parameters)
    assert bug is None or expected or BUGS[bug].needs_l2  # only the L2 bug is harmless without L2
    result = check_gradients(classic_cost(X, Y), parameters, gradients, epsilon=epsilon)
    assert result.suspects == expected
    assert [name for name, cause in result.causes.items() if cause == "bug"] == expected
    if epsilon >= 1e-2:  # truncation is above the threshold on every correct tensor
        assert all(result.causes[name] == "epsilon too large" for name in parameters if name not in expected)
    assert result.verdict == ("bug" if expected else "epsilon too large" if epsilon >= 1e-2 else
                              "round-off" if result.difference >= result.threshold else "pass")


@pytest.mark.parametrize("dims, seed", DEEP_NETS)
@pytest.mark.parametrize("lambd", [0.0, 0.7])
def test_every_bug_is_named_at_every_epsilon_on_deep_nets(dims, seed, lambd):
    cost, parameters, correct = deep_case(dims, seed=seed, m=8, lambd=lambd)
    for bug in [None, *BUGS]:
        bugs = (bug,) if bug else ()
        validate_bugs(bugs, n_layers=len(dims) - 1)  # every bug of the catalog fits these nets
        gradients = cost.gradients(parameters, bugs=bugs)
        expected = corrupted(gradients, correct, parameters)
        assert bug is None or expected or (BUGS[bug].needs_l2 and lambd == 0)
        for epsilon in EPSILONS:
            result = check_gradients(cost, parameters, gradients, epsilon=epsilon)
            assert result.suspects == expected, (bug, epsilon, result.causes)
            if not expected and epsilon >= 3e-2:
                assert result.verdict == "epsilon too large", (bug, epsilon, result.causes)


def test_a_bug_behind_kinks_at_a_large_epsilon_is_still_named():
    # every entry of b1 crosses a ReLU kink at epsilon = 0.1: the smaller steps see past them
    cost, parameters, correct = deep_case([5, 8, 6, 4, 1], seed=0, m=8)
    gradients = cost.gradients(parameters, bugs=("db1_4_over_m",))
    result = check_gradients(cost, parameters, gradients, epsilon=0.1)
    b1 = np.asarray(result.keys) == "b1"
    assert result.kinks[b1].all()
    assert result.suspects == ["b1"]
    assert result.rechecked[b1].any()
    assert result.recheck_ratios["b1"] == pytest.approx(1, abs=0.05)
    correct_result = check_gradients(cost, parameters, correct, epsilon=0.1)
    assert correct_result.causes["b1"] == "kink" and correct_result.suspects == []


@pytest.mark.parametrize("path", ["classic loop", "fast"])
def test_a_correct_gradient_at_a_large_epsilon_is_truncation_not_a_bug(classic, path):
    X, Y, parameters, _, fixed = classic
    cost = classic_cost(X, Y) if path == "classic loop" else NetworkCost(X, Y)
    gradients = fixed if path == "classic loop" else cost.gradients(parameters)
    result = check_gradients(cost, parameters, gradients, epsilon=0.1)
    assert result.difference > 1e-3 and result.suspects == []
    assert set(result.causes.values()) == {"epsilon too large"}
    assert result.verdict == "epsilon too large"
    falls = [1 / r for r in result.recheck_ratios.values()]
    assert sorted(result.recheck_ratios) == sorted(parameters)
    assert all(80 < f < 125 for f in falls)  # centered differences: error ~ epsilon^2, 10x smaller epsilon -> 100x
    sentence = result.summary()
    match = re.fullmatch(r"No bug found: every tensor's error shrinks (\d+)(?:–(\d+))?x when ε shrinks 10x — "
                         r"truncation error: ε = 0\.1 is too large; try 1e-5…1e-7\.", sentence)
    assert match, sentence
    assert int(match.group(1)) == round(min(falls)) and int(match.group(2) or match.group(1)) == round(max(falls))
    # without the second look every tensor is accused (truncation alone puts each above the threshold)
    assert check_gradients(cost, parameters, gradients, epsilon=0.1, recheck=False).suspects == list(parameters)


def test_a_bug_at_a_large_epsilon_is_named_and_the_rest_is_truncation(classic):
    X, Y, parameters, buggy, _ = classic
    result = check_gradients(classic_cost(X, Y), parameters, buggy, epsilon=0.1)
    assert result.suspects == ["b1", "W2"]
    assert all(result.causes[n] == "epsilon too large" for n in ("W1", "b2", "W3", "b3"))
    rest = max(d for name, d in result.block_differences.items() if name not in ("b1", "W2"))
    assert 1e-3 < rest < 1e-2
    assert result.summary() == "b1 and W2 look wrong; everything else agrees to 1e-02, up to truncation error (ε = 0.1 is large)."


def test_a_bug_small_next_to_truncation_shows_at_a_smaller_epsilon():
    # as the docstring says: a bug below about 5% of the truncation error at epsilon is "epsilon too
    # large" there and named at a smaller epsilon; one well above 5% is named at once
    cost, parameters, correct = deep_case([4, 3, 2, 1], seed=4)
    truncation = check_gradients(cost, parameters, correct, epsilon=0.1).block_differences["W3"]
    assert truncation > 1e-4
    for share, at_large in ((0.01, "epsilon too large"), (0.25, "bug")):
        d = share * truncation  # the bug's own block difference: |k - 1| / (k + 1) = d
        buggy = scaled(correct, "W3", (1 + d) / (1 - d))
        large = check_gradients(cost, parameters, buggy, epsilon=0.1)
        assert large.causes["W3"] == at_large, share
        small = check_gradients(cost, parameters, buggy, epsilon=1e-5)
        assert small.suspects == ["W3"] and small.verdict == "bug"
        assert small.block_differences["W3"] == pytest.approx(d, rel=1e-2)


@pytest.mark.parametrize("epsilon", [1e-10, 1e-12])
@pytest.mark.parametrize("path", ["classic loop", "fast"])
def test_a_correct_gradient_at_a_tiny_epsilon_is_round_off_not_a_bug(classic, epsilon, path):
    X, Y, parameters, _, fixed = classic
    cost = classic_cost(X, Y) if path == "classic loop" else NetworkCost(X, Y)
    gradients = fixed if path == "classic loop" else cost.gradients(parameters)
    result = check_gradients(cost, parameters, gradients, epsilon=epsilon)
    assert result.difference > result.threshold
    assert result.suspects == [] and result.verdict == "round-off"
    assert "round-off" in result.causes.values() and "bug" not in result.causes.values()
    assert result.summary().endswith(f"ε = {epsilon:g} is too small, try 1e-5…1e-7.")


def test_round_off_that_grows_as_epsilon_shrinks_is_measured_not_accused():
    # a cost rounded to 1e-9 (far coarser than float64): its error at epsilon = 1e-5 exceeds the
    # float64 round-off bound, so the tensors get a second look -- and their error grows as epsilon shrinks
    cost, parameters, correct = deep_case([4, 5, 3, 1], seed=0, m=8)
    def coarse(p):
        return round(cost(p), 9)

    result = check_gradients(coarse, parameters, correct, epsilon=1e-5)
    assert result.rechecked.any()
    assert result.suspects == [] and result.verdict == "round-off"
    grew = [name for name, ratio in result.recheck_ratios.items() if result.causes[name] == "round-off"]
    assert grew and all(result.recheck_ratios[name] >= verdicts.ROUNDOFF_RISE for name in grew)
    assert "grows" in result.summary() and "when ε shrinks 10x" in result.summary()
    buggy = check_gradients(coarse, parameters, scaled(correct, "W1", 2.0), epsilon=1e-5)
    assert buggy.suspects == ["W1"]  # a real bug still stays put above the coarse round-off


def test_float32_round_off_is_called_round_off():
    cost, parameters, _ = deep_case([4, 5, 3, 1], seed=1, m=20)
    p32 = {name: value.astype(np.float32) for name, value in parameters.items()}
    with pytest.warns(RuntimeWarning, match="float32"):
        g32 = cost.gradients(p32)
    with pytest.warns(RuntimeWarning, match="float32"):
        result = check_gradients(cost, p32, g32, epsilon=1e-7)
    assert result.difference > 1e-3  # a correct gradient that looks badly wrong
    assert result.dtype == "float32" and result.suspects == [] and result.verdict == "round-off"
    assert result.summary().endswith("but it is float32 round-off; check in float64.")


def test_the_second_look_costs_evaluations_only_for_flagged_tensors():
    cost, parameters, correct = deep_case([4, 5, 3, 1], seed=3, m=8)
    n = dictionary_to_vector(parameters)[0].size
    calls = []

    def counting(p):
        calls.append(1)
        return cost(p)

    check_gradients(counting, parameters, correct)  # passes: no second look
    assert len(calls) == 2 * n + 3
    calls.clear()
    result = check_gradients(counting, parameters, scaled(correct, "W2", 1.5))  # W2 has 15 entries
    assert result.suspects == ["W2"]
    keys = np.asarray(result.keys)
    assert set(keys[result.rechecked]) == {"W2"} and result.rechecked.sum() == gradcheck.RECHECK_ENTRIES
    assert len(calls) == 2 * n + 3 + 2 * gradcheck.RECHECK_ENTRIES
    calls.clear()
    check_gradients(counting, parameters, scaled(correct, "W2", 1.5), recheck=False)
    assert len(calls) == 2 * n + 3
    sampled = check_gradients(cost, parameters, scaled(correct, "W2", 1.5), sample=12, seed=1)
    assert sampled.suspects == ["W2"] and not (sampled.rechecked & ~sampled.checked).any()


def test_fast_path_and_loop_agree_on_causes():
    cost, parameters, correct = deep_case([5, 8, 6, 4, 1], seed=1, m=8)
    gradients = scaled(correct, "b2", 1.05)
    for epsilon in (1e-1, 1e-3, 1e-7):
        fast = check_gradients(cost, parameters, gradients, epsilon=epsilon)
        loop = check_gradients(NetworkCost(cost.X, cost.Y, cost_formula="classic"), parameters, gradients, epsilon=epsilon)
        assert fast.causes == loop.causes and fast.suspects == loop.suspects == ["b2"]


def test_unreliable_cost_has_every_cause_unreliable():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((4, 8)), (rng.random(8) > 0.5) * 1.0
    parameters = initialize_parameters([4, 5, 3, 1], seed=1)
    fresh_masks = NetworkCost(X, Y, keep_prob=0.8, dropout_seed=None)
    with pytest.warns(RuntimeWarning, match="two different values"):
        result = check_gradients(fresh_masks, parameters, fresh_masks.gradients(parameters), epsilon=0.1)
    assert list(result.causes) == list(parameters) and set(result.causes.values()) == {"unreliable"}
    assert result.verdict == "unreliable" and not result.rechecked.any()


def test_check_directions_gives_causes_and_a_verdict():
    cost, parameters, correct = deep_case([5, 4, 3, 1], seed=8)
    good = check_directions(cost, parameters, correct, per_tensor=True)
    assert good.verdict == "pass" and set(good.causes.values()) == {"ok"} and good.evaluations == 1 + 2 * 6
    large = check_directions(cost, parameters, correct, epsilon=0.1, per_tensor=True)
    assert large.difference > 2e-7 and large.suspects == [] and large.verdict == "epsilon too large"
    assert large.evaluations == 1 + 2 * 6 + 2 * sum(c != "ok" for c in large.causes.values())
    bad = check_directions(cost, parameters, scaled(correct, "W2", 1.5), epsilon=0.1, per_tensor=True)
    assert bad.suspects == ["W2"] and bad.causes["W2"] == "bug" and bad.verdict == "bug"
    whole = check_directions(cost, parameters, scaled(correct, "W2", 1.5), epsilon=0.1, directions=2)
    assert whole.causes == ["bug", "bug"] and whole.suspects == [] and whole.verdict == "bug"
    tiny = check_directions(cost, parameters, correct, epsilon=1e-12, per_tensor=True)
    assert tiny.suspects == [] and tiny.verdict in ("pass", "round-off")
    assert "bug" not in tiny.causes.values()
    old_style = check_directions(cost, parameters, correct, epsilon=0.1, per_tensor=True, recheck=False)
    assert old_style.suspects and old_style.evaluations == 1 + 2 * 6


def test_truncation_beats_kinks_in_the_verdict_and_the_sentence_names_both():
    # PRECEDENCE: at epsilon = 0.1 kinks are crossed because epsilon is large; a smaller epsilon cures both
    cost, parameters, correct = deep_case([5, 8, 6, 4, 1], seed=0, m=8)
    result = check_gradients(cost, parameters, correct, epsilon=0.1)
    assert result.kink_tensors == ["b1"] and "epsilon too large" in result.causes.values()
    assert result.verdict == "epsilon too large"
    assert result.summary().endswith("ε = 0.1 is too large; try 1e-5…1e-7 (b1 also crosses ReLU kinks).")
    buggy = check_gradients(cost, parameters, scaled(correct, "W3", 3.0), epsilon=0.1)
    assert buggy.suspects == ["W3"] and buggy.kink_tensors == ["b1"]
    assert buggy.summary().startswith("W3 looks wrong; everything else agrees to ")
    assert buggy.summary().endswith(", up to truncation error (ε = 0.1 is large) and ReLU kinks.")


def test_a_bug_on_a_tensors_kink_entries_is_named_when_its_other_entries_show_truncation():
    # db2_sum_without_axis wrongs b2[0] and b2[2] (units off on every example: their true gradient is 0);
    # at epsilon = 0.1 exactly those two cross a kink, and b2[1] (right) shows only truncation
    rng = np.random.default_rng(106)
    X, Y = rng.standard_normal((4, 5)), (rng.random(5) < 0.5) * 1.0
    parameters = initialize_parameters([4, 5, 3, 1], seed=6)
    cost = NetworkCost(X, Y)
    correct = cost.gradients(parameters)
    gradients = cost.gradients(parameters, bugs=("db2_sum_without_axis",))
    result = check_gradients(cost, parameters, gradients, epsilon=0.1)
    b2 = np.asarray(result.keys) == "b2"
    wrong = np.abs(gradients_to_vector(gradients, parameters) - gradients_to_vector(correct, parameters)).ravel() > 1e-9
    assert list(result.kinks[b2]) == list(wrong[b2]) == [True, False, True]
    assert result.suspects == ["b2"]
    assert check_gradients(cost, parameters, correct, epsilon=0.1).suspects == []


def test_kink_entries_are_followed_to_a_step_where_they_cross_none():
    # every entry of b1 crosses a kink at 0.1 and still at 0.01; at 0.001 some do not: compared there with 1e-4
    dims, rng = [8, 16, 16, 8, 1], np.random.default_rng(100)
    X, Y = rng.standard_normal((8, 40)), (rng.random(40) < 0.5) * 1.0
    parameters = initialize_parameters(dims, seed=0)
    cost = NetworkCost(X, Y)
    b1 = np.flatnonzero(np.asarray(dictionary_to_vector(parameters)[1]) == "b1")
    assert cost.central_differences(parameters, 0.1, b1)[1][b1].all()
    assert cost.central_differences(parameters, 0.01, b1)[1][b1].all()
    assert not cost.central_differences(parameters, 0.001, b1)[1][b1].all()
    result = check_gradients(cost, parameters, cost.gradients(parameters, bugs=("db1_4_over_m",)), epsilon=0.1)
    assert result.suspects == ["b1"] and result.recheck_ratios["b1"] == pytest.approx(1, abs=1e-3)
    correct = check_gradients(cost, parameters, cost.gradients(parameters), epsilon=0.1)
    assert correct.suspects == [] and correct.verdict == "epsilon too large"
