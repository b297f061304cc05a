"""Notebook 06 (hunt the bugs): the truth and the judges that the checks (course_utils/checks/nb06.py) and the
grader's verification specs (course_utils/grading/specs/nb06.py) share.

No answer key is stored anywhere: the truth is computed from the trusted forward pass of a teammate's network
(course_utils.capstone) by complex-step differentiation, which gives dJ/dtheta to machine precision
(J(theta + ih e_i) has imaginary part h dJ/dtheta_i + O(h^3); there is no subtraction, so h = 1e-20 loses nothing to
round-off, and the real part never moves, so the leaky ReLU's kink is never crossed). A teammate is a capstone code,
a capstone.Teammate, or the grader's teammates.Variant (anything with .source and .slope).

- truth_wrong_tensors: the parameters whose gradient from the teammate's pass differs from the exact one (block
  difference above WRONG), on the notebook's test case;
- (truth_buggy_lines, the wrong lines, is the grader's alone: course_utils/grading/teammates.py. Shipped, it would
  answer buggy_lines for any code.)
- the judges of the answers (messages with counts, never the name of a wrong tensor or line the answer left out).
"""
import ast
from functools import lru_cache

import numpy as np

from course_utils import capstone
from course_utils.compare import fmt as _fmt
from course_utils.differences import relative_difference

WRONG = 1e-6  #: a block difference above this is wrong (exact and buggy passes differ by 1e-2 or more)
FIX_RTOL = 1e-8  #: a fixed pass must match the exact gradient this closely (a right one does to ~1e-15)
STEP = 1e-20  #: the complex step
#: the names the backward pass assigns, in the order it runs them (dA_{l-1} closes layer l's block)
LINE_NAMES = tuple(f"d{kind}{l - 1 if kind == 'A' else l}" for l in range(capstone.LAYERS, 0, -1)
                   for kind in ("Z", "W", "b", "A") if not (kind == "A" and l == 1))


def _activation(l, z, slope):
    return np.tanh(z) if l in (1, 3) else capstone.leaky_relu(z, slope) if l == 2 else capstone._sigmoid(z)


# ----------------------------------------------------------------------------------------------- truth
def _cost_from(l, kind, value, parameters, Y, slope):
    """J computed from Z_l (kind "Z") or A_l (kind "A") onwards; complex values allowed."""
    A = _activation(l, value, slope) if kind == "Z" else value
    for k in range(l + 1, capstone.LAYERS + 1):
        A = _activation(k, np.dot(parameters[f"W{k}"], A) + parameters[f"b{k}"], slope)
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


def exact_gradients(X, Y, parameters, slope):
    """dJ/dW_l and dJ/db_l of the capstone network (leaky-ReLU slope `slope`), exact to round-off: dict dW1, db1,
    ..., dW4, db4. The slope has no default: every teammate's network has its own (and with one, this function
    called as fixed_backward(X, Y, cache) would answer notebook 06 for that slope's teammates on small networks;
    the checks ship to every student -- tests/test_release_answers.py)."""
    X, Y, parameters = capstone.check_data(X, Y, parameters)
    gradients = {}
    for name in capstone.PARAMETER_NAMES:
        def cost(value, name=name):
            trial = dict(parameters, **{name: value})
            return capstone._forward(X, Y, trial, slope)[0]
        gradients["d" + name] = _complex_step(cost, parameters[name])
    return gradients


@lru_cache(maxsize=None)
def _on_test_case(slope):
    X, Y, parameters = capstone.capstone_test_case()
    return exact_gradients(X, Y, parameters, slope)


def _test_case_gradients(slope):
    """exact_gradients on the notebook's test case (capstone_test_case), computed once per slope: every teammate of
    a slope shares them. Copies: the caller may change them."""
    return {k: v.copy() for k, v in _on_test_case(slope).items()}


def _mate(mate):
    """A teammate (anything with .source and .slope: capstone.Teammate, the grader's Variant) from itself or a code."""
    return mate if hasattr(mate, "source") and hasattr(mate, "slope") else capstone.teammate(mate)


def teammate_gradients(mate, X, Y, cache):
    """What the teammate's pass returns (on copies of the inputs)."""
    return capstone._compile(_mate(mate).source)(X.copy(), Y.copy(), {k: v.copy() for k, v in cache.items()})


def truth_wrong_tensors(mate, X=None, Y=None, parameters=None):
    """The parameters whose gradient from the teammate's pass is wrong, in parameter order.
    mate -- a capstone code, capstone.Teammate or the grader's Variant."""
    mate = _mate(mate)
    on_test_case = X is None
    if on_test_case:
        X, Y, parameters = capstone.capstone_test_case()
    _, cache = capstone.forward_propagation(X, Y, parameters, mate.slope)
    got = teammate_gradients(mate, X, Y, cache)
    exact = _test_case_gradients(mate.slope) if on_test_case else exact_gradients(X, Y, parameters, mate.slope)
    return [name for name in capstone.PARAMETER_NAMES if relative_difference(got["d" + name], exact["d" + name]) > WRONG]


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


LITERAL_RULE = ("student_id must return your capstone code as one string literal and do nothing else:\n"
                "    def student_id():\n        return \"...\"  # your code between the quotes\n"
                "(the grader reads the code from that line, without running your code)")


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


NOT_THE_LINES = ("these are not your teammate's two wrong lines. A line is wrong when it computes a wrong value "
                 "from right inputs: dW_l and db_l come out wrong whenever dZ_l does, and every line after a wrong "
                 "one receives a wrong value without being wrong itself.")


def _judge_lines(got, truth):
    """The grader's judge: None when `got` is the set `truth`, else NOT_THE_LINES -- the same message for every wrong
    answer: a count of right or missing lines would let a few resubmissions find the pair without a gradient check."""
    return None if set(got) == set(truth) else NOT_THE_LINES


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


def wrong_count_message(wrong):
    """The message for `wrong` gradients out of 8: how many, never which (the student's gradient check shows that)."""
    return (f"returned {len(wrong)} wrong gradient{'s' if len(wrong) > 1 else ''} of the "
            f"{len(capstone.GRADIENT_NAMES)} (your own gradient check of this pass shows which)")


def judge_fix(got, exact):
    """None when `got` (the student's gradients) is the exact gradient, else what is wrong."""
    message = fix_structure(got, {name: value.shape for name, value in exact.items()})
    if message is not None:
        return message
    wrong = [n for n in capstone.GRADIENT_NAMES
             if not np.all(np.isfinite(got[n])) or np.linalg.norm(got[n] - exact[n])
             > FIX_RTOL * (np.linalg.norm(exact[n]) + 1e-8)]
    return wrong_count_message(wrong) if wrong else None
