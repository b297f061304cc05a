"""Checks of notebook 02 check a 1-D gradient (J(theta) = theta * x)."""
import numbers

import numpy as np

from course_utils.checks._common import (
    SEED,
    _as_float,
    _close,
    _fail,
    _fmt,
    _hints,
    _reports_stubs,
    _require_function,
)


def _cases_jx(rng):
    return [(2, 4)] + [(round(float(rng.uniform(-5, 5)), 4), round(float(rng.uniform(-5, 5)), 4)) for _ in range(2)]


@_reports_stubs("forward_propagation")
def check_forward_propagation(forward_propagation):
    """forward_propagation(x, theta) must return J = theta * x."""
    _require_function(forward_propagation, "forward_propagation")
    for x, theta in _cases_jx(np.random.default_rng(SEED)):
        call = f"forward_propagation(x={x}, theta={theta})"
        got = _as_float(forward_propagation(x, theta), call)
        want = theta * x
        if not _close(got, want, 1e-12):
            _fail(call, got, want, _hints(got, [
                (x, "you returned x, which is dJ/dtheta (the backward pass); the forward pass returns J = theta * x."),
                (theta, "you returned theta; J = theta * x."),
                (theta + x, "you added: J = theta * x is a product."),
                (float(x) ** theta if x > 0 else None, "you computed x ** theta; J = theta * x."),
            ]))
    print("forward_propagation passed: J(x=2, theta=4) = 8")


@_reports_stubs("backward_propagation")
def check_backward_propagation(backward_propagation):
    """backward_propagation(x, theta) must return dtheta = x."""
    _require_function(backward_propagation, "backward_propagation")
    for x, theta in _cases_jx(np.random.default_rng(SEED)):
        call = f"backward_propagation(x={x}, theta={theta})"
        got = _as_float(backward_propagation(x, theta), call)
        if not _close(got, x, 1e-12):
            _fail(call, got, x, _hints(got, [
                (theta, "you returned theta, the derivative of J with respect to x; dJ/dtheta = x."),
                (theta * x, "you returned J = theta * x (the forward pass); the derivative dJ/dtheta is x."),
            ]))
    print("backward_propagation passed: dtheta(x=2, theta=4) = 2")


def _reference_gradient_check(x, theta, epsilon, mistake=None):
    """The 1-D check of notebook 02 computed here (J = theta * x), optionally with a known mistake."""
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
    grad = theta if mistake == "swapped_backward" else x
    if mistake == "itself":
        grad = gradapprox
    numerator = np.linalg.norm(grad - gradapprox)
    if mistake == "no_denominator":
        return float(numerator)
    return float(numerator / (np.linalg.norm(grad) + np.linalg.norm(gradapprox)))


_GRADIENT_CHECK_HINTS = {
    "thetaminus_from_thetaplus": "thetaminus was built from thetaplus (thetaplus - epsilon is just theta), so "
                                 "gradapprox is half the slope and the difference is about 1/3: "
                                 "use thetaminus = theta - epsilon.",
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
}


def _recording(store, fn):
    def wrapper(*args, **kwargs):
        store.append(args)
        return fn(*args, **kwargs)
    return wrapper


@_reports_stubs("gradient_check")
def check_gradient_check(gradient_check):
    """gradient_check(x, theta, epsilon=1e-7) -- with the notebook's forward/backward_propagation --
    must return the relative difference of the centered 1-D check."""
    _require_function(gradient_check, "gradient_check")
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
    rng = np.random.default_rng(SEED)
    cases = [(2, 4, None)] + [(round(float(rng.uniform(0.5, 5)), 4), round(float(rng.uniform(-5, 5)), 4), e)
                              for e in (1e-7, 1e-5)]
    first = None
    for x, theta, epsilon in cases:
        eps = 1e-7 if epsilon is None else epsilon
        want = _reference_gradient_check(x, theta, eps)
        calls = {"forward_propagation": [], "backward_propagation": []}
        originals = {name: namespace[name] for name in calls if callable(namespace.get(name))}
        try:
            for name, fn in originals.items():
                namespace[name] = _recording(calls[name], fn)
            args = (x, theta) if epsilon is None else (x, theta, epsilon)
            result = gradient_check(*args)
        finally:
            namespace.update(originals)
        call = f"gradient_check({', '.join(map(str, args))})"
        got = _as_float(result, call)
        if not _close(got, want, rtol=1e-4, atol=1e-15):
            hints = []
            thetas = [float(np.ravel(a[1])[0]) for a in calls["forward_propagation"] if len(a) > 1]
            if thetas and not any(abs(t - (theta - eps)) < eps / 10 for t in thetas) \
                    and any(abs(t - theta) < eps / 10 for t in thetas):
                _fail(call, got, want, "J was evaluated at theta instead of theta - epsilon: "
                      "thetaminus must be theta - epsilon (building it from thetaplus gives just theta, and a "
                      "one-sided difference; divided by 2 * epsilon it is half the slope: difference about 1/3).")
            if originals.get("backward_propagation") and not calls["backward_propagation"]:
                hints.append("gradient_check never called backward_propagation: grad = backward_propagation(x, theta).")
            hints.append(_hints(got, [(_reference_gradient_check(x, theta, eps, m), h)
                                      for m, h in _GRADIENT_CHECK_HINTS.items()], rtol=1e-4))
            _fail(call, got, want, " Or: ".join(h for h in hints if h))
        if first is None:
            first = want
    print(f"gradient_check passed: difference = {first:.2g} < 1e-07")
