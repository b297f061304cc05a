"""The checks behind the notebooks' check cells: one `check_<exercise>(student_function)` per exercise.

Each check calls the student's function on the course's canonical inputs and on inputs drawn with
a local np.random.default_rng(SEED) (so a function that only knows the canonical answer fails),
and compares with expected values computed at run time from the reference code in course_utils.
When the answer is wrong it raises AssertionError saying what was expected, what came out and,
for the well-known mistakes, what the student most likely did (each mistake is applied to the
reference code and its result compared with the student's). When the answer is right it prints
ONE short line with rounded numbers that are the same on every run and machine, and returns None.

A stub's NotImplementedError stays a NotImplementedError, re-raised with a short message and a
short traceback (no frames of the check's own source): "<exercise> is not written yet: <the stub's
message>", or, when the function under check calls another exercise of the notebook that is still a
stub (gradient_check calling forward_propagation), "<exercise> calls your <other>, which is still the
stub: do that exercise first". Any other error raised by the student's code propagates unchanged;
passing something that is not a function raises TypeError. No check reads or changes numpy's global
random state.
"""
import functools
import numbers

import numpy as np

from course_utils import network, vectors
from course_utils import gradcheck
from course_utils.gradcheck import relative_difference

SEED = 20240521  #: seed of the checks' own random inputs
COLLEAGUE_BUGS = ("dW2_times_2", "db1_4_over_m")  #: the colleague's pass of notebook 04
DEEP_DIMS = (3, 4, 3, 4, 3, 4, 3, 4, 3, 4, 3, 2, 1)  #: a 12-layer net, so W10 < W2 as strings
THRESHOLD_N = 2e-7  #: the N-D threshold of the course (the correct classic pass reaches ~1.19e-7)


# ----------------------------------------------------------------------------------------------
# Helpers


def _require_function(fn, exercise):
    if not callable(fn):
        raise TypeError(f"check_{exercise} needs your function {exercise} itself (its name, without "
                        f"calling it), got {type(fn).__name__}")


def _stub_message(exercise, fn, error):
    """The short message for a NotImplementedError raised by the student's code, or None if it was not.

    The innermost frame of the student's notebook (the globals of `fn`) that the error went through
    decides: `fn` itself (or code nested in it) -> its own stub; another function of the notebook,
    known there by its name -> a helper exercise that is still the stub.
    """
    while isinstance(fn, functools.partial):
        fn = fn.func
    fn = getattr(fn, "__func__", fn)
    namespace = getattr(fn, "__globals__", None)
    if not isinstance(namespace, dict):
        return None
    frames, tb = [], error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_globals is namespace:
            frames.append(tb.tb_frame.f_code)
        tb = tb.tb_next
    if not frames:
        return None
    raiser = frames[-1]
    if raiser is not getattr(fn, "__code__", None) \
            and getattr(namespace.get(raiser.co_name), "__code__", None) is raiser:
        return (f"{exercise} calls your {raiser.co_name}, which is still the stub: "
                "do that exercise first")
    detail = str(error)
    return f"{exercise} is not written yet" + (f": {detail}" if detail else "")


def _reports_stubs(exercise):
    """Decorate check_<exercise>: a stub's NotImplementedError comes out short (see the module doc)."""
    def decorate(check):
        @functools.wraps(check)
        def run(fn):
            try:
                return check(fn)
            except NotImplementedError as error:
                message = _stub_message(exercise, fn, error)
                if message is None:
                    raise
            raise NotImplementedError(message) from None
        return run
    return decorate


def _fmt(value):
    """A short, readable rendering of a value for messages."""
    if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, str):
        return repr(value)
    if isinstance(value, numbers.Real):
        return f"{float(value):.10g}"
    if isinstance(value, np.ndarray):
        if value.size <= 6 and np.issubdtype(value.dtype, np.number):
            return f"array of shape {value.shape} {np.array2string(value.ravel(), precision=6)}"
        return f"array of shape {value.shape}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _as_float(value, call):
    """The student's result as a float, or AssertionError naming the usual type mistakes."""
    if value is None:
        raise AssertionError(f"{call} returned None. Did you forget `return` (maybe you printed the "
                             "result instead of returning it)?")
    if isinstance(value, (bool, np.bool_)):
        raise AssertionError(f"{call} returned {value!r}, a bool: return the number itself.")
    if isinstance(value, np.ndarray):
        if value.ndim == 0 and np.issubdtype(value.dtype, np.number):
            return float(value)
        raise AssertionError(f"{call} returned an array of shape {value.shape} instead of a float. Return "
                             "a plain number, e.g. float(x) or x.item() (np.dot of (n,1) vectors gives (1,1)).")
    if isinstance(value, numbers.Real):
        return float(value)
    raise AssertionError(f"{call} returned {_fmt(value)} ({type(value).__name__}); expected a float.")


def _close(got, want, rtol=1e-9, atol=0.0):
    return bool(np.isfinite(got)) and abs(got - want) <= atol + rtol * abs(want)


def _hints(got, candidates, rtol=1e-6, atol=1e-15):
    """Hints of every (value, hint) candidate that `got` matches, joined; '' if none."""
    found = [hint for value, hint in candidates
             if value is not None and np.isfinite(value) and _close(got, value, rtol, atol)]
    return " Or: ".join(dict.fromkeys(found))


def _fail(call, got, expected, hint=""):
    message = f"{call} returned {_fmt(got)}, expected {_fmt(expected)}."
    if hint:
        message += f"\nMost likely: {hint}"
    raise AssertionError(message)


def _same_arrays(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def _copy_dict(d):
    return {k: np.array(v, copy=True) for k, v in d.items()}


def _deep_parameters(seed=SEED):
    """The 12-layer parameters (W1..W12) of the vector exercises."""
    return network.initialize_parameters(list(DEEP_DIMS), seed=seed)


def _random_classic_case(rng, m):
    """A random 3-layer net (other sizes than the classic one), data X (4, m) and labels Y (1, m)."""
    parameters = network.initialize_parameters([4, 6, 3, 1], seed=int(rng.integers(1 << 30)))
    X = rng.standard_normal((4, m))
    Y = (rng.random((1, m)) < 0.5).astype(np.int64)
    Y[0, :2] = (0, 1)  # both labels present
    return X, Y, parameters


def _vector_cost(X, Y, shapes):
    return lambda theta: network.forward_propagation_n(X, Y, vectors.vector_to_dictionary(theta, shapes))[0]


# ----------------------------------------------------------------------------------------------
# 00 start here


@_reports_stubs("warm_up_square")
def check_warm_up_square(warm_up_square):
    """warm_up_square(x) must return x ** 2."""
    _require_function(warm_up_square, "warm_up_square")
    rng = np.random.default_rng(SEED)
    for x in (3, -1.5, round(float(rng.uniform(-10, 10)), 3)):
        call = f"warm_up_square({x})"
        got = _as_float(warm_up_square(x), call)
        if not _close(got, x ** 2, 1e-12):
            _fail(call, got, x ** 2, _hints(got, [
                (2 * x, "you computed 2 * x; the square is x ** 2 (or x * x)."),
                (float(x ^ 2) if isinstance(x, int) else None, "`x ^ 2` is bitwise XOR in Python; write x ** 2."),
                (x, "you returned x unchanged."),
                (x ** 3, "you computed x ** 3."),
            ]))
    print("warm_up_square passed: warm_up_square(3) = 9")


# ----------------------------------------------------------------------------------------------
# 01 approximate a derivative


def _cases_1d(rng):
    """(label, f, x, epsilon) for the difference quotients: x**3 at 2 first, then random ones."""
    return [
        ("x**3", lambda x: x ** 3, 2.0, 1e-3),
        ("sin", np.sin, float(rng.uniform(-2, 2)), 1e-4),
        ("exp", np.exp, float(rng.uniform(-1, 1)), 1e-2),
    ]


def _quotient_candidates(f, x, e, correct):
    """What the usual difference-quotient mistakes give, minus the right one."""
    fp, f0, fm = f(x + e), f(x), f(x - e)
    candidates = {
        "forward": ((fp - f0) / e, "you used the one-sided forward difference (f(x + epsilon) - f(x)) / epsilon; "
                                   "its error is O(epsilon), the centered one's O(epsilon^2)."),
        "centered": ((fp - fm) / (2 * e), "you computed the centered difference; this exercise asks for the "
                                          "one-sided forward difference (f(x + epsilon) - f(x)) / epsilon."),
        "backward": ((f0 - fm) / e, "you used x - epsilon: the forward difference is (f(x + epsilon) - f(x)) / epsilon."),
        "div2e_forward": ((fp - f0) / (2 * e), "you divided by 2 * epsilon: the forward difference divides by epsilon."),
        "div_e_centered": ((fp - fm) / e, "you divided by epsilon: the two points are 2 * epsilon apart, "
                                          "so divide by (2 * epsilon)."),
        "precedence": ((fp - fm) / 2 * e, "operator precedence: `/ 2 * epsilon` divides by 2 and then MULTIPLIES "
                                          "by epsilon; write / (2 * epsilon)."),
        "sign_forward": ((f0 - fp) / e, "the sign is flipped: it is f(x + epsilon) - f(x), not f(x) - f(x + epsilon)."),
        "sign_centered": ((fm - fp) / (2 * e), "the sign is flipped: it is f(x + epsilon) - f(x - epsilon)."),
        "no_division_forward": (fp - f0, "you forgot to divide by epsilon."),
        "no_division_centered": (fp - fm, "you forgot to divide by 2 * epsilon."),
    }
    candidates.pop(correct)
    out = list(candidates.values())
    for other in (1e-7, 1e-5, 1e-4, 1e-3, 1e-2):  # a hard-coded epsilon instead of the argument
        if not np.isclose(other, e):
            value = (f(x + other) - f(x)) / other if correct == "forward" else (f(x + other) - f(x - other)) / (2 * other)
            out.append((value, f"you ignored the epsilon argument (this matches epsilon = {other:g} hard-coded)."))
    return out


def _check_quotient(student, name, correct):
    _require_function(student, name)
    rng = np.random.default_rng(SEED)
    results = []
    for label, f, x, e in _cases_1d(rng):
        want = (f(x + e) - f(x)) / e if correct == "forward" else (f(x + e) - f(x - e)) / (2 * e)
        call = f"{name}({label}, x={x:.6g}, epsilon={e:g})"
        got = _as_float(student(f, x, e), call)
        if not _close(got, want, rtol=1e-7, atol=1e-12):
            _fail(call, got, want, _hints(got, _quotient_candidates(f, x, e, correct), rtol=1e-7, atol=1e-12))
        results.append(want)
    return results[0]


@_reports_stubs("forward_difference")
def check_forward_difference(forward_difference):
    """forward_difference(f, x, epsilon) must return (f(x + epsilon) - f(x)) / epsilon."""
    slope = _check_quotient(forward_difference, "forward_difference", "forward")
    print(f"forward_difference passed: slope of x**3 at 2 = {slope:.4f} (exact 12, error {abs(slope - 12):.1e})")


@_reports_stubs("centered_difference")
def check_centered_difference(centered_difference):
    """centered_difference(f, x, epsilon) must return (f(x + epsilon) - f(x - epsilon)) / (2 epsilon)."""
    slope = _check_quotient(centered_difference, "centered_difference", "centered")
    print(f"centered_difference passed: slope of x**3 at 2 = {slope:.4f} (exact 12, error {abs(slope - 12):.1e})")


def _relative_candidates(g, a):
    g, a = np.ravel(np.asarray(g, float)), np.ravel(np.asarray(a, float))
    n = np.linalg.norm
    return [
        (n(g - a), "you returned only the numerator ||grad - gradapprox||: divide by "
                   "||grad|| + ||gradapprox|| so the difference does not depend on the gradient's size."),
        (n(g - a) / n(g), "the denominator is ||grad|| + ||gradapprox||, not ||grad|| alone."),
        (n(g - a) / n(a), "the denominator is ||grad|| + ||gradapprox||, not ||gradapprox|| alone."),
        (n(g - a) / n(g + a), "the denominator is ||grad|| + ||gradapprox|| (the sum of the two norms), "
                              "not the norm of the sum ||grad + gradapprox||."),
        (n(g - a) ** 2 / (n(g) ** 2 + n(a) ** 2), "you squared the norms: use np.linalg.norm(...) itself, not its square."),
        (n(g - a) / (n(g) ** 2 + n(a) ** 2), "you squared the norms in the denominator: use ||grad|| + ||gradapprox||."),
        (n(g - a) ** 2 / (n(g) + n(a)), "you squared the numerator: use ||grad - gradapprox||."),
        (np.sum(np.abs(g - a)) / (np.sum(np.abs(g)) + np.sum(np.abs(a))),
         "you used sums of absolute values (the 1-norm); use the 2-norm np.linalg.norm."),
        (abs(n(g) - n(a)) / (n(g) + n(a)), "the numerator is the norm of the difference ||grad - gradapprox||, "
                                           "not the difference of the norms."),
    ]


@_reports_stubs("relative_difference")
def check_relative_difference(relative_difference_fn):
    """relative_difference(grad, gradapprox) must return ||g - a|| / (||g|| + ||a||)."""
    _require_function(relative_difference_fn, "relative_difference")
    rng = np.random.default_rng(SEED)
    g = np.array([[1.0], [2.0], [3.0]])
    r = rng.standard_normal((5, 1))
    v = rng.standard_normal(7)
    cases = [
        ("grad=[[1],[2],[3]], gradapprox=2*grad", g, 2 * g),
        ("grad, gradapprox: random (5, 1)", r, r + 0.3 * rng.standard_normal((5, 1))),
        ("grad, gradapprox: random (7,)", v, v * (1 + 0.01 * rng.standard_normal(7))),
        ("grad=2.0, gradapprox=2.5", 2.0, 2.5),
    ]
    for label, grad, approx in cases:
        want = relative_difference(grad, approx)
        call = f"relative_difference({label})"
        got = _as_float(relative_difference_fn(np.copy(grad), np.copy(approx)), call)
        if not _close(got, want, rtol=1e-9):
            _fail(call, got, want, _hints(got, _relative_candidates(grad, approx)))
    first = relative_difference(g, 2 * g)
    print(f"relative_difference passed: grad vs 2 * grad gives {first:.4f} (= 1/3)")


# ----------------------------------------------------------------------------------------------
# 02 check a 1-D gradient  (J(theta) = theta * x)


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


# ----------------------------------------------------------------------------------------------
# 03 flatten parameters into one vector


def _scrambled(d):
    """The same dict, inserted in reverse order (the order of a dict must not matter)."""
    return {k: d[k] for k in reversed(list(d))}


def _alphabetical_vector(d, prefix=""):
    names = sorted(k for k in d if k[len(prefix):][:1] in ("W", "b"))
    return np.concatenate([np.reshape(d[k], (-1, 1)) for k in names])


def _insertion_vector(d):
    names = [k for k in d if k[1:2] in ("W", "b") or k[:1] in ("W", "b")]
    names = [k for k in names if not k.startswith(("dZ", "dA"))]
    return np.concatenate([np.reshape(d[k], (-1, 1)) for k in names])


def _vector_order_hint(theta, d, prefix=""):
    """Why `theta` has the right entries in the wrong order, if it is one of the classic orders."""
    theta = np.asarray(theta).reshape(-1, 1)
    try:
        if np.array_equal(theta, _alphabetical_vector(d, prefix)):
            return ("the names were sorted as strings (alphabetically), so W10, W11, W12 come before W2 and the "
                    "b's after all the W's: order them by layer number, W1, b1, W2, b2, ..., W12, b12.")
        if np.array_equal(theta, _insertion_vector(d)):
            return ("you followed the dictionary's insertion order, which is not guaranteed to be the layer order "
                    "(this dict was filled from the last layer): build the order from the layer numbers, "
                    "for l in 1..L: W, then b.")
        names = vectors.parameter_order({k[len(prefix):]: 0 for k in d
                                         if k[len(prefix):][:1] in ("W", "b") and k[len(prefix):][1:].isdigit()})
        column_major = np.concatenate([np.reshape(d[prefix + k], (-1, 1), order="F") for k in names])
        if np.array_equal(theta, column_major):
            return ("inside each tensor the entries must follow numpy's row-major order, "
                    "reshape(-1, 1) (you used column order: a transpose or order='F').")
    except (ValueError, KeyError):
        pass
    return ""


@_reports_stubs("dictionary_to_vector")
def check_dictionary_to_vector(dictionary_to_vector):
    """dictionary_to_vector(parameters) must return (theta (n, 1), keys) in the order W1, b1, ..., WL, bL."""
    _require_function(dictionary_to_vector, "dictionary_to_vector")
    _, _, classic = network.gradient_check_n_test_case()
    deep = _deep_parameters()
    for label, params in (("the classic parameters", classic), ("a 12-layer net", deep),
                          ("a 12-layer net, dict filled from layer 12 down", _scrambled(deep))):
        want_theta, want_keys = vectors.dictionary_to_vector(params)
        before = _copy_dict(params)
        call = f"dictionary_to_vector({label})"
        result = dictionary_to_vector(params)
        if result is None:
            raise AssertionError(f"{call} returned None. Did you forget `return theta, keys`?")
        if not _same_arrays(params, before):
            raise AssertionError(f"{call} changed the parameters it was given: work on copies.")
        if not isinstance(result, tuple) or len(result) != 2:
            raise AssertionError(f"{call} returned {_fmt(result)}; expected a pair (theta, keys).")
        theta, keys = result
        if not isinstance(theta, np.ndarray) or theta.shape != want_theta.shape:
            shape = getattr(theta, "shape", type(theta).__name__)
            raise AssertionError(f"{call}: theta has shape {shape}, expected {want_theta.shape} (a column "
                                 "vector: reshape each tensor with .reshape(-1, 1) and np.concatenate them along axis 0).")
        if not np.array_equal(theta, want_theta):
            hint = _vector_order_hint(theta, params)
            raise AssertionError(f"{call}: theta has the wrong entries or order, expected "
                                 "W1, b1, W2, b2, ..., WL, bL, each tensor reshaped with reshape(-1, 1)."
                                 + (f"\nMost likely: {hint}" if hint else ""))
        if not isinstance(keys, (list, tuple)) or len(keys) != len(want_keys):
            length = len(keys) if hasattr(keys, "__len__") else "no"
            raise AssertionError(f"{call}: keys must be a list with one name per entry of theta "
                                 f"({len(want_keys)} names), got {type(keys).__name__} with {length} items.")
        if list(keys) != want_keys:
            i = next(i for i, (a, b) in enumerate(zip(keys, want_keys)) if a != b)
            raise AssertionError(f"{call}: keys[{i}] is {keys[i]!r}, expected {want_keys[i]!r} (keys[i] names "
                                 "the tensor theta[i] came from).")
    n = vectors.dictionary_to_vector(deep)[0].shape[0]
    print(f"dictionary_to_vector passed: 12 layers -> theta of shape ({n}, 1), order W1, b1, ..., W12, b12")


def _split(theta, shapes, names):
    """theta cut into tensors taken in the order `names` (to recognise a wrong-order answer)."""
    out, start = {}, 0
    for name in names:
        size = int(np.prod(shapes[name]))
        out[name] = theta[start:start + size].reshape(shapes[name])
        start += size
    return out


@_reports_stubs("vector_to_dictionary")
def check_vector_to_dictionary(vector_to_dictionary):
    """vector_to_dictionary(theta, shapes) must undo dictionary_to_vector."""
    _require_function(vector_to_dictionary, "vector_to_dictionary")
    _, _, classic = network.gradient_check_n_test_case()
    deep = _deep_parameters()
    for label, params in (("the classic parameters", classic), ("a 12-layer net", deep)):
        for shapes in (vectors.parameter_shapes(params), _scrambled(vectors.parameter_shapes(params))):
            theta = vectors.dictionary_to_vector(params)[0]
            theta_before = theta.copy()
            call = f"vector_to_dictionary(theta, shapes) for {label}"
            got = vector_to_dictionary(theta, dict(shapes))
            if got is None:
                raise AssertionError(f"{call} returned None. Did you forget `return parameters`?")
            if not np.array_equal(theta, theta_before):
                raise AssertionError(f"{call} changed theta: read from it, do not modify it.")
            if not isinstance(got, dict):
                raise AssertionError(f"{call} returned {type(got).__name__}; expected a dict name -> array.")
            if set(got) != set(params):
                missing = vectors.parameter_order(set(params) - set(got)) if set(params) - set(got) else []
                extra = sorted(map(str, set(got) - set(params)))
                raise AssertionError(f"{call}: the keys are wrong; missing {missing}, unexpected {extra}.")
            for name in vectors.parameter_order(params):
                value = got[name]
                if np.shape(value) != params[name].shape:
                    raise AssertionError(f"{call}: {name} has shape {np.shape(value)}, expected {params[name].shape} "
                                         f"(reshape the slice with .reshape(shapes[{name!r}])).")
            wrong = [name for name in vectors.parameter_order(params) if not np.array_equal(got[name], params[name])]
            if wrong:
                hint = ""
                alpha = _split(theta, shapes, sorted(shapes))
                if all(np.array_equal(got[k], alpha[k]) for k in params):
                    hint = ("the names were taken in string order (W10 before W2, all W's before the b's): "
                            "take them by layer number, W1, b1, W2, b2, ...")
                else:
                    ins = _split(theta, shapes, list(shapes))
                    if all(np.array_equal(got[k], ins[k]) for k in params):
                        hint = ("you followed the order of the shapes dict, which need not be the layer order: "
                                "take the names by layer number, W1, b1, W2, b2, ...")
                raise AssertionError(f"{call}: wrong values in {', '.join(wrong)} (the slices of theta must be taken "
                                     "in the order W1, b1, W2, b2, ..., WL, bL)." + (f"\nMost likely: {hint}" if hint else ""))
    print("vector_to_dictionary passed: the 12-layer net round-trips exactly")


@_reports_stubs("gradients_to_vector")
def check_gradients_to_vector(gradients_to_vector):
    """gradients_to_vector(gradients) must return the dW, db in the order dW1, db1, ..., dWL, dbL, shape (n, 1)."""
    _require_function(gradients_to_vector, "gradients_to_vector")
    rng = np.random.default_rng(SEED)
    deep = _deep_parameters()
    X = rng.standard_normal((DEEP_DIMS[0], 5))
    Y = np.array([[1, 0, 1, 1, 0]])
    cases = [("the backward pass of a 12-layer net (keys dZ12, dW12, db12, dA11, ...)",
              network.NetworkCost(X, Y).gradients(deep))]
    X, Y, classic = network.gradient_check_n_test_case()
    _, cache = network.forward_propagation_n(X, Y, classic)
    cases.append(("the classic backward pass", network.backward_propagation_n(X, Y, cache)))
    for label, gradients in cases:
        want = vectors.gradients_to_vector(gradients)
        call = f"gradients_to_vector({label})"
        got = gradients_to_vector(_copy_dict(gradients))
        if got is None:
            raise AssertionError(f"{call} returned None. Did you forget `return`?")
        if not isinstance(got, np.ndarray):
            raise AssertionError(f"{call} returned {type(got).__name__}; expected a numpy array of shape {want.shape}.")
        if got.size != want.size:
            extra = ("; did you include the dZ and dA entries? Only dW1, db1, ... belong in the vector"
                     if got.size > want.size else "")
            raise AssertionError(f"{call} returned {got.size} entries, expected {want.size}{extra}.")
        if got.shape != want.shape:
            raise AssertionError(f"{call} returned shape {got.shape}, expected {want.shape} (a column vector).")
        if not np.array_equal(got, want):
            hint = _vector_order_hint(got, gradients, prefix="d")
            raise AssertionError(f"{call}: the entries are in the wrong order, expected dW1, db1, dW2, db2, ..., "
                                 "each reshaped with reshape(-1, 1)." + (f"\nMost likely: {hint}" if hint else ""))
    n = vectors.gradients_to_vector(cases[0][1]).shape[0]
    print(f"gradients_to_vector passed: 12 layers -> ({n}, 1) in the order dW1, db1, ..., dW12, db12")


# ----------------------------------------------------------------------------------------------
# 04 check an N-D gradient


def _nd_reference(X, Y, parameters, gradients, epsilon):
    """(difference, candidates) of the N-D check: the right value and what the known mistakes give."""
    theta, _ = vectors.dictionary_to_vector(parameters)
    shapes = vectors.parameter_shapes(parameters)
    cost = _vector_cost(X, Y, shapes)
    grad = vectors.gradients_to_vector(gradients, parameters)
    n = theta.shape[0]
    plus, minus, base = np.zeros((n, 1)), np.zeros((n, 1)), cost(theta)
    for i in range(n):
        t = theta.copy()
        t[i, 0] += epsilon
        plus[i, 0] = cost(t)
        t[i, 0] = theta[i, 0] - epsilon
        minus[i, 0] = cost(t)
    approx = (plus - minus) / (2 * epsilon)
    forward = (plus - base) / epsilon
    norm = np.linalg.norm
    want = relative_difference(grad, approx)
    candidates = [
        (relative_difference(grad, forward / 2), "thetaminus was built from thetaplus (or without np.copy), so it "
                                                 "equals theta and gradapprox is half the slope (difference about 1/3): "
                                                 "thetaminus = np.copy(theta); thetaminus[i] -= epsilon."),
        (relative_difference(grad, 2 * approx), "gradapprox divides by epsilon instead of 2 * epsilon (difference about 1/3)."),
        (relative_difference(grad, (plus - minus) / 2 * epsilon), "operator precedence: `/ 2 * epsilon` multiplies by "
                                                                   "epsilon (difference about 1); write / (2 * epsilon)."),
        (relative_difference(grad, forward), "you used the one-sided difference (J(theta + eps) - J(theta)) / eps; use "
                                             "the centered one with thetaminus = theta - epsilon."),
        (float(norm(grad - approx)), "you returned only the numerator ||grad - gradapprox||; divide by "
                                     "||grad|| + ||gradapprox||."),
        (0.0, "a difference of exactly 0 is too good to be true: you compared gradapprox with itself (or grad with "
              "itself); grad must come from gradients_to_vector(gradients)."),
    ]
    return want, candidates


def _nd_band_hint(got):
    if abs(got - 1 / 3) < 0.05:
        return ("a difference near 1/3 means gradapprox is half (or twice) grad: thetaminus built from thetaplus or "
                "without np.copy, or a division by epsilon instead of 2 * epsilon.")
    if abs(got - 1) < 1e-3:
        return "a difference near 1 means gradapprox is about 0: check `/ (2 * epsilon)` (not `/ 2 * epsilon`)."
    return ""


@_reports_stubs("gradient_check_n")
def check_gradient_check_n(gradient_check_n):
    """gradient_check_n(parameters, gradients, X, Y, epsilon=1e-7) must return the N-D relative difference."""
    _require_function(gradient_check_n, "gradient_check_n")
    X, Y, parameters = network.gradient_check_n_test_case()
    _, cache = network.forward_propagation_n(X, Y, parameters)
    correct = network.backward_propagation_n(X, Y, cache)
    buggy = network.backward_propagation_n(X, Y, cache, bugs=COLLEAGUE_BUGS)
    rng = np.random.default_rng(SEED)
    X2, Y2, p2 = _random_classic_case(rng, 6)
    _, cache2 = network.forward_propagation_n(X2, Y2, p2)
    g2 = network.backward_propagation_n(X2, Y2, cache2, bugs=("dW3_missing_1_over_m",))
    g3 = network.backward_propagation_n(X2, Y2, cache2)
    cases = [("the classic case, correct gradients", X, Y, parameters, correct, None),
             ("the classic case, the colleague's gradients", X, Y, parameters, buggy, None),
             ("a random 3-layer net, a wrong dW3, epsilon=1e-6", X2, Y2, p2, g2, 1e-6),
             ("a random 3-layer net, correct gradients, epsilon=1e-3", X2, Y2, p2, g3, 1e-3)]
    values = []
    for label, X_, Y_, p, g, epsilon in cases:
        eps = 1e-7 if epsilon is None else epsilon
        want, candidates = _nd_reference(X_, Y_, p, g, eps)
        p_before, g_before = _copy_dict(p), _copy_dict(g)
        call = f"gradient_check_n({label})"
        args = (p, g, X_, Y_) if epsilon is None else (p, g, X_, Y_, epsilon)
        got = _as_float(gradient_check_n(*args), call)
        if not (_same_arrays(p, p_before) and _same_arrays(g, g_before)):
            raise AssertionError(f"{call} changed the parameters or gradients it was given: perturb copies "
                                 "(np.copy) of theta, never the caller's arrays.")
        if not _close(got, want, rtol=1e-3, atol=1e-15):
            if epsilon is not None:
                candidates.append((_nd_reference(X_, Y_, p, g, 1e-7)[0], "you ignored the epsilon argument "
                                   "(this matches epsilon = 1e-7): perturb by the epsilon you are given."))
            hint = _hints(got, candidates, rtol=1e-3) or _nd_band_hint(got)
            _fail(call, got, want, hint)
        values.append(want)
    print(f"gradient_check_n passed: difference = {values[1]:.3g} with the colleague's bugs, "
          f"below {THRESHOLD_N:.0e} with correct gradients")


@_reports_stubs("name_the_suspects")
def check_name_the_suspects(name_the_suspects):
    """name_the_suspects() must return the parameters whose gradient the colleague got wrong."""
    _require_function(name_the_suspects, "name_the_suspects")
    X, Y, parameters = network.gradient_check_n_test_case()
    _, cache = network.forward_propagation_n(X, Y, parameters)
    buggy = network.backward_propagation_n(X, Y, cache, bugs=COLLEAGUE_BUGS)
    result = gradcheck.check_gradients(network.classic_cost(X, Y), parameters, buggy, threshold=THRESHOLD_N)
    want = list(result.suspects)
    got = name_the_suspects()
    if got is None:
        raise AssertionError("name_the_suspects() returned None. Did you forget `return`? "
                             'Return a list of parameter names, e.g. ["W1"].')
    if isinstance(got, str) or not isinstance(got, (list, tuple, set)) or not all(isinstance(n, str) for n in got):
        raise AssertionError(f"name_the_suspects() returned {_fmt(got)}; expected a list of parameter names "
                             'such as ["W1", "b3"] (strings, even for a single name).')
    names = [n.strip() for n in got]
    if any(n.startswith("d") for n in names):
        raise AssertionError(f"name_the_suspects() returned {names}: name the parameters (e.g. 'W1'), "
                             "not their gradients ('dW1').")
    unknown = [n for n in names if n not in parameters]
    if unknown:
        raise AssertionError(f"name_the_suspects() returned {unknown}, which are not parameters of the network "
                             f"(its parameters are {', '.join(parameters)}).")
    blocks = result.block_differences
    wrong = " and ".join(f"{blocks[n]:.2g}" for n in sorted(want, key=blocks.get))
    roundoff = max((blocks[n] for n in blocks if n not in want), default=0.0)
    far_above = (f"A suspect's block difference is far above round-off (the wrong gradients here are at "
                 f"{wrong}); a tensor only a little above the threshold {THRESHOLD_N:.0e} (the correct ones "
                 f"here reach {roundoff:.2g}) is round-off of the classic cost, not a bug.")
    innocent = [n for n in dict.fromkeys(names) if n not in want]
    if innocent:
        several = len(innocent) > 1
        reasons = []
        for n in innocent:
            d = blocks[n]
            if d > THRESHOLD_N:
                reasons.append(f"{n}'s block difference {d:.2g} is above the threshold {THRESHOLD_N:.0e}, but only "
                               "by round-off: centered differences of the classic cost (a log of probabilities) "
                               f"err by a few 1e-07 with epsilon = 1e-7 even when the gradient is right.")
            else:
                reasons.append(f"{n}'s block difference {d:.2g} is below the threshold {THRESHOLD_N:.0e}.")
        raise AssertionError(f"name_the_suspects(): the gradient{'s' if several else ''} of "
                             f"{' and '.join(innocent)} {'are' if several else 'is'} correct. " + " ".join(reasons)
                             + f"\n{far_above}")
    missing = [n for n in want if n not in names]
    if missing:
        raise AssertionError(f"name_the_suspects(): you named {len(set(names))} of the {len(want)} tensors whose "
                             f"gradient is wrong. Look again at the per-tensor differences. {far_above}")
    print(f"name_the_suspects passed: {' and '.join(want)} have wrong gradients")


@_reports_stubs("backward_propagation_n")
def check_backward_propagation_n(backward_propagation_n):
    """backward_propagation_n(X, Y, cache) must return the correct gradients (the colleague's bugs fixed)."""
    _require_function(backward_propagation_n, "backward_propagation_n")
    X, Y, parameters = network.gradient_check_n_test_case()
    rng = np.random.default_rng(SEED)
    X2, Y2, p2 = _random_classic_case(rng, 7)
    for label, X_, Y_, p in (("the classic case", X, Y, parameters), ("a random 3-layer net with m = 7", X2, Y2, p2)):
        _, cache = network.forward_propagation_n(X_, Y_, p)
        want = network.backward_propagation_n(X_, Y_, cache)
        m = X_.shape[1]
        call = f"backward_propagation_n({label})"
        got = backward_propagation_n(X_, Y_, cache)
        if got is None:
            raise AssertionError(f"{call} returned None. Did you forget `return gradients`?")
        if not isinstance(got, dict):
            raise AssertionError(f"{call} returned {type(got).__name__}; expected the gradients dict.")
        for name in vectors.parameter_order(p):
            key = "d" + name
            if key not in got:
                raise AssertionError(f"{call}: gradients has no {key!r} key.")
            value, ref = np.asarray(got[key]), want[key]
            if value.shape != ref.shape:
                raise AssertionError(f"{call}: {key} has shape {value.shape}, expected {ref.shape} "
                                     "(for db use np.sum(..., axis=1, keepdims=True)).")
            if np.allclose(value, ref, rtol=1e-7, atol=1e-12):
                continue
            hint = ""
            if key == "dW2" and np.allclose(value, 2 * ref, rtol=1e-7, atol=1e-12):
                hint = "dW2 still has the stray `* 2`: dW2 = 1./m * np.dot(dZ2, A1.T)."
            elif key == "db1" and np.allclose(value, 4 * ref, rtol=1e-7, atol=1e-12):
                hint = "db1 still uses 4./m: db1 = 1./m * np.sum(dZ1, axis=1, keepdims=True)."
            else:
                k = float(np.sum(value * ref) / np.sum(ref * ref)) if np.any(ref) else np.nan
                if np.isfinite(k) and np.allclose(value, k * ref, rtol=1e-7, atol=1e-12):
                    hint = f"{key} is {k:.4g} times the right value"
                    hint += (f" (m is {m} here: did you hard-code m = 3?)." if np.isclose(k, m / 3) else
                             ": look for a stray factor in that line.")
            raise AssertionError(f"{call}: {key} is wrong (largest error {np.max(np.abs(value - ref)):.3g})."
                                 + (f"\nMost likely: {hint}" if hint else ""))
    print(f"backward_propagation_n passed: every dW and db matches the gradient check (< {THRESHOLD_N:.0e})")


# ----------------------------------------------------------------------------------------------
# 05 gradient checking in practice


def _direction(theta, seed):
    u = np.random.default_rng(seed).standard_normal(theta.shape)
    return u, u / np.linalg.norm(u)


def _reference_directional(cost, theta, grad, epsilon, seed):
    _, u = _direction(theta, seed)
    numerical = (float(cost(theta + epsilon * u)) - float(cost(theta - epsilon * u))) / (2 * epsilon)
    analytic = float(np.sum(np.asarray(grad).ravel() * u.ravel()))
    return relative_difference(np.array([analytic]), np.array([numerical]))


@_reports_stubs("directional_check")
def check_directional_check(directional_check):
    """directional_check(cost, theta, grad, epsilon=1e-7, seed=0): one random unit direction, centered."""
    _require_function(directional_check, "directional_check")
    X, Y, parameters = network.gradient_check_n_test_case()
    _, cache = network.forward_propagation_n(X, Y, parameters)
    theta, _ = vectors.dictionary_to_vector(parameters)
    classic = _vector_cost(X, Y, vectors.parameter_shapes(parameters))
    correct = vectors.gradients_to_vector(network.backward_propagation_n(X, Y, cache))
    buggy = vectors.gradients_to_vector(network.backward_propagation_n(X, Y, cache, bugs=COLLEAGUE_BUGS))
    rng = np.random.default_rng(SEED)
    t2 = rng.standard_normal((10, 1))

    def smooth(t):
        return float(np.sum(np.sin(t)) + 0.5 * np.sum(t * t))
    g2 = np.cos(t2) + t2
    g2[:3] *= 1.5  # a wrong gradient in a few entries
    cases = [("the classic net, correct gradient", classic, theta, correct, None, None),
             ("the classic net, the colleague's gradient, seed=3", classic, theta, buggy, 1e-7, 3),
             ("sum(sin(theta)) + |theta|^2 / 2, a wrong gradient, epsilon=1e-5, seed=7", smooth, t2, g2, 1e-5, 7)]
    values = []
    for label, cost, th, grad, epsilon, seed in cases:
        eps = 1e-7 if epsilon is None else epsilon
        sd = 0 if seed is None else seed
        want = _reference_directional(cost, th, grad, eps, sd)
        raw, u = _direction(th, sd)
        points = []

        def recorded(t, _cost=cost, _points=points):
            _points.append(np.array(t, dtype=float, copy=True))
            return _cost(t)
        student_theta, student_grad = th.copy(), grad.copy()
        call = f"directional_check({label})"
        args = (recorded, student_theta, student_grad) + (() if epsilon is None else (epsilon, seed))
        got = _as_float(directional_check(*args), call)
        if not np.allclose(student_theta, th, rtol=0, atol=1e-12):
            raise AssertionError(f"{call} changed theta in place (e.g. theta += epsilon * u): build new vectors, "
                                 "theta_plus = theta + epsilon * u and theta_minus = theta - epsilon * u.")
        steps = [(p.reshape(th.shape) - th) / eps for p in points if p.size == th.size]
        steps = [s for s in steps if np.linalg.norm(s) > 0.5]
        if steps:
            lengths = [np.linalg.norm(s) for s in steps]
            if all(abs(length - np.linalg.norm(raw)) < 1e-3 * np.linalg.norm(raw) for length in lengths) \
                    and abs(np.linalg.norm(raw) - 1) > 1e-2:
                raise AssertionError(f"{call}: the direction u was not normalised (the cost was evaluated at "
                                     f"theta +- epsilon * u with ||u|| = {lengths[0]:.3g}): divide u by "
                                     "np.linalg.norm(u) so that epsilon is the step length.")
            aligned = [abs(float(np.sum(s.ravel() * u.ravel()))) / np.linalg.norm(s) for s in steps]
            if min(aligned) < 1 - 1e-6:
                raise AssertionError(f"{call}: the cost was evaluated along another direction than "
                                     "u = np.random.default_rng(seed).standard_normal(theta.shape) (normalised): "
                                     "draw u from a local generator with the seed argument, not np.random.randn.")
        if not _close(got, want, rtol=1e-3, atol=1e-13):
            _fail(call, got, want, _hints(got, [
                (0.0, "a difference of exactly 0 is too good to be true: compare the numerical slope with "
                      "grad . u, not with itself."),
            ], atol=0) or _nd_band_hint(got))
        values.append(want)
    print(f"directional_check passed: difference = {values[1]:.3g} with the colleague's bugs (seed 3)")


@_reports_stubs("cost_with_l2")
def check_cost_with_l2(cost_with_l2):
    """cost_with_l2(cross_entropy_cost, parameters, lambd, m) = cost + lambd / (2 m) * sum_l ||W_l||_F^2."""
    _require_function(cost_with_l2, "cost_with_l2")
    X, Y, classic = network.gradient_check_n_test_case()
    cce, _ = network.forward_propagation_n(X, Y, classic)
    deep = _deep_parameters()
    rng = np.random.default_rng(SEED)
    cases = [("the classic net", cce, classic, 0.7, 3),
             ("a 12-layer net", round(float(rng.uniform(0.2, 1)), 4), deep, 0.1, 10),
             ("lambd = 0", 0.5, deep, 0.0, 4)]
    for label, c, params, lambd, m in cases:
        want = c + network.l2_penalty(params, lambd, m)
        W = [params[f"W{l}"] for l in range(1, len(params) // 2 + 1)]
        Ws = sum(np.sum(np.square(w)) for w in W)
        bs = sum(np.sum(np.square(params[f"b{l}"])) for l in range(1, len(W) + 1))
        candidates = [
            (c + lambd / (2 * m) * (Ws + bs), "you regularized the biases too: L2 uses the W's only, not the b's."),
            (c + lambd / m * Ws, "the factor is lambd / (2 * m): you forgot the 1/2."),
            (c + lambd / 2 * m * Ws, "operator precedence: `lambd / 2 * m` multiplies by m; write lambd / (2 * m)."),
            (c + lambd / 2 * Ws, "divide by m as well: the factor is lambd / (2 * m)."),
            (c + lambd * Ws, "the factor is lambd / (2 * m)."),
            (c + lambd / (2 * m) * sum(np.sum(np.square(w)) for w in W[:3]),
             "only W1, W2, W3 were summed: loop over every layer, l = 1 .. len(parameters) // 2."),
            (c + lambd / (2 * m) * sum(np.linalg.norm(w) for w in W), "square the Frobenius norms: np.sum(np.square(W))."),
            (lambd / (2 * m) * Ws, "you returned only the L2 term: add it to cross_entropy_cost."),
        ]
        before = _copy_dict(params)
        call = f"cost_with_l2({label}, lambd={lambd}, m={m})"
        got = _as_float(cost_with_l2(c, params, lambd, m), call)
        if not _same_arrays(params, before):
            raise AssertionError(f"{call} changed the parameters it was given.")
        if not _close(got, want, rtol=1e-9, atol=1e-15):
            _fail(call, got, want, _hints(got, candidates, rtol=1e-9))
    penalty = network.l2_penalty(classic, 0.7, 3)
    print(f"cost_with_l2 passed: {cce:.4f} + L2 term {penalty:.4f} = {cce + penalty:.4f} (lambd = 0.7, m = 3)")
