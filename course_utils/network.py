"""The course networks: the classic 3-layer "fraud detection" net and a general deep one.

Both are fully connected: LINEAR -> RELU for every hidden layer, LINEAR -> SIGMOID at the output,
and the logistic (cross-entropy) cost averaged over the m examples. Shapes follow the course:
X -- (n_x, m) with one example per column; Y -- (1, m) or (m,) labels in {0, 1};
W_l -- (n_l, n_{l-1}); b_l -- (n_l, 1).

Classic API (the original assignment's): gradient_check_n_test_case, forward_propagation_n.
General API: initialize_parameters, forward_propagation_deep.
The backward passes (backward_propagation_n, backward_propagation_deep, with named bugs from course_utils.bugs
injected on request) are in course_utils.backprop, and NetworkCost, a cost function J(parameters) that the gradient
checker can differentiate fast, with classic_cost and CACHE_FLOATS in course_utils.fastcost: a verification
sandbox can expose this forward pass without them. Import them from there.
"""
from dataclasses import dataclass, field

import numpy as np

from course_utils._validate import as_float_array, check_mapping
from course_utils.activations import relu, sigmoid
from course_utils.vectors import _check_layers, parameter_order

# ----------------------------------------------------------------------------------------------
# Inputs


CLASSIC_SHAPES = {"W1": (5, 4), "b1": (5, 1), "W2": (3, 5), "b2": (3, 1), "W3": (1, 3), "b3": (1, 1)}  #: the classic net


def gradient_check_n_test_case():
    """The classic test case of the original assignment, so its published numbers reproduce.

    Drawn with a legacy RandomState(1) in the order X, W1, b1, W2, b2, W3, b3 -- the same numbers
    as np.random.seed(1) followed by np.random.randn, without touching numpy's global state.
    Returns (X, Y, parameters): X (4, 3); Y = [1, 1, 0] kept 1-D, shape (3,), as in the original;
    parameters W1 (5, 4), b1 (5, 1), W2 (3, 5), b2 (3, 1), W3 (1, 3), b3 (1, 1).
    """
    rs = np.random.RandomState(1)
    X = rs.randn(4, 3)
    Y = np.array([1, 1, 0])
    parameters = {}
    for name, shape in CLASSIC_SHAPES.items():
        parameters[name] = rs.randn(*shape)
    return X, Y, parameters


def initialize_parameters(layer_dims, seed=0, scale="he"):
    """Random parameters for a network of any layer sizes.

    layer_dims -- [n_x, n_1, ..., n_L] (ints >= 1, at least two of them)
    seed -- seed of a local np.random.default_rng (no global state is touched)
    scale -- "he" (sqrt(2 / n_{l-1}), good for ReLU) or a float standard deviation
    Returns a dict W1 (n_1, n_x), b1 (n_1, 1), ..., WL, bL. Biases are small random numbers
    (not zeros) so that their gradients differ from unit to unit.
    """
    dims = list(layer_dims) if not isinstance(layer_dims, (str, bytes)) else None
    if not dims or len(dims) < 2 or not all(isinstance(d, (int, np.integer)) and d >= 1 for d in dims):
        raise ValueError(f"layer_dims must be a list of at least two ints >= 1, got {layer_dims!r}")
    rng = np.random.default_rng(seed)
    parameters = {}
    for l in range(1, len(dims)):
        std = np.sqrt(2.0 / dims[l - 1]) if scale == "he" else float(scale)
        parameters[f"W{l}"] = rng.standard_normal((dims[l], dims[l - 1])) * std
        parameters[f"b{l}"] = rng.standard_normal((dims[l], 1)) * 0.1
    return parameters


def check_network_inputs(X, Y, parameters):
    """Validate X, Y and parameters together; return (X, Y as (1, m), L, names in order).

    Raises TypeError/ValueError naming the argument: wrong keys, shapes that do not chain,
    labels that are not 0/1 or not m of them, non-finite or integer values.
    """
    X = as_float_array(X, "X")
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n_x, m), got shape {X.shape}")
    m = X.shape[1]
    Y = np.asarray(Y)
    if Y.size != m or Y.ndim > 2 or (Y.ndim == 2 and Y.shape[0] != 1):
        raise ValueError(f"Y must have shape (1, m) or (m,) with m = {m} (the columns of X), got shape {Y.shape}")
    if not np.issubdtype(Y.dtype, np.number) or not np.logical_and.reduce((Y == 0) | (Y == 1), axis=None):
        raise ValueError("Y must hold labels 0 or 1")
    check_mapping(parameters, "parameters")
    names = parameter_order(parameters, "parameters")
    _check_layers(names, "parameters")
    L = len(names) // 2
    n_prev = X.shape[0]
    for l in range(1, L + 1):
        W = as_float_array(parameters[f"W{l}"], f"parameters['W{l}']")
        b = as_float_array(parameters[f"b{l}"], f"parameters['b{l}']")
        if W.ndim != 2 or W.shape[1] != n_prev:
            raise ValueError(f"parameters['W{l}'] must have shape (n_{l}, {n_prev}) to multiply "
                             f"{'X' if l == 1 else f'A{l - 1}'}, got {W.shape}")
        if b.shape != (W.shape[0], 1):
            raise ValueError(f"parameters['b{l}'] must have shape ({W.shape[0]}, 1), got {b.shape}")
        n_prev = W.shape[0]
    if n_prev != 1:
        raise ValueError(f"parameters['W{L}'] must have 1 row (one sigmoid output), got {n_prev}")
    return X, Y.reshape(1, m), L, names


# ----------------------------------------------------------------------------------------------
# General deep network


@dataclass
class DeepCache:
    """What the forward pass keeps for the backward pass.

    A -- [A0 = X, A1, ..., AL], A_l of shape (n_l, m) (hidden A_l after dropout, if any)
    Z -- [None, Z1, ..., ZL], the pre-activations
    D -- [None, D1, ..., D_{L-1}, None]: dropout masks scaled by 1/keep_prob (None: no dropout)
    parameters, lambd, keep_prob -- as passed to the forward pass
    """

    A: list
    Z: list
    D: list
    parameters: dict
    lambd: float = 0.0
    keep_prob: float = 1.0
    L: int = field(init=False)

    def __post_init__(self):
        self.L = len(self.Z) - 1


def cross_entropy(ZL, Y):
    """Logistic cost from the output pre-activation, stable for large |z|.

    ZL -- (1, m) pre-activation of the sigmoid; Y -- (1, m) labels. Returns a float:
    (1/m) * sum( -y log(sigmoid(z)) - (1-y) log(1 - sigmoid(z)) ).
    """
    m = ZL.shape[-1]
    total = np.sum(Y * np.logaddexp(0.0, -ZL) + (1 - Y) * np.logaddexp(0.0, ZL))
    return float(total / total.dtype.type(m))  # m in the sum's dtype: a float32 cost stays float32 on numpy 1 too


def cross_entropy_classic(AL, Y):
    """The original assignment's cost from the sigmoid output: (1/m) sum(-y log(a) - (1-y) log(1-a)).

    Kept for the classic network so the published numbers reproduce: taking log(1 - a) of a
    rounded sigmoid loses digits, which is why the correct pass only reaches about 1.19e-7.
    """
    m = AL.shape[-1]
    total = np.sum(np.multiply(-np.log(AL), Y) + np.multiply(-np.log(1 - AL), 1 - Y))
    one = total.dtype.type(1.0)  # 1/m in the sum's dtype (numpy 1 would turn a float32 sum into float64)
    return float(one / total.dtype.type(m) * total)


def l2_penalty(parameters, lambd, m):
    """lambd / (2m) * sum over layers of ||W_l||_F^2 (biases are not regularized)."""
    if lambd == 0:
        return 0.0
    total = sum(np.sum(np.square(w)) for k, w in parameters.items() if k.startswith("W"))
    dtype = np.asarray(total).dtype.type
    return float(dtype(lambd) / dtype(2 * m) * total)  # in the weights' dtype, on numpy 1 and 2 alike


def _check_regularization(lambd, keep_prob):
    if isinstance(lambd, bool) or not isinstance(lambd, (int, float, np.floating)) or not np.isfinite(lambd) or lambd < 0:
        raise ValueError(f"lambd must be a finite number >= 0, got {lambd!r}")
    if isinstance(keep_prob, bool) or not isinstance(keep_prob, (int, float, np.floating)) or not 0 < keep_prob <= 1:
        raise ValueError(f"keep_prob must be a number in (0, 1], got {keep_prob!r}")
    return float(lambd), float(keep_prob)


COST_FORMULAS = ("stable", "classic")


def forward_propagation_deep(X, Y, parameters, lambd=0.0, keep_prob=1.0, dropout_seed=0, cost_formula="stable"):
    """Forward pass of the deep network and its cost.

    X -- (n_x, m); Y -- (1, m) or (m,); parameters -- W1, b1, ..., WL, bL
    lambd -- L2 regularization strength (the cost gains lambd/(2m) * sum ||W||^2)
    keep_prob -- dropout keep probability for hidden layers (1: no dropout)
    dropout_seed -- seed of the dropout masks; None draws new masks on every call (which is what
                    breaks a gradient check with dropout on)
    cost_formula -- "stable" (from Z_L with logaddexp) or "classic" (log of the sigmoid output,
                    as the original assignment computes it)
    Returns (cost, cache): cost a float, cache a DeepCache for backward_propagation_deep.
    """
    X, Y, L, _ = check_network_inputs(X, Y, parameters)
    lambd, keep_prob = _check_regularization(lambd, keep_prob)
    if cost_formula not in COST_FORMULAS:
        raise ValueError(f"cost_formula must be one of {COST_FORMULAS}, got {cost_formula!r}")
    return _forward_deep(X, Y, L, parameters, lambd, keep_prob, dropout_seed, cost_formula)


def _forward_deep(X, Y, L, parameters, lambd, keep_prob, dropout_seed, cost_formula):
    """forward_propagation_deep without its argument checks: X, Y (1, m) and L as check_network_inputs
    returned them for parameters of this layout (fastcost.NetworkCost validates a layout once)."""
    rng = np.random.default_rng(dropout_seed) if keep_prob < 1 else None
    A, Z, D = [X], [None], [None]
    for l in range(1, L + 1):
        z = parameters[f"W{l}"] @ A[-1] + parameters[f"b{l}"]
        Z.append(z)
        if l == L:
            A.append(sigmoid(z))
            D.append(None)
        else:
            a = relu(z)
            mask = None
            if rng is not None:
                mask = (rng.random(a.shape) < keep_prob) / keep_prob
                a = a * mask
            A.append(a)
            D.append(mask)
    m = X.shape[1]
    data_cost = cross_entropy(Z[L], Y) if cost_formula == "stable" else cross_entropy_classic(A[L], Y)
    cost = data_cost + l2_penalty(parameters, lambd, m)
    return cost, DeepCache(A, Z, D, parameters, lambd, keep_prob)


# ----------------------------------------------------------------------------------------------
# The classic 3-layer network of the original assignment


def forward_propagation_n(X, Y, parameters):
    """Forward pass of the classic network LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID.

    X -- (4, m); Y -- (m,) or (1, m); parameters -- W1 (5, 4), b1 (5, 1), W2 (3, 5), b2 (3, 1),
    W3 (1, 3), b3 (1, 1) (other layer sizes work too, but it must have 3 layers)
    Returns (cost, cache): cost a float; cache the tuple
    (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) of the original assignment.
    """
    X, Y, L, _ = check_network_inputs(X, Y, parameters)
    if L != 3:
        raise ValueError(f"parameters must describe 3 layers (W1..W3, b1..b3), got {L}; "
                         "use forward_propagation_deep for other depths")
    # forward_propagation_deep(X, Y, parameters, cost_formula="classic"), its arguments checked once
    cost, deep = _forward_deep(X, Y, L, parameters, 0.0, 1.0, 0, "classic")
    cache = tuple(x for l in (1, 2, 3) for x in (deep.Z[l], deep.A[l], parameters[f"W{l}"], parameters[f"b{l}"]))
    return cost, cache

