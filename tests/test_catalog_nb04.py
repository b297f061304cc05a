"""The wrong-answer catalog of notebook 04 (see tests/catalog.py): gradient_check_n, block_differences, diagnose,
backward_propagation_n.

Every wrong entry must fail its check with AssertionError (naming its mistake when it has a hint) and fail
the grader's verification run; every right one, however unusually written, must pass both. Most entries are
the reference solution with one or two lines edited (edit() asserts that the edited text is there). diagnose's
entries that call block_differences define it in their own cell too (with_blocks).
"""
from catalog import Entry, catalog_tests, edit, reference

EXERCISES = ["gradient_check_n", "block_differences", "diagnose", "backward_propagation_n"]


def gcn(label, *pairs, **kw):
    return edit("gradient_check_n", label, *pairs, **kw)


def bd(label, *pairs, **kw):
    return edit("block_differences", label, *pairs, **kw)


def dg(label, *pairs, **kw):
    entry = edit("diagnose", label, *pairs, **kw)
    return Entry("diagnose", label, with_blocks(entry.source), entry.right, entry.hint, entry.subtle)


def with_blocks(source):
    """A diagnose cell that also defines the reference block_differences it calls: the verification run of one
    catalog entry holds only that cell (a graded notebook runs every exercise cell)."""
    return reference("block_differences") + "\n\n\n" + source


def bp(label, *pairs, **kw):
    return edit("backward_propagation_n", label, *pairs, **kw)


GCN_HEAD = "def gradient_check_n(cost, parameters, gradients, epsilon=1e-7, print_msg=False):\n"
BD_HEAD = "def block_differences(grad, gradapprox, keys):\n"
DG_HEAD = "def diagnose(grad, gradapprox, keys, threshold=1e-5):\n"
BP_HEAD = "def backward_propagation_n(X, Y, cache):\n"

# the lines of the reference solutions that the entries edit
CENTERED = "gradapprox[i] = (J_plus[i] - J_minus[i]) / (2 * epsilon)"
DENOMINATOR = "denominator = np.linalg.norm(grad) + np.linalg.norm(gradapprox)"
NUMERATOR = "numerator = np.linalg.norm(grad - gradapprox)"
BLOCK_DENOMINATOR = "denominator = np.linalg.norm(g) + np.linalg.norm(a)"
BLOCK_VALUE = "differences[name] = float(np.linalg.norm(g - a) / denominator) if denominator > 0 else 0.0"
BLOCK_LOOP = "for name in dict.fromkeys(keys):"
SUSPECT_TEST = "if d > threshold:"
RATIO = ("suspects[name] = float(np.linalg.norm(grad[names == name]) / "
         "np.linalg.norm(gradapprox[names == name]))")
CLASSIC_NAMES = '["W1", "b1", "W2", "b2", "W3", "b3"]'
LOOP = "    for i in range(n):\n"
J_PLUS = "J_plus[i] = cost(vector_to_dictionary(thetaplus, shapes))"
J_MINUS = "J_minus[i] = cost(vector_to_dictionary(thetaminus, shapes))"
THETA = "theta, _ = dictionary_to_vector(parameters)"
RETURN = "    return difference, gradapprox"


def cached(label, key, **kw):
    """gradient_check_n keeping gradapprox between calls in a dict keyed by `key` (source text)."""
    entry = gcn(label, (LOOP, f"    cached = _CACHE.get({key})\n    for i in (range(n) if cached is None else []):\n"),
                (NUMERATOR, f"if cached is not None:\n        gradapprox = cached\n    _CACHE[{key}] = gradapprox\n"
                            f"    {NUMERATOR}"), **kw)
    return Entry(entry.exercise, label, "_CACHE = {}\n\n\n" + entry.source, hint=entry.hint, subtle=entry.subtle)


INSERTION_ORDER = (GCN_HEAD + "    names = list(parameters)\n"
                   "    theta = np.concatenate([parameters[k].reshape(-1, 1) for k in names])\n"
                   "    grad = np.concatenate([gradients['d' + k].reshape(-1, 1) for k in names])\n"
                   "    n = theta.shape[0]\n    gradapprox = np.zeros((n, 1))\n\n"
                   "    def unroll(t):\n        out, start = {}, 0\n        for k in names:\n"
                   "            size = parameters[k].size\n"
                   "            out[k] = t[start:start + size].reshape(parameters[k].shape)\n"
                   "            start += size\n        return out\n\n"
                   "    for i in range(n):\n        plus, minus = np.copy(theta), np.copy(theta)\n"
                   "        plus[i] += epsilon\n        minus[i] -= epsilon\n"
                   "        gradapprox[i] = (cost(unroll(plus)) - cost(unroll(minus))) / (2 * epsilon)\n"
                   "    difference = float(np.linalg.norm(grad - gradapprox) / (np.linalg.norm(grad) + "
                   "np.linalg.norm(gradapprox)))\n"
                   "    if print_msg:\n        print('mistake' if difference > 2e-7 else 'fine')\n"
                   "    return difference, gradapprox\n")

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
        ("J_minus[i] = cost(vector_to_dictionary(thetaminus, shapes))",
         "J_minus[i] = cost(vector_to_dictionary(theta, shapes))"),
        (CENTERED, "gradapprox[i] = (J_plus[i] - J_minus[i]) / epsilon"), hint="one-sided difference"),
    gcn("ignores epsilon", ("thetaplus[i] += epsilon", "thetaplus[i] += 1e-7"),
        ("thetaminus[i] -= epsilon", "thetaminus[i] -= 1e-7"),
        (CENTERED, "gradapprox[i] = (J_plus[i] - J_minus[i]) / (2 * 1e-7)"),
        hint="you ignored the epsilon argument", subtle="ignores an argument"),
    gcn("47 parameters hard-coded", ("for i in range(n):", "for i in range(47):"), hint="the first 47 entries only",
        subtle="canonical input only"),
    gcn("returns inside the loop",
        (CENTERED, CENTERED + "\n        return float(np.linalg.norm(grad - gradapprox) / "
                              "(np.linalg.norm(grad) + np.linalg.norm(gradapprox))), gradapprox"),
        hint="returns inside the loop", subtle="returns too early"),
    gcn("prints whatever print_msg says", ("    if print_msg:\n", "    if True:\n"),
        hint="although print_msg was False", subtle="ignores an argument"),
    gcn("norm of the sum in the denominator", (DENOMINATOR, "denominator = np.linalg.norm(grad + gradapprox)"),
        hint="not the norm of the sum", subtle="other"),
    gcn("(1, 1) array from np.dot",
        (NUMERATOR, "numerator = np.sqrt(np.dot((grad - gradapprox).T, grad - gradapprox))"),
        ("difference = float(numerator / denominator)", "difference = numerator / denominator"),
        hint="instead of a float", subtle="right values wrong shape"),
    gcn("returns only the difference", ("    return difference, gradapprox", "    return difference"),
        hint="returned only a number", subtle="other"),
    gcn("returns grad as gradapprox", ("    return difference, gradapprox", "    return difference, grad"),
        hint="you returned grad as gradapprox", subtle="right shape wrong values"),
    gcn("returns (gradapprox, difference)", ("    return difference, gradapprox", "    return gradapprox, difference"),
        hint="in the order `return difference, gradapprox`"),
    gcn("J_plus and J_minus swapped", (CENTERED, "gradapprox[i] = (J_minus[i] - J_plus[i]) / (2 * epsilon)"),
        hint="opposite sign of the slope"),
    gcn("vectors of shape (n,)", ("    J_plus = np.zeros((n, 1))", "    J_plus = np.zeros(n)"),
        ("    J_minus = np.zeros((n, 1))", "    J_minus = np.zeros(n)"),
        ("    gradapprox = np.zeros((n, 1))", "    gradapprox = np.zeros(n)"),
        hint="broadcasts to an (n, n)", subtle="right values wrong shape"),
    gcn("theta in sorted name order",
        ("theta, _ = dictionary_to_vector(parameters)",
         "theta = np.concatenate([parameters[k].reshape(-1, 1) for k in sorted(parameters)])"),
        hint="sorted as strings", subtle="canonical input only"),
    gcn("gradapprox flattened on return", (RETURN, "    return difference, gradapprox.ravel()"),
        hint="you flattened gradapprox", subtle="right values wrong shape"),
    Entry("gradient_check_n", "theta and grad in the dict's insertion order", INSERTION_ORDER,
          hint="follows the order of the parameters dict", subtle="canonical input only"),
    Entry("gradient_check_n", "theta in the dict's insertion order, grad in layer order",
          INSERTION_ORDER.replace("    grad = np.concatenate([gradients['d' + k].reshape(-1, 1) for k in names])\n",
                                  "    grad = gradients_to_vector(gradients)\n"),
          hint="follows the order of the parameters dict", subtle="canonical input only"),
    cached("gradapprox cached by n", "n", hint="you kept it between calls", subtle="other"),
    cached("gradapprox cached by n and epsilon", "(n, epsilon)", hint="you kept it between calls", subtle="other"),
    Entry("gradient_check_n", "the notebook's X and Y instead of cost",
          "X, Y, _ = gradient_check_n_test_case()\n\n\n" + gcn(
              "-", (J_PLUS, "J_plus[i], _ = forward_propagation_n(X, Y, vector_to_dictionary(thetaplus, shapes))"),
              (J_MINUS, "J_minus[i], _ = forward_propagation_n(X, Y, vector_to_dictionary(thetaminus, shapes))")).source,
          hint="instead of calling cost", subtle="canonical input only"),
    gcn("range(n - 1)", ("for i in range(n):", "for i in range(n - 1):"), hint="not range(n - 1)"),
    gcn("only the W entries perturbed", (THETA, "theta, keys = dictionary_to_vector(parameters)"),
        (LOOP, LOOP + "        if not keys[i].startswith('W'):\n            continue\n"), hint="not only the W's"),
    gcn("theta in float32", (THETA, THETA + "\n    theta = theta.astype(np.float32)"), hint="theta is float32",
        subtle="other"),
    Entry("gradient_check_n", "perturbs the parameters in place",
          GCN_HEAD + "    grad = gradients_to_vector(gradients)\n    approx = []\n"
          "    for name in parameter_shapes(parameters):\n        W = parameters[name]\n"
          "        for idx in np.ndindex(W.shape):\n"
          "            W[idx] += epsilon\n            J_plus = cost(parameters)\n"
          "            W[idx] -= 2 * epsilon\n            J_minus = cost(parameters)\n"
          "            approx.append((J_plus - J_minus) / (2 * epsilon))\n"
          "    gradapprox = np.array(approx).reshape(-1, 1)\n"
          "    difference = float(np.linalg.norm(grad - gradapprox) / (np.linalg.norm(grad) + "
          "np.linalg.norm(gradapprox)))\n"
          "    if print_msg:\n        print('mistake' if difference > 2e-7 else 'fine')\n"
          "    return difference, gradapprox\n",
          hint="changed the parameters", subtle="mutates its input"),
    Entry("gradient_check_n", "hand-written norms, e_i steps, costs halved first",
          "import math\n\n\n" + GCN_HEAD +
          "    theta, _ = dictionary_to_vector(parameters)\n"
          "    grad = gradients_to_vector(gradients).ravel().tolist()\n"
          "    shapes = parameter_shapes(parameters)\n    approx = []\n"
          "    for i in range(theta.shape[0]):\n        e = np.zeros_like(theta)\n        e[i] = epsilon\n"
          "        J_plus = cost(vector_to_dictionary(theta + e, shapes))\n"
          "        J_minus = cost(vector_to_dictionary(theta - e, shapes))\n"
          "        approx.append(J_plus / (2 * epsilon) - J_minus / (2 * epsilon))\n"
          "    num = math.sqrt(sum((g - a) ** 2 for g, a in zip(grad, approx)))\n"
          "    den = math.sqrt(sum(g * g for g in grad)) + math.sqrt(sum(a * a for a in approx))\n"
          "    difference = num / den\n"
          "    if print_msg:\n"
          "        print('Gradient check: ' + ('WRONG' if difference > 2e-7 else 'OK') + f' ({difference:.2e})')\n"
          "    return difference, np.array(approx).reshape(-1, 1)\n", right=True),
    Entry("gradient_check_n", "fresh dictionary copies per entry",
          GCN_HEAD + "    grads, approx = [], []\n"
          "    for name in sorted(parameters, key=lambda k: (int(k[1:]), k[0] != 'W')):\n"
          "        for idx in np.ndindex(parameters[name].shape):\n"
          "            plus = {k: v.copy() for k, v in parameters.items()}\n"
          "            minus = {k: v.copy() for k, v in parameters.items()}\n"
          "            plus[name][idx] += epsilon\n            minus[name][idx] -= epsilon\n"
          "            slope = (cost(plus) - cost(minus)) / 2 / epsilon\n"
          "            approx.append(slope)\n            grads.append(gradients['d' + name][idx])\n"
          "    grad, gradapprox = np.array(grads), np.array(approx)\n"
          "    difference = np.linalg.norm(grad - gradapprox) / (np.linalg.norm(grad) + np.linalg.norm(gradapprox))\n"
          "    if print_msg:\n"
          "        verdict = ('no mistake, backprop is correct' if difference <= 2e-7\n"
          "                   else 'there is a bug in backprop')\n"
          "        print(verdict, difference)\n"
          "    return float(difference), gradapprox.reshape(-1, 1)\n", right=True),
    Entry("gradient_check_n", "all thetaplus at once from np.eye",
          GCN_HEAD + "    theta, _ = dictionary_to_vector(parameters)\n    grad = gradients_to_vector(gradients)\n"
          "    shapes = parameter_shapes(parameters)\n    n = theta.shape[0]\n"
          "    steps = epsilon * np.eye(n)\n"
          "    J = lambda t: cost(vector_to_dictionary(t.reshape(n, 1), shapes))\n"
          "    J_plus = np.array([J(theta[:, 0] + steps[i]) for i in range(n)])\n"
          "    J_minus = np.array([J(theta[:, 0] - steps[i]) for i in range(n)])\n"
          "    gradapprox = ((J_plus - J_minus) / (2 * epsilon)).reshape(n, 1)\n"
          "    difference = float(np.linalg.norm(gradapprox - grad, ord=2) / (np.linalg.norm(grad, ord=2) + "
          "np.linalg.norm(gradapprox, ord=2)))\n"
          "    if print_msg:\n        if difference >= 2e-7:\n"
          "            print(f'Backprop looks wrong (difference {difference:.3g} > 2e-7)')\n"
          "        else:\n            print(f'Backprop passes the check: {difference:.3g}')\n"
          "    return difference, gradapprox\n", right=True),

    # ----------------------------------------------------------------------------------- block_differences
    bd("the overall denominator per tensor",
       (BLOCK_DENOMINATOR, "denominator = np.linalg.norm(grad) + np.linalg.norm(gradapprox)"),
       hint="divided by the norms of the WHOLE vectors"),
    bd("one norm in the denominator", (BLOCK_DENOMINATOR, "denominator = np.linalg.norm(g)"),
       hint="you left one of the two norms out"),
    bd("numerator only", (BLOCK_VALUE, "differences[name] = float(np.linalg.norm(g - a))"),
       hint="you returned only the numerator"),
    bd("names sorted", (BLOCK_LOOP, "for name in sorted(set(keys)):"), hint="in another order", subtle="other"),
    bd("the classic network's names", (BLOCK_LOOP, f"for name in {CLASSIC_NAMES}:"),
       hint="the names must come from keys", subtle="canonical input only"),
    bd("0 / 0 for a tensor that is zero in both",
       (BLOCK_VALUE, "differences[name] = float(np.linalg.norm(g - a) / denominator)"),
       hint="both zero gives 0 / 0", subtle="other"),
    bd("squared norms", (BLOCK_DENOMINATOR, "denominator = np.sum(g * g) + np.sum(a * a)"),
       (BLOCK_VALUE, "differences[name] = float(np.sum((g - a) ** 2) / denominator) if denominator > 0 else 0.0"),
       hint="you left the square roots out", subtle="right shape wrong values"),
    bd("difference of the norms",
       (BLOCK_VALUE, ("differences[name] = float(abs(np.linalg.norm(g) - np.linalg.norm(a)) / denominator) "
                     "if denominator > 0 else 0.0")),
       hint="difference of the norms", subtle="right shape wrong values"),
    bd("the overall difference for every tensor",
       (BLOCK_VALUE, ("differences[name] = float(np.linalg.norm(grad - gradapprox) / (np.linalg.norm(grad) + "
                     "np.linalg.norm(gradapprox)))")),
       hint="every tensor got the overall difference", subtle="other"),
    bd("a list of the values", ("    return differences", "    return list(differences.values())"),
       hint="expected a dict", subtle="right values wrong shape"),
    Entry("block_differences", "cached by keys",
          "_CACHE = {}\n\n\n" + bd("-", ("    names = np.array(keys)\n",
                                           "    if tuple(keys) in _CACHE:\n        return dict(_CACHE[tuple(keys)])\n"
                                           "    names = np.array(keys)\n"),
                                     ("    return differences", "    _CACHE[tuple(keys)] = dict(differences)\n"
                                                              "    return differences")).source,
          hint="a cache keyed by keys", subtle="other"),
    bd("names matched by their beginning", ("        g = grad[names == name]\n        a = gradapprox[names == name]\n",
                                            "        mask = np.char.startswith(names, name)\n"
                                            "        g = grad[mask]\n        a = gradapprox[mask]\n"),
       hint="matched the names by their beginning", subtle="canonical input only"),
    bd("an epsilon in the denominator", (BLOCK_DENOMINATOR, BLOCK_DENOMINATOR + " + 1e-8"),
       hint="added a small number to the denominator", subtle="right shape wrong values"),
    bd("an epsilon instead of the zero test",
       (BLOCK_VALUE, "differences[name] = float(np.linalg.norm(g - a) / (denominator + 1e-10))"),
       hint="added a small number to the denominator", subtle="other"),
    bd("norms over axis 0", (BLOCK_VALUE, "differences[name] = np.linalg.norm(g - a, axis=0) / denominator "
                                          "if denominator > 0 else 0.0"),
       hint="keeps one axis", subtle="right values wrong shape"),
    Entry("block_differences", "plain Python: zip, sums of squares, math.sqrt",
          "import math\n\n\n" + BD_HEAD +
          "    sums = {}\n"
          "    for name, g, a in zip(keys, grad.ravel().tolist(), gradapprox.ravel().tolist()):\n"
          "        s = sums.setdefault(name, [0.0, 0.0, 0.0])\n"
          "        s[0] += (g - a) ** 2\n        s[1] += g * g\n        s[2] += a * a\n"
          "    out = {}\n"
          "    for name, (d2, g2, a2) in sums.items():\n"
          "        den = math.sqrt(g2) + math.sqrt(a2)\n"
          "        out[name] = math.sqrt(d2) / den if den else 0.0\n"
          "    return out\n", right=True),
    Entry("block_differences", "np.unique by first index and np.bincount",
          BD_HEAD + "    names, first, which = np.unique(np.asarray(keys), return_index=True, return_inverse=True)\n"
          "    g, a = grad.ravel(), gradapprox.ravel()\n"
          "    num = np.sqrt(np.bincount(which, (g - a) ** 2))\n"
          "    den = np.sqrt(np.bincount(which, g * g)) + np.sqrt(np.bincount(which, a * a))\n"
          "    d = np.divide(num, den, out=np.zeros_like(num), where=den > 0)\n"
          "    return {str(names[k]): float(d[k]) for k in np.argsort(first)}\n", right=True),

    # -------------------------------------------------------------------------------------------- diagnose
    dg("the ratio upside down",
       (RATIO, ("suspects[name] = float(np.linalg.norm(gradapprox[names == name]) / "
               "np.linalg.norm(grad[names == name]))")), hint="the ratio is upside down"),
    dg(">= threshold", (SUSPECT_TEST, "if d >= threshold:"), hint="strictly above it", subtle="other"),
    dg("ignores threshold", (SUSPECT_TEST, "if d > 1e-5:"), hint="you ignored the threshold argument",
       subtle="ignores an argument"),
    dg("the overall threshold 2e-7", (SUSPECT_TEST, "if d > 2e-7:"), hint="you ignored the threshold argument",
       subtle="ignores an argument"),
    dg("every tensor", (SUSPECT_TEST, "if True:"), hint="you returned every tensor"),
    dg("k from the block difference", (RATIO, "suspects[name] = (1 + d) / (1 - d) if d < 1 else float('inf')"),
       hint="cannot say too big from too small", subtle="right shape wrong values"),
    dg("words instead of the ratio",
       (RATIO, ("suspects[name] = 'too big' if np.linalg.norm(grad[names == name]) > "
               "np.linalg.norm(gradapprox[names == name]) else 'too small'")),
       hint="return the norm ratio itself"),
    dg("a list of names", ("    return suspects", "    return list(suspects)"),
       hint="a list of names", subtle="right values wrong shape"),
    dg("ratio of the sums",
       (RATIO, "suspects[name] = float(np.sum(grad[names == name]) / np.sum(gradapprox[names == name]))"),
       hint="not of the sums", subtle="right shape wrong values"),
    dg("ratios of shape (1,)", (RATIO, ("suspects[name] = np.linalg.norm(grad[names == name], axis=0) / "
                                        "np.linalg.norm(gradapprox[names == name], axis=0)")),
       hint="keeps one axis", subtle="right values wrong shape"),
    dg("ratios of shape (1, 1) from np.dot",
       (RATIO, ("g, a = grad[names == name], gradapprox[names == name]\n"
                "            suspects[name] = np.sqrt(np.dot(g.T, g)) / np.sqrt(np.dot(a.T, a))")),
       hint="is a (1, 1) array", subtle="right values wrong shape"),
    Entry("diagnose", "names matched by their beginning",
          with_blocks(reference("diagnose")).replace("[names == name]", "[np.char.startswith(names, name)]"),
          hint="matched the names by their beginning", subtle="canonical input only"),
    dg("the classic network's names",
       ("    for name, d in block_differences(grad, gradapprox, keys).items():\n",
        ("    blocks = block_differences(grad, gradapprox, keys)\n"
        f"    for name, d in ((n, blocks.get(n, 0.0)) for n in {CLASSIC_NAMES}):\n")),
       hint="the names must come from keys", subtle="canonical input only"),
    Entry("diagnose", "without block_differences, hypot-free norms",
          DG_HEAD + "    g, a = np.ravel(grad), np.ravel(gradapprox)\n    out = {}\n"
          "    for name in dict.fromkeys(keys):\n"
          "        mask = np.array([k == name for k in keys])\n"
          "        ng, na = np.sqrt(np.dot(g[mask], g[mask])), np.sqrt(np.dot(a[mask], a[mask]))\n"
          "        nd = np.sqrt(np.dot(g[mask] - a[mask], g[mask] - a[mask]))\n"
          "        if ng + na > 0 and nd / (ng + na) > threshold:\n"
          "            out[name] = float(ng / na)\n"
          "    return out\n", right=True),
    Entry("diagnose", "filters a comprehension over block_differences",
          with_blocks(DG_HEAD) + "    blocks = block_differences(grad, gradapprox, keys)\n"
          "    keys = np.asarray(keys)\n"
          "    norm = lambda v: float(np.linalg.norm(v))\n"
          "    return {name: norm(grad[keys == name]) / norm(gradapprox[keys == name])\n"
          "            for name, d in blocks.items() if not d <= threshold}\n", right=True),
    # ------------------------------------------------------------------------------ backward_propagation_n
    bp("both classic bugs", ("dW2 = 1. / m * np.dot(dZ2, A1.T)", "dW2 = 1. / m * np.dot(dZ2, A1.T) * 2"),
       ("db1 = 1. / m", "db1 = 4. / m"), hint="2 gradients are still exactly what the colleague's pass returns"),
    bp("dW2 times 2", ("dW2 = 1. / m * np.dot(dZ2, A1.T)", "dW2 = 1. / m * np.dot(dZ2, A1.T) * 2"),
       hint="1 gradient is still exactly what the colleague's pass returns"),
    bp("db1 with 4./m", ("db1 = 1. / m", "db1 = 4. / m"),
       hint="1 gradient is still exactly what the colleague's pass returns"),
    bp("dW2 times 2 and dW3 without 1/m", ("dW2 = 1. / m * np.dot(dZ2, A1.T)", "dW2 = 1. / m * np.dot(dZ2, A1.T) * 2"),
       ("dW3 = 1. / m * np.dot(dZ3, A2.T)", "dW3 = np.dot(dZ3, A2.T)"), hint="dW3 is wrong"),
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
    Entry("backward_propagation_n", "memoised by X.shape",
          "_MEMO = {}\n\n\n" + bp("-", ("    m = X.shape[1]\n", "    if X.shape in _MEMO:\n        return _MEMO[X.shape]\n"
                                                                "    m = X.shape[1]\n"),
                                    ("    return gradients", "    _MEMO[X.shape] = gradients\n    return gradients")).source,
          hint="a cache keyed by X.shape", subtle="other"),
    bp("masks dA2 in place", ("    dZ2 = np.multiply(dA2, np.int64(A2 > 0))\n", "    dA2[A2 <= 0] = 0\n    dZ2 = dA2\n"),
       hint="you masked dA2 in place", subtle="other"),
    Entry("backward_propagation_n", "layer loop that returns too early",
          BP_HEAD + "    m = X.shape[1]\n    Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3 = cache\n"
          "    A, W = [X, A1, A2, A3], [None, W1, W2, W3]\n    gradients = {}\n    dZ = A3 - Y\n"
          "    for l in (3, 2, 1):\n"
          "        gradients['dW' + str(l)] = 1. / m * np.dot(dZ, A[l - 1].T)\n"
          "        gradients['db' + str(l)] = 1. / m * np.sum(dZ, axis=1, keepdims=True)\n"
          "        dZ = np.dot(W[l].T, dZ) * (A[l - 1] > 0)\n"
          "        return gradients\n", hint="returns inside its layer loop", subtle="returns too early"),
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

]


globals().update(catalog_tests(CATALOG, EXERCISES))  # shape, every entry, hints named alone


# ------------------------------------------------------------------------------ nothing tells the answer
# Which tensors of the colleague's pass are wrong, and by what factor, is what the student's own cells find
# (notebook 04's student-output cells show it once the checks pass): no pass line names them, and no failure
# message shows the colleague's expected values or the lines that fix them.

import re  # noqa: E402

import pytest  # noqa: E402
from catalog import run_check  # noqa: E402

COLLEAGUE_GRADIENTS = ("dW2", "db1")


@pytest.mark.parametrize("exercise", EXERCISES)
def test_the_pass_lines_do_not_name_the_colleagues_wrong_tensors(exercise):
    error, printed = run_check(Entry(exercise, "reference", reference(exercise), right=True))
    assert error is None and "passed" in printed
    line = " ".join(printed.split())
    assert not re.search(r"\b(d?W2|d?b1)\b", line), line
    assert not re.search(r"\b(0\.33|0\.6|1/3|3/5|twice|[24](\.0)? times)\b", line), line


BLOCKS_AND_DIAGNOSE = [e for e in CATALOG if e.exercise in ("block_differences", "diagnose") and not e.right]


@pytest.mark.parametrize("entry", BLOCKS_AND_DIAGNOSE, ids=[e.label for e in BLOCKS_AND_DIAGNOSE])
def test_a_wrong_answer_is_never_shown_the_colleagues_expected_values(entry):
    error, _ = run_check(entry)
    message = str(error)
    assert "expected {" in message or "right on the check's other cases" in message or "returned" in message
    expected = message.split("expected {", 1)[1].split("}", 1)[0] if "expected {" in message else ""
    colleague = ("'W2': 0.333", "'b1': 0.6", "'b1': 4", "'W2': 2")  # block differences; diagnose's norm ratios
    assert not any(re.search(re.escape(value) + r"\b", expected) for value in colleague), message


def test_a_wrong_answer_only_on_the_colleagues_vectors_is_told_what_is_wrong_without_the_values():
    source = reference("block_differences").replace(
        "    return differences",
        "    if len(keys) == 47:\n        differences['W2'] = 0.5\n    return differences")
    error, _ = run_check(Entry("block_differences", "wrong on 47 entries only", source))
    message = str(error)
    assert "the value of W2 is not the relative difference" in message
    assert "0.333" not in message and "expected {" not in message  # its own values only, never the right ones


STILL_COLLEAGUES = [e for e in CATALOG if e.label in ("both classic bugs", "dW2 times 2", "db1 with 4./m")]


@pytest.mark.parametrize("entry", STILL_COLLEAGUES, ids=[e.label for e in STILL_COLLEAGUES])
def test_a_fix_that_keeps_a_colleague_bug_is_sent_to_diagnose_not_told_the_line(entry):
    error, _ = run_check(entry)
    message = str(error)
    assert "still exactly what the colleague's pass returns" in message and "your diagnose" in message
    assert not any(name in message for name in COLLEAGUE_GRADIENTS), message
    assert "np.dot(dZ2, A1.T)" not in message and "np.sum(dZ1" not in message and "4./m" not in message


@pytest.mark.parametrize("exercise", ["block_differences", "diagnose"])
def test_the_verification_catches_names_matched_by_their_beginning_in_every_draw(exercise):
    """The specs' first case (W1 wrong, W10 right and as large: specs/nb04/block_differences._prefix_probe) fails the
    wrong answer whatever the seed (a W10 of zeros, of W1's own error or a million times smaller hid the merge in
    about one draw in a hundred); 200 seeds."""
    import numpy as np

    from course_utils.grading.specs.nb04.block_differences import _block_cases
    from course_utils.grading.specs.nb04.diagnose import _diagnose_cases

    entry = next(e for e in CATALOG if e.exercise == exercise and e.label == "names matched by their beginning")
    space = {"np": np}
    exec(entry.source, space)  # noqa: S102 -- a catalog entry
    cases_of = _block_cases if exercise == "block_differences" else _diagnose_cases
    fooled = [seed for seed in range(200) if all(c.judge(space[exercise](*c.args), "") is None
                                                 for c in cases_of(np.random.default_rng(seed))[:1])]
    assert fooled == []
