"""The course networks: the classic 3-layer "fraud detection" net and a general deep one.

Both are fully connected: LINEAR -> RELU for every hidden layer, LINEAR -> SIGMOID at the output,
and the logistic (cross-entropy) cost averaged over the m examples. Shapes follow the course:
X -- (n_x, m) with one example per column; Y -- (1, m) or (m,) labels in {0, 1};
W_l -- (n_l, n_{l-1}); b_l -- (n_l, 1).

Classic API (the original assignment's): gradient_check_n_test_case, forward_propagation_n,
backward_propagation_n (with named bugs from course_utils.bugs injected on request).
General API: initialize_parameters, forward_propagation_deep, backward_propagation_deep,
and NetworkCost, a cost function J(parameters) that the gradient checker can differentiate fast.
"""
from dataclasses import dataclass, field

import numpy as np

from course_utils._validate import as_float_array, check_epsilon, check_mapping
from course_utils.activations import relu, sigmoid
from course_utils.vectors import _check_layers, parameter_order


# ----------------------------------------------------------------------------------------------
# Inputs


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
    for name, shape in [("W1", (5, 4)), ("b1", (5, 1)), ("W2", (3, 5)),
                        ("b2", (3, 1)), ("W3", (1, 3)), ("b3", (1, 1))]:
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
    if not np.issubdtype(Y.dtype, np.number) or not np.all(np.isin(Y, (0, 1))):
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
    return float(np.sum(Y * np.logaddexp(0.0, -ZL) + (1 - Y) * np.logaddexp(0.0, ZL)) / m)


def cross_entropy_classic(AL, Y):
    """The original assignment's cost from the sigmoid output: (1/m) sum(-y log(a) - (1-y) log(1-a)).

    Kept for the classic network so the published numbers reproduce: taking log(1 - a) of a
    rounded sigmoid loses digits, which is why the correct pass only reaches about 1.19e-7.
    """
    m = AL.shape[-1]
    return float(1.0 / m * np.sum(np.multiply(-np.log(AL), Y) + np.multiply(-np.log(1 - AL), 1 - Y)))


def l2_penalty(parameters, lambd, m):
    """lambd / (2m) * sum over layers of ||W_l||_F^2 (biases are not regularized)."""
    if lambd == 0:
        return 0.0
    return float(lambd / (2 * m) * sum(np.sum(np.square(w)) for k, w in parameters.items() if k.startswith("W")))


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
    _, _, L, _ = check_network_inputs(X, Y, parameters)
    if L != 3:
        raise ValueError(f"parameters must describe 3 layers (W1..W3, b1..b3), got {L}; "
                         "use forward_propagation_deep for other depths")
    cost, deep = forward_propagation_deep(X, Y, parameters, cost_formula="classic")
    cache = tuple(x for l in (1, 2, 3) for x in (deep.Z[l], deep.A[l], parameters[f"W{l}"], parameters[f"b{l}"]))
    return cost, cache


# ----------------------------------------------------------------------------------------------
# A cost function the gradient checker can differentiate fast


CACHE_FLOATS = 2 ** 19  # about 4 MB of float64 per working array in central_differences


class NetworkCost:
    """J(parameters) of the deep network on fixed data: `cost(parameters) -> float`.

    It is an ordinary cost function for course_utils.gradcheck, plus a fast path,
    `central_differences`, which the checker uses when it is there.

    X, Y -- the data; lambd, keep_prob, dropout_seed, cost_formula -- as in
    forward_propagation_deep (with keep_prob < 1 and a fixed dropout_seed the masks are the same
    on every call). The fast path exists for the "stable" formula with fixed masks
    (`has_fast_path`); otherwise the checker perturbs one entry at a time.
    """

    def __init__(self, X, Y, lambd=0.0, keep_prob=1.0, dropout_seed=0, cost_formula="stable"):
        self.X = as_float_array(X, "X")
        self.Y = np.asarray(Y)
        self.lambd, self.keep_prob = _check_regularization(lambd, keep_prob)
        if cost_formula not in COST_FORMULAS:
            raise ValueError(f"cost_formula must be one of {COST_FORMULAS}, got {cost_formula!r}")
        self.dropout_seed = dropout_seed
        self.cost_formula = cost_formula

    @property
    def has_fast_path(self):
        """True when central_differences can batch (stable cost, fixed dropout masks)."""
        return self.cost_formula == "stable" and (self.keep_prob == 1 or self.dropout_seed is not None)

    def relu_signs(self, parameters):
        """Boolean vector: which ReLU inputs (hidden Z_l entries) are > 0 at `parameters`.

        Two points whose vectors differ have a kink of the cost somewhere between them.
        """
        return self.cost_and_signs(parameters)[1]

    def cost_and_signs(self, parameters):
        """(J, relu_signs) from one forward pass: what the checker's loop needs per point."""
        cost, cache = self.forward(parameters)
        signs = np.concatenate([(cache.Z[l] > 0).ravel() for l in range(1, cache.L)] or [np.zeros(0, bool)])
        return cost, signs

    def __call__(self, parameters):
        return self.forward(parameters)[0]

    def forward(self, parameters):
        """(cost, DeepCache) at `parameters`."""
        return forward_propagation_deep(self.X, self.Y, parameters, self.lambd, self.keep_prob,
                                        self.dropout_seed, self.cost_formula)

    def gradients(self, parameters, bugs=()):
        """Backprop gradients at `parameters` (dict dW1, db1, ...), with optional bugs."""
        _, cache = self.forward(parameters)
        from course_utils.backprop import backward_propagation_deep

        return backward_propagation_deep(self.X, self.Y, cache, bugs=bugs)

    def central_differences(self, parameters, epsilon=1e-7, indices=None, batch_size=None):
        """Centered differences (J(theta + eps e_i) - J(theta - eps e_i)) / (2 eps), batched.

        Perturbing entry (i, j) of W_l (or entry i of b_l) changes only row i of Z_l; so instead
        of a whole forward pass per perturbation, it updates that row, adds the rank-1 change it
        makes to Z_{l+1}, and runs only the layers after it, only on the examples whose
        activations changed -- many perturbations at once.
        With keep_prob < 1 and dropout_seed None the masks change every call: no fast path.

        parameters -- dict W1, b1, ...; epsilon -- > 0
        indices -- optional int array of entries of theta (dictionary_to_vector order) to do
        Returns (gradapprox, kinks, cost): gradapprox (n,) float with NaN where not computed;
        kinks (n,) bool, True where the +eps and -eps points put some ReLU input on different
        sides of 0 (the cost has a kink in between); cost the float J(parameters).
        """
        epsilon = check_epsilon(epsilon)
        if not self.has_fast_path:
            raise ValueError("central_differences needs cost_formula='stable' and fixed dropout masks "
                             "(dropout_seed not None); use course_utils.gradcheck.check_gradients instead")
        X, Y, L, names = check_network_inputs(self.X, self.Y, parameters)
        cost0, cache = self.forward(parameters)
        m = X.shape[1]
        sizes = [parameters[n].size for n in names]
        n = sum(sizes)
        if indices is None:
            indices = np.arange(n)
        indices = np.asarray(indices, dtype=np.int64).ravel()
        if indices.size and (indices.min() < 0 or indices.max() >= n):
            raise ValueError(f"indices must be entries of theta, in 0..{n - 1}; got {indices.min()}..{indices.max()}")
        gradapprox = np.full(n, np.nan)
        kinks = np.zeros(n, dtype=bool)
        offsets = np.cumsum([0] + sizes)
        for k, name in enumerate(names):
            sel = indices[(indices >= offsets[k]) & (indices < offsets[k + 1])]
            if sel.size == 0:
                continue
            local = sel - offsets[k]
            l = int(name[1:])
            W = parameters[f"W{l}"]
            if name.startswith("W"):
                rows, cols = np.unravel_index(local, W.shape)
                inputs = cache.A[l - 1][cols]  # (B, m): the row of A_{l-1} that W_l[i, j] multiplies
                w_old = W[rows, cols]
            else:
                rows = local
                inputs = np.ones((local.size, m))
                w_old = None
            # keep the (units, 2B, m) arrays near cache size: big batches are slower, not faster
            rows_per_batch = batch_size or max(1, int(CACHE_FLOATS // (2 * m * parameters[f"W{min(l + 1, L)}"].shape[0])))
            for start in range(0, sel.size, rows_per_batch):
                part = slice(start, start + rows_per_batch)
                change, kink = self._perturbed_costs(cache, l, rows[part], inputs[part], epsilon, Y, m)
                if w_old is not None and self.lambd:
                    w = w_old[part]  # the L2 penalty's own change, lambd/(2m) ((w+eps)^2 - (w-eps)^2)
                    penalty_plus, penalty_minus = (w + epsilon) ** 2 - w ** 2, (w - epsilon) ** 2 - w ** 2
                    change = change + self.lambd / (2 * m) * (penalty_plus - penalty_minus)
                gradapprox[sel[part]] = change / (2 * epsilon)
                kinks[sel[part]] = kink
        return gradapprox, kinks, cost0

    def _perturbed_costs(self, cache, l, rows, inputs, epsilon, Y, m):
        """J(+eps) - J(-eps) of the data cost (no L2 penalty) for a batch of perturbations.

        rows (B,) -- the row of Z_l each perturbation changes; inputs (B, m) -- by how much per eps.
        Returns (differences (B,), kinks (B,) bool). The difference is summed example by example,
        (loss_k(+eps) - loss_k(-eps)) over k, on a fixed (B, m) grid: examples that no
        perturbation of the batch changes are skipped (they add exactly 0), J's own round-off
        stays out of the difference, and the result does not depend on how entries are batched.
        Arrays are laid out (units, 2B, c) for the c changed examples, so each later layer is
        one matrix product.
        """
        L, params, masks = cache.L, cache.parameters, cache.D
        base = cache.Z[l][rows]  # (B, m)
        z = np.concatenate([base + epsilon * inputs, base - epsilon * inputs])  # (2B, m)
        B = rows.size
        if l == L:
            losses = _output_loss(z, Y)
            return np.sum(losses[:B] - losses[B:], axis=1) / m, np.zeros(B, dtype=bool)
        rows2 = np.concatenate([rows, rows])
        kink = np.any((z[:B] > 0) != (z[B:] > 0), axis=1)
        a_new = relu(z)
        if masks[l] is not None:
            a_new *= masks[l][rows2]
        delta = a_new - cache.A[l][rows2]  # (2B, m): change of one row of A_l
        cols = np.flatnonzero(np.any(delta != 0, axis=0))  # examples some perturbation changes
        if cols.size == 0:  # every perturbed unit is off (ReLU) or dropped on every example
            return np.zeros(B), kink
        delta = delta[:, cols]
        W_next = params[f"W{l + 1}"]
        # W_next[:, rows2] comes out of fancy indexing column-major; without the copy, Zn would be
        # laid out (2B, n, c) in memory and every reshape below would copy it
        w_cols = np.ascontiguousarray(W_next[:, rows2])
        Zn = w_cols[:, :, None] * delta[None, :, :]  # (n, 2B, c): the rank-1 changes
        Zn += cache.Z[l + 1][:, None, cols]
        c = cols.size
        for k in range(l + 1, L):
            pos = Zn > 0
            kink |= np.any(pos[:, :B] != pos[:, B:], axis=(0, 2))
            A = np.maximum(Zn, 0, out=Zn)
            if masks[k] is not None:
                A *= masks[k][:, None, cols]
            W = params[f"W{k + 1}"]
            if W.shape[0] == 1:
                # the sigmoid output: a matrix-vector product, which multithreaded BLAS runs several
                # times slower than einsum's plain loop when other processes share the CPU
                Zn = np.einsum("u,ubk->bk", W[0], A)[None]
            else:
                Zn = (W @ A.reshape(A.shape[0], -1)).reshape(-1, 2 * B, c)
            Zn += params[f"b{k + 1}"][:, :, None]
        losses = _output_loss(Zn[0], Y[:, cols])  # (2B, c): the output layer has one unit
        per_example = np.zeros((B, m))
        per_example[:, cols] = losses[:B] - losses[B:]
        return np.sum(per_example, axis=1) / m, kink


def _output_loss(z, Y):
    """Per-entry cross-entropy of pre-activations z against labels Y (broadcast), stable."""
    return np.logaddexp(0.0, np.where(Y == 1, -z, z))


def classic_cost(X, Y):
    """J(parameters) exactly as forward_propagation_n computes it (the classic cost formula)."""
    return NetworkCost(X, Y, cost_formula="classic")


_BACKWARD = ("backward_propagation_deep", "backward_propagation_n")


def __getattr__(name):
    """The backward passes live in course_utils.backprop (so a grading sandbox can leave them out);
    `course_utils.network.backward_propagation_n` still finds them."""
    if name in _BACKWARD:
        from course_utils import backprop

        return getattr(backprop, name)
    raise AttributeError(f"module 'course_utils.network' has no attribute {name!r}")
