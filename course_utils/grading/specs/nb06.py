"""Verification specs of notebook 06, hunt the bugs: a capstone (see course_utils/grading/verify.py).

The capstone code is read back from the submission's exercise cell student_id AS TEXT (verify.Spec.reads):
the string literal that `def student_id(): return "..."` returns, parsed here with ast, never run here. The
class key (grade --class-key; teammates.set_class_key) checks that the code was issued for the student id it
carries, and names the teammate, whose wrong tensors and wrong lines are computed here from the trusted forward
pass of its network (course_utils.checks.nb06: complex-step derivatives; no answer key exists).

student_id: the function, run in the sandbox, must return exactly that literal, and the literal must be a code
issued for its id; a passed record says which id was read back ("student id read back: 'jdoe42'"), so an
instructor sees a student who used another student's code.
wrong_tensors, buggy_lines: compared, as sets, with the truth for the teammate of that code.
fixed_backward: networks of the teammate's slope and of random sizes (W2 square or not), m and scales (the second
with X of the first one's shape: nothing may be kept between calls), judged against the exact gradients;
the verification sandbox holds no course module, so the teammate's pass and the forward pass are absent. And a
large network (~0.5M parameters): a backward pass takes milliseconds there, while a numerical gradient of the
student's own forward pass (centered differences or complex steps, which the small cases cannot tell from a fixed
pass) needs a forward pass per parameter and runs out of time; it is judged by complex-step derivatives of J
along random directions of every tensor. A failed verification of fixed_backward names the mistake the check would
name from its models (a cache between calls, the teammate's pass unchanged, the opposite sign:
course_utils.expect.nb06_mistakes), from the results on the networks whose exact gradients are known here.
"""
from dataclasses import dataclass

import numpy as np

from course_utils import capstone
from course_utils.compare import magnitude_problem
from course_utils.expect.exposure import allowed
from course_utils.expect.mistakes import NO_RESULT, explain
from course_utils.expect.nb06 import (
    LINE_NAMES,
    LITERAL_RULE,
    STEP,
    _judge_lines,
    _judge_tensors,
    _literal_id,
    _parameter_name,
    exact_gradients,
    fix_structure,
    judge_fix,
    truth_wrong_tensors,
    wrong_count_message,
)
from course_utils.expect.nb06_mistakes import FB_MODELLED, RAISED, explained_cases, outcome_agrees
from course_utils.grading.specs._common import result_of
from course_utils.grading.verify import Case, Spec, describe

NO_ID = "cannot be judged: " + LITERAL_RULE.replace("student_id must", "exercise student_id must")


def read_code(sources):
    """(code literal, None) from the student_id cell's source, or (None, why not) -- its form only."""
    source = (sources or {}).get("student_id")
    if source is None:
        return None, "cannot be judged: the exercise cell student_id (your capstone code) is missing"
    literal = _literal_id(source)
    if literal is None:
        return None, NO_ID
    try:
        capstone.parse_code(literal)
    except (TypeError, ValueError) as error:
        return None, f"cannot be judged: {error}"
    return literal, None


def read_teammate(sources):
    """(teammates.Variant, code, None) for a code issued under the class key, or (None, code or None, why not)."""
    literal, why = read_code(sources)
    if literal is None:
        return None, None, why
    try:
        from course_utils.grading import teammates  # the instructor's: a student release has no teammates
    except ImportError:
        return None, literal, ("cannot be judged here: your instructor grades the capstone (this copy of the grader "
                               "has no class key to check capstone codes with)")
    mate, why = teammates.check_code(teammates.class_key(), literal)
    return (mate, literal, None) if mate is not None else (None, literal, f"cannot be judged: {why}")


def read_id(sources):
    """(the student id of the code, None), or (None, why not): the id part of a code issued under the class key."""
    mate, literal, why = read_teammate(sources)
    return (capstone.parse_code(literal)[0], None) if mate is not None else (None, why)


def _refuse(function, why):
    """The verdict of an exercise that cannot be judged (verify: a str instead of cases); nothing is called."""
    return f"{function}: {why}"


def _id_cases(rng, sources):
    mate, literal, why = read_teammate(sources)
    if mate is None:
        return _refuse("student_id", why.replace("cannot be judged: ", "gives no capstone code the grader can use: "))

    def judge(value, stdout):
        if value != literal:
            return f"returned {describe(value)}, not the literal {literal!r} of its return line. " + LITERAL_RULE
        return None
    return [Case((), judge, "student_id()")]


def _names_judge(allowed, truth, judge_sets, convert=lambda n: n):
    def judge(value, stdout):
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            return f"returned {describe(value)}, expected a list of names"
        if any(v not in allowed for v in value) or len(set(value)) != len(value):
            return f"returned {list(value)}: each name once, from {', '.join(allowed)}"
        message = judge_sets([convert(v) for v in value], truth)
        return None if message is None else f"returned {list(value)}: {message}"
    return judge


def _tensor_cases(rng, sources):
    mate, literal, why = read_teammate(sources)
    if mate is None:
        return _refuse("wrong_tensors", why)
    judge = _names_judge(capstone.PARAMETER_NAMES + capstone.GRADIENT_NAMES, truth_wrong_tensors(mate),
                         _judge_tensors, _parameter_name)
    return [Case((), judge, f"wrong_tensors() for capstone code {literal!r}")]


def _line_cases(rng, sources):
    mate, literal, why = read_teammate(sources)
    if mate is None:
        return _refuse("buggy_lines", why)
    from course_utils.grading import teammates  # there: read_teammate found the teammate with it

    judge = _names_judge(LINE_NAMES, teammates.truth_buggy_lines(mate), _judge_lines)
    return [Case((), judge, f"buggy_lines() for capstone code {literal!r}")]


def _fix_cases(rng, sources):
    mate, _, why = read_teammate(sources)
    if mate is None:
        return _refuse("fixed_backward", why)
    return fix_cases_for(rng, mate.slope, mate)


@dataclass(frozen=True)
class _FixJudge:
    """The judge of a fixed_backward case of a network whose exact gradients are known: it knows the case as the
    check's mistake models take it, (label, X, Y, parameters, cache), and the teammate (None: not known)."""

    case: tuple
    exact: dict
    mate: object = None

    def __call__(self, value, stdout):
        return judge_fix(value, self.exact)


def _fix_mistake(cases, events):
    """fixed_backward's Spec.mistake: the id of the one modelled mistake of its check (FB_MODELLED) that explains
    every result on the networks of known exact gradients (the large one is left out), or None."""
    known = [(c.judge, e) for c, e in zip(cases, events) if isinstance(c.judge, _FixJudge) and c.judge.mate is not None]
    if not known:
        return None
    raw, outcomes, wrong = [], [], []
    for k, (judge, event) in enumerate(known):
        value = result_of(event)
        raw.append(value if isinstance(value, dict) else None)
        outcomes.append(NO_RESULT if event is None else RAISED if raw[-1] is None else raw[-1])
        if event is not None and judge(raw[-1], "") is not None:
            wrong.append(k)
    if not wrong:
        return None
    fixes, _ = explained_cases([judge.case for judge, _ in known], raw, known[0][0].mate)
    with np.errstate(all="ignore"):
        found = explain(FB_MODELLED, fixes, outcomes, outcome_agrees, needed=tuple(wrong))
    return found.id if found is not None else None


def fix_cases_for(rng, slope, mate=None):
    """The verification cases of fixed_backward for a network of this slope (mate: the teammate, for naming a
    known mistake)."""
    cases = []
    for square in (True, False, False):
        n = [int(v) for v in rng.integers(1, 7, size=4)] + [1]
        if square:
            n[2] = n[1]
        m = int(rng.integers(3, 30))
        if len(cases) == 1:  # X of the first case's shape, new values: nothing may be kept between calls
            n[0], m = cases[0].args[0].shape
        X = rng.standard_normal((n[0], m)) * float(10 ** rng.uniform(-0.3, 0.3))
        Y = (rng.random((1, m)) < 0.5).astype(np.float64)
        Y[0, :2] = (0.0, 1.0)
        parameters = capstone.initialize_parameters(tuple(n), seed=int(rng.integers(1 << 30)))
        _, cache = capstone.forward_propagation(X, Y, parameters, slope)
        label = f"fixed_backward(X, Y, cache) on a network of sizes {n}, m = {m}"
        judge = _FixJudge((label, X, Y, parameters, cache), exact_gradients(X, Y, parameters, slope), mate)
        cases.append(Case((X, Y, cache), judge, label))
    cases.append(_large_fix_case(rng, slope))
    return cases


LARGE_SIZES = ((8, 12), (500, 650), (500, 650), (250, 400))  #: ranges of n_x, n_1, n_2, n_3 of the large case
LARGE_M = 12
DIRECTION_RTOL = 1e-8


def _directional(X, Y, parameters, directions, slope):
    """dJ/dt of J(parameters + t directions) at t = 0 by one complex step: exact to round-off."""
    trial = {k: v + 1j * STEP * directions.get(k, 0.0) for k, v in parameters.items()}
    return float(np.imag(capstone._forward(X, Y, trial, slope)[0]) / STEP)


def _gradient_bounds(X, cache):
    """{gradient name: an upper bound of the size of its largest entry}, from the inputs alone: |dZ4| = |A4 - Y| <= 1,
    every activation's derivative is at most 1 in size (tanh, leaky ReLU), so |dZ_l| <= |W_{l+1}|^T |dZ_{l+1}|
    entrywise, and |dW_l| <= |dZ_l| |A_{l-1}|^T / m, |db_l| <= sum |dZ_l| / m. No right answer exceeds it."""
    m = X.shape[1]
    dz = np.ones((1, m))
    bounds = {}
    for l in range(capstone.LAYERS, 0, -1):
        below = np.abs(X) if l == 1 else np.abs(cache[f"A{l - 1}"])
        bounds[f"dW{l}"] = float(np.max(dz @ below.T)) / m
        bounds[f"db{l}"] = float(np.max(np.sum(dz, axis=1))) / m
        dz = np.abs(cache[f"W{l}"]).T @ dz
    return bounds


def _large_fix_case(rng, slope):
    """A network with ~0.5M parameters: the backward pass takes milliseconds; differentiating J numerically (even by
    complex steps, exact to round-off) needs a forward pass per parameter and cannot finish in time. Judged by
    complex-step directional derivatives along two random directions per tensor (no full exact gradient here)."""
    n = [int(rng.integers(low, high)) for low, high in LARGE_SIZES] + [1]
    m = LARGE_M
    X = rng.standard_normal((n[0], m))
    Y = (rng.random((1, m)) < 0.5).astype(np.float64)
    Y[0, :2] = (0.0, 1.0)
    parameters = capstone.initialize_parameters(tuple(n), seed=int(rng.integers(1 << 30)))
    _, cache = capstone.forward_propagation(X, Y, parameters, slope)
    probes = []  # (gradient name, direction, dJ along it)
    for name in capstone.PARAMETER_NAMES:
        for _ in range(2):
            v = rng.standard_normal(parameters[name].shape)
            probes.append(("d" + name, v, _directional(X, Y, parameters, {name: v}, slope)))
    shapes = {"d" + k: v.shape for k, v in parameters.items()}
    size = sum(v.size for v in parameters.values())
    bounds = _gradient_bounds(X, cache)

    def judge(value, stdout):
        message = fix_structure(value, shapes)
        if message is not None:
            return message
        for name in capstone.GRADIENT_NAMES:  # before any tolerance is scaled by the norm of the answer
            message = magnitude_problem(value[name], bounds[name], what=f"returned {name} with")
            if message is not None:
                return message
        wrong = []
        for name, v, want in probes:
            g = value[name].astype(float)
            got = float(np.sum(v * g))
            tol = DIRECTION_RTOL * (np.linalg.norm(v) * np.linalg.norm(g) + abs(want)) + 1e-300
            if not np.all(np.isfinite(g)) or abs(got - want) > tol:
                wrong.append(name)
        wrong = list(dict.fromkeys(wrong))
        return None if not wrong else (wrong_count_message(wrong) + ": the derivative of J along a random direction "
                                       "of such a tensor disagrees")
    label = (f"fixed_backward(X, Y, cache) on a large network of sizes {n}, m = {m} ({size:,} parameters: a "
             "backward pass takes milliseconds, differentiating J numerically cannot finish in time)")
    return Case((X, Y, cache), judge, label)


def _id_note(sources):
    return f"student id read back: {read_id(sources)[0]!r}"


ID_COLUMN = "student id (06)"  #: the gradebook column (grade --csv) with the id read back


def _id_facts(sources):
    return {ID_COLUMN: (read_id(sources)[0] or "").strip()}  # a valid id starts with a letter or digit (capstone.ID_PATTERN)


student_id = Spec("student_id", _id_cases, reads=("student_id",), note=_id_note, facts=_id_facts,
                  **allowed("student_id"))
wrong_tensors = Spec("wrong_tensors", _tensor_cases, reads=("student_id",), reference_modules=("checks", "expect"),
                     **allowed("wrong_tensors"))
buggy_lines = Spec("buggy_lines", _line_cases, reads=("student_id",), reference_modules=("checks", "expect"),
                   **allowed("buggy_lines"))
fixed_backward = Spec("fixed_backward", _fix_cases, reads=("student_id",),
                      reference_modules=("capstone.py", "capstone_teammates.py", "checks", "expect"),
                      mistake=_fix_mistake, **allowed("fixed_backward"))

__all__ = ["buggy_lines", "fixed_backward", "student_id", "wrong_tensors"]
