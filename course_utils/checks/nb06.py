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
- fixed_backward: the exact gradients, on the test case and on networks of other sizes and m.

Every check's confirmation line is the same for every student id, so the release's reference outputs match.
"""
import ast
import inspect

import numpy as np

from course_utils import capstone
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
                             f"{', '.join(allowed)}")
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


@exercise_check
def check_wrong_tensors(wrong_tensors):
    call = "wrong_tensors()"
    value = wrong_tensors()
    student = _notebook_id(wrong_tensors, "wrong_tensors")
    allowed = capstone.PARAMETER_NAMES + capstone.GRADIENT_NAMES
    names = [_parameter_name(n) for n in _names(value, call, allowed, "tensor names")]
    message = _judge_tensors(names, truth_wrong_tensors(student))
    if message:
        raise AssertionError(f"{call} returned {names}: {message}")
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
        parts.append(f"the line{'s' if len(fine) > 1 else ''} computing {', '.join(fine)} "
                     f"{'are' if len(fine) > 1 else 'is'} right (given right inputs, {'they give' if len(fine) > 1 else 'it gives'} "
                     "the exact value)")
    missing = len(truth - got)
    if missing:
        parts.append(f"{missing} wrong line{'s are' if missing > 1 else ' is'} missing")
    message = "; ".join(parts) + "."
    if fine and all(n.startswith(("dW", "db")) for n in fine):
        message += ("\nMost likely: you named the gradients that come out wrong. A line is wrong only when it computes "
                    "a wrong value from right inputs; dW_l and db_l are wrong too when dZ_l is.")
    return message


@exercise_check
def check_buggy_lines(buggy_lines):
    call = "buggy_lines()"
    value = buggy_lines()
    student = _notebook_id(buggy_lines, "buggy_lines")
    names = _names(value, call, LINE_NAMES, "line names")
    message = _judge_lines(names, truth_buggy_lines(student))
    if message:
        raise AssertionError(f"{call} returned {names}: {message}")
    print("buggy_lines passed: you found the two wrong lines")


# ---------------------------------------------------------------------------------------- fixed_backward
def fix_cases(rng):
    """[(label, X, Y, parameters)]: the test case and three networks of other sizes, m and scales."""
    X, Y, parameters = capstone.capstone_test_case()
    cases = [("the notebook's test case", X, Y, parameters)]
    for sizes, m in (((3, 4, 4, 2, 1), 7), ((6, 3, 2, 5, 1), 3), ((2, 6, 6, 6, 1), 16)):
        X = rng.standard_normal((sizes[0], m)) * float(rng.uniform(0.5, 2))
        Y = (rng.random((1, m)) < 0.5).astype(np.float64)
        Y[0, :2] = (1.0, 0.0)
        parameters = capstone.initialize_parameters(sizes, seed=int(rng.integers(1 << 30)))
        cases.append((f"a network of sizes {list(sizes)} on m = {m} examples", X, Y, parameters))
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


def judge_fix(got, exact, teammate=None):
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
    message = f"returned wrong gradients: {detail}"
    if teammate is not None and all(_block_difference(got[n], teammate[n]) < 1e-12 for n in capstone.GRADIENT_NAMES):
        message += "\nMost likely: you returned your teammate's gradients unchanged: fix the two wrong lines"
    return message


def _teammate(fn, X, Y, cache):
    """The teammate's gradients for the notebook's id, or None when the id is not set (a right pass is right for
    every id: the id only names the teammate's pass in a hint)."""
    try:
        student = _notebook_id(fn, "fixed_backward")
    except (AssertionError, NotImplementedError):
        return None
    try:  # a teammate's pass with a missing transpose cannot run where W2 is not square: then there is no hint
        return capstone.buggy_backward(student)(X, Y, {k: v.copy() for k, v in cache.items()})
    except (ValueError, IndexError):
        return None


@exercise_check
def check_fixed_backward(fixed_backward):
    rng = np.random.default_rng(SEED + 6)
    for label, X, Y, parameters in fix_cases(rng):
        _, cache = capstone.forward_propagation(X, Y, parameters)
        kept = {k: v.copy() for k, v in cache.items()}
        X0, Y0 = X.copy(), Y.copy()
        got = fixed_backward(X, Y, cache)
        if set(cache) != set(kept) or any(not np.array_equal(cache[k], kept[k]) for k in kept) \
                or not np.array_equal(X, X0) or not np.array_equal(Y, Y0):
            raise AssertionError(f"fixed_backward(X, Y, cache) on {label} changed X, Y or cache in place: leave them "
                                 "as they are (e.g. write dZ1 = dA1 * (...), not A1 *= ...)")
        message = judge_fix(got, exact_gradients(X, Y, parameters), _teammate(fixed_backward, X, Y, kept))
        if message:
            raise AssertionError(f"fixed_backward(X, Y, cache) on {label} {message}.")
    print("fixed_backward passed: all 8 gradients are the exact derivatives of J on 4 networks")
