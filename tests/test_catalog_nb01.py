"""The wrong-answer catalog of notebooks 00 and 01 (see tests/catalog.py): warm_up_square, forward_difference,
centered_difference, relative_difference.

Every wrong entry must fail its check with AssertionError (naming its mistake when it has a hint) and fail
the grader's verification run; every right one, however unusually written, must pass both.
"""
import pytest
from catalog import Entry, catalog_tests, run_check

EXERCISES = ["warm_up_square", "forward_difference", "centered_difference", "relative_difference"]


def square(label, body, **kw):
    return Entry("warm_up_square", label, f"def warm_up_square(x):\n{body}\n", **kw)


def forward(label, body, **kw):
    return Entry("forward_difference", label, f"def forward_difference(f, x, epsilon):\n{body}\n", **kw)


def centered(label, body, **kw):
    return Entry("centered_difference", label, f"def centered_difference(f, x, epsilon):\n{body}\n", **kw)


def relative(label, body, **kw):
    return Entry("relative_difference", label,
                 f"import numpy as np\n\n\ndef relative_difference(grad, gradapprox):\n{body}\n", **kw)


CATALOG = [
    # ------------------------------------------------------------------------------------- warm_up_square
    square("doubles", "    return 2 * x", hint="you computed 2 * x"),
    square("xor", "    return x ^ 2", hint="bitwise XOR"),
    square("unchanged", "    return x", hint="you returned x unchanged"),
    square("cube", "    return x ** 3", hint="you computed x ** 3"),
    square("prints", "    print(x ** 2)", hint="forget `return`"),
    square("square root", "    return x ** 0.5", hint="you computed the square root"),
    square("canonical only", "    return 9 if x == 3 else 0", subtle="canonical input only"),
    square("x times abs x", "    return x * abs(x)", hint="a square never is", subtle="right shape wrong values"),
    square("truncates to int", "    return int(x) ** 2", hint="you truncated x to an integer",
           subtle="canonical input only"),
    square("float32", "    import numpy as np\n    return float(np.float32(x) ** 2)", hint="you computed in float32",
           subtle="right shape wrong values"),
    square("a list", "    return [x ** 2]", subtle="right values wrong shape"),
    square("an array of one entry", "    import numpy as np\n    return np.array([x ** 2])",
           subtle="right values wrong shape"),
    square("a string", "    return str(x ** 2)", subtle="right values wrong shape"),
    square("rounds to 6 decimals", "    return round(x ** 2, 6)", hint="you rounded the result",
           subtle="right shape wrong values"),
    square("x times x", "    return x * x", right=True),
    square("a loop of products", "    result = 1\n    for _ in range(2):\n        result = result * x\n    return result",
           right=True),
    square("math.pow", "    import math\n    return math.pow(x, 2)", right=True),
    square("np.square", "    import numpy as np\n    return np.square(x)", right=True),

    # --------------------------------------------------------------------------------- forward_difference
    forward("centered", "    return (f(x + epsilon) - f(x - epsilon)) / (2 * epsilon)",
            hint="you computed the centered difference"),
    forward("backward", "    return (f(x) - f(x - epsilon)) / epsilon", hint="you used x - epsilon"),
    forward("over 2 epsilon", "    return (f(x + epsilon) - f(x)) / (2 * epsilon)", hint="divided by 2 * epsilon"),
    forward("sign flipped", "    return (f(x) - f(x + epsilon)) / epsilon", hint="the sign is flipped"),
    forward("no division", "    return f(x + epsilon) - f(x)", hint="forgot to divide by epsilon"),
    forward("precedence", "    return f(x + epsilon) - f(x) / epsilon", hint="divides only f(x) by epsilon"),
    forward("times epsilon", "    return (f(x + epsilon) - f(x)) * epsilon", hint="multiplied by epsilon"),
    forward("hard-coded 1e-7", "    return (f(x + 1e-7) - f(x)) / 1e-7", hint="ignored the epsilon argument"),
    forward("hard-coded canonical epsilon", "    h = 1e-3\n    return (f(x + h) - f(x)) / h",
            hint="ignored the epsilon argument", subtle="ignores an argument"),
    forward("hard-coded x**3", "    return ((x + epsilon) ** 3 - x ** 3) / epsilon", hint="whatever f was",
            subtle="ignores an argument"),
    forward("hard-coded x = 2", "    return (f(2.0 + epsilon) - f(2.0)) / epsilon",
            hint="ignored the x argument", subtle="canonical input only"),
    forward("canonical only", "    return 12.006001 if x == 2 else 0.0", subtle="canonical input only"),
    forward("abs of the numerator", "    return abs(f(x + epsilon) - f(x)) / epsilon", hint="absolute value",
            subtle="canonical input only"),
    forward("rounded to 4 decimals", "    return round((f(x + epsilon) - f(x)) / epsilon, 4)",
            hint="you rounded the result", subtle="right shape wrong values"),
    forward("float32", "    import numpy as np\n    return float((np.float32(f(x + epsilon)) - np.float32(f(x))) / "
                       "np.float32(epsilon))", hint="you computed in float32", subtle="right shape wrong values"),
    forward("a (1,) array", "    import numpy as np\n    return np.array([(f(x + epsilon) - f(x)) / epsilon])",
            subtle="right values wrong shape"),
    forward("a tuple", "    return (f(x + epsilon) - f(x)) / epsilon, epsilon", subtle="right values wrong shape"),
    forward("relative step", "    h = epsilon * abs(x)\n    return (f(x + h) - f(x)) / h", subtle="other"),
    forward("times the reciprocal", "    inverse = 1.0 / epsilon\n    return (f(x + epsilon) - f(x)) * inverse",
            right=True),
    forward("each term divided", "    return f(x + epsilon) / epsilon - f(x) / epsilon", right=True),
    forward("a loop over the two points",
            "    total = 0.0\n    for weight, point in ((1.0, x + epsilon), (-1.0, x)):\n"
            "        total += weight * f(point)\n    return total / epsilon", right=True),

    # -------------------------------------------------------------------------------- centered_difference
    centered("forward", "    return (f(x + epsilon) - f(x)) / epsilon", hint="one-sided forward difference"),
    centered("backward", "    return (f(x) - f(x - epsilon)) / epsilon", hint="one-sided backward difference"),
    centered("one-sided over 2 epsilon", "    return (f(x + epsilon) - f(x)) / (2 * epsilon)",
             hint="one-sided numerator f(x + epsilon) - f(x) over 2 * epsilon"),
    centered("backward over 2 epsilon", "    return (f(x) - f(x - epsilon)) / (2 * epsilon)",
             hint="one-sided numerator f(x) - f(x - epsilon) over 2 * epsilon"),
    centered("over epsilon", "    return (f(x + epsilon) - f(x - epsilon)) / epsilon", hint="divide by (2 * epsilon)"),
    centered("precedence / 2 * epsilon", "    return (f(x + epsilon) - f(x - epsilon)) / 2 * epsilon",
             hint="`/ 2 * epsilon`"),
    centered("sign flipped", "    return (f(x - epsilon) - f(x + epsilon)) / (2 * epsilon)",
             hint="the sign is flipped"),
    centered("no division", "    return f(x + epsilon) - f(x - epsilon)", hint="forgot to divide by 2 * epsilon"),
    centered("numerator precedence", "    return f(x + epsilon) - f(x - epsilon) / (2 * epsilon)",
             hint="put the numerator in parentheses"),
    centered("hard-coded 1e-7", "    return (f(x + 1e-7) - f(x - 1e-7)) / 2e-7", hint="ignored the epsilon argument"),
    centered("hard-coded canonical epsilon", "    return (f(x + 0.001) - f(x - 0.001)) / 0.002",
             hint="ignored the epsilon argument", subtle="ignores an argument"),
    centered("hard-coded x**3", "    return ((x + epsilon) ** 3 - (x - epsilon) ** 3) / (2 * epsilon)",
             hint="whatever f was", subtle="ignores an argument"),
    centered("canonical only", "    return 12.000001 if x == 2 else 1.0", subtle="canonical input only"),
    centered("abs of the numerator", "    return abs(f(x + epsilon) - f(x - epsilon)) / (2 * epsilon)",
             hint="absolute value", subtle="canonical input only"),
    centered("rounded to 4 decimals", "    return round((f(x + epsilon) - f(x - epsilon)) / (2 * epsilon), 4)",
             hint="you rounded the result", subtle="right shape wrong values"),
    centered("float32", "    import numpy as np\n    e = np.float32(epsilon)\n"
                        "    return float((np.float32(f(x + epsilon)) - np.float32(f(x - epsilon))) / (2 * e))",
             hint="you computed in float32", subtle="right shape wrong values"),
    centered("a (1, 1) array", "    import numpy as np\n"
                               "    return np.array([[(f(x + epsilon) - f(x - epsilon)) / (2 * epsilon)]])",
             subtle="right values wrong shape"),
    centered("hard-coded x = 2", "    return (f(2 + epsilon) - f(2 - epsilon)) / (2 * epsilon)",
             hint="ignored the x argument", subtle="canonical input only"),
    centered("a tuple", "    return (f(x + epsilon) - f(x - epsilon)) / (2 * epsilon), epsilon",
             subtle="right values wrong shape"),
    centered("loop returns in its first pass",
             "    total = 0.0\n    for sign in (1, -1):\n        total += sign * f(x + sign * epsilon)\n"
             "        return total / (2 * epsilon)", subtle="returns too early"),
    centered("steps of 2 epsilon", "    return (f(x + 2 * epsilon) - f(x - 2 * epsilon)) / (4 * epsilon)",
             subtle="other"),
    centered("mean of forward and backward",
             "    forward = (f(x + epsilon) - f(x)) / epsilon\n    backward = (f(x) - f(x - epsilon)) / epsilon\n"
             "    return (forward + backward) / 2", right=True),
    centered("divided twice", "    return (f(x + epsilon) - f(x - epsilon)) / epsilon / 2", right=True),
    centered("a weighted loop",
             "    total = 0.0\n    for sign in (1, -1):\n        total += sign * f(x + sign * epsilon)\n"
             "    return 0.5 * total / epsilon", right=True),

    # -------------------------------------------------------------------------------- relative_difference
    relative("no norms", "    return (grad - gradapprox) / (grad + gradapprox)", hint="you left out the norms"),
    relative("no norms, abs", "    return np.abs(grad - gradapprox) / (np.abs(grad) + np.abs(gradapprox))",
             hint="you left out the norms"),
    relative("numerator only", "    return float(np.linalg.norm(grad - gradapprox))", hint="only the numerator"),
    relative("one norm: grad", "    return float(np.linalg.norm(grad - gradapprox) / np.linalg.norm(grad))",
             hint="not ||grad|| alone"),
    relative("one norm: gradapprox",
             "    return float(np.linalg.norm(grad - gradapprox) / np.linalg.norm(gradapprox))",
             hint="not ||gradapprox|| alone"),
    relative("norm of the sum", "    return float(np.linalg.norm(grad - gradapprox) / np.linalg.norm(grad + gradapprox))",
             hint="not the norm of the sum", subtle="canonical input only"),
    relative("squared norms",
             "    n = np.linalg.norm\n    return float(n(grad - gradapprox) ** 2 / (n(grad) ** 2 + n(gradapprox) ** 2))",
             hint="squared the norms"),
    relative("1-norm", "    return float(np.sum(np.abs(grad - gradapprox)) / "
                       "(np.sum(np.abs(grad)) + np.sum(np.abs(gradapprox))))", hint="1-norm",
             subtle="canonical input only"),
    relative("max-norm", "    return float(np.max(np.abs(grad - gradapprox)) / "
                         "(np.max(np.abs(grad)) + np.max(np.abs(gradapprox))))", hint="the max-norm",
             subtle="canonical input only"),
    relative("difference of the norms",
             "    n = np.linalg.norm\n    return float(abs(n(grad) - n(gradapprox)) / (n(grad) + n(gradapprox)))",
             hint="not the difference of the norms", subtle="canonical input only"),
    relative("mean of the norms",
             "    n = np.linalg.norm\n    return float(n(grad - gradapprox) / ((n(grad) + n(gradapprox)) / 2))",
             hint="mean of the two norms"),
    relative("compares grad with itself",
             "    n = np.linalg.norm\n    return float(n(grad - grad) / (n(grad) + n(gradapprox)))",
             hint="compare a vector with itself"),
    relative("flattens one only", "    n = np.linalg.norm\n"
                                  "    return float(n(np.ravel(grad) - gradapprox) / (n(grad) + n(gradapprox)))",
             hint="you flattened only one of them"),
    relative("sum before squaring", "    d = np.sqrt(np.sum(grad - gradapprox) ** 2)\n"
                                    "    return float(d / (np.sqrt(np.sum(grad) ** 2) + np.sqrt(np.sum(gradapprox) ** 2)))",
             hint="squared the sum instead of summing the squares", subtle="canonical input only"),
    relative("2 * ||grad||", "    n = np.linalg.norm\n    return float(n(grad - gradapprox) / (2 * n(grad)))",
             hint="not 2 * ||grad||", subtle="ignores an argument"),
    relative("ord=2 on a matrix",
             "    n = np.linalg.norm\n    g, a = np.atleast_2d(grad), np.atleast_2d(gradapprox)\n"
             "    return float(n(g - a, 2) / (n(g, 2) + n(a, 2)))",
             hint="largest singular value", subtle="other"),
    relative("canonical only", "    return 1 / 3", subtle="canonical input only"),
    relative("loop returns in its first pass",
             "    num = sg = sa = 0.0\n    for g, a in zip(np.ravel(grad), np.ravel(gradapprox)):\n"
             "        num += (g - a) ** 2\n        sg += g ** 2\n        sa += a ** 2\n"
             "        return float(np.sqrt(num) / (np.sqrt(sg) + np.sqrt(sa)))",
             hint="only the first entries", subtle="returns too early"),
    relative("loop overwrites its sums",
             "    for g, a in zip(np.ravel(grad), np.ravel(gradapprox)):\n"
             "        num = (g - a) ** 2\n        sg = g ** 2\n        sa = a ** 2\n"
             "    return float(np.sqrt(num) / (np.sqrt(sg) + np.sqrt(sa)))",
             hint="only the last entries", subtle="canonical input only"),
    relative("changes grad in place",
             "    denominator = np.linalg.norm(grad) + np.linalg.norm(gradapprox)\n    grad -= gradapprox\n"
             "    return float(np.linalg.norm(grad) / denominator)",
             hint="changed its argument grad in place", subtle="mutates its input"),
    relative("changes gradapprox in place",
             "    denominator = np.linalg.norm(grad) + np.linalg.norm(gradapprox)\n"
             "    gradapprox = np.asarray(gradapprox)\n    gradapprox *= -1\n    gradapprox += grad\n"
             "    return float(np.linalg.norm(gradapprox) / denominator)",
             hint="changed its argument gradapprox in place", subtle="mutates its input"),
    relative("a (1, 1) array from np.dot", "    g, a = np.reshape(grad, (-1, 1)), np.reshape(gradapprox, (-1, 1))\n"
                                           "    d = g - a\n"
                                           "    return np.sqrt(np.dot(d.T, d)) / (np.sqrt(np.dot(g.T, g)) "
                                           "+ np.sqrt(np.dot(a.T, a)))",
             hint="array of shape (1, 1)", subtle="right values wrong shape"),
    relative("norm along axis 0",
             "    n = np.linalg.norm\n    return n(grad - gradapprox, axis=0) / (n(grad, axis=0) + n(gradapprox, axis=0))",
             subtle="right values wrong shape"),
    relative("float32", "    g, a = np.float32(grad), np.float32(gradapprox)\n    n = np.linalg.norm\n"
                        "    return float(n(g - a) / (n(g) + n(a)))", hint="you computed in float32",
             subtle="canonical input only"),
    relative("hand-written norms in a loop",
             "    num = sg = sa = 0.0\n    for g, a in zip(np.ravel(grad), np.ravel(gradapprox)):\n"
             "        num += (g - a) ** 2\n        sg += g ** 2\n        sa += a ** 2\n"
             "    return float(num ** 0.5 / (sg ** 0.5 + sa ** 0.5))", right=True),
    relative("scaled first", "    scale = np.linalg.norm(grad) + np.linalg.norm(gradapprox)\n"
                             "    return float(np.linalg.norm(np.ravel(grad) / scale - np.ravel(gradapprox) / scale))",
             right=True),
    relative("math.hypot and flat iterators",
             "    import math\n    g, a = np.ravel(grad).tolist(), np.ravel(gradapprox).tolist()\n"
             "    num = math.hypot(*[x - y for x, y in zip(a, g)])\n"
             "    return num / (math.hypot(*g) + math.hypot(*a))", right=True),
]


globals().update(catalog_tests(CATALOG, EXERCISES))  # shape, every entry, hints named alone


@pytest.mark.parametrize("seed", [1, 2, 3, 5, 8, 13, 21, 34])
def test_the_checks_verdicts_and_hints_do_not_depend_on_the_draw(seed, monkeypatch):
    """The checks' verdicts and hints hold for other draws of their random inputs than SEED's."""
    from course_utils.checks import nb00, nb01

    monkeypatch.setattr(nb00, "SEED", seed)
    monkeypatch.setattr(nb01, "SEED", seed)
    for entry in CATALOG:
        error, _ = run_check(entry)
        if entry.right:
            assert error is None, (entry.label, error)
            continue
        assert isinstance(error, AssertionError), (entry.label, error)
        assert entry.hint is None or entry.hint in str(error), (entry.label, str(error))
        assert " Or: " not in str(error) or not entry.hint, (entry.label, str(error))
