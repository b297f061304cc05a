"""Checks of notebook 02 check a 1-D gradient (J(theta) = theta * x).

The inputs: the canonical x = 2, theta = 4 first (its line is the notebook's reference output), then
inputs drawn from np.random.default_rng(SEED) with every combination of signs, scales from 1e-3 to 1e4
and the edge values x = 0 and theta = 0 -- so an answer that is right for positive numbers only (abs,
max(., 0), a sign) or for the canonical numbers only fails.

gradient_check is run three ways:
- with the notebook's own forward/backward passes, where the result is pure round-off: it is compared
  with a noise bound computed from the actual theta and epsilon (_noise_bound), not with one float
  order's digits, so a right answer that orders its operations differently passes;
- with backward_propagation replaced, for the call, by a WRONG pass that returns k * x (k = 2, 0.4,
  -0.5): the difference must then be |k - 1| / (|k| + 1). This is what tells a gradient_check that
  never asks backward_propagation (grad = x, or gradapprox compared with itself), or that divides by
  ||grad + gradapprox|| (equal to ||grad|| + ||gradapprox|| when both have the same sign), from a right one;
- with a theta near 1.5e9 and epsilon = 0.1: there theta +- 1e-7 rounds to theta, so a gradient_check that
  ignores its epsilon argument returns about 1 instead of round-off.
The calls of forward_propagation and backward_propagation are recorded (the notebook's names are
replaced for the call and restored afterwards), which names the one-sided difference, a thetaminus built
from thetaplus, an ignored epsilon and swapped arguments. A mistake is named only when the answer agrees
with it on EVERY input, so that one coincidence cannot name the wrong mistake.
"""
import numbers
import sys

import numpy as np

from course_utils.checks._common import (
    SEED,
    _as_float,
    _close,
    _fail,
    _fmt,
    exercise_check,
)

U = np.finfo(float).eps / 2  #: unit round-off of float64, 2**-53


def _draw(rng, sign, low, high):
    """sign * a number of 4 significant digits, log-uniform in [10**low, 10**high)."""
    return sign * float(f"{10 ** rng.uniform(low, high):.4g}")


def _cases_jx(rng):
    """(x, theta) of the 1-D passes: the canonical (2, 4), every sign combination at several scales, and
    the edge values x = 0 and theta = 0."""
    return [(2, 4),
            (_draw(rng, -1, -1, 1), _draw(rng, 1, -1, 1)),   # x < 0 < theta
            (_draw(rng, 1, -1, 1), _draw(rng, -1, -1, 1)),   # theta < 0 < x
            (_draw(rng, -1, -3, 3), _draw(rng, -1, -3, 3)),  # both negative, other scales
            (_draw(rng, 1, 2, 4), _draw(rng, 1, -3, -1)),    # large x, small theta
            (0.0, _draw(rng, -1, 0, 1)),                     # x = 0
            (_draw(rng, 1, 0, 1), 0.0)]                      # theta = 0


def _call_1d(fn, name, x, theta):
    call = f"{name}(x={x}, theta={theta})"
    try:
        return _as_float(fn(x, theta), call), call
    except ZeroDivisionError as error:
        raise AssertionError(f"{call} raised ZeroDivisionError ({error}): x = 0 and theta = 0 are valid inputs, "
                             "and J = theta * x and its derivative need no division.") from None


def _check_1d(fn, name, want_of, candidates):
    """Run fn on every case; fail on the first wrong one, naming the candidate mistakes (value(x, theta),
    hint) that agree with fn on every case (a candidate without a value there, None, agrees with anything
    but a right result)."""
    results = []
    for x, theta in _cases_jx(np.random.default_rng(SEED)):
        try:
            got, call = _call_1d(fn, name, x, theta)
        except AssertionError as error:  # not a number: reported in its turn, after any earlier wrong value
            got, call = error, None
        results.append((x, theta, got, call))

    def agrees(value, got, x, theta):
        if value is None:
            return isinstance(got, AssertionError) or not _close(got, want_of(x, theta), 1e-12)
        return not isinstance(got, AssertionError) and _close(got, value, 1e-9)
    for x, theta, got, call in results:
        if isinstance(got, AssertionError):
            raise got
        want = want_of(x, theta)
        if not _close(got, want, 1e-12):
            hints = [hint for value_of, hint in candidates
                     if all(agrees(value_of(a, t), g, a, t) for a, t, g, _ in results)]
            _fail(call, got, want, " Or: ".join(hints))


def _power(x, theta):
    return float(x) ** theta if x > 0 else None


@exercise_check
def check_forward_propagation(forward_propagation):
    """forward_propagation(x, theta) must return J = theta * x."""
    _check_1d(forward_propagation, "forward_propagation", lambda x, t: t * x, [
        (lambda x, t: x, ("you returned x, which is dJ/dtheta (the backward pass); the forward pass returns "
                          "J = theta * x.")),
        (lambda x, t: t, "you returned theta; J = theta * x."),
        (lambda x, t: t + x, "you added: J = theta * x is a product."),
        (_power, "you computed x ** theta; J = theta * x."),
    ])
    print("forward_propagation passed: J(x=2, theta=4) = 8")


@exercise_check
def check_backward_propagation(backward_propagation):
    """backward_propagation(x, theta) must return dtheta = x."""
    _check_1d(backward_propagation, "backward_propagation", lambda x, t: x, [
        (lambda x, t: t, "you returned theta, the derivative of J with respect to x; dJ/dtheta = x."),
        (lambda x, t: t * x, "you returned J = theta * x (the forward pass); the derivative dJ/dtheta is x."),
    ])
    print("backward_propagation passed: dtheta(x=2, theta=4) = 2")


def _noise_bound(theta, epsilon):
    """The largest relative difference a RIGHT centered check of J = theta * x can return: round-off only.

    theta +- epsilon, the two J and their difference are rounded, so gradapprox = x (1 + delta) with
    |delta| <= 2u |theta| / epsilon + 6u (u = 2**-53), whatever the order of the operations
    (thetaminus = theta - epsilon or thetaplus - 2 epsilon, / (2 epsilon) or / epsilon / 2, ...). This
    allows twice that."""
    return 4 * U * (abs(theta) + epsilon) / epsilon + 16 * U


def _reference_gradient_check(x, theta, epsilon=1e-7, mistake=None, backward=None):
    """The 1-D check of notebook 02 computed here (J = theta * x), optionally with a known mistake.

    backward -- the backward pass under check, called as backward(x, theta); by default the caller's
    `backward_propagation` when its module (a notebook) has one, else the exact dJ/dtheta = x.
    """
    if backward is None:
        candidate = sys._getframe(1).f_globals.get("backward_propagation")
        backward = candidate if callable(candidate) else (lambda a, t: a)

    def J(t):
        return t * x
    thetaplus = theta + epsilon
    thetaminus = (thetaplus if mistake == "thetaminus_from_thetaplus" else theta) - epsilon
    if mistake == "forward_difference":
        gradapprox = (J(thetaplus) - J(theta)) / epsilon
    elif mistake == "precedence":
        gradapprox = (J(thetaplus) - J(thetaminus)) / 2 * epsilon
    elif mistake == "no_2":
        gradapprox = (J(thetaplus) - J(thetaminus)) / epsilon
    else:
        gradapprox = (J(thetaplus) - J(thetaminus)) / (2 * epsilon)
    grad = backward(theta, x) if mistake == "swapped_backward" else backward(x, theta)
    if mistake == "itself":
        grad = gradapprox
    numerator = np.linalg.norm(grad - gradapprox)
    if mistake == "no_denominator":
        return float(numerator)
    if mistake == "norm_of_sum":
        return float(numerator / np.linalg.norm(grad + gradapprox))
    return float(numerator / (np.linalg.norm(grad) + np.linalg.norm(gradapprox)))


_FROM_PLUS = ("J was evaluated at theta instead of theta - epsilon: thetaminus must be theta - epsilon "
              "(building it from thetaplus gives just theta, and a one-sided difference; divided by "
              "2 * epsilon it is half the slope: difference about 1/3).")
_HINTS = {
    "thetaminus_from_thetaplus": _FROM_PLUS,
    "no_2": "gradapprox divides by epsilon instead of 2 * epsilon, so it is twice grad (difference 1/3).",
    "swapped_backward": "the arguments of backward_propagation are swapped: call backward_propagation(x, theta).",
    "precedence": "operator precedence: `/ 2 * epsilon` multiplies by epsilon, so gradapprox is about 0 and the "
                  "difference about 1; write / (2 * epsilon).",
    "itself": "you compared gradapprox with itself (a difference of exactly 0 is too good to be true): "
              "grad must come from backward_propagation(x, theta).",
    "forward_difference": "you used the one-sided difference (J(theta + epsilon) - J(theta)) / epsilon; "
                          "the check uses the centered one with thetaminus = theta - epsilon.",
    "no_denominator": "you returned only the numerator ||grad - gradapprox||; divide by "
                      "||grad|| + ||gradapprox||.",
    "norm_of_sum": "the denominator is ||grad|| + ||gradapprox||, not ||grad + gradapprox||: the two agree only "
                   "when grad and gradapprox have the same sign (with a backward pass giving -0.5 * x your "
                   "difference is 3 instead of 1).",
    "never_called": "gradient_check never called backward_propagation: grad = backward_propagation(x, theta) "
                    "(the check replaced backward_propagation by a wrong one, and your result did not change).",
    "abs_J": ("you took the absolute value of J_plus - J_minus: a slope can be negative; gradapprox = "
              "(J_plus - J_minus) / (2 * epsilon)."),
    "hard_2e7": "you divided by 2e-7, which is 2 * epsilon only for the default epsilon: divide by (2 * epsilon).",
    "squared": ("you squared the norms (or left out their square roots): the difference is "
                "||grad - gradapprox|| / (||grad|| + ||gradapprox||)."),
    "signed": ("your difference can be negative: its numerator is the NORM ||grad - gradapprox|| "
               "(np.linalg.norm), not grad - gradapprox."),
    "max_den": "the denominator is ||grad|| + ||gradapprox||, the sum of the two norms, not the larger one.",
    "padded": ("you added a small number to the denominator (... + 1e-8): divide by ||grad|| + ||gradapprox|| "
               "exactly."),
}
_PADS = (1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-12)  #: what students add to a denominator


def _predicted(mistake, x, theta, epsilon, k):
    """(value, noise scale) a known mistake gives in exact arithmetic, with backward pass k * x."""
    g, a = k * x, x
    if mistake == "thetaminus_from_thetaplus":
        a = x / 2
    elif mistake == "no_2":
        a = 2 * x
    elif mistake == "precedence":
        a = x * epsilon * epsilon
    elif mistake == "swapped_backward":
        g = k * theta
    elif mistake == "no_denominator":
        return abs(g - a), abs(x)
    elif mistake == "norm_of_sum":
        return (abs(g - a) / abs(g + a) if g + a else None), 1.0
    elif mistake == "abs_J":
        a = abs(x)
    elif mistake == "hard_2e7":
        a = x * epsilon / 1e-7
    if not (g or a):
        return None, 1.0
    if mistake == "squared":
        return (g - a) ** 2 / (g * g + a * a), 1.0
    if mistake == "signed":
        return (g - a) / (abs(g) + abs(a)), 1.0
    if mistake == "max_den":
        return abs(g - a) / max(abs(g), abs(a)), 1.0
    if mistake.startswith("padded"):
        return abs(g - a) / (abs(g) + abs(a) + float(mistake.split(" ")[1])), 1.0
    return abs(g - a) / (abs(g) + abs(a)), 1.0


class _Case:
    """One call of the student's gradient_check: x, theta, epsilon (None: the default), k (None: the
    notebook's own backward pass; else a wrong pass k * x replaces it for the call)."""

    def __init__(self, x, theta, epsilon, k):
        self.x, self.theta, self.epsilon, self.k = x, theta, epsilon, k
        self.eps = 1e-7 if epsilon is None else epsilon
        self.noise = _noise_bound(theta, self.eps)
        self.want = _reference_gradient_check(x, theta, self.eps, backward=lambda a, t: (k or 1) * a)
        self.args = (x, theta) if epsilon is None else (x, theta, epsilon)
        self.call = f"gradient_check({', '.join(map(str, self.args))})"
        self.got = None
        self.forward_calls, self.backward_calls = [], []

    def right(self, got):
        if self.k is None:
            return bool(np.isfinite(got)) and 0 <= got <= self.noise
        return _close(got, self.want, rtol=1e-9, atol=4 * self.noise + 1e-15)

    def expected(self):
        if self.k is None:
            return (f"expected {self.want:.2g} or another difference of round-off size (anything from 0 to "
                    f"{self.noise:.2g} is right for these inputs: the backward pass is right here)")
        return (f"expected {self.want:.4g}: for this call the check replaced backward_propagation by a WRONG one "
                f"that returns {self.k:g} * x, so the difference must be |k - 1| / (|k| + 1) = {self.want:.4g}")

    def thetas(self):
        """The theta of every recorded forward_propagation call (floats)."""
        out = []
        for args, kwargs in self.forward_calls:
            t = args[1] if len(args) > 1 else kwargs.get("theta")
            try:
                out.append(float(np.ravel(t)[0]))
            except (TypeError, ValueError, IndexError):
                pass
        return out

    def near(self, t, target):
        return abs(t - target) <= self.eps / 4 + 8 * U * abs(self.theta)

    def one_sided(self):
        ts = self.thetas()
        return (any(self.near(t, self.theta + self.eps) for t in ts) and any(self.near(t, self.theta) for t in ts)
                and not any(self.near(t, self.theta - self.eps) for t in ts))

    def other_step(self):
        """The step J was evaluated at, when it is not epsilon (an ignored argument), else None."""
        ts = self.thetas()
        step = max((abs(t - self.theta) for t in ts), default=0.0)
        if step > 0 and not any(self.near(t, self.theta + self.eps) or self.near(t, self.theta - self.eps)
                                for t in ts):
            return step
        return None


def _cases(rng, fakes):
    """The canonical call, random calls with the notebook's passes, and (fakes) calls with a wrong pass."""
    cases = [_Case(2, 4, None, None),
             _Case(_draw(rng, 1, -1, 1), _draw(rng, -1, -1, 1), 1e-7, None),
             _Case(_draw(rng, -1, -1, 1), _draw(rng, 1, -1, 1), 1e-5, None),
             _Case(_draw(rng, -1, 1, 3), _draw(rng, -1, -2, 0), 1e-3, None),
             _Case(_draw(rng, 1, -1, 1), -float(f"{rng.uniform(1.1, 2):.4g}e9"), 0.1, None)]
    if fakes:
        cases += [_Case(_draw(rng, -1, -1, 1), _draw(rng, 1, -1, 1), 1e-6, 2.0),
                  _Case(_draw(rng, 1, -9, -8), _draw(rng, -1, -1, 1), 1e-4, 0.4),
                  _Case(_draw(rng, 1, -1, 1), _draw(rng, -1, -1, 1), 1e-7, -0.5)]
    return cases


def _recording(store, fn):
    def wrapper(*args, **kwargs):
        store.append((args, kwargs))
        return fn(*args, **kwargs)
    return wrapper


def _wrong_backward(k):
    return lambda x, theta: k * x


def _run(gradient_check, namespace, case):
    """Call gradient_check for one case, with the notebook's passes recorded (and backward replaced when
    case.k is set); the notebook's names are restored afterwards, whatever happens."""
    originals = {name: namespace[name] for name in ("forward_propagation", "backward_propagation")
                 if callable(namespace.get(name))}
    stores = {"forward_propagation": case.forward_calls, "backward_propagation": case.backward_calls}
    try:
        for name, fn in originals.items():
            if name == "backward_propagation" and case.k is not None:
                fn = _wrong_backward(case.k)
            namespace[name] = _recording(stores[name], fn)
        result = gradient_check(*case.args)
    finally:
        namespace.update(originals)
    case.got = _as_float(result, case.call)


def _gradient_check_hints(cases, recorded, backward_recorded):
    """The known mistakes the answers agree with on every case (see the module doc)."""
    hints = []
    if all(c.got == 0.0 for c in cases) and (not recorded or all(c.thetas() for c in cases)):
        return [_HINTS["itself"]]  # exactly 0 everywhere, though J was evaluated: gradapprox against itself
    sided = [c for c in cases if c.one_sided()]
    if recorded and sided:
        from_plus = all(_close(c.got, _predicted("thetaminus_from_thetaplus", c.x, c.theta, c.eps, c.k or 1)[0],
                               1e-6, 8 * c.noise) for c in sided)
        return [_FROM_PLUS if from_plus else _HINTS["forward_difference"]]
    own = [c for c in cases if c.epsilon not in (None, 1e-7) and c.thetas()]
    steps = [(c, c.other_step()) for c in own if c.other_step() is not None]
    if recorded and steps and not any(c.near(t, c.theta + c.eps) or c.near(t, c.theta - c.eps)
                                      for c in own for t in c.thetas()):
        c, step = steps[0]
        hints.append(f"you ignored the epsilon argument: for epsilon = {c.eps:g} J was evaluated at theta +- "
                     f"{step:.2g}, not at theta +- epsilon.")
    if backward_recorded and not any(c.backward_calls for c in cases):
        hints.append(_HINTS["never_called"])
    swapped = [c for c in cases if c.backward_calls and c.theta != c.x]
    if swapped and all(len(c.backward_calls[0][0]) == 2 and c.backward_calls[0][0][0] == c.theta
                       and c.backward_calls[0][0][1] == c.x for c in swapped):
        hints.append(_HINTS["swapped_backward"])
    for mistake in ("thetaminus_from_thetaplus", "no_2", "precedence", "swapped_backward", "no_denominator",
                    "norm_of_sum", "abs_J", "hard_2e7", "squared", "signed", "max_den",
                    *(f"padded {pad:g}" for pad in _PADS)):
        agrees = True
        for c in cases:
            value, scale = _predicted(mistake, c.x, c.theta, c.eps, c.k or 1)
            if value is None and not (c.x or c.k and c.k * c.x):  # x = 0: 0 / 0, whatever the formula
                continue
            if value is None or not _close(c.got, value, 1e-6, 8 * c.noise * scale + 1e-15):
                agrees = False
                break
        if agrees:
            hints.append(_HINTS[mistake.split(" ")[0]])
    return list(dict.fromkeys(hints))


@exercise_check
def check_gradient_check(gradient_check):
    """gradient_check(x, theta, epsilon=1e-7) -- with the notebook's forward/backward_propagation --
    must return the relative difference of the centered 1-D check (see the module doc)."""
    namespace = getattr(gradient_check, "__globals__", None)
    namespace = namespace if isinstance(namespace, dict) else {}
    # The check runs the student's function with the notebook's own passes; check those first.
    for fname, want in (("forward_propagation", 8.0), ("backward_propagation", 2.0)):
        fn = namespace.get(fname)
        if callable(fn):
            got = fn(2, 4)
            if not (isinstance(got, numbers.Real) or (isinstance(got, np.ndarray) and got.size == 1)) \
                    or not _close(float(np.asarray(got).ravel()[0]), want, 1e-12):
                raise AssertionError(f"gradient_check calls your {fname}, which returned {_fmt(got)} for "
                                     f"x=2, theta=4 (expected {want:g}). Fix {fname} first (its own check "
                                     "cell tells you how), run its cell again, then this one.")
    recorded = callable(namespace.get("forward_propagation"))
    backward_recorded = callable(namespace.get("backward_propagation"))
    cases = _cases(np.random.default_rng(SEED), fakes=backward_recorded)
    for case in cases:
        _run(gradient_check, namespace, case)
    wrong = next((c for c in cases if not c.right(c.got)), None)
    hints = _gradient_check_hints(cases, recorded, backward_recorded) if wrong else []
    if wrong is None and recorded and any(c.one_sided() for c in cases):
        c = next(c for c in cases if c.one_sided())
        raise AssertionError(f"{c.call} returned {_fmt(c.got)}, but it evaluated J at theta + epsilon and at "
                             f"theta, never at theta - epsilon.\nMost likely: {_HINTS['forward_difference']}")
    if wrong is not None:
        message = f"{wrong.call} returned {_fmt(wrong.got)}, {wrong.expected()}."
        if hints:
            message += "\nMost likely: " + " Or: ".join(hints)
        raise AssertionError(message)
    print(f"gradient_check passed: difference = {cases[0].want:.2g} < 1e-07")
