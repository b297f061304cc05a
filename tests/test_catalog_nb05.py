"""The wrong-answer catalog of notebook 05 (see tests/catalog.py): cost_with_l2, directional_check (notebook 04's
entries are in tests/test_catalog_nb04.py).

Every wrong entry must fail its check with AssertionError (naming its mistake when it has a hint) and fail
the grader's verification run; every right one, however unusually written, must pass both. Most entries are
the reference solution with one or two lines edited (edit() asserts that the edited text is there).
"""
from catalog import Entry, catalog_tests, edit

EXERCISES = ["cost_with_l2", "directional_check"]


def l2(label, *pairs, **kw):
    return edit("cost_with_l2", label, *pairs, **kw)


def dc(label, *pairs, **kw):
    return edit("directional_check", label, *pairs, **kw)


L2_HEAD = "def cost_with_l2(cross_entropy_cost, parameters, lambd, m):\n"
DC_HEAD = "def directional_check(cost, theta, grad, epsilon=1e-7, seed=0):\n"

# the lines of the reference solutions that the entries edit
SQUARES = "np.sum(np.square(value))"
DIRECTION = "u = np.random.default_rng(seed).standard_normal(theta.shape)"
SLOPE = "numerical = (cost(theta + epsilon * u) - cost(theta - epsilon * u)) / (2 * epsilon)"
ANALYTIC = "analytic = float(np.sum(np.reshape(grad, theta.shape) * u))"
DIFFERENCE = "difference = 0.0 if denominator == 0 else float(abs(numerical - analytic) / denominator)"

CATALOG = [
    # ---------------------------------------------------------------------------------------- cost_with_l2
    l2("np.sum(W) without squaring", (SQUARES, "np.sum(value)"), hint="adds the weights up without squaring"),
    l2("regularizes the biases", (' if name.startswith("W")', ""), hint="you regularized the biases too"),
    l2("lambd / m without the 1/2", ("lambd / (2 * m)", "lambd / m"), hint="you forgot the 1/2"),
    l2("lambd / 2 * m", ("lambd / (2 * m)", "lambd / 2 * m"), hint="`lambd / 2 * m`"),
    l2("norms not squared", (SQUARES, "np.linalg.norm(value)"), hint="square the Frobenius norms"),
    l2("returns only the L2 term", ("cross_entropy_cost + lambd", "lambd"), hint="you returned only the L2 term"),
    Entry("cost_with_l2", "three layers hard-coded",
          L2_HEAD + "    l2 = sum(np.sum(np.square(parameters['W' + str(l)])) for l in (1, 2, 3))\n"
          "    return float(cross_entropy_cost + lambd / (2 * m) * l2)\n",
          hint="only W1, W2, W3 were summed", subtle="canonical input only"),
    Entry("cost_with_l2", "range(1, L) leaves the last layer out",
          L2_HEAD + "    L = len(parameters) // 2\n    l2 = 0.0\n    for l in range(1, L):\n"
          "        l2 += np.sum(np.square(parameters['W' + str(l)]))\n"
          "    return float(cross_entropy_cost + lambd / (2 * m) * l2)\n",
          hint="the last layer's W was left out", subtle="other"),
    l2("m from W1's shape", ("lambd / (2 * m)", 'lambd / (2 * parameters["W1"].shape[1])'),
       hint="not a shape of W1", subtle="ignores an argument"),
    l2("square of the sum", (SQUARES, "np.sum(value) ** 2"), hint="not np.sum(W) ** 2",
       subtle="right shape wrong values"),
    l2("lambd hard-coded", ("lambd / (2 * m)", "0.7 / (2 * m)"), hint="you ignored the lambd argument",
       subtle="canonical input only"),
    l2("(1, 1) array from keepdims", (SQUARES, "np.sum(np.square(value), keepdims=True)"),
       ("cost = float(cross_entropy_cost + lambd / (2 * m) * l2)", "cost = cross_entropy_cost + lambd / (2 * m) * l2"),
       hint="instead of a float", subtle="right values wrong shape"),
    Entry("cost_with_l2", "squared norms in sorted order",
          L2_HEAD + "    total = 0.0\n    for name in sorted(parameters):\n        if name[0] == 'W':\n"
          "            total += np.linalg.norm(parameters[name]) ** 2\n"
          "    return cross_entropy_cost + lambd * total / (2 * m)\n", right=True),
    Entry("cost_with_l2", "plain Python loops",
          L2_HEAD + "    total = 0.0\n    for l in range(1, len(parameters) // 2 + 1):\n"
          "        for row in parameters['W%d' % l].tolist():\n            for w in row:\n"
          "                total += w * w\n"
          "    return cross_entropy_cost + 0.5 * lambd / m * total\n", right=True),
    Entry("cost_with_l2", "dot products of the flattened weights",
          L2_HEAD + "    ws = [v.ravel() for k, v in parameters.items() if k.startswith('W')]\n"
          "    return float(cross_entropy_cost + 1 / 2 * lambd / m * sum(w @ w for w in ws))\n", right=True),

    # ----------------------------------------------------------------------------------- directional_check
    dc("slope divided by epsilon", (SLOPE, SLOPE.replace("/ (2 * epsilon)", "/ epsilon")),
       hint="divides by 2 * epsilon, not by epsilon"),
    dc("one-sided slope", (SLOPE, "numerical = (cost(theta + epsilon * u) - cost(theta)) / epsilon"),
       hint="one-sided difference"),
    dc("slope / 2 * epsilon", (SLOPE, SLOPE.replace("/ (2 * epsilon)", "/ 2 * epsilon")), hint="`/ 2 * epsilon`"),
    dc("u not normalised", ("    u = u / np.linalg.norm(u)\n", ""), hint="was not normalised", subtle="other"),
    dc("np.random.randn", (DIRECTION, "u = np.random.randn(*theta.shape)"), hint="np.random.randn"),
    dc("np.random.seed and randn", (DIRECTION, "np.random.seed(seed)\n    u = np.random.randn(*theta.shape)"),
       hint="comes from np.random.seed(seed) and np.random.randn"),
    dc("seed ignored", (DIRECTION, DIRECTION.replace("default_rng(seed)", "default_rng(0)")),
       hint="you ignored the seed argument", subtle="ignores an argument"),
    dc("epsilon ignored", (SLOPE, "numerical = (cost(theta + 1e-7 * u) - cost(theta - 1e-7 * u)) / (2 * 1e-7)"),
       hint="you ignored the epsilon argument", subtle="ignores an argument"),
    dc("steps theta in place", (SLOPE, ("values = []\n    for sign in (1, -1):\n"
                                        "        theta += sign * epsilon * u\n        values.append(cost(theta))\n"
                                        "    numerical = (values[0] - values[1]) / (2 * epsilon)")),
       hint="changed theta in place", subtle="mutates its input"),
    dc("compares the slope with itself", (ANALYTIC, "analytic = numerical"), hint="exactly 0"),
    dc("(1, 1) array from np.dot(grad.T, u)", (ANALYTIC, "analytic = np.dot(grad.T, u)"),
       (DIFFERENCE, "difference = abs(numerical - analytic) / denominator"),
       hint="instead of a float", subtle="right values wrong shape"),
    dc("|numerical + analytic| in the denominator",
       ("denominator = abs(numerical) + abs(analytic)", "denominator = abs(numerical + analytic)"), subtle="other"),
    dc("no abs in the numerator", ("abs(numerical - analytic) / denominator", "(numerical - analytic) / denominator"),
       hint="yours keeps its sign", subtle="right shape wrong values"),
    dc("theta_minus from theta_plus",
       (SLOPE, ("theta_plus = theta + epsilon * u\n    theta_minus = theta_plus - epsilon * u\n"
                "    numerical = (cost(theta_plus) - cost(theta_minus)) / (2 * epsilon)")),
       hint="the second point is theta itself", subtle="other"),
    Entry("directional_check", "hand-written norm, costs halved first, a loop for grad . u",
          "import math\n\n\n" + DC_HEAD +
          "    rng = np.random.default_rng(seed)\n    u = rng.normal(size=theta.shape)\n"
          "    u /= math.sqrt(float(np.sum(u * u)))\n    step = epsilon * u\n"
          "    numerical = cost(theta + step) / (2 * epsilon) - cost(theta - step) / (2 * epsilon)\n"
          "    analytic = 0.0\n    for g, v in zip(np.ravel(grad), np.ravel(u)):\n        analytic += g * v\n"
          "    return abs(numerical - analytic) / (abs(numerical) + abs(analytic))\n", right=True),
    Entry("directional_check", "flat draw reshaped, vdot",
          DC_HEAD + "    u = np.random.default_rng(seed).standard_normal(theta.size).reshape(theta.shape)\n"
          "    u = u / np.sqrt(np.sum(u ** 2))\n"
          "    plus, minus = cost(theta + u * epsilon), cost(theta - u * epsilon)\n"
          "    slope = (plus - minus) / 2 / epsilon\n    dot = float(np.vdot(grad, u))\n"
          "    return float(np.abs(slope - dot) / (np.abs(slope) + np.abs(dot)))\n", right=True),
]


globals().update(catalog_tests(CATALOG, EXERCISES))  # shape, every entry, hints named alone
