"""Gradient checking: compare backprop's gradient with centered differences of the cost.

- relative_difference(grad, gradapprox): the course's one-number summary.
- numerical_gradient(cost, theta, epsilon): centered differences of a cost of a vector.
- check_gradients(cost, parameters, gradients, ...): the careful check -- per-tensor block
  differences, per-entry errors, ReLU kinks, and the verdict `suspects`.
- check_directions(cost, parameters, gradients, ...): the cheap check for big models -- a few
  random directions (per tensor, if asked), two cost evaluations each.
"""
import warnings
from dataclasses import dataclass, field

import numpy as np

from course_utils._validate import as_float_array, as_scalar_cost, check_epsilon, check_mapping
from course_utils.vectors import dictionary_to_vector, gradients_to_vector, parameter_shapes, vector_to_dictionary

#: how many times the estimated round-off of a centered difference an error must exceed to count
THRESHOLD = 2e-7  #: the course's N-D threshold: the correct classic pass reaches ~1.19e-7, above the original's 1e-7
NOISE_FACTOR = 100.0


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


@dataclass
class GradCheckResult:
    """What check_gradients found.

    difference -- relative difference over the checked entries (the course's number)
    block_differences -- tensor name -> relative difference of that tensor's checked entries
    suspects -- tensors whose gradient looks wrong, in parameter order (see check_gradients)
    kink_tensors -- tensors above the threshold only because of entries next to a ReLU kink
    keys -- name of the tensor of every entry; grad, gradapprox -- (n,) vectors (gradapprox
    NaN where not checked); errors -- (n,) per-entry error |g - a| / (||g_T|| + ||a_T||) (T the
    entry's tensor, NaN where not checked); kinks -- (n,) bool; checked -- (n,) bool
    epsilon, threshold, cost -- as used; J at the parameters
    deterministic -- False when cost gave two different values at the same parameters (random
    dropout masks, say): then the differences mean nothing and nobody is named a suspect
    """

    difference: float
    block_differences: dict
    suspects: list
    kink_tensors: list
    keys: list
    grad: np.ndarray
    gradapprox: np.ndarray
    errors: np.ndarray
    kinks: np.ndarray
    checked: np.ndarray
    epsilon: float
    threshold: float
    cost: float
    noise_floor: dict = field(default_factory=dict)
    deterministic: bool = True

    @property
    def passed(self):
        """True when the overall difference is below the threshold."""
        return self.difference < self.threshold

    @property
    def verdict(self):
        """"pass", "fail" (there are suspects), "false alarm" (above threshold, no suspect) or
        "unreliable" (the cost is not deterministic)."""
        if not self.deterministic:
            return "unreliable"
        if self.suspects:
            return "fail"
        return "pass" if self.passed else "false alarm"

    def summary(self):
        """One plain sentence, e.g. "b1 and W2 look wrong; everything else agrees to 1e-09"."""
        if not self.deterministic:
            return ("The check is unreliable: the cost gave different values for the same parameters "
                    "(random dropout masks?). Fix the randomness, then check again.")
        others = [d for name, d in self.block_differences.items() if name not in self.suspects]
        agree = f"agrees to {_order(max(others))}" if others else ""
        if self.suspects:
            names = _join(self.suspects)
            verb = "looks" if len(self.suspects) == 1 else "look"
            rest = f"; everything else {agree}" if others else ""
            return f"{names} {verb} wrong{rest}."
        if self.kink_tensors:
            smooth = [d for name, d in self.block_differences.items() if name not in self.kink_tensors]
            rest = f"; everything else agrees to {_order(max(smooth))}" if smooth else ""
            return (f"No bug found: the differences in {_join(self.kink_tensors)} come from ReLU kinks "
                    f"crossed by the perturbation{rest}.")
        if not self.passed:
            return (f"No bug found: the difference {self.difference:.2g} is above the threshold "
                    f"{self.threshold:.0e} but within round-off noise; every tensor {agree}.")
        return f"All gradients agree: difference {self.difference:.2g} < {self.threshold:.0e}."


def _order(x):
    """A difference as a power of ten, '1e-09' style (0 -> '0')."""
    if x <= 0:
        return "0"
    return f"1e{int(np.ceil(np.log10(x))):+03d}".replace("+", "")


def _join(names):
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _sample_indices(keys, sample, seed):
    """A random subset of `sample` entries that covers every tensor (stratified, >= 1 each)."""
    names = list(dict.fromkeys(keys))
    if isinstance(sample, bool) or not isinstance(sample, (int, np.integer)) or sample < len(names):
        raise ValueError(f"sample must be an int >= the number of tensors ({len(names)}), got {sample!r}")
    keys = np.asarray(keys)
    rng = np.random.default_rng(seed)
    n = keys.size
    chosen = []
    for name in names:
        where = np.flatnonzero(keys == name)
        k = max(1, int(round(sample * where.size / n)))
        chosen.append(rng.choice(where, size=min(k, where.size), replace=False))
    return np.sort(np.concatenate(chosen))


def check_gradients(cost, parameters, gradients, epsilon=1e-7, threshold=THRESHOLD, *, sample=None, seed=0):
    """Check backprop's gradients against centered differences of `cost`.

    cost -- cost(parameters) -> float. A course_utils.network.NetworkCost is differentiated with
            its batched fast path; any other function one entry at a time.
    parameters -- dict W1, b1, ... (float64; float32 warns: false alarms are likely)
    gradients -- dict with dW1, db1, ... of the same shapes (dZ, dA keys are ignored)
    epsilon -- the perturbation (> 0); threshold -- the pass/fail line for the difference
    sample -- None to check every entry, or how many randomly chosen entries to check (at least
              one in every tensor); seed -- seed of that choice
    Returns a GradCheckResult.

    How the verdict is decided. Each tensor T gets a block difference
    d_T = ||g_T - a_T|| / (||g_T|| + ||a_T||) over its checked entries (g: backprop, a: centered
    differences). T is a suspect when, leaving out entries whose perturbation crossed a ReLU
    kink, (1) d_T is above `threshold` and (2) the absolute error ||g_T - a_T|| is above the
    round-off noise of centered differences, NOISE_FACTOR * u * max(|J|, 1) / epsilon per entry
    (u the unit round-off of the parameters' dtype). (2) keeps a correct tensor with a tiny
    gradient (where round-off alone makes d_T large) from being accused; a real bug of 1% or more
    in a tensor whose gradient is above that noise is caught by (1). Tensors above the threshold
    only because of kink entries are listed in `kink_tensors`, not in `suspects`.
    """
    if not callable(cost):
        raise TypeError(f"cost must be a function of parameters returning a float, got {type(cost).__name__}")
    epsilon = check_epsilon(epsilon)
    threshold = check_epsilon(threshold, "threshold")
    check_mapping(parameters, "parameters")
    theta, keys = dictionary_to_vector(parameters)
    grad = gradients_to_vector(gradients, parameters).ravel()
    n = theta.shape[0]
    indices = np.arange(n) if sample is None else _sample_indices(keys, sample, seed)

    first = as_scalar_cost(cost(parameters), "cost")
    deterministic = first == as_scalar_cost(cost(parameters), "cost")
    if not deterministic:
        warnings.warn("cost returned two different values for the same parameters (random dropout "
                      "masks?): the gradient check cannot be trusted", RuntimeWarning, stacklevel=2)
    if getattr(cost, "has_fast_path", False) and theta.dtype == np.float64:
        gradapprox, kinks, J = cost.central_differences(parameters, epsilon, indices)
    else:
        gradapprox, kinks, J = _loop_differences(cost, parameters, theta, indices, epsilon, deterministic)

    checked = np.zeros(n, dtype=bool)
    checked[indices] = True
    keys_arr = np.asarray(keys)
    u = np.finfo(theta.dtype).eps / 2
    noise_entry = NOISE_FACTOR * u * max(abs(J), 1.0) / epsilon
    errors = np.full(n, np.nan)
    blocks, suspects, kink_tensors, noise = {}, [], [], {}
    for name in dict.fromkeys(keys):
        in_block = (keys_arr == name) & checked
        g, a = grad[in_block], gradapprox[in_block]
        denominator = np.linalg.norm(g) + np.linalg.norm(a)
        blocks[name] = float(np.linalg.norm(g - a) / denominator) if denominator else 0.0
        errors[in_block] = np.abs(g - a) / denominator if denominator else 0.0
        smooth = ~kinks[in_block]
        gs, as_ = g[smooth], a[smooth]
        denominator_s = np.linalg.norm(gs) + np.linalg.norm(as_)
        d_smooth = float(np.linalg.norm(gs - as_) / denominator_s) if denominator_s else 0.0
        noise[name] = noise_entry * np.sqrt(max(1, smooth.sum()))
        if not deterministic:
            continue
        if d_smooth > threshold and np.linalg.norm(gs - as_) > noise[name]:
            suspects.append(name)
        elif blocks[name] > threshold and kinks[in_block].any():
            kink_tensors.append(name)
    sel = checked
    difference = relative_difference(grad[sel], gradapprox[sel])
    return GradCheckResult(difference, blocks, suspects, kink_tensors, list(keys), grad, gradapprox,
                           errors, kinks, checked, epsilon, threshold, float(J), noise, deterministic)


def _loop_differences(cost, parameters, theta, indices, epsilon, deterministic=True):
    """Centered differences one entry at a time (the careful, general path).

    Kinks are detected when `cost` offers cost_and_signs(parameters) -> (J, ReLU input signs), as
    a NetworkCost does, and is deterministic (with fresh dropout masks every call, sign patterns differ anyway).
    Returns (gradapprox (n,), kinks (n,) bool, J).
    """
    shapes = parameter_shapes(parameters)
    J = as_scalar_cost(cost(vector_to_dictionary(theta, shapes)), "cost")
    with_signs = getattr(cost, "cost_and_signs", None) if deterministic else None
    n = theta.shape[0]
    gradapprox = np.full(n, np.nan)
    kinks = np.zeros(n, dtype=bool)
    work = theta.reshape(-1).copy()
    for i in indices:
        old = work[i]
        try:
            work[i] = old + epsilon
            p_plus = vector_to_dictionary(work, shapes)
            work[i] = old - epsilon
            p_minus = vector_to_dictionary(work, shapes)
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


@dataclass
class DirectionalResult:
    """What check_directions found.

    difference -- the largest relative difference over the directions tried
    differences -- one per direction (or per tensor, with per_tensor=True: name -> difference)
    numerical, analytic -- the directional derivatives (J(theta + eps u) - J(theta - eps u))/(2 eps)
    and g . u, in the same layout; suspects -- tensors that look wrong (per_tensor only)
    evaluations -- how many times the cost was evaluated
    """

    difference: float
    differences: object
    numerical: object
    analytic: object
    suspects: list
    evaluations: int
    threshold: float


def check_directions(cost, parameters, gradients, epsilon=1e-7, threshold=THRESHOLD, *,
                     directions=1, per_tensor=False, seed=0):
    """The cheap check: compare directional derivatives along random unit directions.

    For a unit vector u, (J(theta + eps u) - J(theta - eps u)) / (2 eps) must equal grad . u;
    two cost evaluations per direction, whatever the number of parameters. A wrong gradient is
    caught unless u happens to be orthogonal to its error (probability 0 for random u).
    per_tensor=True draws one direction inside each tensor, so a wrong tensor is named: for a
    gradient scaled by k in tensor T its difference is |k - 1| / (k + 1), as for d_T.
    Suspect rule as in check_gradients (above threshold and above round-off noise).

    Returns a DirectionalResult.
    """
    if not callable(cost):
        raise TypeError(f"cost must be a function of parameters returning a float, got {type(cost).__name__}")
    epsilon = check_epsilon(epsilon)
    threshold = check_epsilon(threshold, "threshold")
    if isinstance(directions, bool) or not isinstance(directions, (int, np.integer)) or directions < 1:
        raise ValueError(f"directions must be an int >= 1, got {directions!r}")
    theta, keys = dictionary_to_vector(parameters)
    theta = theta.ravel()
    grad = gradients_to_vector(gradients, parameters).ravel()
    shapes = parameter_shapes(parameters)
    rng = np.random.default_rng(seed)
    keys_arr = np.asarray(keys)
    groups = {name: keys_arr == name for name in dict.fromkeys(keys)} if per_tensor else {i: None for i in range(directions)}
    J = as_scalar_cost(cost(parameters), "cost")
    noise = NOISE_FACTOR * (np.finfo(theta.dtype).eps / 2) * max(abs(J), 1.0) / epsilon
    numerical, analytic, differences, suspects = {}, {}, {}, []
    evaluations = 1
    for group, mask in groups.items():
        u = rng.standard_normal(theta.size)
        if mask is not None:
            u = np.where(mask, u, 0.0)
        u /= np.linalg.norm(u)
        plus = as_scalar_cost(cost(vector_to_dictionary(theta + epsilon * u, shapes)), "cost")
        minus = as_scalar_cost(cost(vector_to_dictionary(theta - epsilon * u, shapes)), "cost")
        evaluations += 2
        numerical[group] = (plus - minus) / (2 * epsilon)
        analytic[group] = float(grad @ u)
        differences[group] = relative_difference(np.array([analytic[group]]), np.array([numerical[group]]))
        if per_tensor and differences[group] > threshold and abs(analytic[group] - numerical[group]) > noise:
            suspects.append(group)
    if not per_tensor:
        differences, numerical, analytic = (list(d.values()) for d in (differences, numerical, analytic))
        values = differences
    else:
        values = list(differences.values())
    return DirectionalResult(float(max(values)), differences, numerical, analytic, suspects, evaluations, threshold)

