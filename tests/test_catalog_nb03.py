"""The wrong-answer catalog of notebooks 02 (1-D gradient check, J(theta) = theta x) and 03 (flattening
parameters into one vector): every wrong answer fails its check (AssertionError, naming the known mistakes)
and the grader's verification run; every right but unusual answer passes both (see tests/catalog.py).

Not in the catalog, by design: answers whose only fault is that they modify their inputs but return the
right values (a dictionary_to_vector that reshapes the parameters in place, a gradients_to_vector that
deletes the dZ entries). The check rejects them (test_the_check_rejects_answers_that_change_their_inputs),
but the verification run only sees returned values, so it cannot. For the same reason a vector_to_dictionary that
returns views of theta (no .copy(), or np.split's pieces) is not in the catalog: notebook 03 asks for copies, so
that a later thetaplus[i] += epsilon leaves the dictionary alone, and the check rejects views
(test_the_check_rejects_views_of_theta), but the values the verification run sees are the right ones.
"""
import re
import textwrap

import numpy as np
import pytest
from catalog import (
    Entry,
    catalog_tests,
    reference,
    run_check,
)

from course_utils.expect.mistakes import mistake_of, named
from course_utils.grading.mistakes import hint_of

EXERCISES = ["forward_propagation", "backward_propagation", "gradient_check", "dictionary_to_vector",
             "vector_to_dictionary", "gradients_to_vector"]
_SOLUTION = re.compile(r"(# BEGIN SOLUTION[^\n]*\n)(.*?)(\n[ \t]*# END SOLUTION)", re.DOTALL)


def _edit(exercise, *pairs):
    """The reference cell with each (old, new) replaced (old must occur in it)."""
    source = reference(exercise)
    for old, new in zip(pairs[::2], pairs[1::2]):
        assert old in source, (exercise, old)
        source = source.replace(old, new)
    return source


def _solved(exercise, body):
    """The reference cell with its solution block replaced by `body` (indented like the block)."""
    source = reference(exercise)
    match = _SOLUTION.search(source)
    indent = re.match(r"[ \t]*", match.group(2)).group(0)
    return source[:match.start(2)] + textwrap.indent(textwrap.dedent(body).strip("\n"), indent) + source[match.end(2):]


def W(exercise, label, source, hint=None, subtle=None):
    return Entry(exercise, label, source, hint=hint, subtle=subtle)


def R(exercise, label, source):
    return Entry(exercise, label, source, right=True)


# ------------------------------------------------------------------------------------ forward_propagation
FP = "forward_propagation"
_J = ("J = theta * x",)
CATALOG = [
    W(FP, "returns x", _edit(FP, *_J, "J = x"), hint="you returned x, which is dJ/dtheta"),
    W(FP, "returns theta", _edit(FP, *_J, "J = theta"), hint="you returned theta; J = theta * x."),
    W(FP, "adds", _edit(FP, *_J, "J = theta + x"), hint="J = theta * x is a product"),
    W(FP, "power", _edit(FP, *_J, "J = x ** theta"), hint="x ** theta"),
    W(FP, "2 theta, ignores x", _edit(FP, *_J, "J = 2 * theta"), subtle="ignores an argument"),
    W(FP, "abs of the product", _edit(FP, *_J, "J = abs(theta * x)"), subtle="other"),
    W(FP, "relu of the product", _edit(FP, *_J, "J = max(theta * x, 0)"), subtle="other"),
    W(FP, "array of one", _edit(FP, *_J, "J = np.array([theta * x])"), subtle="right values wrong shape"),
    W(FP, "ints", _edit(FP, *_J, "J = float(int(theta) * int(x))"), subtle="canonical input only"),
    W(FP, "rounded", _edit(FP, *_J, "J = round(theta * x, 2)"), subtle="right shape wrong values"),
    R(FP, "np.multiply", _edit(FP, *_J, "J = np.multiply(x, theta)")),
    R(FP, "math.prod in a loop", _edit(FP, *_J, "import math\n    J = 1.0\n    for factor in (x, theta):\n"
                                                 "        J = math.prod([J, factor])")),
    R(FP, "np.dot of scalars", _edit(FP, *_J, "J = np.dot(theta, x)")),
]

# ------------------------------------------------------------------------------------ backward_propagation
BP = "backward_propagation"
_D = ("dtheta = x",)
CATALOG += [
    W(BP, "returns theta", _edit(BP, *_D, "dtheta = theta"), hint="you returned theta, the derivative of J"),
    W(BP, "returns J", _edit(BP, *_D, "dtheta = theta * x"), hint="(the forward pass)"),
    W(BP, "prints", _edit(BP, "return dtheta", "print(dtheta)"), hint="forget `return`"),
    W(BP, "constant 2", _edit(BP, *_D, "dtheta = 2"), subtle="canonical input only"),
    W(BP, "abs", _edit(BP, *_D, "dtheta = abs(x)"), subtle="other"),
    W(BP, "J / theta", _edit(BP, *_D, "dtheta = theta * x / theta"), subtle="other"),
    W(BP, "sign of theta", _edit(BP, *_D, "dtheta = np.sign(theta) * x"), subtle="ignores an argument"),
    W(BP, "array of one", _edit(BP, *_D, "dtheta = np.array([x])"), subtle="right values wrong shape"),
    W(BP, "int", _edit(BP, *_D, "dtheta = int(x)"), subtle="canonical input only"),
    R(BP, "float times x", _edit(BP, *_D, "dtheta = 1.0 * x")),
    R(BP, "x plus 0 theta", _edit(BP, *_D, "dtheta = x + 0 * theta")),
    R(BP, "np.float64", _edit(BP, *_D, "dtheta = np.float64(x)")),
]

# ------------------------------------------------------------------------------------------ gradient_check
GC = "gradient_check"
_DEN = "denominator = np.linalg.norm(grad) + np.linalg.norm(gradapprox)"
_DIFF = "difference = float(numerator / denominator)"
CATALOG += [
    W(GC, "thetaminus from thetaplus", _edit(GC, "thetaminus = theta - epsilon", "thetaminus = thetaplus - epsilon"),
      hint="thetaminus must be theta - epsilon"),
    W(GC, "/ 2 * epsilon", _edit(GC, "/ (2 * epsilon)", "/ 2 * epsilon"), hint="`/ 2 * epsilon`"),
    W(GC, "compared with itself", _edit(GC, "grad = backward_propagation(x, theta)", "grad = gradapprox"),
      hint="compared gradapprox with itself"),
    W(GC, "norm of the sum", _edit(GC, _DEN, "denominator = np.linalg.norm(grad + gradapprox)"),
      hint="not ||grad + gradapprox||", subtle="other"),
    W(GC, "never calls backward_propagation", _edit(GC, "grad = backward_propagation(x, theta)", "grad = x"),
      hint="never called backward_propagation", subtle="other"),
    W(GC, "swapped backward arguments", _edit(GC, "backward_propagation(x, theta)", "backward_propagation(theta, x)"),
      hint="arguments of backward_propagation are swapped"),
    W(GC, "the slope of theta x for gradapprox", _edit(GC, "gradapprox = (J_plus - J_minus) / (2 * epsilon)",
                                                        "gradapprox = x"),
      hint="gradapprox does not follow forward_propagation", subtle="other"),
    W(GC, "divides by epsilon", _edit(GC, "/ (2 * epsilon)", "/ epsilon"),
      hint="divides by epsilon instead of 2 * epsilon"),
    W(GC, "numerator only", _edit(GC, _DIFF, "difference = float(numerator)"), hint="only the numerator"),
    W(GC, "prints instead of returning", _edit(GC, "    return difference", "    print(difference)"),
      hint="forget `return`"),
    W(GC, "returns a bool", _edit(GC, _DIFF, "difference = numerator / denominator < 1e-7"), hint="a bool"),
    W(GC, "hard-coded epsilon", _edit(GC, "thetaplus = theta + epsilon", "thetaplus = theta + 1e-7",
                                      "thetaminus = theta - epsilon", "thetaminus = theta - 1e-7",
                                      "/ (2 * epsilon)", "/ (2 * 1e-7)"),
      hint="ignored the epsilon argument", subtle="ignores an argument"),
    W(GC, "hard-coded 2e-7 denominator", _edit(GC, "/ (2 * epsilon)", "/ 2e-7"), hint="you divided by 2e-7",
      subtle="canonical input only"),
    W(GC, "constant", _edit(GC, _DIFF, "difference = 2.9e-10"), subtle="canonical input only"),
    W(GC, "squared norms", _edit(GC, _DIFF, "difference = float(numerator ** 2 / (np.linalg.norm(grad) ** 2 "
                                            "+ np.linalg.norm(gradapprox) ** 2))"), hint="you squared the norms",
      subtle="other"),
    W(GC, "signed difference", _edit(GC, _DIFF, "difference = float((grad - gradapprox) / denominator)"),
      hint="your difference can be negative", subtle="right shape wrong values"),
    W(GC, "abs of the J difference", _edit(GC, "gradapprox = (J_plus - J_minus) / (2 * epsilon)",
                                           "gradapprox = abs(J_plus - J_minus) / (2 * epsilon)"),
      hint="absolute value of J_plus - J_minus", subtle="other"),
    W(GC, "padded denominator", _edit(GC, _DEN, _DEN + " + 1e-8"), hint="added a small number to the denominator",
      subtle="other"),
    W(GC, "max denominator", _edit(GC, _DEN, "denominator = max(np.linalg.norm(grad), np.linalg.norm(gradapprox))"),
      hint="not the larger one", subtle="other"),
    R(GC, "hand-written norms", _edit(GC, "numerator = np.linalg.norm(grad - gradapprox)",
                                      "numerator = abs(grad - gradapprox)",
                                      _DEN, "denominator = abs(grad) + abs(gradapprox)")),
    R(GC, "thetaminus from thetaplus - 2 epsilon, / epsilon / 2", _solved(GC, """
        thetaplus = theta + epsilon
        thetaminus = thetaplus - 2 * epsilon
        gradapprox = (forward_propagation(x, thetaplus) - forward_propagation(x, thetaminus)) / epsilon / 2
        grad = backward_propagation(x=x, theta=theta)
        difference = float(np.sqrt((grad - gradapprox) ** 2) / (np.sqrt(grad ** 2) + np.sqrt(gradapprox ** 2)))
    """)),
    R(GC, "a loop over the two points", _solved(GC, """
        J = {}
        for sign in (+1, -1):
            J[sign] = forward_propagation(x, theta + sign * epsilon)
        gradapprox = 0.5 * (J[+1] - J[-1]) / epsilon
        grad = backward_propagation(x, theta)
        difference = np.linalg.norm(np.array([grad - gradapprox])) / np.linalg.norm(np.array([grad, gradapprox]), 1)
        difference = float(difference)
    """)),
]

# ------------------------------------------------------------------------------------ dictionary_to_vector
DV = "dictionary_to_vector"
_ORDER = 'names = sorted(parameters, key=lambda name: (int(name[1:]), name[0] != "W"))'
CATALOG += [
    W(DV, "alphabetical", _edit(DV, _ORDER, "names = sorted(parameters)"), hint="sorted as strings (alphabetically)"),
    W(DV, "insertion order", _edit(DV, _ORDER, "names = list(parameters)"), hint="insertion order"),
    W(DV, "hard-coded 3 layers", _edit(DV, _ORDER, 'names = ["W1", "b1", "W2", "b2", "W3", "b3"]'),
      hint="hard-coded layer count", subtle="canonical input only"),
    W(DV, "order F", _edit(DV, "parameters[name].reshape(-1, 1)", 'parameters[name].reshape(-1, 1, order="F")'),
      hint="row-major"),
    W(DV, "flat theta", _edit(DV, "theta = np.concatenate(pieces, axis=0)", "theta = np.concatenate(pieces, axis=0).ravel()"),
      hint="a column vector", subtle="right values wrong shape"),
    W(DV, "one key per tensor", _edit(DV, "keys += [name] * parameters[name].size", "keys.append(name)"),
      hint="one name per entry"),
    W(DV, "L = len(parameters)", _edit(DV, _ORDER, 'names = [f"{k}{l}" for l in range(1, len(parameters) + 1) for k in "Wb"]'),
      hint="len(parameters) // 2", subtle="other"),
    W(DV, "sorted by layer only", _edit(DV, _ORDER, "names = sorted(parameters, key=lambda name: int(name[1:]))"),
      hint="sorted by layer number only", subtle="other"),
    W(DV, "layer numbers as strings",
      _edit(DV, _ORDER, 'names = sorted(parameters, key=lambda name: (name[1:], name[0] != "W"))'),
      hint="layer numbers were sorted as strings", subtle="other"),
    W(DV, "all W first", _edit(DV, _ORDER, 'names = sorted(parameters, key=lambda name: (name[0] != "W", int(name[1:])))'),
      hint="all the W's came first"),
    W(DV, "return inside the loop", _edit(DV, "keys += [name] * parameters[name].size",
                                          "keys += [name] * parameters[name].size\n        "
                                          "return np.concatenate(pieces, axis=0), keys"), subtle="returns too early"),
    W(DV, "keys in string order", _edit(DV, "keys += [name] * parameters[name].size", "pass",
                                        "theta = np.concatenate(pieces, axis=0)",
                                        "theta = np.concatenate(pieces, axis=0)\n    "
                                        "keys = [n for n in sorted(parameters) for _ in range(parameters[n].size)]"),
      subtle="right shape wrong values"),
    W(DV, "float32", _edit(DV, "theta = np.concatenate(pieces, axis=0)",
                           "theta = np.concatenate(pieces, axis=0).astype(np.float32)"), subtle="right shape wrong values"),
    R(DV, "loops over layers and entries", _solved(DV, """
        L = len(parameters) // 2
        n = sum(parameters[f"{k}{l}"].size for l in range(1, L + 1) for k in "Wb")
        theta, keys, i = np.empty((n, 1)), [], 0
        for l in range(1, L + 1):
            for k in ("W", "b"):
                name = k + str(l)
                for index in np.ndindex(parameters[name].shape):
                    theta[i, 0] = parameters[name][index]
                    keys.append(name)
                    i += 1
    """)),
    R(DV, "stable sort of the alphabetical order, vstack", _solved(DV, """
        names = sorted(sorted(parameters), key=lambda name: int(name[1:]))
        theta = np.vstack([parameters[name].flatten()[:, None] for name in names])
        keys = []
        for name in names:
            keys.extend([name] * parameters[name].size)
    """)),
]

# ------------------------------------------------------------------------------------ vector_to_dictionary
VD = "vector_to_dictionary"
_VORDER = 'names = sorted(shapes, key=lambda name: (int(name[1:]), name[0] != "W"))'
_SLICE = "parameters[name] = theta[start:start + size].reshape(shapes[name]).copy()"
CATALOG += [
    W(VD, "alphabetical", _edit(VD, _VORDER, "names = sorted(shapes)"), hint="string order"),
    W(VD, "order of the shapes dict", _edit(VD, _VORDER, "names = list(shapes)"), hint="order of the shapes dict"),
    W(VD, "order F", _edit(VD, ".reshape(shapes[name])", '.reshape(shapes[name], order="F")'),
      hint="column order (order='F'"),
    W(VD, "start never advanced", _edit(VD, "        start += size", "        pass"),
      hint="every tensor was cut from the start of theta"),
    W(VD, "start = size", _edit(VD, "start += size", "start = size"), hint="`start = size`"),
    W(VD, "hard-coded 3 layers", _edit(VD, _VORDER, 'names = ["W1", "b1", "W2", "b2", "W3", "b3"]'),
      hint="hard-coded layer count", subtle="canonical input only"),
    W(VD, "sorted by layer only", _edit(VD, _VORDER, "names = sorted(shapes, key=lambda name: int(name[1:]))"),
      hint="sorted by layer number only", subtle="other"),
    W(VD, "flat biases", _edit(VD, _SLICE, "parameters[name] = theta[start:start + size].reshape(shapes[name]) "
                                           "if name[0] == 'W' else theta[start:start + size].ravel()"),
      hint="b1 has shape", subtle="right values wrong shape"),
    W(VD, "L = len(shapes)", _edit(VD, _VORDER, 'names = [f"{k}{l}" for l in range(1, len(shapes) + 1) for k in "Wb"]'),
      hint="len(shapes) // 2", subtle="other"),
    W(VD, "return inside the loop", _edit(VD, "        start += size", "        start += size\n        return parameters"),
      subtle="returns too early"),
    W(VD, "float32", _edit(VD, ".copy()", ".astype(np.float32)"), subtle="right shape wrong values"),
    W(VD, "off by one", _edit(VD, "theta[start:start + size]", "theta[start + 1:start + 1 + size]"), subtle="other"),
    R(VD, "np.split at the offsets, copied", _solved(VD, """
        L = len(shapes) // 2
        names = [kind + str(l) for l in range(1, L + 1) for kind in "Wb"]
        sizes = [int(np.prod(shapes[name])) for name in names]
        pieces = np.split(theta.ravel(), np.cumsum(sizes)[:-1])
        parameters = {name: piece.reshape(shapes[name]).copy() for name, piece in zip(names, pieces)}
    """)),
    R(VD, "entry by entry, dict iterated in reverse", _solved(VD, """
        names = sorted(reversed(list(shapes)), key=lambda name: (int(name[1:]), name[0] == "b"))
        parameters, i = {}, 0
        for name in reversed(names[::-1]):
            array = np.zeros(shapes[name])
            for index in np.ndindex(*shapes[name]):
                array[index] = theta[i, 0]
                i += 1
            parameters[name] = array
    """)),
]

# ------------------------------------------------------------------------------------- gradients_to_vector
GV = "gradients_to_vector"
_GFILTER = 'names = [key for key in gradients if key[1:2] in ("W", "b") and key[2:].isdigit()]\n'
_GSORT = 'names = sorted(names, key=lambda key: (int(key[2:]), key[1] != "W"))'
_GCAT = "grad = np.concatenate([gradients[key].reshape(-1, 1) for key in names], axis=0)"
CATALOG += [
    W(GV, "no d prefix", _solved(GV, """
        L = len([key for key in gradients if key.startswith("dW")])
        grad = np.concatenate([gradients[f"{k}{l}"].reshape(-1, 1) for l in range(1, L + 1) for k in "Wb"])
    """), hint="you forgot the d prefix"),
    W(GV, "dZ and dA included", _edit(GV, _GFILTER, "names = list(gradients)\n",
                                      _GSORT, "names = sorted(names, key=lambda key: (int(key[2:]), key[1] != 'W'))"),
      hint="you included the dZ and dA entries"),
    W(GV, "all dW first", _edit(GV, _GSORT, 'names = sorted(names, key=lambda key: (key[1] != "W", int(key[2:])))'),
      hint="all the dW's came first, then all the db's"),
    W(GV, "alphabetical", _edit(GV, _GSORT, "names = sorted(names)"), hint="sorted as strings (alphabetically)"),
    W(GV, "insertion order", _edit(GV, _GSORT, "pass"), hint="insertion order"),
    W(GV, "db before dW", _edit(GV, _GSORT, 'names = sorted(names, key=lambda key: (int(key[2:]), key[1] == "W"))'),
      hint="within each layer db came before dW"),
    W(GV, "order F", _edit(GV, ".reshape(-1, 1)", '.reshape(-1, 1, order="F")'), hint="row-major"),
    W(GV, "hard-coded 3 layers", _edit(GV, _GFILTER + "    " + _GSORT,
                                       'names = ["dW1", "db1", "dW2", "db2", "dW3", "db3"]'),
      hint="hard-coded layer count", subtle="canonical input only"),
    W(GV, "L = len(gradients) // 2", _solved(GV, """
        L = len(gradients) // 2
        grad = np.concatenate([gradients[f"d{k}{l}"].reshape(-1, 1) for l in range(1, L + 1) for k in "Wb"])
    """), hint="len(gradients) also counts the dZ and dA entries", subtle="other"),
    W(GV, "flat", _edit(GV, _GCAT, _GCAT + ".ravel()"), hint="a column vector", subtle="right values wrong shape"),
    W(GV, "row vector", _edit(GV, _GCAT, _GCAT + ".T"), hint="a column vector", subtle="right values wrong shape"),
    W(GV, "sorted by layer only", _edit(GV, _GSORT, "names = sorted(names, key=lambda key: int(key[2:]))"),
      hint="sorted by layer number only", subtle="other"),
    W(GV, "float32", _edit(GV, _GCAT, _GCAT + ".astype(np.float32)"), subtle="right shape wrong values"),
    W(GV, "return inside the loop", _solved(GV, """
        L = len([key for key in gradients if key.startswith("dW")])
        pieces = []
        for l in range(1, L + 1):
            pieces += [gradients[f"dW{l}"].reshape(-1, 1), gradients[f"db{l}"].reshape(-1, 1)]
            grad = np.concatenate(pieces)
            return grad
    """), subtle="returns too early"),
    R(GV, "loop with np.append", _solved(GV, """
        layers = sorted(int(key[2:]) for key in gradients if key.startswith("dW"))
        grad = np.zeros((0, 1))
        for l in layers:
            for kind in ("dW", "db"):
                grad = np.append(grad, gradients[kind + str(l)].reshape(-1, 1), axis=0)
    """)),
    R(GV, "regex, entries one by one", _solved(GV, """
        import re
        found = [(int(m.group(2)), m.group(1) == "db", key) for key in gradients
                 for m in [re.fullmatch(r"(dW|db)(\\d+)", key)] if m]
        values = []
        for _, _, key in sorted(found, reverse=True)[::-1]:
            for index in np.ndindex(gradients[key].shape):
                values.append(gradients[key][index])
        grad = np.array(values, dtype=float).reshape(-1, 1)
    """)),
]


globals().update(catalog_tests(CATALOG, EXERCISES))  # shape, every entry, hints named alone


# ------------------------------------------------------------------------------------ inputs left alone
MUTATORS = [
    W(DV, "reshapes the parameters in place", _edit(DV, "pieces.append(parameters[name].reshape(-1, 1))",
                                                    "parameters[name] = parameters[name].reshape(-1, 1)\n        "
                                                    "pieces.append(parameters[name])")),
    W(VD, "flattens theta in place",
      _edit(VD, "parameters, start = {}, 0", "theta.shape = (-1,)\n    parameters, start = {}, 0")),
    W(VD, "empties the shapes dict", _edit(VD, "size = int(np.prod(shapes[name]))",
                                           "size = int(np.prod(shapes[name]))\n        shape = shapes.pop(name)",
                                           ".reshape(shapes[name])", ".reshape(shape)")),
    W(GV, "deletes the dZ and dA entries", _solved(GV, """
        for key in [key for key in gradients if key[1] in "ZA"]:
            del gradients[key]
        names = sorted(gradients, key=lambda key: (int(key[2:]), key[1] != "W"))
        grad = np.concatenate([gradients[key].reshape(-1, 1) for key in names], axis=0)
    """)),
]


@pytest.mark.parametrize("entry", MUTATORS, ids=[e.label for e in MUTATORS])
def test_the_check_rejects_answers_that_change_their_inputs(entry):
    error, _ = run_check(entry)
    assert isinstance(error, AssertionError) and "changed" in str(error), error


VIEWS = [
    W(VD, "views of theta, no copy", _edit(VD, ".copy()", ""), hint="without .copy()"),
    W(VD, "np.split's pieces", _solved(VD, """
        L = len(shapes) // 2
        names = [kind + str(l) for l in range(1, L + 1) for kind in "Wb"]
        sizes = [int(np.prod(shapes[name])) for name in names]
        pieces = np.split(theta.ravel(), np.cumsum(sizes)[:-1])
        parameters = {name: piece.reshape(shapes[name]) for name, piece in zip(names, pieces)}
    """), hint="without .copy()"),
]


@pytest.mark.parametrize("entry", VIEWS, ids=[e.label for e in VIEWS])
def test_the_check_rejects_views_of_theta(entry):
    error, _ = run_check(entry)
    assert isinstance(error, AssertionError) and entry.hint in str(error) and " Or: " not in str(error), error


def test_hints_are_named_only_when_they_explain_every_input():
    """A column-major dictionary_to_vector is not also called alphabetical, and so on: each wrong entry with a
    hint gets exactly one 'Most likely' explanation -- and its AssertionError carries that mistake's id, the one
    the grader's class mistake report finds from the hint (course_utils.expect.mistakes); a failure that names no
    mistake carries none."""
    for entry in CATALOG:
        if entry.exercise in (DV, VD, GV) and entry.hint:
            error, _ = run_check(entry)
            assert str(error).count(" Or: ") == 0, (entry.label, str(error))
            mid = mistake_of(error)
            if "Most likely" not in str(error):  # the entry's hint is in the message itself, no mistake named
                assert mid is None, (entry.label, mid)
                continue
            assert mid is not None and mid.split(".")[0] == {DV: "d2v", VD: "v2d", GV: "g2v"}[entry.exercise], \
                (entry.label, mid)
            assert named(entry.exercise, hint_of(str(error))) == mid, (entry.label, str(error))


def test_gradient_check_leaves_numpys_global_random_state_alone():
    state = np.random.get_state()
    for entry in CATALOG:
        if entry.exercise == GC:
            run_check(entry)
    assert all(np.array_equal(a, b) for a, b in zip(state, np.random.get_state()))
