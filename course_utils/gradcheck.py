"""Gradient checking: compare backprop's gradient with centered differences of the cost.

- check_gradients(cost, parameters, gradients, ...): the careful check -- per-tensor block
  differences, per-entry errors, ReLU kinks, the cause of every difference above the threshold
  ("bug", "epsilon too large", "round-off", "kink") and the suspects.
- check_directions(cost, parameters, gradients, ...): the cheap check for big models -- a few
  random directions (per tensor, if asked), two cost evaluations each (two more for a direction
  above the threshold: the same second look), with the same causes and verdict words.
- relative_difference, numerical_gradient and THRESHOLD, the numbers both are made of, are
  course_utils.differences' (importable from here, where the notebooks import them).

What the checks return, and how a cause is named from the second look, is course_utils.verdicts.
"""
import warnings

import numpy as np

from course_utils._validate import as_scalar_cost, check_epsilon, check_mapping
from course_utils.differences import (
    NOISE_FACTOR,
    THRESHOLD,
    loop_differences,
    numerical_gradient,
    relative_difference,
    splitter,
)
from course_utils.vectors import dictionary_to_vector, gradients_to_vector, parameter_shapes
from course_utils.verdicts import (
    RECHECK_FACTOR,
    DirectionalResult,
    GradCheckResult,
    cause_from_recheck,
)

__all__ = ["THRESHOLD", "check_directions", "check_gradients", "numerical_gradient", "relative_difference"]

RECHECK_ENTRIES = 8  #: a tensor above the threshold is looked at again on at most this many entries, the largest errors
RECHECK_KINK_ENTRIES = 32  #: kink entries looked at again, at most, per tensor above the threshold with kinks
KINK_DEPTH = 3  #: ... followed down to epsilon / 10**KINK_DEPTH at most, until they cross no kink


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
        k = max(1, round(sample * where.size / n))
        chosen.append(rng.choice(where, size=min(k, where.size), replace=False))
    return np.sort(np.concatenate(chosen))


def check_gradients(cost, parameters, gradients, epsilon=1e-7, threshold=THRESHOLD, *, sample=None, seed=0,
                    recheck=True):
    """Check backprop's gradients against centered differences of `cost`.

    cost -- cost(parameters) -> float. A course_utils.fastcost.NetworkCost is differentiated with
            its batched fast path; any other function one entry at a time.
    parameters -- dict W1, b1, ... (float64; float32 warns: its round-off makes correct gradients
                  look wrong)
    gradients -- dict with dW1, db1, ... of the same shapes (dZ, dA keys are ignored)
    epsilon -- the perturbation (> 0); threshold -- the pass/fail line for the difference
    sample -- None to check every entry, or how many randomly chosen entries to check (at least
              one in every tensor); seed -- seed of that choice
    recheck -- False skips the second look at epsilon / RECHECK_FACTOR (then a tensor above the
               threshold and above round-off is called "bug"; for benchmarks and comparisons)
    Returns a GradCheckResult. `difference`, `block_differences` and `gradapprox` are always those
    at `epsilon`: the second look only decides causes.

    How the causes are decided. Each tensor T gets a block difference
    d_T = ||g_T - a_T|| / (||g_T|| + ||a_T||) over its checked entries (g: backprop, a: centered
    differences). A centered difference's error is about b + c eps^2 + r / eps: a bug b stays put
    when epsilon changes, truncation c eps^2 falls 100x when epsilon shrinks 10x, round-off r / eps
    grows 10x. Leaving out the entries whose perturbation crossed a ReLU kink (d_smooth):
    - d_smooth above `threshold` and the absolute error above the round-off noise of centered
      differences, NOISE_FACTOR * u * max(|J|, 1) / epsilon per entry (u the unit round-off of the
      parameters' dtype, float32's included): T gets a second look. Its RECHECK_ENTRIES (8) entries
      with the largest errors are evaluated again at epsilon / RECHECK_FACTOR (10). If their error
      falls more than TRUNCATION_FALL (20) times: "epsilon too large"; rises more than ROUNDOFF_RISE
      (3) times: "round-off"; otherwise "bug" -- unless the difference estimated at epsilon / 10,
      d_smooth * (error ratio), is below the threshold there ("epsilon too large": a smaller step passes);
    - else, T above the threshold because of its kink entries: "kink";
    - a bug can hide on kink entries (at a large epsilon every entry of a tensor may cross a kink, or
      the wrong entries may be just those that do). So for every tensor above the threshold with kink
      entries, up to RECHECK_KINK_ENTRIES (32) of them (the largest gradients) are evaluated at
      epsilon / 10, and while all of them still cross a kink at epsilon / 100, / 1000 (KINK_DEPTH);
      at the first step where some cross none, if those are above the threshold and above round-off,
      a step 10x smaller tells a bug (it stays put: the tensor is "bug") from truncation (the cause
      above stands);
    - else, d_T above the threshold but the error within round-off noise: "round-off" (this keeps a
      correct tensor with a tiny gradient, where round-off alone makes d_T large, from being accused);
    - else "ok".
    The extra evaluations (two per entry looked at again) happen only for tensors above the
    threshold: a check with no tensor above it costs no evaluation more than the first pass.

    What this can and cannot see. A bug whose error is more than about 5% of the truncation error at
    epsilon keeps the error ratio above 1/20 and is named at any epsilon: every bug of the catalog is
    named at every epsilon from 1e-7 to 0.1 on the classic net and on the deep nets of
    tests/test_gradcheck.py. A bug smaller than that is hidden under truncation: its tensor gets
    "epsilon too large", and the bug is named at a smaller epsilon, once truncation (100x smaller
    per 10x smaller epsilon) has fallen below it. A bug too small to rise above round-off at epsilon
    is not seen (by any finite-difference check at that epsilon). The round-off bound assumes the
    cost is computed in the parameters' precision: a cost computed in float32 from float64
    parameters has far more round-off, its perturbations can be lost altogether (the difference then
    stays put, like a bug's): check such a cost in float64. Kinks are detected only for costs with
    cost_and_signs (a NetworkCost); for a plain function a kink crossed looks like a bug or like
    truncation.
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
    fast = getattr(cost, "has_fast_path", False) and theta.dtype == np.float64

    def differences(at, step, J=None):
        if fast:
            return cost.central_differences(parameters, step, at)
        return loop_differences(cost, parameters, theta, at, step, deterministic, J=J)

    gradapprox, kinks, J = differences(indices, epsilon)

    checked = np.zeros(n, dtype=bool)
    checked[indices] = True
    keys_arr = np.asarray(keys)
    u = np.finfo(theta.dtype).eps / 2
    noise_entry = NOISE_FACTOR * u * max(abs(J), 1.0) / epsilon
    errors = np.full(n, np.nan)
    blocks, causes, noise, flagged, behind_kinks = {}, {}, {}, {}, {}
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
        kinked = blocks[name] > threshold and kinks[in_block].any()
        if deterministic and kinked:  # a bug may sit on the kink entries: looked at again below
            behind_kinks[name] = (_largest(in_block & kinks, np.abs(grad), RECHECK_KINK_ENTRIES), denominator)
        if not deterministic:
            causes[name] = "unreliable"
        elif d_smooth > threshold and np.linalg.norm(gs - as_) > noise[name]:
            causes[name] = "bug"  # until the second look says otherwise
            flagged[name] = (_largest(in_block & ~kinks, np.abs(grad - gradapprox), RECHECK_ENTRIES), d_smooth)
        elif kinked:
            causes[name] = "kink"
        elif blocks[name] > threshold:
            causes[name] = "round-off"  # above the threshold, but the error is within round-off noise
        else:
            causes[name] = "ok"

    recheck_epsilon = epsilon / RECHECK_FACTOR
    rechecked = np.zeros(n, dtype=bool)
    ratios = {}
    if recheck and (flagged or behind_kinks):
        at = np.concatenate([flagged[name][0] for name in flagged] + [behind_kinks[name][0] for name in behind_kinks])
        second, kinks2, _ = differences(at, recheck_epsilon, J)
        rechecked[at] = True
        for name, (where, d_smooth) in flagged.items():
            where = where[~kinks2[where]]  # crossing a kink only at the smaller step: rare, left out
            error = np.linalg.norm(grad[where] - gradapprox[where])
            if error == 0:  # all the disagreement sat on entries that cross a kink at the smaller step
                causes[name] = "kink"
                continue
            ratios[name] = float(np.linalg.norm(grad[where] - second[where]) / error)
            causes[name] = cause_from_recheck(d_smooth, error, ratios[name] * error, threshold)
        # a tensor above the threshold with kink entries: a bug may sit on those (see the docstring)
        found = _look_behind_kinks(differences, grad, behind_kinks, second, kinks2, recheck_epsilon, epsilon,
                                   threshold, noise_entry, rechecked)
        for name, (is_bug, ratio) in found.items():
            if is_bug:
                causes[name], ratios[name] = "bug", ratio
            else:
                ratios.setdefault(name, ratio)  # a tensor flagged on its smooth entries keeps their ratio
    suspects = [name for name, cause in causes.items() if cause == "bug"]
    kink_tensors = [name for name, cause in causes.items() if cause == "kink"]
    difference = relative_difference(grad[checked], gradapprox[checked])
    return GradCheckResult(
        difference=difference, block_differences=blocks, suspects=suspects, kink_tensors=kink_tensors,
        keys=list(keys), grad=grad, gradapprox=gradapprox, errors=errors, kinks=kinks, checked=checked,
        epsilon=epsilon, threshold=threshold, cost=float(J), noise_floor=noise, deterministic=deterministic,
        causes=causes, recheck_epsilon=recheck_epsilon, rechecked=rechecked, recheck_ratios=ratios,
        dtype=theta.dtype.name)


def _look_behind_kinks(differences, grad, pending, values, kinks_at, step, epsilon, threshold, noise_entry, rechecked):
    """Follow kink entries to smaller steps until they cross no kink, then tell a bug from truncation there.

    pending -- tensor name -> (its kink entries to follow, the denominator of its block difference)
    values, kinks_at -- centered differences and kink flags at `step` (epsilon / 10) for those entries
    At each step, a tensor whose followed entries include some that cross no kink is decided on those:
    if their error is above the threshold and above round-off at that step, they are evaluated at a
    step 10x smaller and compared (cause_from_recheck); otherwise nothing hides there. A tensor whose
    entries all still cross kinks is followed to the next step, at most down to epsilon / 10**KINK_DEPTH.
    Marks what it evaluates in `rechecked`. Returns name -> (True if a bug, the error ratio).
    """
    found = {}
    for _ in range(KINK_DEPTH):
        pairs, search = {}, {}
        for name, (where, denominator) in pending.items():
            smooth = where[~kinks_at[where]]
            if smooth.size == 0:
                search[name] = (where, denominator)
                continue
            error = np.linalg.norm(grad[smooth] - values[smooth])
            if error > threshold * denominator and error > noise_entry * (epsilon / step) * np.sqrt(smooth.size):
                pairs[name] = (smooth, denominator)
        if not pairs and not search:
            break
        at = np.concatenate([where for where, _ in (*pairs.values(), *search.values())])
        smaller, kinks_smaller, _ = differences(at, step / RECHECK_FACTOR)
        rechecked[at] = True
        for name, (smooth, denominator) in pairs.items():
            keep = smooth[~kinks_smaller[smooth]]
            error = np.linalg.norm(grad[keep] - values[keep])
            if error == 0:
                continue
            ratio = float(np.linalg.norm(grad[keep] - smaller[keep]) / error)
            found[name] = (cause_from_recheck(error / denominator, error, ratio * error, threshold) == "bug", ratio)
        pending, values, kinks_at, step = search, smaller, kinks_smaller, step / RECHECK_FACTOR
    return found


def _largest(mask, size, count):
    """The (at most `count`) entries of `mask` where `size` is largest, in increasing order."""
    where = np.flatnonzero(mask)
    largest = np.argsort(-size[where], kind="stable")[:count]
    return np.sort(where[largest])



def check_directions(cost, parameters, gradients, epsilon=1e-7, threshold=THRESHOLD, *,
                     directions=1, per_tensor=False, seed=0, recheck=True):
    """The cheap check: compare directional derivatives along random unit directions.

    For a unit vector u, (J(theta + eps u) - J(theta - eps u)) / (2 eps) must equal grad . u;
    two cost evaluations per direction, whatever the number of parameters. A wrong gradient is
    caught unless u happens to be orthogonal to its error (probability 0 for random u).
    per_tensor=True draws one direction inside each tensor, so a wrong tensor is named: for a
    gradient scaled by k in tensor T its difference is |k - 1| / (k + 1), as for d_T.
    Causes as in check_gradients: a difference within round-off noise is "round-off"; one above the
    threshold and above round-off gets a second look along the same u at epsilon / RECHECK_FACTOR
    (two more evaluations; recheck=False skips it and calls it "bug"): falling like epsilon^2 gives
    "epsilon too large", growing "round-off", staying put "bug". A ReLU kink crossed along u is not
    detected here: it looks like a bug or like truncation.

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
    split = splitter(shapes)
    numerical, analytic, differences, causes = {}, {}, {}, {}
    evaluations = 1

    def derivative(u, step):
        plus = as_scalar_cost(cost(split(theta + step * u)), "cost")
        minus = as_scalar_cost(cost(split(theta - step * u)), "cost")
        return (plus - minus) / (2 * step)

    for group, mask in groups.items():
        u = rng.standard_normal(theta.size)
        if mask is not None:
            u = np.where(mask, u, 0.0)
        u /= np.linalg.norm(u)
        numerical[group] = derivative(u, epsilon)
        evaluations += 2
        analytic[group] = float(grad @ u)
        d = differences[group] = relative_difference(np.array([analytic[group]]), np.array([numerical[group]]))
        error = abs(analytic[group] - numerical[group])
        if d <= threshold:
            causes[group] = "ok"
        elif error <= noise:
            causes[group] = "round-off"
        elif not recheck:
            causes[group] = "bug"
        else:
            error_recheck = abs(analytic[group] - derivative(u, epsilon / RECHECK_FACTOR))
            evaluations += 2
            causes[group] = cause_from_recheck(d, error, error_recheck, threshold)
    suspects = [group for group, cause in causes.items() if cause == "bug"] if per_tensor else []
    if not per_tensor:
        differences, numerical, analytic, causes = (list(d.values()) for d in (differences, numerical, analytic, causes))
        values = differences
    else:
        values = list(differences.values())
    return DirectionalResult(difference=float(max(values)), differences=differences, numerical=numerical,
                             analytic=analytic, suspects=suspects, evaluations=evaluations, threshold=threshold,
                             causes=causes, epsilon=epsilon)
