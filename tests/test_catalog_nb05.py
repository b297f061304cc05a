"""The wrong-answer catalog of notebooks 04 and 05 (see tests/catalog.py): gradient_check_n, name_the_suspects,
backward_propagation_n, cost_with_l2, directional_check.

Every wrong entry must fail its check with AssertionError (naming its mistake when it has a hint) and fail
the grader's verification run; every right one, however unusually written, must pass both. Most entries are
the reference solution with one or two lines edited (edit() asserts that the edited text is there).
"""
from catalog import Entry, catalog_tests, reference

EXERCISES = ["gradient_check_n", "name_the_suspects", "backward_propagation_n", "cost_with_l2", "directional_check"]


def edit(exercise, label, *pairs, **kw):
    """The reference solution of `exercise` with each (old, new) of `pairs` replaced."""
    source = reference(exercise)
    for old, new in pairs:
        assert old in source, (exercise, label, old)
        source = source.replace(old, new)
    return Entry(exercise, label, source, **kw)


def gcn(label, *pairs, **kw):
    return edit("gradient_check_n", label, *pairs, **kw)


def bp(label, *pairs, **kw):
    return edit("backward_propagation_n", label, *pairs, **kw)


def l2(label, *pairs, **kw):
    return edit("cost_with_l2", label, *pairs, **kw)


def dc(label, *pairs, **kw):
    return edit("directional_check", label, *pairs, **kw)


GCN_HEAD = "def gradient_check_n(parameters, gradients, X, Y, epsilon=1e-7, print_msg=False):\n"
BP_HEAD = "def backward_propagation_n(X, Y, cache):\n"
L2_HEAD = "def cost_with_l2(cross_entropy_cost, parameters, lambd, m):\n"
DC_HEAD = "def directional_check(cost, theta, grad, epsilon=1e-7, seed=0):\n"

# the lines of the reference solutions that the entries edit
CENTERED = "gradapprox[i] = (J_plus[i] - J_minus[i]) / (2 * epsilon)"
DENOMINATOR = "denominator = np.linalg.norm(grad) + np.linalg.norm(gradapprox)"
NUMERATOR = "numerator = np.linalg.norm(grad - gradapprox)"
SQUARES = "np.sum(np.square(value))"
DIRECTION = "u = np.random.default_rng(seed).standard_normal(theta.shape)"
SLOPE = "numerical = (cost(theta + epsilon * u) - cost(theta - epsilon * u)) / (2 * epsilon)"
ANALYTIC = "analytic = float(np.sum(np.reshape(grad, theta.shape) * u))"
DIFFERENCE = "difference = 0.0 if denominator == 0 else float(abs(numerical - analytic) / denominator)"

CATALOG = [
    # ------------------------------------------------------------------------------------ gradient_check_n
    gcn("reversed threshold test", ("if difference > 2e-7:", "if difference < 2e-7:"),
        hint="the print_msg verdict is reversed", subtle="other"),
    gcn("threshold 1e-7", ("if difference > 2e-7:", "if difference > 1e-7:"),
        hint="1e-7 is too strict a threshold", subtle="other"),
    gcn("threshold 1e-6", ("if difference > 2e-7:", "if difference > 1e-6:"),
        hint="is above the course's threshold 2e-07: that is a mistake", subtle="other"),
    gcn("one norm in the denominator", (DENOMINATOR, "denominator = np.linalg.norm(grad)"),
        hint="you left one of the two norms out"),
    gcn("thetaminus from thetaplus", ("thetaminus = np.copy(theta)", "thetaminus = np.copy(thetaplus)"),
        hint="thetaminus was built from thetaplus"),
    gcn("no np.copy", ("thetaplus = np.copy(theta)", "thetaplus = theta"),
        ("thetaminus = np.copy(theta)", "thetaminus = theta"), hint="or without np.copy"),
    gcn("no np.copy for thetaplus only", ("thetaplus = np.copy(theta)", "thetaplus = theta"),
        hint="or without np.copy"),
    gcn("/ 2 * epsilon", (CENTERED, "gradapprox[i] = (J_plus[i] - J_minus[i]) / 2 * epsilon"),
        hint="`/ 2 * epsilon`"),
    gcn("divides by epsilon", (CENTERED, "gradapprox[i] = (J_plus[i] - J_minus[i]) / epsilon"),
        hint="divides by epsilon instead of 2 * epsilon"),
    gcn("compares gradapprox with itself", (NUMERATOR, "numerator = np.linalg.norm(gradapprox - gradapprox)"),
        hint="compared gradapprox with itself"),
    gcn("one-sided difference",
        ("J_minus[i], _ = forward_propagation_n(X, Y, vector_to_dictionary(thetaminus, shapes))",
         "J_minus[i], _ = forward_propagation_n(X, Y, vector_to_dictionary(theta, shapes))"),
        (CENTERED, "gradapprox[i] = (J_plus[i] - J_minus[i]) / epsilon"), hint="one-sided difference"),
    gcn("ignores epsilon", ("thetaplus[i] += epsilon", "thetaplus[i] += 1e-7"),
        ("thetaminus[i] -= epsilon", "thetaminus[i] -= 1e-7"),
        (CENTERED, "gradapprox[i] = (J_plus[i] - J_minus[i]) / (2 * 1e-7)"),
        hint="you ignored the epsilon argument", subtle="ignores an argument"),
    gcn("47 parameters hard-coded", ("for i in range(n):", "for i in range(47):"), subtle="canonical input only"),
    gcn("returns inside the loop",
        (CENTERED, CENTERED + "\n        return float(np.linalg.norm(grad - gradapprox) / "
                              "(np.linalg.norm(grad) + np.linalg.norm(gradapprox)))"),
        subtle="returns too early"),
    gcn("prints whatever print_msg says", ("    if print_msg:\n", "    if True:\n"),
        hint="although print_msg was False", subtle="ignores an argument"),
    gcn("norm of the sum in the denominator", (DENOMINATOR, "denominator = np.linalg.norm(grad + gradapprox)"),
        subtle="other"),
    gcn("(1, 1) array from np.dot",
        (NUMERATOR, "numerator = np.sqrt(np.dot((grad - gradapprox).T, grad - gradapprox))"),
        ("difference = float(numerator / denominator)", "difference = numerator / denominator"),
        hint="instead of a float", subtle="right values wrong shape"),
    Entry("gradient_check_n", "perturbs the parameters in place",
          GCN_HEAD + "    grad = gradients_to_vector(gradients)\n    approx = []\n"
          "    for name in parameters:\n        W = parameters[name]\n"
          "        for idx in np.ndindex(W.shape):\n"
          "            W[idx] += epsilon\n            J_plus, _ = forward_propagation_n(X, Y, parameters)\n"
          "            W[idx] -= 2 * epsilon\n            J_minus, _ = forward_propagation_n(X, Y, parameters)\n"
          "            approx.append((J_plus - J_minus) / (2 * epsilon))\n"
          "    gradapprox = np.array(approx).reshape(-1, 1)\n"
          "    difference = float(np.linalg.norm(grad - gradapprox) / (np.linalg.norm(grad) + "
          "np.linalg.norm(gradapprox)))\n"
          "    if print_msg:\n        print('mistake' if difference > 2e-7 else 'fine')\n    return difference\n",
          hint="changed the parameters", subtle="mutates its input"),
    Entry("gradient_check_n", "hand-written norms, e_i steps, costs halved first",
          "import math\n\n\n" + GCN_HEAD +
          "    theta, _ = dictionary_to_vector(parameters)\n"
          "    grad = gradients_to_vector(gradients).ravel().tolist()\n"
          "    shapes = parameter_shapes(parameters)\n    approx = []\n"
          "    for i in range(theta.shape[0]):\n        e = np.zeros_like(theta)\n        e[i] = epsilon\n"
          "        J_plus, _ = forward_propagation_n(X, Y, vector_to_dictionary(theta + e, shapes))\n"
          "        J_minus, _ = forward_propagation_n(X, Y, vector_to_dictionary(theta - e, shapes))\n"
          "        approx.append(J_plus / (2 * epsilon) - J_minus / (2 * epsilon))\n"
          "    num = math.sqrt(sum((g - a) ** 2 for g, a in zip(grad, approx)))\n"
          "    den = math.sqrt(sum(g * g for g in grad)) + math.sqrt(sum(a * a for a in approx))\n"
          "    difference = num / den\n"
          "    if print_msg:\n"
          "        print('Gradient check: ' + ('WRONG' if difference > 2e-7 else 'OK') + f' ({difference:.2e})')\n"
          "    return difference\n", right=True),
    Entry("gradient_check_n", "fresh dictionary copies per entry",
          GCN_HEAD + "    grads, approx = [], []\n"
          "    for name in sorted(parameters, key=lambda k: (int(k[1:]), k[0] != 'W')):\n"
          "        for idx in np.ndindex(parameters[name].shape):\n"
          "            plus = {k: v.copy() for k, v in parameters.items()}\n"
          "            minus = {k: v.copy() for k, v in parameters.items()}\n"
          "            plus[name][idx] += epsilon\n            minus[name][idx] -= epsilon\n"
          "            slope = (forward_propagation_n(X, Y, plus)[0] - forward_propagation_n(X, Y, minus)[0])"
          " / 2 / epsilon\n"
          "            approx.append(slope)\n            grads.append(gradients['d' + name][idx])\n"
          "    grad, gradapprox = np.array(grads), np.array(approx)\n"
          "    difference = np.linalg.norm(grad - gradapprox) / (np.linalg.norm(grad) + np.linalg.norm(gradapprox))\n"
          "    if print_msg:\n"
          "        verdict = ('no mistake, backprop is correct' if difference <= 2e-7\n"
          "                   else 'there is a bug in backprop')\n"
          "        print(verdict, difference)\n"
          "    return float(difference)\n", right=True),
    Entry("gradient_check_n", "all thetaplus at once from np.eye",
          GCN_HEAD + "    theta, _ = dictionary_to_vector(parameters)\n    grad = gradients_to_vector(gradients)\n"
          "    shapes = parameter_shapes(parameters)\n    n = theta.shape[0]\n"
          "    steps = epsilon * np.eye(n)\n"
          "    J = lambda t: forward_propagation_n(X, Y, vector_to_dictionary(t.reshape(n, 1), shapes))[0]\n"
          "    J_plus = np.array([J(theta[:, 0] + steps[i]) for i in range(n)])\n"
          "    J_minus = np.array([J(theta[:, 0] - steps[i]) for i in range(n)])\n"
          "    gradapprox = ((J_plus - J_minus) / (2 * epsilon)).reshape(n, 1)\n"
          "    difference = float(np.linalg.norm(gradapprox - grad, ord=2) / (np.linalg.norm(grad, ord=2) + "
          "np.linalg.norm(gradapprox, ord=2)))\n"
          "    if print_msg:\n        if difference >= 2e-7:\n"
          "            print(f'Backprop looks wrong (difference {difference:.3g} > 2e-7)')\n"
          "        else:\n            print(f'Backprop passes the check: {difference:.3g}')\n"
          "    return difference\n", right=True),

    # ------------------------------------------------------------------------------ backward_propagation_n
    bp("both classic bugs", ("dW2 = 1. / m * np.dot(dZ2, A1.T)", "dW2 = 1. / m * np.dot(dZ2, A1.T) * 2"),
       ("db1 = 1. / m", "db1 = 4. / m"), hint="dW2 and db1 are wrong"),
    bp("dW2 times 2", ("dW2 = 1. / m * np.dot(dZ2, A1.T)", "dW2 = 1. / m * np.dot(dZ2, A1.T) * 2"),
       hint="stray `* 2`"),
    bp("db1 with 4./m", ("db1 = 1. / m", "db1 = 4. / m"), hint="db1 still uses 4./m"),
    bp("dW3 without 1/m", ("dW3 = 1. / m * np.dot(dZ3, A2.T)", "dW3 = np.dot(dZ3, A2.T)"),
       hint="the 1./m is missing"),
    bp("db2 summed without axis", ("db2 = 1. / m * np.sum(dZ2, axis=1, keepdims=True)", "db2 = 1. / m * np.sum(dZ2)"),
       hint="sums over every entry"),
    bp("ReLU mask of layer 2 from dA2", ("np.int64(A2 > 0)", "np.int64(dA2 > 0)"),
       hint="taken from the sign of dA2", subtle="right shape wrong values"),
    bp("no ReLU derivative in layer 1", ("dZ1 = np.multiply(dA1, np.int64(A1 > 0))", "dZ1 = dA1"),
       hint="the ReLU derivative of layer 1 is missing", subtle="right shape wrong values"),
    bp("sign of dZ3", ("dZ3 = A3 - Y", "dZ3 = Y - A3"), hint="opposite sign: the output layer's dZ3"),
    bp("sigmoid derivative twice", ("dZ3 = A3 - Y", "dZ3 = (A3 - Y) * A3 * (1 - A3)"),
       hint="already contains it", subtle="right shape wrong values"),
    bp("m hard-coded to 3", ("m = X.shape[1]", "m = 3"), hint="hard-code m = 3", subtle="canonical input only"),
    bp("m from Y.shape[0]", ("m = X.shape[1]", "m = Y.shape[0]"), hint="m is taken from Y.shape[0]",
       subtle="canonical input only"),
    bp("db2 without keepdims", ("np.sum(dZ2, axis=1, keepdims=True)", "np.sum(dZ2, axis=1)"),
       hint="lost its second axis", subtle="right values wrong shape"),
    bp("mask A2 >= 0", ("np.int64(A2 > 0)", "np.int64(A2 >= 0)"), hint="the ReLU derivative of layer 2 is missing",
       subtle="other"),
    bp("dW1 transposed", ("dW1 = 1. / m * np.dot(dZ1, X.T)", "dW1 = 1. / m * np.dot(X, dZ1.T)"),
       hint="dW1 is transposed"),
    bp("reuses A2 as its mask, in place",
       ("    dW3 = 1. / m * np.dot(dZ3, A2.T)\n", ""),
       ("    dZ2 = np.multiply(dA2, np.int64(A2 > 0))\n",
        "    A2[A2 > 0] = 1\n    dZ2 = np.multiply(dA2, A2)\n    dW3 = 1. / m * np.dot(dZ3, A2.T)\n"),
       hint="changed A2 in place", subtle="mutates its input"),
    Entry("backward_propagation_n", "layer loop that returns too early",
          BP_HEAD + "    m = X.shape[1]\n    Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3 = cache\n"
          "    A, W = [X, A1, A2, A3], [None, W1, W2, W3]\n    gradients = {}\n    dZ = A3 - Y\n"
          "    for l in (3, 2, 1):\n"
          "        gradients['dW' + str(l)] = 1. / m * np.dot(dZ, A[l - 1].T)\n"
          "        gradients['db' + str(l)] = 1. / m * np.sum(dZ, axis=1, keepdims=True)\n"
          "        dZ = np.dot(W[l].T, dZ) * (A[l - 1] > 0)\n"
          "        return gradients\n", subtle="returns too early"),
    Entry("backward_propagation_n", "masks from Z, @ and mean",
          BP_HEAD + "    Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3 = cache\n    m = X.shape[1]\n"
          "    dZ3 = A3 - Y.reshape(1, -1)\n"
          "    grads = {'dZ3': dZ3, 'dW3': dZ3 @ A2.T / m, 'db3': dZ3.mean(axis=1, keepdims=True)}\n"
          "    dZ2 = (W3.T @ dZ3) * (Z2 > 0)\n"
          "    grads.update(dW2=dZ2 @ A1.T / m, db2=dZ2.mean(axis=1, keepdims=True))\n"
          "    dZ1 = (W2.T @ dZ2) * (Z1 > 0)\n"
          "    grads.update(dW1=dZ1 @ X.T / m, db1=dZ1.mean(axis=1, keepdims=True))\n"
          "    return grads\n", right=True),
    Entry("backward_propagation_n", "a loop over the layers",
          BP_HEAD + "    m = X.shape[1]\n    Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3 = cache\n"
          "    A, W = [X, A1, A2, A3], [None, W1, W2, W3]\n    gradients = {}\n    dZ = A3 - Y\n"
          "    for l in range(3, 0, -1):\n"
          "        gradients[f'dZ{l}'] = dZ\n"
          "        gradients[f'dW{l}'] = np.dot(dZ, A[l - 1].T) / m\n"
          "        gradients[f'db{l}'] = np.sum(dZ, axis=1, keepdims=True) / m\n"
          "        if l > 1:\n            dA = np.dot(W[l].T, dZ)\n            gradients[f'dA{l - 1}'] = dA\n"
          "            dZ = np.where(A[l - 1] > 0, dA, 0.0)\n"
          "    return gradients\n", right=True),
    Entry("backward_propagation_n", "one example at a time",
          BP_HEAD + "    Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3 = cache\n    m = X.shape[1]\n"
          "    y = np.ravel(Y)\n"
          "    grads = {k: np.zeros_like(v, dtype=float) for k, v in (('dW1', W1), ('db1', b1), ('dW2', W2), "
          "('db2', b2), ('dW3', W3), ('db3', b3))}\n"
          "    for j in range(m):\n"
          "        x, a1, a2, a3 = X[:, j:j + 1], A1[:, j:j + 1], A2[:, j:j + 1], A3[:, j:j + 1]\n"
          "        dz3 = a3 - y[j]\n        dz2 = (W3.T @ dz3) * (a2 > 0)\n        dz1 = (W2.T @ dz2) * (a1 > 0)\n"
          "        for l, dz, a_prev in ((3, dz3, a2), (2, dz2, a1), (1, dz1, x)):\n"
          "            grads[f'dW{l}'] += dz @ a_prev.T / m\n            grads[f'db{l}'] += dz / m\n"
          "    return grads\n", right=True),

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
       subtle="right shape wrong values"),
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


def suspects(label, value, **kw):
    return Entry("name_the_suspects", label, f"def name_the_suspects():\n    return {value}", **kw)


CATALOG += [
    suspects("only W2", '["W2"]', hint="you named 1 of the 2 tensors"),
    suspects("only b1", '["b1"]', hint="you named 1 of the 2 tensors"),
    suspects("an innocent W1 as well", '["W2", "b1", "W1"]', hint="the gradient of W1 is correct"),
    suspects("b2 instead of b1", '["W2", "b2"]', hint="the gradient of b2 is correct", subtle="right shape wrong values"),
    suspects("the gradients' names", '["dW2", "db1"]', hint="not their gradients", subtle="other"),
    suspects("one string", '"W2, b1"', hint="strings, even for a single name", subtle="right values wrong shape"),
    suspects("lower-case names", '["w2", "b1"]', hint="which are not parameters of the network", subtle="other"),
    suspects("forgot to return", 'print(["W2", "b1"])', hint="Did you forget `return`?", subtle="other"),
    suspects("every tensor", '["W1", "b1", "W2", "b2", "W3", "b3"]', hint="are correct", subtle="other"),
    suspects("nobody", '[]', hint="you named 0 of the 2 tensors", subtle="returns too early"),
    suspects("the other order", '["b1", "W2"]', right=True),
    suspects("a tuple", '("W2", "b1")', right=True),
]


globals().update(catalog_tests(CATALOG, EXERCISES))  # shape, every entry, hints named alone
