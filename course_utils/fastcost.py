"""NetworkCost: the cost J(parameters) of a course network on fixed data, with the fast batched
centered differences that course_utils.gradcheck uses (and classic_cost, the classic net's).

It lives apart from course_utils.network so that a grading sandbox can expose the forward pass without
the course's own centered differences; import it from here.
"""

import numpy as np

from course_utils._validate import as_float_array, check_epsilon
from course_utils.activations import relu
from course_utils.network import COST_FORMULAS, _check_regularization, _forward_deep, check_network_inputs

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
        self._checked = None  # (layout, Y as (1, m), L) of the last parameters validated (see forward)

    @property
    def has_fast_path(self):
        """True when central_differences can batch (stable cost, fixed dropout masks)."""
        return self.cost_formula == "stable" and (self.keep_prob == 1 or self.dropout_seed is not None)

    def cost_and_signs(self, parameters):
        """(J, signs) from one forward pass: what the checker's loop needs per point.

        signs -- boolean vector: which ReLU inputs (hidden Z_l entries) are > 0 at `parameters`. Two points whose
        vectors differ have a kink of the cost somewhere between them.
        """
        cost, cache = self.forward(parameters)
        signs = np.concatenate([(cache.Z[l] > 0).ravel() for l in range(1, cache.L)] or [np.zeros(0, bool)])
        return cost, signs

    def __call__(self, parameters):
        return self.forward(parameters)[0]

    def forward(self, parameters):
        """(cost, DeepCache) at `parameters`.

        The first call with a given layout of parameters (names, shapes, dtypes) validates everything,
        as forward_propagation_deep does; later calls with the same layout (a gradient check's thousands
        of perturbed copies) only check that the values are finite.
        """
        layout = _layout(parameters)
        if layout is None or self._checked is None or self._checked[0] != layout or not _all_finite(parameters):
            _, Y, L, _ = check_network_inputs(self.X, self.Y, parameters)  # as forward_propagation_deep does
            self._checked = (layout, Y, L) if layout is not None else None
        else:
            _, Y, L = self._checked
        return _forward_deep(self.X, Y, L, parameters, self.lambd, self.keep_prob, self.dropout_seed,
                             self.cost_formula)

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


def _layout(parameters):
    """(name, shape, dtype) of every entry of a dict of numpy arrays, in order; None for anything else."""
    if type(parameters) is not dict or not all(type(v) is np.ndarray for v in parameters.values()):
        return None
    return tuple((k, v.shape, v.dtype) for k, v in parameters.items())


def _all_finite(parameters):
    return all(np.isfinite(v).all() for v in parameters.values())


def classic_cost(X, Y):
    """J(parameters) exactly as forward_propagation_n computes it (the classic cost formula)."""
    return NetworkCost(X, Y, cost_formula="classic")
