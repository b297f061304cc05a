"""What a gradient check found, and what it is put down to: the result classes of course_utils.gradcheck, the
rule that names a cause from a second look at a smaller epsilon, and the one-sentence summary.

A tensor's (or a direction's) difference above the threshold is put down to a cause (CAUSES); the overall verdict
(VERDICTS) is "bug" if any cause is, "pass" below the threshold, otherwise the cause that explains most
(PRECEDENCE). course_utils.gradcheck computes the numbers; this module only reads them.
"""
from dataclasses import dataclass, field

import numpy as np

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
        return verdict_of(self.causes.values(), self.passed, self.deterministic)

    def summary(self):
        """One plain sentence naming the cause, e.g. "b1 and W2 look wrong; everything else agrees to 1e-06."."""
        return summary(self)


def verdict_of(causes, passed, deterministic=True):
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


def cause_from_recheck(d, error, error_recheck, threshold):
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


def summary(result):
    """One plain sentence naming the cause of a GradCheckResult, e.g. "b1 and W2 look wrong; everything else agrees
    to 1e-06."."""
    verdict = result.verdict
    eps = f"{result.epsilon:g}"
    if verdict == "unreliable":
        return ("The check is unreliable: the cost gave different values for the same parameters "
                "(random dropout masks?). Fix the randomness, then check again.")
    if verdict == "bug":
        names, verb = _join(result.suspects), "looks" if len(result.suspects) == 1 else "look"
        others = [name for name in result.block_differences if name not in result.suspects]
        if not others:
            return f"{names} {verb} wrong."
        rest = f"; everything else agrees to {_order(max(result.block_differences[n] for n in others))}"
        up_to = [text for cause, text in (("epsilon too large", f"truncation error (ε = {eps} is large)"),
                                          ("kink", "ReLU kinks"))
                 if any(result.causes.get(n) == cause for n in others)]
        if up_to:
            rest += ", up to " + " and ".join(up_to)
        return f"{names} {verb} wrong{rest}."
    if verdict == "kink":
        smooth = [d for name, d in result.block_differences.items() if name not in result.kink_tensors]
        rest = f"; everything else agrees to {_order(max(smooth))}" if smooth else ""
        return (f"No bug found: the differences in {_join(result.kink_tensors)} come from ReLU kinks "
                f"crossed by the perturbation{rest}.")
    if verdict == "epsilon too large":
        names = [n for n, cause in result.causes.items() if cause == "epsilon too large"]
        who = "every tensor's error" if len(names) == len(result.causes) else f"the error of {_join(names)}"
        ratios = [result.recheck_ratios[n] for n in names]
        falls = [f"shrinks {_times(1 / r for r in ratios if r > 0)}"] if any(ratios) else []
        falls += ["vanishes"] if not all(ratios) else []  # exactly 0 at epsilon / 10
        advice = "try 1e-5…1e-7" if result.epsilon > 1e-5 else "try a smaller ε"
        if result.kink_tensors:
            advice += f" ({_join(result.kink_tensors)} also cross{'es' if len(result.kink_tensors) == 1 else ''} ReLU kinks)"
        return (f"No bug found: {who} {' or '.join(falls)} when ε shrinks {RECHECK_FACTOR:g}x — truncation "
                f"error: ε = {eps} is too large; {advice}.")
    if verdict == "round-off":
        grew = [n for n, cause in result.causes.items() if cause == "round-off" and n in result.recheck_ratios]
        kind = "round-off" if result.dtype == "float64" else f"{result.dtype} round-off"
        if grew:
            kind += (f": the error of {_join(grew)} grows {_times(result.recheck_ratios[n] for n in grew)} "
                     f"when ε shrinks {RECHECK_FACTOR:g}x")
        if result.dtype != "float64":
            advice = "; check in float64"
        elif result.epsilon < 1e-7:
            advice = f"; ε = {eps} is too small, try 1e-5…1e-7"
        else:
            advice = ""
        return (f"No bug found: the difference {result.difference:.2g} is above the threshold "
                f"{result.threshold:.0e} but it is {kind}{advice}.")
    return f"All gradients agree: difference {result.difference:.2g} < {result.threshold:.0e}."


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
        return verdict_of(causes, self.passed)
