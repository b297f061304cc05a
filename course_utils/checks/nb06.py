"""Checks of notebook 06, hunt the bugs: a capstone.

No answer key is stored anywhere: the student's teammate is opened from their capstone code (returned by
the notebook's student_id; course_utils.capstone.teammate), and the truth is computed from the trusted forward
pass of the teammate's network by complex-step differentiation, which gives dJ/dtheta to machine precision
(J(theta + ih e_i) has imaginary part h dJ/dtheta_i + O(h^3); there is no subtraction, so h = 1e-20 loses
nothing to round-off, and the real part never moves, so the leaky ReLU's kink is never crossed).

- wrong_tensors: the parameters whose gradient from the student's teammate's pass differs from the exact one
  (block difference above WRONG), on the notebook's test case. Checking it tells no more than the student's own
  gradient check does (that check names those tensors in one call);
- buggy_lines: the lines of that pass that are wrong (truth_buggy_lines: its statements run one by one, each on
  the exact values of the lines before it, dZ_l = m dJ/dZ_l and dA_l = m dJ/dA_l in the pass's own convention,
  dW_l = dJ/dW_l, db_l = dJ/db_l; a line is wrong when its own result differs) -- known to the grader only. The
  local check is no oracle: it accepts any two lines that would make exactly the wrong tensors wrong (what the
  student's gradient check shows), and says that the grader decides; the fixed pass's check confirms them;
- fixed_backward: the exact gradients, on the test case, on a network of its sizes and m with other values (a result
  kept between calls fails) and on networks of other sizes and m. A wrong pass is told how many gradients are wrong
  and, where one explains every network, a mistake that cannot be the teammate's own (another network's slope, a
  flipped sign, a cache between calls, a hard-coded m, float32); never which line or tensor.

Hints never name what the student's own gradient check is there to find: wrong_tensors and buggy_lines name the
mistake behind the answer (a threshold on the block differences too low or too high, a line that only receives a
wrong value, ...), never a tensor or a line; fixed_backward says how many gradients are wrong, never which.

Every check's confirmation line is the same for every student id, so the release's reference outputs match.
"""
import ast
import inspect
import re

import numpy as np

from course_utils import capstone, gradcheck
from course_utils.checks._common import SEED, _fmt, exercise_check
from course_utils.differences import relative_difference
from course_utils.expect.mistakes import explain, failure
from course_utils.expect.nb06 import (  # noqa: F401 -- the truth and the judges, shared with the grader
    FIX_RTOL,
    LINE_NAMES,
    LITERAL_RULE,
    STEP,
    WRONG,
    _judge_lines,
    _judge_tensors,
    _literal_id,
    _mate,
    _parameter_name,
    exact_gradients,
    fix_structure,
    judge_fix,
    teammate_gradients,
    truth_wrong_tensors,
    wrong_count_message,
)
from course_utils.expect.nb06_mistakes import (
    BL_CASE,
    BL_NO_SUCH_LINE,
    BL_ONE_LINE,
    BL_SPREAD,
    BL_TENSOR_NAMED,
    FB_FLOAT32,
    FB_HARD_CODED_M,
    FB_MEMO,
    FB_MODELLED,
    FB_NO_1_OVER_M,
    FB_SIGN,
    FB_SLOPE_OTHER,
    FB_TEAMMATE_UNCHANGED,
    WT_CASE,
    WT_NONE_NAMED,
    WT_TOO_HIGH,
    WT_TOO_LOW,
    explained_cases,
    gradients_agree,
    outcome_agrees,
)


# ------------------------------------------------------------------------------------- the student's id
def _notebook_teammate(fn, exercise):
    """The teammate of the code from the notebook's student_id function, found beside `fn`; AssertionError saying
    what to do."""
    namespace = getattr(getattr(fn, "__func__", fn), "__globals__", {})
    student_id = namespace.get("student_id") if isinstance(namespace, dict) else None
    if not callable(student_id):
        raise AssertionError(f"{exercise} needs your student_id function (exercise student_id, above): run that "
                             "cell first, with your capstone code in it")
    value = student_id()  # a stub's NotImplementedError: "<exercise> calls your student_id, which is still the stub"
    try:
        return capstone.teammate(value)
    except (TypeError, ValueError) as error:
        raise AssertionError(f"{exercise} needs your capstone code: {error}") from None


def _unknown_mistake(unknown, allowed):
    """The mistake behind names that are not allowed, when one explains them all, else None."""
    lines = "dZ4" in allowed  # the line names (buggy_lines), else the tensor names (wrong_tensors)
    lower = {a.lower(): a for a in allowed}
    if all(v.strip().lower() in lower for v in unknown):
        v = unknown[0]
        return (BL_CASE if lines else WT_CASE).filled(listed=lower[v.strip().lower()], given=v)
    if lines:
        if all(v in capstone.PARAMETER_NAMES for v in unknown):
            return BL_TENSOR_NAMED
        if all(re.fullmatch(r"d[AZWb]\d+", v) for v in unknown):
            return BL_NO_SUCH_LINE
    return None


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
        raise failure(f"{call} names {', '.join(map(repr, unknown))}, which is not one of the {what}: "
                      f"{', '.join(allowed)}", _unknown_mistake(unknown, allowed))
    if len(set(names)) != len(names):
        raise AssertionError(f"{call} names a {what[:-1]} twice: list each once")
    return names


@exercise_check
def check_student_id(student_id):
    call = "student_id()"
    value = student_id()
    if not isinstance(value, str):
        raise AssertionError(f"{call} returned {_fmt(value)}: return your capstone code as a string, between the "
                             "quotes of return \"...\"")
    try:
        capstone.teammate(value)
    except ValueError as error:
        raise AssertionError(str(error)) from None
    if student_id() != value:
        raise AssertionError(f"{call} returned {value!r} and then something else: return the same code every time. "
                             + LITERAL_RULE)
    try:
        source = inspect.getsource(student_id)
    except (OSError, TypeError):
        source = None
    if source is not None and _literal_id(source) != value:
        raise AssertionError(f"{call} returned {value!r}, but not as one string literal. " + LITERAL_RULE)
    print(f"student_id passed: your code opens your teammate, 1 of the {capstone.N_VARIANTS} in this release")


# ------------------------------------------------------------------------------------------ wrong_tensors
TOO_LOW, TOO_HIGH, NONE_NAMED = WT_TOO_LOW.hint, WT_TOO_HIGH.hint, WT_NONE_NAMED.hint


def teammate_block_differences(mate):
    """{tensor: block difference} of the teammate's gradients and the centered differences of J (epsilon 1e-7) on
    the notebook's test case: what the student's own gradient check shows."""
    mate = _mate(mate)
    X, Y, parameters = capstone.capstone_test_case()
    _, cache = capstone.forward_propagation(X, Y, parameters, mate.slope)
    gradients = teammate_gradients(mate, X, Y, cache)
    return dict(gradcheck.check_gradients(capstone.cost_function(X, Y, mate.slope), parameters, gradients,
                                          epsilon=1e-7).block_differences)


def _tensor_mistake(got, truth, student):
    """The mistake behind a set of tensors that a threshold on the student's own block differences explains (too
    low, too high), or behind an empty one; None otherwise."""
    got, truth = set(got), set(truth)
    if not got:
        return WT_NONE_NAMED
    try:
        blocks = teammate_block_differences(student)
    except (ValueError, IndexError):  # a teammate's pass that cannot run on the test case: no threshold to find
        return None
    cut = sorted(blocks, key=blocks.get, reverse=True)  # a threshold keeps a head of this list
    k = len(got)
    if got != set(cut[:k]) or (k < len(cut) and blocks[cut[k]] >= blocks[cut[k - 1]] * (1 - 1e-6)):
        return None  # not a head, or a head no threshold separates from the next tensor
    return WT_TOO_LOW if got > truth else WT_TOO_HIGH if got < truth else None


@exercise_check
def check_wrong_tensors(wrong_tensors):
    call = "wrong_tensors()"
    value = wrong_tensors()
    student = _notebook_teammate(wrong_tensors, "wrong_tensors")
    allowed = capstone.PARAMETER_NAMES + capstone.GRADIENT_NAMES
    names = [_parameter_name(n) for n in _names(value, call, allowed, "tensor names")]
    truth = truth_wrong_tensors(student)
    message = _judge_tensors(names, truth)
    if message:
        mistake = None if "Most likely" in message else _tensor_mistake(names, truth, student)
        raise failure(f"{call} returned {names}: {message}", mistake)
    print("wrong_tensors passed: you named exactly the tensors whose gradient disagrees with J")


# ------------------------------------------------------------------------------------------- buggy_lines
ONE_LINE, SPREAD = BL_ONE_LINE.hint, BL_SPREAD.hint
CONFIRM = ("buggy_lines: your two lines can explain every wrong tensor; the grader decides whether they are the two "
           "wrong ones (to be sure, fix those two lines in fixed_backward and run its check)")


def _downstream(source):
    """{line: the names whose value it uses, directly or not} in a backward pass's source."""
    function = ast.parse(source).body[0]
    uses = {}
    for statement in function.body:
        if isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name):
            names = {n.id for n in ast.walk(statement.value) if isinstance(n, ast.Name)}
            uses[statement.targets[0].id] = set().union(names, *(uses.get(n, set()) for n in names))
    return uses


def line_effects(source):
    """{line name: the gradients dW1, ..., db4 a wrong value in that line makes wrong} in a backward pass."""
    uses = _downstream(source)
    return {line: {g for g in capstone.GRADIENT_NAMES if g == line or line in uses.get(g, set())}
            for line in LINE_NAMES}


@exercise_check
def check_buggy_lines(buggy_lines):
    """Well formed, and two lines that would make exactly the wrong tensors wrong. Not whether they are THE two
    wrong lines: that is the grader's (a check that said so would be an oracle to loop over)."""
    call = "buggy_lines()"
    value = buggy_lines()
    mate = _notebook_teammate(buggy_lines, "buggy_lines")
    names = _names(value, call, LINE_NAMES, "line names")
    if len(names) != 2:
        raise failure(f"{call} returned {names}: name the two wrong lines of your teammate's pass",
                      BL_ONE_LINE if len(names) == 1 else None)
    wrong = {"d" + name for name in truth_wrong_tensors(mate)}
    effects = line_effects(mate.source)
    would = set().union(*(effects[name] for name in names))
    if would != wrong:
        parts = []
        if would - wrong:
            extra = len(would - wrong)
            parts.append(f"a wrong value in them would make {extra} gradient{'s' if extra > 1 else ''} wrong that your "
                         "gradient check finds right")
        if wrong - would:
            missing = len(wrong - would)
            parts.append(f"{missing} of the wrong gradients depend{'s' if missing == 1 else ''} on neither of them")
        raise failure(f"{call} returned {names}: these cannot be the two wrong lines: {'; '.join(parts)}.",
                      BL_SPREAD)
    print(CONFIRM)


# ---------------------------------------------------------------------------------------- fixed_backward
def fix_cases(rng):
    """[(label, X, Y, parameters)]: the test case; a network of its sizes and m with other values (X of the same
    shape: nothing may be kept between calls); two networks of other sizes, m and scales (one with W2 not square).
    The slope is the teammate's: the caller runs the forward pass."""
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


# ---------------------------------------------------------------------- fixed_backward: the known mistakes
# A hint may name a mistake of the student's fix only when it cannot be one of the teammate's own bugs: a check that
# named "a tanh derivative computed from Z" for a pass with one bug left would name the teammate's bug, and the
# models behind such hints (wrong local derivatives) would let a loop identify the teammate's two lines. So no such
# model is shipped; the mistakes (records in course_utils.expect.nb06_mistakes) are named from the exact gradients
# (of this network or of one with another slope) and from the student's own results alone. The hints' texts, by
# their old names:
SLOPE_OTHER, SIGN, TEAMMATE_UNCHANGED = FB_SLOPE_OTHER.hint, FB_SIGN.hint, FB_TEAMMATE_UNCHANGED.hint
MEMO, FLOAT32 = FB_MEMO.hint, FB_FLOAT32.hint


def _exact(case, slope):
    _, X, Y, parameters, _ = case
    return exact_gradients(X, Y, parameters, slope)


def _fix_mistake(results, mate, fixed_backward=None):
    """The one mistake that explains what the student's pass returned on every case, or None (see above for which
    mistakes are named). results -- [((label, X, Y, parameters, cache), gradients or None)], in the order of the
    calls; mate -- the teammate (its slope is the network's)."""
    slope = mate.slope
    cases, outcomes = explained_cases([case for case, _ in results], [got for _, got in results], mate)
    with np.errstate(all="ignore"):
        mistake = explain(FB_MODELLED, cases, outcomes, outcome_agrees)
    if mistake is not None:
        return mistake
    used = _slope_used(fixed_backward, mate) if fixed_backward is not None else None
    if used is not None and 1e-6 < used < 1 - 1e-6 and abs(used - slope) > 1e-6:  # 0 or 1: a teammate's slope bug
        return FB_SLOPE_OTHER.filled(other=round(used, 6), slope=slope)
    factor = _hard_coded_m(results, slope)
    if factor:
        return factor
    if all(got is not None for _, got in results) and _float32_like(results, slope):
        return FB_FLOAT32
    return None


def _slope_used(fixed_backward, mate):
    """The leaky-ReLU slope the student's pass uses for Z <= 0, measured on the test case with b2 raised so that every
    Z2 is positive (a pass right but for its slope is right there) and lowered so that every Z2 is negative (there it
    returns the exact gradients of layers 3-4 and s'/s times the exact ones of layers 1-2). None when the pass is not
    of that form (only the student's pass is measured)."""
    X, Y, parameters = capstone.capstone_test_case()
    Z2 = parameters["W2"] @ np.tanh(parameters["W1"] @ X + parameters["b1"]) + parameters["b2"]
    positive = dict(parameters, b2=parameters["b2"] - Z2.min(axis=1, keepdims=True) + 0.1)  # where no slope counts
    _, cache = mate.forward_propagation(X, Y, positive)
    if not gradients_agree(_evidence(fixed_backward, ("", X, Y, positive, cache)), exact_gradients(X, Y, positive, mate.slope)):
        return None  # wrong where every Z2 > 0 too: not (only) the slope, e.g. 1/m applied twice
    parameters = dict(parameters, b2=parameters["b2"] - Z2.max(axis=1, keepdims=True) - 0.1)
    _, cache = mate.forward_propagation(X, Y, parameters)
    exact = exact_gradients(X, Y, parameters, mate.slope)
    got = _evidence(fixed_backward, ("", X, Y, parameters, cache))
    if got is None or not np.all(cache["Z2"] < 0) or not gradients_agree(
            {n: got.get(n) for n in ("dW3", "db3", "dW4", "db4")} | {n: exact[n] for n in ("dW1", "db1", "dW2", "db2")},
            exact):
        return None
    k = float(np.sum(np.asarray(got["dW2"], float) * exact["dW2"]) / np.sum(exact["dW2"] ** 2))
    scaled = {n: (k * exact[n] if n[-1] in "12" else exact[n]) for n in capstone.GRADIENT_NAMES}
    return k * mate.slope if gradients_agree(got, scaled) else None


def _hard_coded_m(results, slope):
    """The mistake when every gradient is m / c times the right one for one constant c (m hard-coded to c), else
    None."""
    cs = []
    for case, got in results:
        if got is None:
            return None
        right = _exact(case, slope)
        k = float(np.sum(got["dW4"] * right["dW4"]) / np.sum(right["dW4"] ** 2)) \
            if np.shape(got.get("dW4")) == right["dW4"].shape else 0.0
        if k == 0.0 or not gradients_agree(got, {n: k * right[n] for n in capstone.GRADIENT_NAMES}):
            return None
        cs.append(case[1].shape[1] / k)
    c = round(cs[0])
    if c < 1 or any(abs(v - c) > 1e-6 * c for v in cs) or all(case[1].shape[1] == c for case, _ in results):
        return None
    if c == 1:
        return FB_NO_1_OVER_M
    return FB_HARD_CODED_M.filled(c=c)


def _float32_like(results, slope):
    """Whether every gradient is within float32's round-off of the right one (block differences below 1e-5; the
    caller knows that some are not within float64's)."""
    for case, got in results:
        right = _exact(case, slope)
        for name in capstone.GRADIENT_NAMES:
            value = got.get(name)
            if not (isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.shape == right[name].shape
                    and np.isfinite(value).all()) or relative_difference(value.astype(float), right[name]) > 1e-5:
                return False  # not float32's round-off: another type, a NaN or an infinity, or farther off
    return True


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
    mate = _notebook_teammate(fixed_backward, "fixed_backward")  # the network's slope comes with the teammate
    rng = np.random.default_rng(SEED + 6)
    cases = [(label, X, Y, parameters, mate.forward_propagation(X, Y, parameters)[1])
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
        message = judge_fix(got, exact_gradients(X, Y, parameters, mate.slope))
        if message:
            results += [(later, _evidence(fixed_backward, later)) for later in cases[index + 1:]]
            raise failure(f"fixed_backward(X, Y, cache) on {label} {message}.", _fix_mistake(results, mate, fixed_backward))
    print("fixed_backward passed: all 8 gradients are the exact derivatives of J on 4 networks")
