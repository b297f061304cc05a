"""The backward passes of the course networks (the gradients of course_utils.network's costs).

They live apart from the forward passes so that a verification sandbox can expose the forward pass
without the answer to the backward-pass exercise (course_utils.grading.verify); import them from here.
"""
import numpy as np

from course_utils.bugs import injector, validate_bugs
from course_utils.network import DeepCache, check_network_inputs


def backward_propagation_deep(X, Y, cache, bugs=()):
    """Backward pass of the deep network: the gradient of the cost of forward_propagation_deep.

    X, Y -- as in the forward pass; cache -- its DeepCache
    bugs -- names from course_utils.bugs.BUGS to inject (a bug tied to a layer needs that layer)
    Returns a dict with dW_l, db_l (shapes of W_l, b_l) and dZ_l, dA_{l-1} for every layer.

    Each inject(stage, ...) call below is a point of course_utils.bugs.STAGES: it returns the correct
    value it is given unless a requested bug acts there (the catalog owns what each bug does).
    """
    if not isinstance(cache, DeepCache):
        raise TypeError(f"cache must be the DeepCache returned by forward_propagation_deep, got {type(cache).__name__}")
    X, Y, L, _ = check_network_inputs(X, Y, cache.parameters)
    inject = injector(validate_bugs(bugs, n_layers=L))
    m = X.shape[1]
    A, params = cache.A, cache.parameters
    dZ = inject("dZ_out", L, A[L] - Y, m=m, Y=Y, A=A[L])
    grads = {}
    for l in range(L, 0, -1):
        grads[f"dZ{l}"] = dZ
        W = params[f"W{l}"]
        dW = inject("dW", l, 1.0 / m * (dZ @ A[l - 1].T), m=m, dZ=dZ, A_prev=A[l - 1])
        if cache.lambd:
            dW = inject("dW_l2", l, dW + cache.lambd / m * W, m=m, W=W, dW=dW, lambd=cache.lambd)
        db = inject("db", l, 1.0 / m * np.sum(dZ, axis=1, keepdims=True), m=m, dZ=dZ)
        grads[f"dW{l}"], grads[f"db{l}"] = dW, db
        if l > 1:
            dA = W.T @ dZ
            if cache.D[l - 1] is not None:
                dA = dA * cache.D[l - 1]  # dropout: the same mask as in the forward pass
            grads[f"dA{l - 1}"] = dA
            dZ = inject("dZ_relu", l - 1, dA * (A[l - 1] > 0), m=m, dA=dA, A=A[l - 1])
    return grads


def backward_propagation_n(X, Y, cache, bugs=()):
    """Backward pass of the classic network, optionally with bugs from the catalog injected.

    X, Y -- as in forward_propagation_n; cache -- the 12-tuple it returned
    bugs -- names from course_utils.bugs.BUGS, e.g. course_utils.bugs.COLLEAGUE_BUGS for the
            colleague's pass of the original assignment
    Returns gradients: dict dZ3, dW3, db3, dA2, dZ2, dW2, db2, dA1, dZ1, dW1, db1 (shapes of the
    matching Z, W, b, A).
    """
    if not isinstance(cache, tuple) or len(cache) != 12:
        raise TypeError("cache must be the 12-tuple (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) "
                        "returned by forward_propagation_n")
    Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3 = cache
    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2, "W3": W3, "b3": b3}
    deep = DeepCache([np.asarray(X), A1, A2, A3], [None, Z1, Z2, Z3], [None] * 4, params)
    return backward_propagation_deep(X, Y, deep, bugs=bugs)
