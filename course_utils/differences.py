"""Centered differences and the relative difference: the numbers every gradient check is made of.

- relative_difference(grad, gradapprox): the course's one-number summary.
- numerical_gradient(cost, theta, epsilon): centered differences of a cost of a vector.
- loop_differences(cost, parameters, theta, indices, epsilon): centered differences of a cost of a
  parameter dict, one entry at a time, with the ReLU kinks each perturbation crosses (the careful, general
  path of course_utils.gradcheck.check_gradients; a NetworkCost has a batched one).
- THRESHOLD, the course's pass/fail line, and NOISE_FACTOR, the margin over round-off.

course_utils.gradcheck builds the careful checks on these (and its users import them from there).
"""
import numpy as np

from course_utils._validate import as_float_array, as_scalar_cost, check_epsilon
from course_utils.vectors import parameter_shapes, vector_to_dictionary

THRESHOLD = 2e-7  #: the course's N-D threshold: the correct classic pass reaches ~1.19e-7, above the original's 1e-7
NOISE_FACTOR = 100.0  #: how many times the estimated round-off of a centered difference an error must exceed to count


def relative_difference(grad, gradapprox):
    """||grad - gradapprox||_2 / (||grad||_2 + ||gradapprox||_2), and 0.0 when both are zero.

    grad, gradapprox -- arrays with the same number of entries (vectors (n, 1) or (n,) may be
    mixed: both are flattened, never broadcast against each other)
    Returns a float in [0, 1].
    """
    g = as_float_array(grad, "grad").ravel()
    a = as_float_array(gradapprox, "gradapprox").ravel()
    if g.size != a.size:
        raise ValueError(f"grad has {g.size} entries but gradapprox has {a.size}: they must match")
    denominator = np.linalg.norm(g) + np.linalg.norm(a)
    if denominator == 0:
        return 0.0
    return float(np.linalg.norm(g - a) / denominator)


def numerical_gradient(cost, theta, epsilon=1e-7):
    """Centered differences (cost(theta + eps e_i) - cost(theta - eps e_i)) / (2 eps) for every i.

    cost -- function of a vector shaped like theta, returning a finite float
    theta -- vector (n, 1) or (n,), float64 (float32 works but warns); it is not modified
    Returns gradapprox with the shape and dtype of theta.
    """
    if not callable(cost):
        raise TypeError(f"cost must be a function of theta returning a float, got {type(cost).__name__}")
    theta = as_float_array(theta, "theta")
    if theta.ndim not in (1, 2) or (theta.ndim == 2 and theta.shape[1] != 1):
        raise ValueError(f"theta must be a vector of shape (n, 1) or (n,), got shape {theta.shape}")
    epsilon = check_epsilon(epsilon)
    work = theta.copy()  # perturb a private copy, never the caller's vector
    flat = work.reshape(-1)
    gradapprox = np.zeros_like(theta)
    out = gradapprox.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        try:
            flat[i] = old + epsilon
            plus = as_scalar_cost(cost(work), "cost")
            flat[i] = old - epsilon
            minus = as_scalar_cost(cost(work), "cost")
        finally:
            flat[i] = old  # restore even if the cost raised
        out[i] = (plus - minus) / (2 * epsilon)
    return gradapprox


def splitter(shapes):
    """vector_to_dictionary for `shapes` without its checks, for the inner loop (the boundary checked them).

    Returns split(vector) -> dict name -> a copy of its entries in that shape.
    """
    ends = np.cumsum([int(np.prod(shape)) for shape in shapes.values()])
    spans = [(name, end - int(np.prod(shape)), end, shape) for (name, shape), end in zip(shapes.items(), ends)]

    def split(vector):
        return {name: vector[start:end].reshape(shape).copy() for name, start, end, shape in spans}

    return split


def loop_differences(cost, parameters, theta, indices, epsilon, deterministic=True, J=None):
    """Centered differences one entry at a time (the careful, general path).

    Kinks are detected when `cost` offers cost_and_signs(parameters) -> (J, ReLU input signs), as
    a NetworkCost does, and is deterministic (with fresh dropout masks every call, sign patterns differ anyway).
    J -- the cost at theta if already known (then it is not evaluated again)
    Returns (gradapprox (n,), kinks (n,) bool, J).
    """
    shapes = parameter_shapes(parameters)
    if J is None:
        J = as_scalar_cost(cost(vector_to_dictionary(theta, shapes)), "cost")
    split = splitter(shapes)
    with_signs = getattr(cost, "cost_and_signs", None) if deterministic else None
    n = theta.shape[0]
    gradapprox = np.full(n, np.nan)
    kinks = np.zeros(n, dtype=bool)
    work = theta.reshape(-1).copy()
    for i in indices:
        old = work[i]
        try:
            work[i] = old + epsilon
            p_plus = split(work)
            work[i] = old - epsilon
            p_minus = split(work)
        finally:
            work[i] = old
        if with_signs is not None:  # one forward pass gives the cost and the ReLU sign pattern
            (plus, s_plus), (minus, s_minus) = with_signs(p_plus), with_signs(p_minus)
            kinks[i] = bool(np.any(s_plus != s_minus))
        else:
            plus, minus = cost(p_plus), cost(p_minus)
        plus, minus = as_scalar_cost(plus, "cost"), as_scalar_cost(minus, "cost")
        gradapprox[i] = (plus - minus) / (2 * epsilon)
    return gradapprox, kinks, J
