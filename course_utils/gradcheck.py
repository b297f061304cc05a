"""Gradient checking: compare backprop's gradient with centered differences of the cost.

- relative_difference(grad, gradapprox): the course's one-number summary.
- numerical_gradient(cost, theta, epsilon): centered differences of a cost of a vector.
- check_gradients(cost, parameters, gradients, ...): the careful check -- per-tensor block
  differences, per-entry errors, ReLU kinks, the cause of every difference above the threshold
  ("bug", "epsilon too large", "round-off", "kink") and the suspects.
- check_directions(cost, parameters, gradients, ...): the cheap check for big models -- a few
  random directions (per tensor, if asked), two cost evaluations each (two more for a direction
  above the threshold: the same second look), with the same causes and verdict words.
"""
import warnings
from dataclasses import dataclass, field

import numpy as np

from course_utils._validate import as_float_array, as_scalar_cost, check_epsilon, check_mapping
from course_utils.vectors import dictionary_to_vector, gradients_to_vector, parameter_shapes, vector_to_dictionary

THRESHOLD = 2e-7  #: the course's N-D threshold: the correct classic pass reaches ~1.19e-7, above the original's 1e-7
NOISE_FACTOR = 100.0  #: how many times the estimated round-off of a centered difference an error must exceed to count

#: What a tensor's difference is put down to (GradCheckResult.causes); "unreliable" for a random cost.
CAUSES = ("ok", "bug", "epsilon too large", "round-off", "kink")
#: GradCheckResult.verdict: "pass", "bug", or the cause of a difference above the threshold on a
#: correct gradient (the course's umbrella word for those is a "false alarm"); "unreliable": random cost.
VERDICTS = ("pass", "bug", "epsilon too large", "round-off", "kink", "unreliable")
#: Which cause names a check above the threshold with no bug, when tensors disagree (first wins):
#: truncation measured anywhere means epsilon is large, and kinks crossed then are crossed because of
#: it (a smaller epsilon cures both); a kink explains more than round-off does.
PRECEDENCE = ("epsilon too large", "kink", "round-off")
RECHECK_FACTOR = 10.0  #: a tensor above the threshold is checked again at epsilon / RECHECK_FACTOR
TRUNCATION_FALL = 20.0  #: ... its error falling more than this many times is truncation (epsilon^2: 100x)
ROUNDOFF_RISE = 3.0  #: ... rising more than this many times is round-off (1/epsilon: 10x)
RECHECK_ENTRIES = 8  #: ... on at most this many of its entries, those with the largest errors
RECHECK_KINK_ENTRIES = 32  #: kink entries looked at again, at most, per tensor above the threshold with kinks
KINK_DEPTH = 3  #: ... followed down to epsilon / 10**KINK_DEPTH at most, until they cross no kink


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
    causes -- tensor name -> what its difference is put down to, in parameter order: "ok" (not above
    the threshold), "bug", "epsilon too large" (truncation error), "round-off" or "kink"; every
    tensor "unreliable" when the cost is not deterministic (see check_gradients)
    suspects -- tensors whose cause is "bug", in parameter order
    kink_tensors -- tensors whose cause is "kink" (above the threshold only because of entries next
    to a ReLU kink)
    keys -- name of the tensor of every entry; grad, gradapprox -- (n,) vectors (gradapprox
    NaN where not checked); errors -- (n,) per-entry error |g - a| / (||g_T|| + ||a_T||) (T the
    entry's tensor, NaN where not checked); kinks -- (n,) bool; checked -- (n,) bool
    epsilon, threshold, cost -- as used; J at the parameters
    noise_floor -- tensor name -> the round-off noise bound its absolute error is compared with
    deterministic -- False when cost gave two different values at the same parameters (random
    dropout masks, say): then the differences mean nothing and nobody is named a suspect
    recheck_epsilon -- epsilon / RECHECK_FACTOR, the step of the second look; rechecked -- (n,) bool,
    the entries evaluated again (at that step, and kink entries maybe at smaller ones);
    recheck_ratios -- tensor name -> error of its rechecked entries at the smaller step divided by
    their error at the larger (epsilon and recheck_epsilon; for a tensor's kink entries, the first
    step at which they cross no kink and the step 10x smaller): about 0.01 truncation, about 1 a
    bug, about 10 round-off; only for the tensors looked at again
    dtype -- the parameters' dtype name ("float64", "float32")
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
    causes: dict = field(default_factory=dict)
    recheck_epsilon: float = None
    rechecked: np.ndarray = None
    recheck_ratios: dict = field(default_factory=dict)
    dtype: str = "float64"

    @property
    def passed(self):
        """True when the overall difference is below the threshold."""
        return self.difference < self.threshold

    @property
    def verdict(self):
        """One of VERDICTS: "unreliable" (the cost is not deterministic); "bug" (some tensor's cause is
        "bug", whatever the rest); "pass" (the difference is below the threshold); otherwise the cause
        of the tensors above the threshold, "epsilon too large" before "kink" before "round-off"
        when they differ (PRECEDENCE)."""
        return _verdict(self.causes.values(), self.passed, self.deterministic)

    def summary(self):
        """One plain sentence naming the cause, e.g. "b1 and W2 look wrong; everything else agrees to 1e-06."."""
        verdict = self.verdict
        eps = f"{self.epsilon:g}"
        if verdict == "unreliable":
            return ("The check is unreliable: the cost gave different values for the same parameters "
                    "(random dropout masks?). Fix the randomness, then check again.")
        if verdict == "bug":
            names, verb = _join(self.suspects), "looks" if len(self.suspects) == 1 else "look"
            others = [name for name in self.block_differences if name not in self.suspects]
            if not others:
                return f"{names} {verb} wrong."
            rest = f"; everything else agrees to {_order(max(self.block_differences[n] for n in others))}"
            up_to = [text for cause, text in (("epsilon too large", f"truncation error (ε = {eps} is large)"),
                                              ("kink", "ReLU kinks"))
                     if any(self.causes.get(n) == cause for n in others)]
            if up_to:
                rest += ", up to " + " and ".join(up_to)
            return f"{names} {verb} wrong{rest}."
        if verdict == "kink":
            smooth = [d for name, d in self.block_differences.items() if name not in self.kink_tensors]
            rest = f"; everything else agrees to {_order(max(smooth))}" if smooth else ""
            return (f"No bug found: the differences in {_join(self.kink_tensors)} come from ReLU kinks "
                    f"crossed by the perturbation{rest}.")
        if verdict == "epsilon too large":
            names = [n for n, cause in self.causes.items() if cause == "epsilon too large"]
            who = "every tensor's error" if len(names) == len(self.causes) else f"the error of {_join(names)}"
            ratios = [self.recheck_ratios[n] for n in names]
            falls = [f"shrinks {_times(1 / r for r in ratios if r > 0)}"] if any(ratios) else []
            falls += ["vanishes"] if not all(ratios) else []  # exactly 0 at epsilon / 10
            advice = "try 1e-5…1e-7" if self.epsilon > 1e-5 else "try a smaller ε"
            if self.kink_tensors:
                advice += f" ({_join(self.kink_tensors)} also cross{'es' if len(self.kink_tensors) == 1 else ''} ReLU kinks)"
            return (f"No bug found: {who} {' or '.join(falls)} when ε shrinks {RECHECK_FACTOR:g}x — truncation "
                    f"error: ε = {eps} is too large; {advice}.")
        if verdict == "round-off":
            grew = [n for n, cause in self.causes.items() if cause == "round-off" and n in self.recheck_ratios]
            kind = "round-off" if self.dtype == "float64" else f"{self.dtype} round-off"
            if grew:
                kind += (f": the error of {_join(grew)} grows {_times(self.recheck_ratios[n] for n in grew)} "
                         f"when ε shrinks {RECHECK_FACTOR:g}x")
            if self.dtype != "float64":
                advice = "; check in float64"
            elif self.epsilon < 1e-7:
                advice = f"; ε = {eps} is too small, try 1e-5…1e-7"
            else:
                advice = ""
            return (f"No bug found: the difference {self.difference:.2g} is above the threshold "
                    f"{self.threshold:.0e} but it is {kind}{advice}.")
        return f"All gradients agree: difference {self.difference:.2g} < {self.threshold:.0e}."


def _verdict(causes, passed, deterministic=True):
    """The overall verdict from per-tensor (or per-direction) causes; see GradCheckResult.verdict."""
    causes = set(causes)
    if not deterministic:
        return "unreliable"
    if "bug" in causes:
        return "bug"
    if passed:
        return "pass"
    for cause in PRECEDENCE:
        if cause in causes:
            return cause
    # not reached: an overall difference above the threshold has a block (or direction) above it,
    # whose cause is then not "ok"
    return "round-off"


def _cause_from_recheck(d, error, error_recheck, threshold):
    """The cause of a difference d > threshold whose absolute error is above round-off noise at
    epsilon, from the error of the same entries at epsilon / RECHECK_FACTOR.

    error ~ b + c eps^2 + r / eps (b a bug, c eps^2 truncation, r / eps round-off): an error that falls
    by more than TRUNCATION_FALL is truncation, one that rises by more than ROUNDOFF_RISE is round-off,
    one that stays put is a bug -- if it is still above the threshold (d * ratio estimates d there);
    one that falls less but passes there is truncation again.
    """
    ratio = error_recheck / error
    if ratio * TRUNCATION_FALL <= 1:
        return "epsilon too large"
    if ratio >= ROUNDOFF_RISE:
        return "round-off"
    return "bug" if d * ratio > threshold else "epsilon too large"


def _order(x):
    """A difference as a power of ten, '1e-09' style (0 -> '0')."""
    if x <= 0:
        return "0"
    return f"1e{int(np.ceil(np.log10(x))):+03d}".replace("+", "")


def _times(factors):
    """How many times, '98x' or '87–101x' (a range when the factors round differently)."""
    shown = sorted({f"{f:.0f}" if f >= 10 else f"{f:.1f}" for f in factors}, key=float)
    return f"{shown[0]}x" if len(shown) == 1 else f"{shown[0]}–{shown[-1]}x"


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
        k = max(1, round(sample * where.size / n))
        chosen.append(rng.choice(where, size=min(k, where.size), replace=False))
    return np.sort(np.concatenate(chosen))


def check_gradients(cost, parameters, gradients, epsilon=1e-7, threshold=THRESHOLD, *, sample=None, seed=0,
                    recheck=True):
    """Check backprop's gradients against centered differences of `cost`.

    cost -- cost(parameters) -> float. A course_utils.network.NetworkCost is differentiated with
            its batched fast path; any other function one entry at a time.
    parameters -- dict W1, b1, ... (float64; float32 warns: its round-off makes correct gradients
                  look wrong)
    gradients -- dict with dW1, db1, ... of the same shapes (dZ, dA keys are ignored)
    epsilon -- the perturbation (> 0); threshold -- the pass/fail line for the difference
    sample -- None to check every entry, or how many randomly chosen entries to check (at least
              one in every tensor); seed -- seed of that choice
    recheck -- False skips the second look at epsilon / RECHECK_FACTOR (then a tensor above the
               threshold and above round-off is called "bug", as before the second look existed;
               for benchmarks and comparisons)
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
    threshold: a check with no tensor above it costs what it did without them.

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
        return _loop_differences(cost, parameters, theta, at, step, deterministic, J=J)

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
            causes[name] = _cause_from_recheck(d_smooth, error, ratios[name] * error, threshold)
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
    return GradCheckResult(difference, blocks, suspects, kink_tensors, list(keys), grad, gradapprox,
                           errors, kinks, checked, epsilon, threshold, float(J), noise, deterministic,
                           causes, recheck_epsilon, rechecked, ratios, theta.dtype.name)


def _look_behind_kinks(differences, grad, pending, values, kinks_at, step, epsilon, threshold, noise_entry, rechecked):
    """Follow kink entries to smaller steps until they cross no kink, then tell a bug from truncation there.

    pending -- tensor name -> (its kink entries to follow, the denominator of its block difference)
    values, kinks_at -- centered differences and kink flags at `step` (epsilon / 10) for those entries
    At each step, a tensor whose followed entries include some that cross no kink is decided on those:
    if their error is above the threshold and above round-off at that step, they are evaluated at a
    step 10x smaller and compared (_cause_from_recheck); otherwise nothing hides there. A tensor whose
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
            found[name] = (_cause_from_recheck(error / denominator, error, ratio * error, threshold) == "bug", ratio)
        pending, values, kinks_at, step = search, smaller, kinks_smaller, step / RECHECK_FACTOR
    return found


def _largest(mask, size, count):
    """The (at most `count`) entries of `mask` where `size` is largest, in increasing order."""
    where = np.flatnonzero(mask)
    largest = np.argsort(-size[where], kind="stable")[:count]
    return np.sort(where[largest])


def _splitter(shapes):
    """vector_to_dictionary for `shapes` without its checks, for the inner loop (the boundary checked them).

    Returns split(vector) -> dict name -> a copy of its entries in that shape.
    """
    ends = np.cumsum([int(np.prod(shape)) for shape in shapes.values()])
    spans = [(name, end - int(np.prod(shape)), end, shape) for (name, shape), end in zip(shapes.items(), ends)]

    def split(vector):
        return {name: vector[start:end].reshape(shape).copy() for name, start, end, shape in spans}

    return split


def _loop_differences(cost, parameters, theta, indices, epsilon, deterministic=True, J=None):
    """Centered differences one entry at a time (the careful, general path).

    Kinks are detected when `cost` offers cost_and_signs(parameters) -> (J, ReLU input signs), as
    a NetworkCost does, and is deterministic (with fresh dropout masks every call, sign patterns differ anyway).
    J -- the cost at theta if already known (then it is not evaluated again)
    Returns (gradapprox (n,), kinks (n,) bool, J).
    """
    shapes = parameter_shapes(parameters)
    if J is None:
        J = as_scalar_cost(cost(vector_to_dictionary(theta, shapes)), "cost")
    split = _splitter(shapes)
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


@dataclass
class DirectionalResult:
    """What check_directions found.

    difference -- the largest relative difference over the directions tried
    differences -- one per direction (or per tensor, with per_tensor=True: name -> difference)
    numerical, analytic -- the directional derivatives (J(theta + eps u) - J(theta - eps u))/(2 eps)
    and g . u, in the same layout; suspects -- tensors whose cause is "bug" (per_tensor only)
    evaluations -- how many times the cost was evaluated
    causes -- what each difference is put down to, in the same layout: "ok", "bug", "epsilon too
    large" or "round-off" (no kink detection along a direction), decided as in check_gradients
    epsilon -- as used
    """

    difference: float
    differences: object
    numerical: object
    analytic: object
    suspects: list
    evaluations: int
    threshold: float
    causes: object = field(default_factory=dict)
    epsilon: float = None

    @property
    def passed(self):
        """True when every direction's difference is below the threshold."""
        return self.difference < self.threshold

    @property
    def verdict(self):
        """"bug" (some direction's cause is "bug"), "pass" (every difference below the threshold), or
        the cause of those above it ("epsilon too large" before "round-off"), as GradCheckResult.verdict."""
        causes = self.causes.values() if isinstance(self.causes, dict) else self.causes
        return _verdict(causes, self.passed)


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
    split = _splitter(shapes)
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
            causes[group] = _cause_from_recheck(d, error, error_recheck, threshold)
    suspects = [group for group, cause in causes.items() if cause == "bug"] if per_tensor else []
    if not per_tensor:
        differences, numerical, analytic, causes = (list(d.values()) for d in (differences, numerical, analytic, causes))
        values = differences
    else:
        values = list(differences.values())
    return DirectionalResult(float(max(values)), differences, numerical, analytic, suspects, evaluations, threshold,
                             causes, epsilon)
