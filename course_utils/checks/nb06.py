"""Checks of notebook 06, hunt the bugs: a capstone.

No answer key is stored anywhere: the truth is computed from the trusted forward pass of the capstone
network (course_utils.capstone) by complex-step differentiation, which gives dJ/dtheta to machine precision
(J(theta + ih e_i) has imaginary part h dJ/dtheta_i + O(h^3); there is no subtraction, so h = 1e-20 loses
nothing to round-off, and the real part never moves, so the leaky ReLU's kink is never crossed).

- wrong_tensors: the parameters whose gradient from the student's teammate's pass (picked by their
  student_id) differs from the exact one (block difference above WRONG), on the notebook's test case;
- buggy_lines: the lines of that pass that are wrong, found by running its statements one by one, each on
  the exact values of the lines before it (dZ_l = m dJ/dZ_l and dA_l = m dJ/dA_l in the pass's own
  convention, dW_l = dJ/dW_l, db_l = dJ/db_l): a line is wrong when its own result differs;
- fixed_backward: the exact gradients, on the test case, on a network of its sizes and m with other values (a result
  kept between calls fails) and on networks of other sizes and m. A wrong pass is told the kind of mistake that
  explains what it returned on every network (model_gradients: each known mistake is a wrong local derivative,
  differentiated in forward mode, no backward pass written out), never which line or tensor it is in.

Hints never name what the student's own gradient check is there to find: wrong_tensors and buggy_lines name the
mistake behind the answer (a threshold on the block differences too low or too high, a line that only receives a
wrong value, ...), never a tensor or a line.

Every check's confirmation line is the same for every student id, so the release's reference outputs match.
"""
import ast
import inspect
import re

import numpy as np

from course_utils import capstone, gradcheck
from course_utils.checks._common import SEED, _fmt, exercise_check

WRONG = 1e-6  #: a block difference above this is wrong (exact and buggy passes differ by 1e-2 or more)
FIX_RTOL = 1e-8  #: a fixed pass must match the exact gradient this closely (a right one does to ~1e-15)
STEP = 1e-20  #: the complex step
#: the names the backward pass assigns, in the order it runs them (dA_{l-1} closes layer l's block)
LINE_NAMES = tuple(f"d{kind}{l - 1 if kind == 'A' else l}" for l in range(capstone.LAYERS, 0, -1)
                   for kind in ("Z", "W", "b", "A") if not (kind == "A" and l == 1))
ACTIVATIONS = {1: np.tanh, 2: capstone.leaky_relu, 3: np.tanh, 4: capstone._sigmoid}


# ----------------------------------------------------------------------------------------------- truth
def _block_difference(g, t):
    g, t = np.asarray(g, dtype=float), np.asarray(t, dtype=float)
    total = np.linalg.norm(g) + np.linalg.norm(t)
    return float(np.linalg.norm(g - t) / total) if total > 0 else 0.0


def _cost_from(l, kind, value, parameters, Y):
    """J computed from Z_l (kind "Z") or A_l (kind "A") onwards; complex values allowed."""
    A = ACTIVATIONS[l](value) if kind == "Z" else value
    for k in range(l + 1, capstone.LAYERS + 1):
        A = ACTIVATIONS[k](np.dot(parameters[f"W{k}"], A) + parameters[f"b{k}"])
    m = Y.shape[1]
    return -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m


def _complex_step(f, x):
    """df/dx for every entry of the real array x, f(x) -> complex scalar."""
    out = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        z = x.astype(complex)
        z[index] += 1j * STEP
        out[index] = np.imag(f(z)) / STEP
    return out


def exact_gradients(X, Y, parameters):
    """dJ/dW_l and dJ/db_l of the capstone network, exact to round-off: dict dW1, db1, ..., dW4, db4."""
    X, Y, parameters = capstone.check_data(X, Y, parameters)
    gradients = {}
    for name in capstone.PARAMETER_NAMES:
        def cost(value, name=name):
            trial = dict(parameters, **{name: value})
            return capstone._forward(X, Y, trial)[0]
        gradients["d" + name] = _complex_step(cost, parameters[name])
    return gradients


def exact_intermediates(X, Y, parameters):
    """The exact values of every line of the backward pass in its own convention: dZ_l = m dJ/dZ_l,
    dA_l = m dJ/dA_l (l = 1..3), dW_l, db_l. Returns a dict of those names."""
    X, Y, parameters = capstone.check_data(X, Y, parameters)
    _, cache = capstone._forward(X, Y, parameters)
    m = X.shape[1]
    values = exact_gradients(X, Y, parameters)
    for l in range(1, capstone.LAYERS + 1):
        values[f"dZ{l}"] = m * _complex_step(lambda z, l=l: _cost_from(l, "Z", z, parameters, Y), cache[f"Z{l}"])
        if l < capstone.LAYERS:
            values[f"dA{l}"] = m * _complex_step(lambda a, l=l: _cost_from(l, "A", a, parameters, Y), cache[f"A{l}"])
    return values


def truth_wrong_tensors(student_id, X=None, Y=None, parameters=None):
    """The parameters whose gradient from the student's teammate's pass is wrong, in parameter order."""
    if X is None:
        X, Y, parameters = capstone.capstone_test_case()
    _, cache = capstone.forward_propagation(X, Y, parameters)
    got = capstone.buggy_backward(student_id)(X, Y, cache)
    exact = exact_gradients(X, Y, parameters)
    return [name for name in capstone.PARAMETER_NAMES if _block_difference(got["d" + name], exact["d" + name]) > WRONG]


def truth_buggy_lines(student_id, X=None, Y=None, parameters=None):
    """The names assigned by the wrong lines of the teammate's pass, in the order the pass runs them.

    Each statement runs on the exact values of the lines before it; a line is wrong when what it assigns
    differs from the exact value (block difference above WRONG)."""
    if X is None:
        X, Y, parameters = capstone.capstone_test_case()
    _, cache = capstone.forward_propagation(X, Y, parameters)
    exact = exact_intermediates(X, Y, parameters)
    function = ast.parse(capstone.backward_source(student_id)).body[0]
    namespace = {"np": np, "X": X, "Y": Y, "cache": cache}
    wrong = []
    for statement in function.body:
        if isinstance(statement, ast.Return) or (isinstance(statement, ast.Expr)
                                                 and isinstance(statement.value, ast.Constant)):
            continue
        exec(compile(ast.Module([statement], []), "<line>", "exec"), namespace)  # noqa: S102 -- course code
        if isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name):
            name = statement.targets[0].id
            if name in exact:
                if np.shape(namespace[name]) != exact[name].shape \
                        or _block_difference(namespace[name], exact[name]) > WRONG:
                    wrong.append(name)
                namespace[name] = exact[name]
    return wrong


# ------------------------------------------------------------------------------------- the student's id
def _literal_id(source):
    """The string literal that `def student_id(): return "..."` returns in `source`, or None."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # nested too deeply to parse: no literal
        return None
    found = None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "student_id":
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str) and len(body) > 1:
                body = body[1:]  # the docstring
            if len(body) == 1 and isinstance(body[0], ast.Return) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str) and not node.args.args and not node.decorator_list:
                found = body[0].value.value
            else:
                found = None
    return found


LITERAL_RULE = ("student_id must return your id as one string literal and do nothing else:\n"
                "    def student_id():\n        return \"...\"  # your id between the quotes\n"
                "(the grader reads the id from that line, without running your code)")


def _notebook_id(fn, exercise):
    """The id from the notebook's student_id function, found beside `fn`; AssertionError saying what to do."""
    namespace = getattr(getattr(fn, "__func__", fn), "__globals__", {})
    student_id = namespace.get("student_id") if isinstance(namespace, dict) else None
    if not callable(student_id):
        raise AssertionError(f"{exercise} needs your student_id function (exercise student_id, above): run that "
                             "cell first, with your id in it")
    value = student_id()  # a stub's NotImplementedError: "<exercise> calls your student_id, which is still the stub"
    try:
        capstone.normalize_id(value)
    except (TypeError, ValueError) as error:
        raise AssertionError(f"{exercise} needs your student id: {error}") from None
    return value


def _unknown_hint(unknown, allowed):
    """"\nMost likely: ..." for names that are not allowed, when one mistake explains them all, else ""."""
    lower = {a.lower(): a for a in allowed}
    if all(v.strip().lower() in lower for v in unknown):
        v = unknown[0]
        return (f"\nMost likely: the names are case-sensitive (and have no spaces): write them as listed, "
                f"{lower[v.strip().lower()]!r}, not {v!r}.")
    if "dZ4" in allowed:  # the line names
        if all(v in capstone.PARAMETER_NAMES for v in unknown):
            return ("\nMost likely: you named a tensor; name the LINE, by the variable it assigns: dW1 for the line "
                    "dW1 = ..., dZ1 for dZ1 = ...")
        if all(re.fullmatch(r"d[AZWb]\d+", v) for v in unknown):
            return ("\nMost likely: the pass has no such line: it assigns dZ4, dW4, db4, then dA3, dZ3, ... down to "
                    "db1 (no dA4: the output layer starts from dZ4 = A4 - Y).")
    return ""


def _names(value, call, allowed, what):
    """The student's list of names as a list of str, or AssertionError naming the type mistake."""
    if value is None:
        raise AssertionError(f"{call} returned None. Did you forget `return`?")
    if isinstance(value, str):
        raise AssertionError(f"{call} returned the string {value!r}: return a list of names, e.g. {list(allowed[:2])}")
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise AssertionError(f"{call} returned {_fmt(value)}: return a list of {what} (strings), e.g. "
                             f"{list(allowed[:2])}")
    names = list(value)
    unknown = [v for v in names if v not in allowed]
    if unknown:
        raise AssertionError(f"{call} names {', '.join(map(repr, unknown))}, which is not one of the {what}: "
                             f"{', '.join(allowed)}" + _unknown_hint(unknown, allowed))
    if len(set(names)) != len(names):
        raise AssertionError(f"{call} names a {what[:-1]} twice: list each once")
    return names


@exercise_check
def check_student_id(student_id):
    call = "student_id()"
    value = student_id()
    if not isinstance(value, str):
        raise AssertionError(f"{call} returned {_fmt(value)}: return your id as a string, your id between the quotes "
                             "of return \"...\"")
    try:
        capstone.normalize_id(value)
    except ValueError as error:
        raise AssertionError(str(error)) from None
    if student_id() != value:
        raise AssertionError(f"{call} returned {value!r} and then something else: return the same id every time. "
                             + LITERAL_RULE)
    try:
        source = inspect.getsource(student_id)
    except (OSError, TypeError):
        source = None
    if source is not None and _literal_id(source) != value:
        raise AssertionError(f"{call} returned {value!r}, but not as one string literal. " + LITERAL_RULE)
    print(f"student_id passed: your id is set; it picks 1 of the {capstone.N_VARIANTS} teammates' backward passes")


# ------------------------------------------------------------------------------------------ wrong_tensors
def _parameter_name(name):
    return name[1:] if name in capstone.GRADIENT_NAMES else name


def _judge_tensors(got, truth):
    """None when `got` (parameter names) is the set `truth`, else the message (never naming a missing one)."""
    got, truth = set(got), set(truth)
    if got == truth:
        return None
    parts = []
    fine = [n for n in capstone.PARAMETER_NAMES if n in got - truth]
    if fine and len(got) > len(truth):  # naming them would make "every tensor" a two-step oracle of the answer
        parts.append(f"{len(fine)} of the {len(got)} tensors you named {'has' if len(fine) == 1 else 'have'} a gradient "
                     f"that agrees with the cost J (block difference below {WRONG:g}): name only the wrong ones")
    elif fine:
        parts.append(f"the gradient of {', '.join(fine)} agrees with the cost J (block difference below {WRONG:g}), "
                     f"so {'it is' if len(fine) == 1 else 'they are'} not wrong")
    missing = len(truth - got)
    if missing:
        parts.append(f"{missing} wrong tensor{'s are' if missing > 1 else ' is'} missing")
    message = "; ".join(parts) + "."
    layer = {n: int(n[1:]) for n in capstone.PARAMETER_NAMES}
    if missing and got <= truth and got and min(layer[n] for n in truth - got) < min(layer[n] for n in got):
        message += ("\nMost likely: you stopped at the first suspects. A wrong dZ or dA in layer l makes every "
                    "gradient of the layers below l wrong too: look at the block difference of every tensor.")
    if got == set(capstone.PARAMETER_NAMES):
        message += ("\nMost likely: your check compares against something other than the centered differences of "
                    "J (every tensor looks wrong): check your gradient check on a pass you know is right.")
    return message


TOO_LOW = ("you also named tensors whose block difference is round-off: the centered differences of a right "
           "gradient differ from it by about 1e-8 to 1e-6 here, a wrong line's by 1e-2 or more; put your threshold "
           "between the two (e.g. 1e-5).")
TOO_HIGH = ("your threshold is too high: a wrong gradient's block difference can be a few hundredths, far below 1; "
            "every tensor far above round-off (above 1e-5, say) is wrong.")
NONE_NAMED = ("you named no tensor, but a pass with a wrong line has wrong gradients: if your gradient check found "
              "none, check that it compares your teammate's gradients with the centered differences of J (not "
              "with themselves) and that its threshold is far below 1e-2.")


def teammate_block_differences(student):
    """{tensor: block difference} of the teammate's gradients and the centered differences of J (epsilon 1e-7) on
    the notebook's test case: what the student's own gradient check shows."""
    X, Y, parameters = capstone.capstone_test_case()
    _, cache = capstone.forward_propagation(X, Y, parameters)
    gradients = capstone.buggy_backward(student)(X, Y, cache)
    return dict(gradcheck.check_gradients(capstone.cost_function(X, Y), parameters, gradients,
                                          epsilon=1e-7).block_differences)


def _tensor_hint(got, truth, student):
    """The hint for a set of tensors that a threshold on the student's own block differences explains (too low,
    too high), or for an empty one; None otherwise."""
    got, truth = set(got), set(truth)
    if not got:
        return NONE_NAMED
    try:
        blocks = teammate_block_differences(student)
    except (ValueError, IndexError):  # a teammate's pass that cannot run on the test case: no threshold to find
        return None
    cut = sorted(blocks, key=blocks.get, reverse=True)  # a threshold keeps a head of this list
    k = len(got)
    if got != set(cut[:k]) or (k < len(cut) and blocks[cut[k]] >= blocks[cut[k - 1]] * (1 - 1e-6)):
        return None  # not a head, or a head no threshold separates from the next tensor
    return TOO_LOW if got > truth else TOO_HIGH if got < truth else None


@exercise_check
def check_wrong_tensors(wrong_tensors):
    call = "wrong_tensors()"
    value = wrong_tensors()
    student = _notebook_id(wrong_tensors, "wrong_tensors")
    allowed = capstone.PARAMETER_NAMES + capstone.GRADIENT_NAMES
    names = [_parameter_name(n) for n in _names(value, call, allowed, "tensor names")]
    truth = truth_wrong_tensors(student)
    message = _judge_tensors(names, truth)
    if message:
        hint = None if "Most likely" in message else _tensor_hint(names, truth, student)
        raise AssertionError(f"{call} returned {names}: {message}" + (f"\nMost likely: {hint}" if hint else ""))
    print("wrong_tensors passed: you named exactly the tensors whose gradient disagrees with J")


# ------------------------------------------------------------------------------------------- buggy_lines
def _judge_lines(got, truth):
    got, truth = set(got), set(truth)
    if got == truth:
        return None
    parts = []
    fine = [n for n in LINE_NAMES if n in got - truth]
    if fine and len(got) > len(truth):  # naming them would make "every line" a two-step oracle of the answer
        parts.append(f"you named {len(got)} lines, and {len(fine)} of them {'is' if len(fine) == 1 else 'are'} right "
                     f"(given right inputs, {'it gives' if len(fine) == 1 else 'they give'} the exact value): name "
                     f"only the {len(truth)} wrong lines")
    elif fine:
        they = "they give" if len(fine) > 1 else "it gives"
        parts.append(f"the line{'s' if len(fine) > 1 else ''} computing {', '.join(fine)} "
                     f"{'are' if len(fine) > 1 else 'is'} right (given right inputs, {they} the exact value)")
    missing = len(truth - got)
    if missing:
        parts.append(f"{missing} wrong line{'s are' if missing > 1 else ' is'} missing")
    message = "; ".join(parts) + "."
    if fine and all(n.startswith(("dW", "db")) for n in fine):
        message += ("\nMost likely: you named the gradients that come out wrong. A line is wrong only when it computes "
                    "a wrong value from right inputs; dW_l and db_l are wrong too when dZ_l is.")
    return message


DOWNSTREAM = ("you named a line that computes a wrong value only because a line above it is wrong (it uses that "
              "line's result): a line is wrong when its own formula is, i.e. given right inputs it gives a wrong value. "
              "Fix the first wrong line in a copy of the pass and check again: what is still wrong points at the other.")
ONE_LINE = ("you named one line, and the pass has two wrong ones: after fixing the first in a copy of the pass, run "
            "your gradient check again; what is still wrong points at the second.")


def _downstream(student):
    """{line: the lines whose value it uses, directly or not} in the teammate's pass."""
    function = ast.parse(capstone.backward_source(student)).body[0]
    uses = {}
    for statement in function.body:
        if isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name):
            names = {n.id for n in ast.walk(statement.value) if isinstance(n, ast.Name)}
            uses[statement.targets[0].id] = set().union(names, *(uses.get(n, set()) for n in names))
    return uses


def _line_hint(got, truth, student):
    """The hint for lines that receive a wrong value from a wrong line (all the right lines named do), or for a
    single line; None otherwise (the gradients-only case has its own hint, in _judge_lines)."""
    got, truth = set(got), set(truth)
    fine = got - truth
    if fine:
        uses = _downstream(student)
        return DOWNSTREAM if all(uses.get(line, set()) & truth for line in fine) else None
    return ONE_LINE if len(got) == 1 and got < truth else None


@exercise_check
def check_buggy_lines(buggy_lines):
    call = "buggy_lines()"
    value = buggy_lines()
    student = _notebook_id(buggy_lines, "buggy_lines")
    names = _names(value, call, LINE_NAMES, "line names")
    truth = truth_buggy_lines(student)
    message = _judge_lines(names, truth)
    if message:
        hint = None if "Most likely" in message else _line_hint(names, truth, student)
        raise AssertionError(f"{call} returned {names}: {message}" + (f"\nMost likely: {hint}" if hint else ""))
    print("buggy_lines passed: you found the two wrong lines")


# ---------------------------------------------------------------------------------------- fixed_backward
def fix_cases(rng):
    """[(label, X, Y, parameters)]: the test case; a network of its sizes and m with other values (X of the same
    shape: nothing may be kept between calls); two networks of other sizes, m and scales (one with W2 not square)."""
    X, Y, parameters = capstone.capstone_test_case()
    cases = [("the notebook's test case", X, Y, parameters)]
    for sizes, m in ((capstone.SIZES, X.shape[1]), ((6, 3, 2, 5, 1), 3), ((2, 6, 6, 6, 1), 16)):
        X = rng.standard_normal((sizes[0], m)) * float(rng.uniform(0.5, 2))
        Y = (rng.random((1, m)) < 0.5).astype(np.float64)
        Y[0, :2] = (1.0, 0.0)
        parameters = capstone.initialize_parameters(sizes, seed=int(rng.integers(1 << 30)))
        label = "another network of the test case's sizes" if sizes == capstone.SIZES else "a network of sizes"
        cases.append((f"{label} {list(sizes)} on m = {m} examples", X, Y, parameters))
    return cases


def fix_structure(got, shapes):
    """None when `got` is a dict of numeric arrays dW1, ..., db4 of the shapes {name: shape}, else what is wrong."""
    if not isinstance(got, dict):
        return f"returned {_fmt(got)}, expected a dict with {', '.join(capstone.GRADIENT_NAMES)}"
    missing = [n for n in capstone.GRADIENT_NAMES if n not in got]
    if missing:
        return f"returned a dict without {', '.join(missing)}"
    for name in capstone.GRADIENT_NAMES:
        value = got[name]
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf":
            return f"returned {name} = {_fmt(value)}, expected a numpy array of shape {shapes[name]}"
        if value.shape != shapes[name]:
            return (f"returned {name} of shape {value.shape}, expected {shapes[name]} (the shape of its parameter"
                    + ("; sum with keepdims=True" if name.startswith("db") else "") + ")")
    return None


def judge_fix(got, exact):
    """None when `got` (the student's gradients) is the exact gradient, else what is wrong."""
    message = fix_structure(got, {name: value.shape for name, value in exact.items()})
    if message is not None:
        return message
    wrong = {n: _block_difference(got[n], exact[n]) for n in capstone.GRADIENT_NAMES
             if not np.all(np.isfinite(got[n])) or np.linalg.norm(got[n] - exact[n])
             > FIX_RTOL * (np.linalg.norm(exact[n]) + 1e-8)}
    if not wrong:
        return None
    detail = ", ".join(f"{n} (block difference {d:.2g})" for n, d in wrong.items())
    return f"returned wrong gradients: {detail}"


# ---------------------------------------------------------------------- fixed_backward: the known mistakes
# A mistake of a backward pass is a wrong local derivative: the pass multiplies by B^T where the chain rule has J^T.
# So what a pass with mistakes returns is the forward-mode derivative of J with each J replaced by its B, computed
# here for every entry of a parameter at once (a batch of tangents): the mistakes are data, no backward pass is written
# out. Sites are (kind, layer); the hints name the kind, never the layer or line (the student's own check finds those).
MISTAKE_HINTS = {
    "tanh_from_Z": ("a tanh derivative computed from Z, 1 - Z ** 2: with A = tanh(Z) the derivative is 1 - A ** 2 (or "
                    "1 - np.tanh(Z) ** 2)."),
    "tanh_twice": ("tanh applied twice in a derivative, 1 - np.tanh(A) ** 2: A is tanh(Z) already, so the derivative is "
                   "1 - A ** 2."),
    "slope_001": ("the leaky ReLU's slope for Z <= 0 is 0.01 in your pass; in this network it is 0.1 "
                  "(capstone.LEAKY_SLOPE): np.where(Z > 0, 1.0, 0.1)."),
    "slope_dropped": ("the leaky ReLU's derivative is 0 where Z <= 0 in your pass (the plain ReLU's); this network's "
                      "is 0.1 there: np.where(Z > 0, 1.0, 0.1)."),
    "slopes_swapped": "the leaky ReLU's two slopes are swapped: its derivative is 1 where Z > 0 and 0.1 elsewhere.",
    "transpose": ("a missing transpose: dA_prev = np.dot(W.T, dZ), not np.dot(W, dZ) (the shapes agree only when W is "
                  "square)."),
    "m_twice": ("1/m applied twice: dA_prev = np.dot(W.T, dZ) has no 1/m; only the dW and db lines average over the m "
                "examples."),
    "wrong_cache": ("a dW computed from the wrong layer's activations: dW_l = 1/m np.dot(dZ_l, A_prev.T) with A_prev the "
                    "activations that ENTER layer l (X for layer 1)."),
    "db_from_dA": "a db summed from dA instead of dZ: db_l = 1/m np.sum(dZ_l, axis=1, keepdims=True).",
    "sign": "every gradient has the opposite sign: dZ4 = A4 - Y (not Y - A4).",
    "sigmoid_twice": ("the sigmoid's derivative is applied twice: with the cross-entropy cost, dZ4 = A4 - Y already "
                      "contains it."),
}
#: (kind, layer) of every known mistake, and the line of the pass each one changes
SITES = ([("tanh_from_Z", l) for l in (1, 3)] + [("tanh_twice", l) for l in (1, 3)]
         + [(kind, 2) for kind in ("slope_001", "slope_dropped", "slopes_swapped")]
         + [(kind, l) for kind in ("transpose", "m_twice") for l in (1, 2, 3)]
         + [(kind, l) for kind in ("wrong_cache", "db_from_dA") for l in (1, 2, 3)]
         + [("sign", 4), ("sigmoid_twice", 4)])
SITE_LINE = {"tanh_from_Z": "dZ{l}", "tanh_twice": "dZ{l}", "slope_001": "dZ{l}", "slope_dropped": "dZ{l}",
             "slopes_swapped": "dZ{l}", "transpose": "dA{l}", "m_twice": "dA{l}", "wrong_cache": "dW{l}",
             "db_from_dA": "db{l}", "sign": "dZ{l}", "sigmoid_twice": "dZ{l}"}
_SLOPES = {"slope_001": (1.0, 0.01), "slope_dropped": (1.0, 0.0), "slopes_swapped": (0.1, 1.0)}
TEAMMATE_LEFT = ("your pass returns what your teammate's pass returns with only one of its two wrong lines fixed: "
                 "the other one is still there.")
TEAMMATE_UNCHANGED = "you returned your teammate's gradients unchanged: fix the two wrong lines."
MEMO = ("you kept results between calls (a cache keyed by X.shape?): compute the gradients from this call's X, Y "
        "and cache every time.")
FLOAT32 = ("your gradients are right to about 1e-7 only, float32's precision: keep every array float64 (no "
           "astype(np.float32), np.float32(...) or dtype=np.float32).")


def _derivative(l, cache, sites):
    """dA_l/dZ_l, elementwise, as a pass with `sites` uses it."""
    Z, A = cache[f"Z{l}"], cache[f"A{l}"]
    kinds = {kind for kind, layer in sites if layer == l}
    if l == 2:
        right, left = next((_SLOPES[k] for k in kinds if k in _SLOPES), (1.0, capstone.LEAKY_SLOPE))
        return np.where(Z > 0, right, left)
    if "tanh_from_Z" in kinds:
        return 1 - Z ** 2
    if "tanh_twice" in kinds:
        return 1 - np.tanh(A) ** 2
    return 1 - A ** 2


def _upstream(l, start, Y, cache, sites):
    """dJ/dZ_l (start "Z") or dJ/dA_l (start "A"), shape (n_l, m), as a backward pass with `sites` computes it
    (m times its dZ_l or dA_l): the forward-mode derivative of J along every entry of Z_l (or A_l), one tangent each,
    with the local derivatives that pass uses."""
    L = capstone.LAYERS
    n, m = cache[f"Z{l}"].shape
    out = (cache[f"A{L}"] - Y) / m  # dJ/dZ_L
    if ("sign", L) in sites:
        out = -out
    if ("sigmoid_twice", L) in sites:
        out = out * cache[f"A{L}"] * (1 - cache[f"A{L}"])
    dZ = np.eye(n * m).reshape(n * m, n, m)
    for j in range(l, L):
        dA = dZ if (j == l and start == "A") else _derivative(j, cache, sites) * dZ
        M = cache[f"W{j + 1}"]
        if ("transpose", j) in sites:
            if M.shape[0] != M.shape[1]:
                raise ValueError("np.dot(W, dZ) needs a square W")
            M = M.T
        if ("m_twice", j) in sites:
            M = M / m
        dZ = np.einsum("ij,kjm->kim", M, dA)
    return np.einsum("kim,im->k", dZ, out).reshape(n, m)


def model_gradients(X, Y, cache, sites=()):
    """The gradients dW1, db1, ..., db4 that a backward pass with the mistakes `sites` ((kind, layer) pairs) returns,
    its shapes included; sites () gives the right ones. Raises ValueError where such a pass cannot run (a transpose
    left out of a W that is not square)."""
    sites = frozenset(sites)
    A = {0: np.asarray(X, dtype=float), **{l: cache[f"A{l}"] for l in range(1, capstone.LAYERS + 1)}}
    gradients = {}
    for l in range(1, capstone.LAYERS + 1):
        G = _upstream(l, "Z", Y, cache, sites)
        gradients[f"dW{l}"] = G @ (A[l] if ("wrong_cache", l) in sites else A[l - 1]).T
        source = _upstream(l, "A", Y, cache, sites) if ("db_from_dA", l) in sites else G
        gradients[f"db{l}"] = np.sum(source, axis=1, keepdims=True)
    return gradients


def _agrees(got, model):
    """Whether the student's gradients `got` are `model`'s (shapes, and values to 1e-7 of each tensor's norm)."""
    def close(name):
        value = np.asarray(got[name], dtype=float)
        return value.shape == model[name].shape and \
            np.linalg.norm(value - model[name]) <= 1e-7 * (np.linalg.norm(model[name]) + 1e-12)
    return isinstance(got, dict) and all(name in got and close(name) for name in capstone.GRADIENT_NAMES)


def _explains(results, predict):
    """Whether predict(case) -> gradients (None: it cannot say) gives what the student returned on every case the
    check tried; a case where the student's pass raised counts only if the prediction cannot be made there either."""
    for case, got in results:
        try:
            with np.errstate(all="ignore"):
                model = predict(case)
        except (ValueError, IndexError, ArithmeticError):
            model = None
        if (got is None) != (model is None) or (got is not None and not _agrees(got, model)):
            return False
    return True


def teammate_sites(student):
    """The two sites of the student's teammate's pass, found among SITES from its wrong lines, or None."""
    X, Y, parameters = capstone.capstone_test_case()
    _, cache = capstone.forward_propagation(X, Y, parameters)
    try:
        teammate = capstone.buggy_backward(student)(X, Y, cache)
        lines = truth_buggy_lines(student)
    except (ValueError, IndexError):
        return None
    if len(lines) != 2:
        return None
    on = {line: [s for s in SITES if SITE_LINE[s[0]].format(l=s[1]) == line] for line in lines}
    for first in on[lines[0]]:
        for second in on[lines[1]]:
            try:
                if _agrees(teammate, model_gradients(X, Y, cache, (first, second))):
                    return first, second
            except ValueError:
                continue
    return None


def _fix_hint(results, student):
    """The one known mistake that explains what the student's pass returned on every case, or None.
    results -- [((label, X, Y, parameters, cache), gradients or None)], in the order of the calls."""
    def memo(case):
        index = next(i for i, (c, _) in enumerate(results) if c is case)
        earlier = next((got for c, got in results[:index] if c[1].shape == case[1].shape), None)
        if earlier is not None:
            return earlier
        return model_gradients(case[1], case[2], case[4])
    if any(c[1].shape == e[1].shape for i, (c, _) in enumerate(results) for e, _ in results[:i]) \
            and _explains(results, memo):
        return MEMO
    if student is not None:
        if _explains(results, lambda c: capstone.buggy_backward(student)(c[1], c[2], {k: v.copy() for k, v in
                                                                                      c[4].items()})):
            return TEAMMATE_UNCHANGED
        pair = teammate_sites(student)
        if pair and any(_explains(results, lambda c, s=s: model_gradients(c[1], c[2], c[4], (s,))) for s in pair):
            return TEAMMATE_LEFT
    hints = []
    for kind in MISTAKE_HINTS:
        places = [s for s in SITES if s[0] == kind]
        options = [(s,) for s in places] + ([tuple(places)] if len(places) > 1 else [])
        if any(_explains(results, lambda c, o=o: model_gradients(c[1], c[2], c[4], o)) for o in options):
            hints.append(MISTAKE_HINTS[kind])
    if hints:
        return " Or: ".join(hints)
    factor = _hard_coded_m(results)
    if factor:
        return factor
    if all(got is not None for _, got in results) and _float32_like(results):
        return FLOAT32
    return None


def _hard_coded_m(results):
    """The hint when every gradient is m / c times the right one for one constant c (m hard-coded to c), else None."""
    cs = []
    for (_, X, Y, _, cache), got in results:
        if got is None:
            return None
        right = model_gradients(X, Y, cache)
        k = float(np.sum(got["dW4"] * right["dW4"]) / np.sum(right["dW4"] ** 2)) \
            if np.shape(got.get("dW4")) == right["dW4"].shape else 0.0
        if k == 0.0 or not _agrees(got, {n: k * right[n] for n in capstone.GRADIENT_NAMES}):
            return None
        cs.append(X.shape[1] / k)
    c = round(cs[0])
    if c < 1 or any(abs(v - c) > 1e-6 * c for v in cs) or all(X.shape[1] == c for (_, X, *_), _ in results):
        return None
    if c == 1:
        return "the 1/m is missing: every dW and db averages over the m examples, 1. / m * ..."
    return f"m is hard-coded to {c} (your gradients are m / {c} times the right ones): use m = X.shape[1]."


def _float32_like(results):
    """Whether every gradient is within float32's round-off of the right one (block differences below 1e-5; the
    caller knows that some are not within float64's)."""
    for (_, X, Y, _, cache), got in results:
        right = model_gradients(X, Y, cache)
        for name in capstone.GRADIENT_NAMES:
            if np.shape(got.get(name)) != right[name].shape or \
                    _block_difference(got[name], right[name]) > 1e-5:
                return False
    return True


def _student(fn):
    """The notebook's student id, or None when it is not set (a right pass is right for every id: the id only
    serves the hints about the teammate's pass)."""
    try:
        return _notebook_id(fn, "fixed_backward")
    except (AssertionError, NotImplementedError):
        return None


def _evidence(fixed_backward, case):
    """What the student's pass returns on a case (on copies), or None when it raises or returns no dict."""
    _, X, Y, _, cache = case
    try:
        with np.errstate(all="ignore"):
            got = fixed_backward(X.copy(), Y.copy(), {k: v.copy() for k, v in cache.items()})
    except Exception:  # noqa: BLE001 -- evidence for the hint only: the failing case is known already
        return None
    return got if isinstance(got, dict) else None


@exercise_check
def check_fixed_backward(fixed_backward):
    rng = np.random.default_rng(SEED + 6)
    cases = [(label, X, Y, parameters, capstone.forward_propagation(X, Y, parameters)[1])
             for label, X, Y, parameters in fix_cases(rng)]
    results = []  # [(case, what the student's pass returned)]: the evidence of the hints
    for index, case in enumerate(cases):
        label, X, Y, parameters, kept = case
        cache = {k: v.copy() for k, v in kept.items()}
        X0, Y0 = X.copy(), Y.copy()
        got = fixed_backward(X0, Y0, cache)
        if set(cache) != set(kept) or any(not np.array_equal(cache[k], kept[k]) for k in kept) \
                or not np.array_equal(X, X0) or not np.array_equal(Y, Y0):
            raise AssertionError(f"fixed_backward(X, Y, cache) on {label} changed X, Y or cache in place: leave them "
                                 "as they are (e.g. write dZ1 = dA1 * (...), not A1 *= ...)")
        results.append((case, got if isinstance(got, dict) else None))
        message = judge_fix(got, exact_gradients(X, Y, parameters))
        if message:
            results += [(later, _evidence(fixed_backward, later)) for later in cases[index + 1:]]
            hint = _fix_hint(results, _student(fixed_backward))
            raise AssertionError(f"fixed_backward(X, Y, cache) on {label} {message}."
                                 + (f"\nMost likely: {hint}" if hint else ""))
    print("fixed_backward passed: all 8 gradients are the exact derivatives of J on 4 networks")
