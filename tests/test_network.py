"""Tests of course_utils/network.py and backprop.py against independent oracles (a fresh legacy draw, naive
numpy formulas, and centered differences computed here, not by course_utils.gradcheck)."""
import numpy as np
import pytest

from course_utils.backprop import backward_propagation_deep, backward_propagation_n
from course_utils.fastcost import NetworkCost
from course_utils.network import (
    forward_propagation_deep,
    forward_propagation_n,
    gradient_check_n_test_case,
    initialize_parameters,
)

CLASSIC_SHAPES = {"W1": (5, 4), "b1": (5, 1), "W2": (3, 5), "b2": (3, 1), "W3": (1, 3), "b3": (1, 1)}


def state_equal(a, b):
    return a[0] == b[0] and np.array_equal(a[1], b[1]) and a[2:] == b[2:]


def centered(cost_of_params, parameters, epsilon=1e-6):
    """Oracle: centered differences, one entry at a time, on copies of the parameters."""
    out = {}
    for name, value in parameters.items():
        d = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            plus = {k: v.copy() for k, v in parameters.items()}
            minus = {k: v.copy() for k, v in parameters.items()}
            plus[name][idx] += epsilon
            minus[name][idx] -= epsilon
            d[idx] = (cost_of_params(plus) - cost_of_params(minus)) / (2 * epsilon)
        out["d" + name] = d
    return out


def naive_cost(X, Y, parameters, lambd=0.0):
    """Oracle: forward pass written out with textbook formulas."""
    A = X
    L = len(parameters) // 2
    for l in range(1, L + 1):
        Z = parameters[f"W{l}"] @ A + parameters[f"b{l}"]
        A = 1 / (1 + np.exp(-Z)) if l == L else np.maximum(Z, 0)
    Y = np.asarray(Y).reshape(1, -1)
    m = X.shape[1]
    cost = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m
    return cost + lambd / (2 * m) * sum(np.sum(parameters[f"W{l}"] ** 2) for l in range(1, L + 1))


# ------------------------------------------------------------------ the classic test case


def test_classic_test_case_is_the_seed_1_draw_in_the_published_order():
    before = np.random.get_state()
    X, Y, parameters = gradient_check_n_test_case()
    assert state_equal(np.random.get_state(), before)  # the global random state is untouched
    rs = np.random.RandomState(1)
    assert np.array_equal(X, rs.randn(4, 3))
    for name in ["W1", "b1", "W2", "b2", "W3", "b3"]:
        assert np.array_equal(parameters[name], rs.randn(*CLASSIC_SHAPES[name])), name
    assert list(parameters) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    assert Y.shape == (3,) and np.array_equal(Y, [1, 1, 0])


def test_classic_test_case_equals_np_random_seed_1_then_randn():
    saved = np.random.get_state()
    try:
        np.random.seed(1)
        expected = [np.random.randn(4, 3)] + [np.random.randn(*s) for s in CLASSIC_SHAPES.values()]
    finally:
        np.random.set_state(saved)
    X, _, parameters = gradient_check_n_test_case()
    assert np.array_equal(X, expected[0])
    for got, want in zip(parameters.values(), expected[1:]):
        assert np.array_equal(got, want)
    assert X[0, 0] == pytest.approx(1.6243453636632417, abs=1e-15)  # the famous first randn(1) number


def test_forward_propagation_n_matches_naive_cost_and_cache():
    X, Y, parameters = gradient_check_n_test_case()
    cost, cache = forward_propagation_n(X, Y, parameters)
    assert isinstance(cost, float)
    assert cost == pytest.approx(naive_cost(X, Y, parameters), rel=1e-14)
    Z1, A1, _, _, _, _, W2, _, _, A3, _, _ = cache
    assert np.allclose(Z1, parameters["W1"] @ X + parameters["b1"], rtol=1e-15, atol=0)
    assert np.array_equal(A1, np.maximum(Z1, 0))
    assert A3.shape == (1, 3) and W2 is parameters["W2"]


def test_backward_propagation_n_matches_centered_differences():
    X, Y, parameters = gradient_check_n_test_case()
    _, cache = forward_propagation_n(X, Y, parameters)
    grads = backward_propagation_n(X, Y, cache)
    oracle = centered(lambda p: naive_cost(X, Y, p), parameters)
    for key, want in oracle.items():
        assert grads[key].shape == want.shape
        assert np.allclose(grads[key], want, rtol=1e-6, atol=1e-8), key
    assert np.abs(grads["dW3"]).max() > 1e-3  # not a vacuous comparison of zeros


def test_forward_propagation_n_refuses_other_depths():
    parameters = initialize_parameters([4, 3, 1], seed=0)
    with pytest.raises(ValueError, match="3 layers"):
        forward_propagation_n(np.ones((4, 2)), [1, 0], parameters)


# ------------------------------------------------------------------ the deep network


def test_initialize_parameters_reproducible_shapes_and_no_global_state():
    before = np.random.get_state()
    a = initialize_parameters([4, 6, 3, 1], seed=7)
    b = initialize_parameters([4, 6, 3, 1], seed=7)
    c = initialize_parameters([4, 6, 3, 1], seed=8)
    assert state_equal(np.random.get_state(), before)
    assert list(a) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    assert [a[k].shape for k in a] == [(6, 4), (6, 1), (3, 6), (3, 1), (1, 3), (1, 1)]
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["W1"], c["W1"])
    with pytest.raises(ValueError, match="layer_dims"):
        initialize_parameters([4], seed=0)


def deep_case(dims, seed, m=6):
    rng = np.random.default_rng(100 + seed)
    X = rng.standard_normal((dims[0], m))
    Y = (np.arange(m) % 2).astype(float)
    return X, Y, initialize_parameters(dims, seed=seed)


@pytest.mark.parametrize("dims", [[3, 1], [4, 5, 1], [5, 4, 3, 2, 1]])
@pytest.mark.parametrize("lambd", [0.0, 0.7])
def test_deep_forward_and_backward_match_oracles(dims, lambd):
    X, Y, parameters = deep_case(dims, seed=len(dims))
    cost, cache = forward_propagation_deep(X, Y, parameters, lambd=lambd)
    assert cost == pytest.approx(naive_cost(X, Y, parameters, lambd), rel=1e-12)
    grads = backward_propagation_deep(X, Y, cache)
    oracle = centered(lambda p: naive_cost(X, Y, p, lambd), parameters)
    for key, want in oracle.items():
        assert np.allclose(grads[key], want, rtol=1e-6, atol=1e-8), key


def test_deep_backward_with_fixed_dropout_matches_centered_differences():
    X, Y, parameters = deep_case([4, 6, 5, 1], seed=3, m=8)
    kwargs = {"lambd": 0.3, "keep_prob": 0.7, "dropout_seed": 11}
    cost, cache = forward_propagation_deep(X, Y, parameters, **kwargs)
    assert cost == forward_propagation_deep(X, Y, parameters, **kwargs)[0]  # same masks, same cost
    assert cost != forward_propagation_deep(X, Y, parameters, lambd=0.3)[0]  # dropout does something
    assert any(np.any(D == 0) for D in cache.D[1:-1])
    grads = backward_propagation_deep(X, Y, cache)
    oracle = centered(lambda p: forward_propagation_deep(X, Y, p, **kwargs)[0], parameters)
    for key, want in oracle.items():
        assert np.allclose(grads[key], want, rtol=1e-6, atol=1e-8), key


def test_dropout_seed_none_draws_new_masks_on_every_call():
    X, Y, parameters = deep_case([4, 6, 5, 1], seed=3, m=8)
    c1 = forward_propagation_deep(X, Y, parameters, keep_prob=0.5, dropout_seed=None)[0]
    c2 = forward_propagation_deep(X, Y, parameters, keep_prob=0.5, dropout_seed=None)[0]
    assert c1 != c2
    assert not NetworkCost(X, Y, keep_prob=0.5, dropout_seed=None).has_fast_path


def test_network_cost_is_the_forward_cost_and_its_gradients():
    X, Y, parameters = deep_case([4, 5, 1], seed=2)
    cost = NetworkCost(X, Y, lambd=0.2)
    assert cost(parameters) == forward_propagation_deep(X, Y, parameters, lambd=0.2)[0]
    _, cache = forward_propagation_deep(X, Y, parameters, lambd=0.2)
    want = backward_propagation_deep(X, Y, cache)
    got = cost.gradients(parameters)
    assert all(np.array_equal(got[k], want[k]) for k in want)


def test_stable_and_classic_cost_formulas_agree_on_moderate_values():
    X, Y, parameters = deep_case([4, 5, 1], seed=2)
    stable = forward_propagation_deep(X, Y, parameters)[0]
    classic = forward_propagation_deep(X, Y, parameters, cost_formula="classic")[0]
    assert stable == pytest.approx(classic, rel=1e-13)


def test_network_inputs_are_validated_with_the_argument_named():
    X, Y, parameters = deep_case([4, 5, 1], seed=2)
    with pytest.raises(ValueError, match="Y must have shape"):
        forward_propagation_deep(X, Y[:-1], parameters)
    with pytest.raises(ValueError, match="Y must hold labels 0 or 1"):
        forward_propagation_deep(X, Y + 2, parameters)
    bad = dict(parameters, W2=np.ones((1, 4)))
    with pytest.raises(ValueError, match=r"parameters\['W2'\]"):
        forward_propagation_deep(X, Y, bad)
    with pytest.raises(ValueError, match="keep_prob"):
        forward_propagation_deep(X, Y, parameters, keep_prob=0)
    with pytest.raises(ValueError, match="lambd"):
        forward_propagation_deep(X, Y, parameters, lambd=-1)


def test_network_cost_validates_a_layout_once_and_still_refuses_bad_values():
    from course_utils.fastcost import NetworkCost

    X, Y, parameters = gradient_check_n_test_case()
    for cost_formula in ("classic", "stable"):
        cost = NetworkCost(X, Y, cost_formula=cost_formula)
        for scale in (1.0, 1.5, -0.5):  # the first call validates; later calls take the short way
            p = {name: value * scale for name, value in parameters.items()}
            J, cache = cost.forward(p)
            J_ref, cache_ref = forward_propagation_deep(X, Y, p, cost_formula=cost_formula)
            assert J == J_ref and all(np.array_equal(a, b) for a, b in zip(cache.A, cache_ref.A))
        nan = dict(parameters, W2=np.where(np.eye(3, 5) > 0, np.nan, parameters["W2"]))
        with pytest.raises(ValueError, match=r"parameters\['W2'\] must hold finite values"):
            cost(nan)
        narrow = dict(parameters, W1=parameters["W1"][:, :3])
        with pytest.raises(ValueError, match=r"parameters\['W1'\] must have shape"):
            cost(narrow)
        as_int = dict(parameters, b3=np.ones((1, 1), dtype=int))
        with pytest.raises((TypeError, ValueError), match=r"parameters\['b3'\]"):
            cost(as_int)
        assert cost(parameters) == forward_propagation_deep(X, Y, parameters, cost_formula=cost_formula)[0]
