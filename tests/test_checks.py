"""Tests of course_utils/checks/ (one module per notebook): correct solutions pass with their exact line, known mistakes fail
with a message naming the likely cause, a stub's NotImplementedError stays a NotImplementedError with a
short message and a short traceback."""
import numpy as np
import pytest

from course_utils import checks
from course_utils.expect.mistakes import mistake_of
from course_utils.network import forward_propagation_n
from course_utils.vectors import dictionary_to_vector as ref_d2v
from course_utils.vectors import gradients_to_vector as ref_g2v
from course_utils.vectors import vector_to_dictionary as ref_v2d


def passes(check, fn, capsys, line):
    """The check passes and prints `line`, wrapped at word boundaries to checks._common.WIDTH columns."""
    from course_utils.checks._common import WIDTH, wrap

    assert check(fn) is None
    out = capsys.readouterr().out
    assert out == wrap(line) + "\n"
    assert all(len(printed) <= WIDTH for printed in out.splitlines()), out


def fails(check, fn, phrase):
    with pytest.raises(AssertionError) as info:
        check(fn)
    assert phrase in str(info.value), str(info.value)
    return str(info.value)


# ----------------------------------------------------------------------------------------------
# Solutions (as a student would write them)

def warm_up_square(x):
    return x ** 2


def forward_difference(f, x, epsilon):
    return (f(x + epsilon) - f(x)) / epsilon


def centered_difference(f, x, epsilon):
    return (f(x + epsilon) - f(x - epsilon)) / (2 * epsilon)


def relative_difference(grad, gradapprox):
    numerator = np.linalg.norm(grad - gradapprox)
    return numerator / (np.linalg.norm(grad) + np.linalg.norm(gradapprox))


def forward_propagation(x, theta):
    return theta * x


def backward_propagation(x, theta):
    return x


def gradient_check(x, theta, epsilon=1e-7, print_msg=False):
    thetaplus = theta + epsilon
    thetaminus = theta - epsilon
    J_plus = forward_propagation(x, thetaplus)
    J_minus = forward_propagation(x, thetaminus)
    gradapprox = (J_plus - J_minus) / (2 * epsilon)
    grad = backward_propagation(x, theta)
    numerator = np.linalg.norm(grad - gradapprox)
    denominator = np.linalg.norm(grad) + np.linalg.norm(gradapprox)
    return numerator / denominator


def _layers(d):
    return range(1, len([k for k in d if k[:1] == "W"]) + 1)


def dictionary_to_vector(parameters):
    pieces, keys = [], []
    for l in _layers(parameters):
        for name in (f"W{l}", f"b{l}"):
            pieces.append(parameters[name].reshape(-1, 1))
            keys += [name] * parameters[name].size
    return np.concatenate(pieces, axis=0), keys


def vector_to_dictionary(theta, shapes):
    out, start = {}, 0
    for l in _layers(shapes):
        for name in (f"W{l}", f"b{l}"):
            size = int(np.prod(shapes[name]))
            out[name] = theta[start:start + size].reshape(shapes[name]).copy()  # a copy, as notebook 03 asks
            start += size
    return out


def gradients_to_vector(gradients):
    L = len([k for k in gradients if k.startswith("dW")])
    return np.concatenate([gradients[f"d{k}{l}"].reshape(-1, 1) for l in range(1, L + 1) for k in "Wb"], axis=0)


def _gcn(mistake):
    """gradient_check_n as a student writes it; `mistake` (None: correct) picks a known error."""
    def gradient_check_n(cost, parameters, gradients, epsilon=1e-7, print_msg=False):
        theta, _ = ref_d2v(parameters)
        shapes = {k: v.shape for k, v in parameters.items()}
        grad = ref_g2v(gradients)
        n = theta.shape[0]
        gradapprox = np.zeros((n, 1))
        for i in range(n):
            thetaplus = np.copy(theta)
            thetaplus[i][0] += epsilon
            J_plus = cost(ref_v2d(thetaplus, shapes))
            thetaminus = np.copy(thetaplus) if mistake == "from_plus" else np.copy(theta)
            thetaminus[i][0] -= epsilon
            J_minus = cost(ref_v2d(thetaminus, shapes))
            gradapprox[i] = (J_plus - J_minus) / 2 * epsilon if mistake == "precedence" else (J_plus - J_minus) / (2 * epsilon)
            if mistake == "swapped_signs":
                gradapprox[i] = (J_minus - J_plus) / (2 * epsilon)
        if mistake == "flat":
            gradapprox = gradapprox.ravel()
        if mistake == "itself":
            grad = gradapprox
        if mistake == "mutates":
            parameters["W1"] += 0.0 * parameters["W1"] + 1e-3
        numerator = np.linalg.norm(grad - gradapprox)
        difference = float(numerator / (np.linalg.norm(grad) + np.linalg.norm(gradapprox)))
        if print_msg:
            print(("There is a mistake" if difference > 2e-7 else "Works fine") + f": difference = {difference:.3g}")
        if mistake == "difference_only":
            return difference
        if mistake == "swapped_return":
            return gradapprox, difference
        return difference, (grad if mistake == "returns_grad" else gradapprox)
    return gradient_check_n


gradient_check_n = _gcn(None)


def _blocks(mistake=None):
    """block_differences as a student writes it, with plain loops; `mistake` picks a known error."""
    def block_differences(grad, gradapprox, keys):
        names = list(dict.fromkeys(keys))
        if mistake == "sorted":
            names = sorted(names)
        g_all, a_all = np.ravel(grad), np.ravel(gradapprox)
        out = {}
        for name in names:
            g = np.array([x for x, k in zip(g_all, keys) if k == name])
            a = np.array([x for x, k in zip(a_all, keys) if k == name])
            num = np.sqrt(np.sum((g - a) ** 2))
            if mistake == "overall":
                den = np.sqrt(np.sum(g_all ** 2)) + np.sqrt(np.sum(a_all ** 2))
            else:
                den = np.sqrt(np.sum(g ** 2)) + np.sqrt(np.sum(a ** 2))
            out[name] = float(num / den) if (den > 0 or mistake == "no_zero_guard") else 0.0
        return out
    return block_differences


block_differences = _blocks()


def _diagnose(mistake=None):
    """diagnose as a student writes it (using the test's block_differences); `mistake` picks a known error."""
    def diagnose(grad, gradapprox, keys, threshold=1e-5):
        out = {}
        keys_arr = np.array(keys)
        for name, d in block_differences(grad, gradapprox, keys).items():
            if (d >= threshold) if mistake == "at_threshold" else (d > threshold):
                g = np.linalg.norm(np.ravel(grad)[keys_arr == name])
                a = np.linalg.norm(np.ravel(gradapprox)[keys_arr == name])
                out[name] = float(a / g) if mistake == "inverted" else float(g / a)
        return out
    return diagnose


diagnose = _diagnose()


def backward_propagation_n(X, Y, cache, _dW2=1.0, _db1=1.0, _m=None):
    m = X.shape[1] if _m is None else _m
    (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) = cache
    dZ3 = A3 - Y
    dW3 = 1. / m * np.dot(dZ3, A2.T)
    db3 = 1. / m * np.sum(dZ3, axis=1, keepdims=True)
    dA2 = np.dot(W3.T, dZ3)
    dZ2 = np.multiply(dA2, np.int64(A2 > 0))
    dW2 = 1. / m * np.dot(dZ2, A1.T) * _dW2
    db2 = 1. / m * np.sum(dZ2, axis=1, keepdims=True)
    dA1 = np.dot(W2.T, dZ2)
    dZ1 = np.multiply(dA1, np.int64(A1 > 0))
    dW1 = 1. / m * np.dot(dZ1, X.T)
    db1 = _db1 / m * np.sum(dZ1, axis=1, keepdims=True)
    return {"dZ3": dZ3, "dW3": dW3, "db3": db3, "dA2": dA2, "dZ2": dZ2, "dW2": dW2, "db2": db2,
            "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}


def directional_check(cost, theta, grad, epsilon=1e-7, seed=0):
    u = np.random.default_rng(seed).standard_normal(theta.shape)
    u = u / np.linalg.norm(u)
    numerical = (cost(theta + epsilon * u) - cost(theta - epsilon * u)) / (2 * epsilon)
    analytic = np.sum(grad * u)
    return abs(numerical - analytic) / (abs(numerical) + abs(analytic))


def cost_with_l2(cross_entropy_cost, parameters, lambd, m):
    L = len(parameters) // 2
    total = sum(np.sum(np.square(parameters[f"W{l}"])) for l in range(1, L + 1))
    return cross_entropy_cost + lambd / (2 * m) * total


def stub(*args, **kwargs):
    raise NotImplementedError("write it")


# ----------------------------------------------------------------------------------------------
# Correct solutions pass with their exact, stable line

# notebook 06: each check finds student_id beside the function, as in the notebook; the answers are those of
# the reference solution's capstone code (tests/test_capstone.py ties them to the bugs planted for it)
def student_id():
    return "ada-lovelace:200:75ru5wc4xrndw5qf"


def wrong_tensors():
    return ["W1", "b1"]


def buggy_lines():
    return ["dZ1", "dA1"]


def fixed_backward(X, Y, cache):
    m = X.shape[1]
    A1, A2, A3, A4 = (cache[f"A{l}"] for l in range(1, 5))
    dZ4 = A4 - Y
    dZ3 = np.dot(cache["W4"].T, dZ4) * (1 - A3 ** 2)
    dZ2 = np.dot(cache["W3"].T, dZ3) * np.where(cache["Z2"] > 0, 1.0, 0.15)  # this teammate's network's slope
    dZ1 = np.dot(cache["W2"].T, dZ2) * (1 - A1 ** 2)
    out = {}
    for l, dZ, A_prev in ((1, dZ1, X), (2, dZ2, A1), (3, dZ3, A2), (4, dZ4, A3)):
        out[f"dW{l}"] = np.dot(dZ, A_prev.T) / m
        out[f"db{l}"] = np.sum(dZ, axis=1, keepdims=True) / m
    return out


LINES = {
    "warm_up_square": (warm_up_square, "warm_up_square passed: warm_up_square(3) = 9"),
    "forward_difference": (forward_difference,
                           "forward_difference passed: slope of x**3 at 2 = 12.0060 (exact 12, error 6.0e-03)"),
    "centered_difference": (centered_difference,
                            "centered_difference passed: slope of x**3 at 2 = 12.0000 (exact 12, error 1.0e-06)"),
    "relative_difference": (relative_difference, "relative_difference passed: grad vs 2 * grad gives 0.3333 (= 1/3)"),
    "forward_propagation": (forward_propagation, "forward_propagation passed: J(x=2, theta=4) = 8"),
    "backward_propagation": (backward_propagation, "backward_propagation passed: dtheta(x=2, theta=4) = 2"),
    "gradient_check": (gradient_check, "gradient_check passed: difference = 2.9e-10 < 1e-07"),
    "dictionary_to_vector": (dictionary_to_vector, "dictionary_to_vector passed: 12 layers -> theta (%d, 1), order "
                                                   "W1, b1, ..., W12, b12"),
    "vector_to_dictionary": (vector_to_dictionary, "vector_to_dictionary passed: the 12-layer net round-trips exactly"),
    "gradients_to_vector": (gradients_to_vector, "gradients_to_vector passed: 12 layers -> grad (%d, 1), order "
                                                 "dW1, db1, ..., dW12, db12"),
    "gradient_check_n": (gradient_check_n, "gradient_check_n passed: difference = %s with the colleague's bugs, "
                                           "below 2e-07 with correct gradients; 3-, 5- and 12-layer nets"),
    "block_differences": (block_differences, "block_differences passed: the colleague's vectors, a 12-layer net, "
                                             "other names, an all-zero tensor"),
    "diagnose": (diagnose, "diagnose passed: suspects and ratios right on the colleague's vectors, a 12-layer net, "
                           "other names, a tensor too small, a sign error, a block exactly at the threshold"),
    "backward_propagation_n": (backward_propagation_n, "backward_propagation_n passed: every dW and db right to "
                                                       "1e-07 relative (the classic case; m = 7, 12, 1); your pass's "
                                                       "gradient check on the classic case is below 2e-07"),
    "directional_check": (directional_check, "directional_check passed: difference = %s on notebook 04's network "
                                             "with the colleague's two bugs (seed 3)"),
    "cost_with_l2": (cost_with_l2, "cost_with_l2 passed: 2.4078 + L2 term 2.9893 = 5.3971 (lambd = 0.7, m = 3)"),
    "student_id": (student_id, "student_id passed: your code opens your teammate, 1 of the 522 in this release"),
    "wrong_tensors": (wrong_tensors, "wrong_tensors passed: you named exactly the tensors whose gradient disagrees "
                                     "with J"),
    "buggy_lines": (buggy_lines, "buggy_lines: your two lines can explain every wrong tensor; the grader decides "
                                 "whether they are the two wrong ones (to be sure, fix those two lines in "
                                 "fixed_backward and run its check)"),
    "fixed_backward": (fixed_backward, "fixed_backward passed: all 8 gradients are the exact derivatives of J on "
                                       "4 networks"),
}


def _deep_size():
    dims = checks.DEEP_DIMS
    return sum(dims[l] * dims[l - 1] + dims[l] for l in range(1, len(dims)))


def _directional_value():
    """The colleague's directional difference along seed 3, computed here independently."""
    from course_utils.backprop import backward_propagation_n as ref_bp
    from course_utils.network import gradient_check_n_test_case
    X, Y, p = gradient_check_n_test_case()
    _, cache = forward_propagation_n(X, Y, p)
    theta, _ = ref_d2v(p)
    grad = ref_g2v(ref_bp(X, Y, cache, bugs=checks.COLLEAGUE_BUGS))
    shapes = {k: v.shape for k, v in p.items()}
    u = np.random.default_rng(3).standard_normal(theta.shape)
    u /= np.sqrt(np.sum(u ** 2))
    J = lambda t: forward_propagation_n(X, Y, ref_v2d(t, shapes))[0]  # noqa: E731
    num = (J(theta + 1e-7 * u) - J(theta - 1e-7 * u)) / 2e-7
    ana = float(np.sum(grad * u))
    return abs(num - ana) / (abs(num) + abs(ana))


def _colleague_vectors():
    """grad, gradapprox (a classic loop written here) and keys of the colleague's pass."""
    from course_utils.backprop import backward_propagation_n as ref_bp
    from course_utils.network import gradient_check_n_test_case
    X, Y, p = gradient_check_n_test_case()
    _, cache = forward_propagation_n(X, Y, p)
    theta, keys = ref_d2v(p)
    grad = ref_g2v(ref_bp(X, Y, cache, bugs=checks.COLLEAGUE_BUGS))
    shapes = {k: v.shape for k, v in p.items()}
    approx = np.zeros_like(theta)
    for i in range(theta.shape[0]):
        step = np.zeros_like(theta)
        step[i] = 1e-7
        approx[i] = (forward_propagation_n(X, Y, ref_v2d(theta + step, shapes))[0]
                     - forward_propagation_n(X, Y, ref_v2d(theta - step, shapes))[0]) / 2e-7
    return grad, approx, keys


def _colleague_numbers(exercise):
    grad, approx, keys = _colleague_vectors()
    if exercise == "gradient_check_n":
        d = np.linalg.norm(grad - approx) / (np.linalg.norm(grad) + np.linalg.norm(approx))
        return f"{d:.3g}"
    raise ValueError(exercise)


@pytest.mark.parametrize("exercise", sorted(LINES))
def test_solution_passes_with_stable_line(exercise, capsys):
    fn, line = LINES[exercise]
    if exercise in ("dictionary_to_vector", "gradients_to_vector"):
        line = line % _deep_size()
    if exercise == "directional_check":
        line = line % f"{_directional_value():.3g}"
    if exercise == "gradient_check_n":
        line = line % _colleague_numbers(exercise)
    state = np.random.get_state()
    passes(getattr(checks, f"check_{exercise}"), fn, capsys, line)
    after = np.random.get_state()
    assert all(np.array_equal(a, b) for a, b in zip(state, after))  # global RNG untouched


def _checks_frames(info):
    return [entry for entry in info.traceback if entry.path.parent.name == "checks"]


@pytest.mark.parametrize("exercise", sorted(LINES))
def test_stub_not_implemented_propagates(exercise):
    with pytest.raises(NotImplementedError, match="write it") as info:
        getattr(checks, f"check_{exercise}")(stub)
    assert isinstance(info.value, NotImplementedError) and type(info.value).__name__ == "NotImplementedError"
    assert str(info.value) == f"{exercise} is not written yet: write it"
    # short traceback: no chained stub traceback, one frame of course_utils/checks/ (not the check's source)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert len(_checks_frames(info)) == 1
    assert all(entry.name != "stub" for entry in info.traceback)


def test_stub_without_message_and_partial():
    import functools

    def bare(*args, **kwargs):
        raise NotImplementedError
    with pytest.raises(NotImplementedError) as info:
        checks.check_warm_up_square(bare)
    assert str(info.value) == "warm_up_square is not written yet"
    with pytest.raises(NotImplementedError, match="^cost_with_l2 is not written yet: write it$"):
        checks.check_cost_with_l2(functools.partial(stub))


def test_other_errors_of_student_code_propagate_unchanged():
    def broken(x):
        return {}[x]
    with pytest.raises(KeyError):
        checks.check_warm_up_square(broken)


_NOTEBOOK_02 = """
import numpy as np

def forward_propagation(x, theta):
    {forward}

def backward_propagation(x, theta):
    {backward}

def gradient_check(x, theta, epsilon=1e-7, print_msg=False):
    {check}
"""
_SOLVED = {
    "forward": "return theta * x",
    "backward": "return x",
    "check": "J_plus = forward_propagation(x, theta + epsilon)\n"
             "    J_minus = forward_propagation(x, theta - epsilon)\n"
             "    gradapprox = (J_plus - J_minus) / (2 * epsilon)\n"
             "    grad = backward_propagation(x, theta)\n"
             "    return abs(grad - gradapprox) / (abs(grad) + abs(gradapprox))",
}


def _notebook_02(*stubbed):
    """The functions of notebook 02 defined in one namespace, as in a kernel; `stubbed` left as stubs."""
    parts = {k: (f"raise NotImplementedError('stub of {k}')" if k in stubbed else v) for k, v in _SOLVED.items()}
    namespace = {}
    exec(_NOTEBOOK_02.format(**parts), namespace)
    return namespace


@pytest.mark.parametrize("stubbed, helper", [
    (("forward", "backward", "check"), "forward_propagation"),  # the untouched release
    (("forward",), "forward_propagation"),
    (("backward",), "backward_propagation"),
    (("forward", "backward"), "forward_propagation"),
])
def test_gradient_check_blames_a_stubbed_helper(stubbed, helper):
    nb = _notebook_02(*stubbed)
    with pytest.raises(NotImplementedError) as info:
        checks.check_gradient_check(nb["gradient_check"])
    assert isinstance(info.value, NotImplementedError) and type(info.value).__name__ == "NotImplementedError"
    assert str(info.value) == (f"gradient_check calls your {helper}, which is still the stub: "
                               "do that exercise first")
    assert len(_checks_frames(info)) == 1


def test_gradient_check_stub_with_solved_helpers(capsys):
    nb = _notebook_02("check")
    with pytest.raises(NotImplementedError, match="^gradient_check is not written yet: stub of check$"):
        checks.check_gradient_check(nb["gradient_check"])
    # the notebook's functions are restored after the check instrumented them
    assert nb["forward_propagation"](2, 4) == 8
    checks.check_gradient_check(_notebook_02()["gradient_check"])
    assert capsys.readouterr().out == LINES["gradient_check"][1] + "\n"


def test_helper_stub_called_while_instrumented():
    """A helper that is a stub only for other inputs than the pre-check's (2, 4) is still named."""
    nb = _notebook_02()
    exec("def forward_propagation(x, theta):\n"
         "    if (x, theta) == (2, 4):\n"
         "        return 8\n"
         "    raise NotImplementedError('half done')\n", nb)
    with pytest.raises(NotImplementedError, match="^gradient_check calls your forward_propagation, which is still"):
        checks.check_gradient_check(nb["gradient_check"])


@pytest.mark.parametrize("exercise", sorted(LINES))
def test_non_callable_is_type_error(exercise):
    with pytest.raises(TypeError, match=exercise):
        getattr(checks, f"check_{exercise}")(3.0)


def test_every_exercise_has_a_check():
    public = sorted(n[len("check_"):] for n in dir(checks) if n.startswith("check_"))
    assert public == sorted(LINES)


# ----------------------------------------------------------------------------------------------
# Well-known mistakes: each fails with a message naming its likely cause

def test_warm_up_mistakes():
    fails(checks.check_warm_up_square, lambda x: 2 * x, "2 * x")
    fails(checks.check_warm_up_square, lambda x: x ^ 2 if isinstance(x, int) else x ** 2, "XOR")
    fails(checks.check_warm_up_square, lambda x: print(x ** 2), "forget `return`")
    fails(checks.check_warm_up_square, lambda x: 9 if x == 3 else 0.0, "expected 2.25")  # canonical only


def test_returning_array_instead_of_float():
    fails(checks.check_forward_difference,
          lambda f, x, e: np.array([[(f(x + e) - f(x)) / e]]), "array of shape (1, 1) instead of a float")


def test_forward_difference_mistakes():
    check = checks.check_forward_difference
    fails(check, centered_difference, "computed the centered difference")
    fails(check, lambda f, x, e: (f(x) - f(x - e)) / e, "x - epsilon")
    fails(check, lambda f, x, e: (f(x + e) - f(x)) / (2 * e), "divided by 2 * epsilon")
    fails(check, lambda f, x, e: f(x + e) - f(x), "forgot to divide by epsilon")
    fails(check, lambda f, x, e: (f(x + 1e-3) - f(x)) / 1e-3, "ignored the epsilon argument")
    fails(check, lambda f, x, e: 12.006001 if x == 2.0 else 0.0, "expected")


def test_centered_difference_mistakes():
    check = checks.check_centered_difference
    fails(check, forward_difference, "one-sided forward difference")
    fails(check, lambda f, x, e: (f(x + e) - f(x - e)) / 2 * e, "`/ 2 * epsilon`")
    fails(check, lambda f, x, e: (f(x + e) - f(x - e)) / e, "divide by (2 * epsilon)")
    fails(check, lambda f, x, e: (f(x - e) - f(x + e)) / (2 * e), "sign is flipped")
    fails(check, lambda f, x, e: None, "returned None")


def test_relative_difference_mistakes():
    check = checks.check_relative_difference
    n = np.linalg.norm
    fails(check, lambda g, a: n(g - a), "only the numerator")
    fails(check, lambda g, a: n(g - a) ** 2 / (n(g) ** 2 + n(a) ** 2), "squared the norms")
    fails(check, lambda g, a: n(g - a) / n(g + a), "not the norm of the sum")
    fails(check, lambda g, a: n(g - a) / n(g), "not ||grad|| alone")
    fails(check, lambda g, a: np.sum(np.abs(g - a)) / (np.sum(np.abs(g)) + np.sum(np.abs(a))), "1-norm")


def test_1d_pass_mistakes():
    fails(checks.check_forward_propagation, lambda x, theta: x, "backward pass")
    fails(checks.check_forward_propagation, lambda x, theta: theta + x, "product")
    fails(checks.check_backward_propagation, lambda x, theta: theta, "dJ/dtheta = x")
    fails(checks.check_backward_propagation, lambda x, theta: theta * x, "forward pass")
    fails(checks.check_backward_propagation, lambda x, theta: 2, "expected")  # only right at x = 2


def _gc(mistake):
    """gradient_check with one known mistake, using this module's forward/backward_propagation."""
    def gradient_check(x, theta, epsilon=1e-7, print_msg=False):
        thetaplus = theta + epsilon
        thetaminus = (thetaplus if mistake == "from_plus" else theta) - epsilon
        J_plus, J_minus = forward_propagation(x, thetaplus), forward_propagation(x, thetaminus)
        gradapprox = (J_plus - J_minus) / 2 * epsilon if mistake == "precedence" else (J_plus - J_minus) / (2 * epsilon)
        grad = gradapprox if mistake == "itself" else backward_propagation(x, theta)
        difference = np.linalg.norm(grad - gradapprox) / (np.linalg.norm(grad) + np.linalg.norm(gradapprox))
        if mistake == "print":
            print(difference)
            return None
        return np.array([[difference]]) if mistake == "array" else difference
    return gradient_check


def test_gradient_check_mistakes():
    check = checks.check_gradient_check
    msg = fails(check, _gc("from_plus"), "thetaminus must be theta - epsilon")
    assert "about 1/3" in msg and msg.count("Or:") == 0
    fails(check, _gc("precedence"), "`/ 2 * epsilon`")
    fails(check, _gc("itself"), "compared gradapprox with itself")
    fails(check, _gc("print"), "forget `return`")
    fails(check, _gc("array"), "array of shape (1, 1)")


def test_gradient_check_blames_a_wrong_forward_propagation(monkeypatch):
    monkeypatch.setitem(globals(), "forward_propagation", lambda x, theta: theta + x)
    fails(checks.check_gradient_check, gradient_check, "calls your forward_propagation")
    # the check restores the notebook's globals after instrumenting them
    assert globals()["forward_propagation"](2, 4) == 6


def test_gradient_check_restores_globals():
    original = globals()["forward_propagation"]
    checks.check_gradient_check(gradient_check)
    assert globals()["forward_propagation"] is original


def test_dictionary_to_vector_mistakes():
    check = checks.check_dictionary_to_vector

    def alphabetical(parameters):
        names = sorted(parameters)
        return (np.concatenate([parameters[k].reshape(-1, 1) for k in names]),
                [k for k in names for _ in range(parameters[k].size)])

    def insertion(parameters):
        return (np.concatenate([v.reshape(-1, 1) for v in parameters.values()]),
                [k for k, v in parameters.items() for _ in range(v.size)])

    def flat(parameters):
        theta, keys = dictionary_to_vector(parameters)
        return theta.ravel(), keys

    def one_key_per_tensor(parameters):
        theta, _ = dictionary_to_vector(parameters)
        return theta, [f"{k}{l}" for l in _layers(parameters) for k in "Wb"]

    def column_major(parameters):
        theta = np.concatenate([parameters[f"{k}{l}"].reshape(-1, 1, order="F") for l in _layers(parameters) for k in "Wb"])
        return theta, dictionary_to_vector(parameters)[1]

    msg = fails(check, alphabetical, "sorted as strings")
    assert "W10" in msg
    fails(check, insertion, "insertion order")
    fails(check, flat, "column vector")
    fails(check, one_key_per_tensor, "one name per entry")
    fails(check, column_major, "row-major")
    fails(check, lambda p: print(p), "returned None")


def test_vector_to_dictionary_mistakes():
    check = checks.check_vector_to_dictionary

    def alphabetical(theta, shapes):
        out, start = {}, 0
        for name in sorted(shapes):
            size = int(np.prod(shapes[name]))
            out[name] = theta[start:start + size].reshape(shapes[name])
            start += size
        return out

    def follows_dict_order(theta, shapes):
        out, start = {}, 0
        for name, shape in shapes.items():
            out[name] = theta[start:start + int(np.prod(shape))].reshape(shape)
            start += int(np.prod(shape))
        return out

    def flat_biases(theta, shapes):
        out = vector_to_dictionary(theta, shapes)
        out["b1"] = out["b1"].ravel()
        return out

    fails(check, alphabetical, "string order")
    fails(check, follows_dict_order, "order of the shapes dict")
    fails(check, flat_biases, "b1 has shape")


def test_gradients_to_vector_mistakes():
    check = checks.check_gradients_to_vector

    def alphabetical(gradients):
        return np.concatenate([gradients[k].reshape(-1, 1) for k in sorted(gradients) if k[:2] in ("dW", "db")])

    def insertion(gradients):
        return np.concatenate([v.reshape(-1, 1) for k, v in gradients.items() if k[:2] in ("dW", "db")])

    def everything(gradients):
        return np.concatenate([v.reshape(-1, 1) for v in gradients.values()])

    msg = fails(check, alphabetical, "sorted as strings")
    assert "W10" in msg
    fails(check, insertion, "insertion order")
    fails(check, everything, "dZ and dA")


def test_gradient_check_n_mistakes():
    check = checks.check_gradient_check_n
    msg = fails(check, _gcn("from_plus"), "thetaminus was built from thetaplus")
    assert "1/3" in msg
    fails(check, _gcn("precedence"), "`/ 2 * epsilon`")
    fails(check, _gcn("itself"), "compared gradapprox with itself")
    fails(check, _gcn("mutates"), "changed the parameters")
    fails(check, _gcn("difference_only"), "returned only a number")
    fails(check, _gcn("returns_grad"), "return the gradapprox you computed")
    fails(check, _gcn("swapped_signs"), "opposite sign of the slope")
    fails(check, _gcn("flat"), "broadcasts to an (n, n)")
    fails(check, _gcn("swapped_return"), "in the order `return difference, gradapprox`")
    fails(check, lambda cost, p, g, epsilon=1e-7, print_msg=False: None, "returned None")
    # hard-coded epsilon: right on the classic cases, wrong on the cases with another epsilon
    fails(check, lambda cost, p, g, epsilon=1e-7, print_msg=False: gradient_check_n(cost, p, g),
          "ignored the epsilon argument")


def test_gradient_check_n_is_checked_on_deeper_nets_with_any_cost():
    """The check's cases include 5- and 12-layer nets and other data, each with its own cost function: an answer
    that computes the classic net's J on the classic data instead of calling `cost` fails."""
    from course_utils.checks import nb04
    from course_utils.network import gradient_check_n_test_case
    assert sorted({len(c.parameters) // 2 for c in nb04._gcn_cases()}) == [3, 5, 12]
    X, Y, _ = gradient_check_n_test_case()

    def classic_only(cost, p, g, epsilon=1e-7, print_msg=False):
        return gradient_check_n(lambda q: _classic_J(X, Y, q), p, g, epsilon, print_msg)
    fails(checks.check_gradient_check_n, classic_only, "returned the difference")


def _classic_J(X, Y, q):
    """The classic net's cost written out (the student's own forward pass, no course code)."""
    A = X
    for l in (1, 2, 3):
        Z = q[f"W{l}"] @ A + q[f"b{l}"]
        A = np.maximum(Z, 0) if l < 3 else 1 / (1 + np.exp(-Z))
    return float(-np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A)))


def test_a_check_says_at_once_when_the_answer_uses_course_code_the_grader_leaves_out():
    """The check would pass (the course's code is right), the verification run would give 0: the check says so
    first -- also through the student's own helper functions, default arguments and closures; code of an allowed
    module (the vector helpers for gradient_check_n) is fine."""
    from course_utils import backprop as course_backprop
    from course_utils.gradcheck import check_gradients, relative_difference

    def uses_library(cost, parameters, gradients, epsilon=1e-7, print_msg=False):
        result = check_gradients(cost, parameters, gradients, epsilon)
        if print_msg:
            print(("There is a mistake" if result.difference > 2e-7 else "Works fine") + f": {result.difference:.3g}")
        return result.difference, result.gradapprox.reshape(-1, 1)
    msg = fails(checks.check_gradient_check_n, uses_library, "uses check_gradients (course_utils.gradcheck.check_gradients)")
    assert "earns no points" in msg

    def helper(g, a):
        return relative_difference(g, a)

    def through_helper(grad, gradapprox, keys):
        names = np.array(keys)
        return {n: helper(grad[names == n], gradapprox[names == n]) for n in dict.fromkeys(keys)}
    fails(checks.check_block_differences, through_helper, "uses relative_difference")

    def by_default(grad, gradapprox, keys, rd=relative_difference):
        names = np.array(keys)
        return {n: rd(grad[names == n], gradapprox[names == n]) for n in dict.fromkeys(keys)}
    fails(checks.check_block_differences, by_default, "uses rd (course_utils.differences.relative_difference)")

    def reference_backward(X, Y, cache):
        return course_backprop.backward_propagation_n(X, Y, cache)
    fails(checks.check_backward_propagation_n, reference_backward, "uses course_backprop (course_utils.backprop)")

    checks.check_gradient_check_n(gradient_check_n)  # the reference uses the vector helpers: allowed


def test_block_differences_mistakes():
    check = checks.check_block_differences
    msg = fails(check, _blocks("sorted"), "in another order")
    assert "W10" in msg
    fails(check, _blocks("overall"), "divided by the norms of the WHOLE vectors")
    fails(check, _blocks("no_zero_guard"), "both zero gives 0 / 0")
    fails(check, lambda g, a, k: None, "returned None")
    fails(check, lambda g, a, k: [0.0] * len(set(k)), "expected a dict")
    fails(check, lambda g, a, k: {n: block_differences(g, a, k)[n] for n in ("W1", "b1", "W2", "b2", "W3", "b3")
                                  if n in k}, "the names must come from keys")


def test_block_differences_cases_are_what_the_messages_say():
    """An independent oracle: the tensor built as 3 times (3, 4) against (3, 4) has d = 0.5 exactly, and the
    12-layer keys list W10 after W9 (so sorting the names changes their order)."""
    from course_utils.checks import nb04
    cases = {label: (g, a, k, t) for label, g, a, k, t in nb04._blocks_cases()}
    g, a, k, t = cases["tensors b and a, a exactly 3 times its gradapprox"]
    assert t == 0.5 and block_differences(g, a, k)["a"] == 0.5
    _, _, k12, _ = cases["a 12-layer net, keys W1, b1, ..., W12, b12"]
    assert list(dict.fromkeys(k12)) != sorted(dict.fromkeys(k12))
    g, a, k, _ = cases["tensors conv_w, gamma, beta, fc_w, fc_b"]
    assert block_differences(g, a, k)["beta"] == 0.0 and not np.any(np.ravel(g)[np.array(k) == "beta"])


def test_diagnose_mistakes():
    check = checks.check_diagnose
    fails(check, _diagnose("inverted"), "the ratio is upside down")
    fails(check, _diagnose("at_threshold"), "strictly above it")
    fails(check, lambda g, a, k, threshold=1e-5: _diagnose()(g, a, k), "you ignored the threshold argument")
    fails(check, lambda g, a, k, threshold=1e-5: list(_diagnose()(g, a, k, threshold)), "a list of names")
    fails(check, lambda g, a, k, threshold=1e-5: {n: "too big" for n in _diagnose()(g, a, k, threshold)},
          "return the norm ratio itself")
    # k from the block difference, (1 + d) / (1 - d): right for every k > 1, wrong for k < 1
    fails(check, lambda g, a, k, threshold=1e-5: {
        n: (1 + d) / (1 - d) if d < 1 else float("inf") for n, d in block_differences(g, a, k).items() if d > threshold},
        "cannot say too big from too small")


def test_backward_propagation_n_mistakes():
    check = checks.check_backward_propagation_n
    # a colleague's bug left in is counted, not named: the student's diagnose names it
    for kwargs in ({"_dW2": 2.0}, {"_db1": 4.0}):
        message = fails(check, lambda X, Y, c, kw=kwargs: backward_propagation_n(X, Y, c, **kw),
                        "1 gradient is still exactly what the colleague's pass returns")
        assert "dW2" not in message and "db1" not in message and "4./m" not in message
    fails(check, lambda X, Y, c: backward_propagation_n(X, Y, c, _dW2=3.0), "dW2 is 3 times the right value")
    fails(check, lambda X, Y, c: backward_propagation_n(X, Y, c, _m=3), "hard-code m = 3")

    def flat_db(X, Y, c):
        g = backward_propagation_n(X, Y, c)
        g["db2"] = g["db2"].ravel()
        return g
    fails(check, flat_db, "keepdims=True")

    def missing(X, Y, c):
        g = backward_propagation_n(X, Y, c)
        del g["dW1"]
        return g
    fails(check, missing, "no 'dW1'")


def _dc(mistake):
    def directional_check(cost, theta, grad, epsilon=1e-7, seed=0):
        rng = np.random.default_rng(seed if mistake != "ignores_seed" else 0)
        u = rng.standard_normal(theta.shape)
        if mistake != "not_normalised":
            u = u / np.linalg.norm(u)
        if mistake == "in_place":
            theta += epsilon * u
            plus = cost(theta)
            theta -= 2 * epsilon * u
            minus = cost(theta)
        else:
            plus, minus = cost(theta + epsilon * u), cost(theta - epsilon * u)
        numerical = (plus - minus) / (2 * epsilon)
        analytic = numerical if mistake == "itself" else np.sum(grad * u)
        if mistake == "signed":
            return (numerical - analytic) / (abs(numerical) + abs(analytic))
        return abs(numerical - analytic) / (abs(numerical) + abs(analytic))
    return directional_check


def test_directional_check_mistakes():
    check = checks.check_directional_check
    fails(check, _dc("not_normalised"), "not normalised")
    fails(check, _dc("ignores_seed"), "seed argument")
    fails(check, _dc("in_place"), "changed theta in place")
    fails(check, _dc("itself"), "exactly 0")
    fails(check, _dc("signed"), "yours keeps its sign")


def test_cost_with_l2_mistakes():
    check = checks.check_cost_with_l2

    def with_biases(c, p, lambd, m):
        return c + lambd / (2 * m) * sum(np.sum(np.square(v)) for v in p.values())

    def no_half(c, p, lambd, m):
        return c + lambd / m * sum(np.sum(np.square(v)) for k, v in p.items() if k[0] == "W")

    def precedence(c, p, lambd, m):
        return c + lambd / 2 * m * sum(np.sum(np.square(v)) for k, v in p.items() if k[0] == "W")

    def three_layers(c, p, lambd, m):
        return c + lambd / (2 * m) * sum(np.sum(np.square(p[f"W{l}"])) for l in (1, 2, 3))

    fails(check, with_biases, "biases")
    fails(check, no_half, "forgot the 1/2")
    fails(check, precedence, "`lambd / 2 * m`")
    fails(check, three_layers, "only W1, W2, W3")


def test_gradient_check_without_instrumentation_still_diagnoses():
    import functools
    fails(checks.check_gradient_check, functools.partial(_gc("precedence")), "`/ 2 * epsilon`")
    # without the recorded calls, thetaminus built from thetaplus (gradapprox = x / 2) and a missing factor 2
    # (gradapprox = 2 x) both give exactly 1/3 on every case: two mistakes explain the answers, so none is named
    # (course_utils.expect.mistakes.explain; the check once named both, joined with " Or: ")
    with pytest.raises(AssertionError) as info:
        checks.check_gradient_check(functools.partial(_gc("from_plus")))
    assert "returned 0.333" in str(info.value) and "Most likely" not in str(info.value), str(info.value)
    assert mistake_of(info.value) is None
    with pytest.raises(AssertionError) as info:
        checks.check_gradient_check(_gc("from_plus"))  # with the recorded calls: named
    assert "about 1/3" in str(info.value) and mistake_of(info.value) == "gc.thetaminus_from_thetaplus"


def test_the_original_assignments_published_values_reproduce():
    """Notebook 04's demo-published cell: the classic loop (centered differences with epsilon 1e-7, then the
    relative difference) on the colleague's and on the fixed gradients gives the original assignment's published
    values -- to the digits that do not depend on the computer. Every entry of gradapprox carries J's round-off
    (about 1e-14 / 1e-7), and J's last digits depend on the order in which the CPU's BLAS kernel sums the matrix
    products and on the numpy version. Measured: this machine's default kernels give both values to the last digit;
    OpenBLAS's Sandybridge kernel 0.285093156780699 and 1.18904e-07; numpy 1.26 0.285093156839953 and 1.18625e-07.
    So the colleague's value (a bug's) is asserted to 1e-8 relative, the fixed pass's (pure round-off) to 1 %."""
    from course_utils import backprop, gradcheck, network, vectors
    X, Y, p = network.gradient_check_n_test_case()
    _, cache = network.forward_propagation_n(X, Y, p)
    theta, _ = vectors.dictionary_to_vector(p)
    shapes = vectors.parameter_shapes(p)
    approx = gradcheck.numerical_gradient(lambda t: network.forward_propagation_n(
        X, Y, vectors.vector_to_dictionary(t, shapes))[0], theta, epsilon=1e-7)
    computed = [gradcheck.relative_difference(vectors.gradients_to_vector(
        backprop.backward_propagation_n(X, Y, cache, bugs=bugs)), approx)
        for bugs in (("dW2_times_2", "db1_4_over_m"), ())]
    assert computed[0] == pytest.approx(0.2850931567761623, rel=1e-8)
    assert computed[1] == pytest.approx(1.1890913024229996e-07, rel=1e-2)


# ----------------------------------------------------------------------------------------------
# What a check shows: wrapped at word boundaries (JupyterLab breaks a long output line anywhere)

def test_wrap_breaks_long_lines_at_spaces_only():
    from course_utils.checks._common import WIDTH, wrap

    text = ("gradient_check_n(the classic case) returned the difference 1.1890913024229996e-07, expected 0.2850931567761623"
            " (within 2.2e-09: the round-off of the costs) on a 12-layer net with tensors conv_w, gamma, 'beta'.\n"
            "- dW1, db1: a list item long enough to need a second line, which keeps the item's indentation so it reads "
            "as one\n    def student_id():\n        return \"...\"")
    wrapped = wrap(text)
    assert wrapped.split() == text.split()  # nothing lost, nothing cut: every word and number whole
    assert all(len(line) <= WIDTH for line in wrapped.splitlines())
    assert "\n  as one" in wrapped or "\n  " in wrapped.split("- dW1")[1]  # a list item's continuation is indented
    assert "    def student_id():\n        return" in wrapped  # short lines, their indentation, stay as they are
    assert wrap("x" * 120) == "x" * 120  # a word longer than the width stays whole


def test_a_failing_check_renders_its_message_wrapped(capsys):
    from course_utils.checks._common import WIDTH

    def wrong(f, x, epsilon):
        return (f(x + epsilon) - f(x)) / (2 * epsilon)
    with pytest.raises(AssertionError) as info:
        checks.check_centered_difference(wrong)
    shown = info.value._render_traceback_()[0]
    assert shown.split() == f"AssertionError: {info.value}".split()
    assert all(len(line) <= WIDTH for line in shown.splitlines())
    assert len(str(info.value).splitlines()[1]) > WIDTH  # the message itself stays whole for the grader


@pytest.mark.parametrize("example", ["jdoe42", "jdoe42:17:k3m9x2qab7lp4t6w"])
def test_the_example_code_is_refused_without_suggesting_it_again(example):
    def student_id():
        return example
    message = fails(checks.check_student_id, student_id, "that is a placeholder (the example of the exercise)")
    assert f'return "{example}"' not in message
