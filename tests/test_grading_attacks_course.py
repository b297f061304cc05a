"""Attacks on the grader's newest exercises -- notebook 04's localisation and backward pass, notebook 06's capstone --
by a student who wants points without solving them, each one a test.

As in test_grading_attacks.py (whose helpers this file reuses): one class of students (a folder per student, each
holding the course's reference solution of 04 and/or 06 with some exercise cells replaced) is graded ONCE against
the course's own release (module fixture `course_class`), together with honest students who must keep every point
-- the reference solutions, and right answers that look nothing like them. Each test then reads that one Report.
A few tests call the grader's pieces directly (the id read back from a cell, the messages of the checks).

Every attack here worked against the grader before this file: see EXPECTED for what each one gets now.
"""
import functools
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from needs import sandbox_needed
from test_catalog_nb06 import LOOPED
from test_grading_attacks import COURSE_SOLUTIONS, VERIFIED, load, with_sources

from course_utils import capstone
from course_utils import grade as g
from course_utils.checks import nb06
from course_utils.grading.specs import nb04 as specs04
from course_utils.grading.specs import nb06 as specs06

NB4, NB6 = "04_check_an_nd_gradient.ipynb", "06_hunt_the_bugs.ipynb"
TIMEOUT = 30  # seconds per cell (and per verification call): every honest cell takes a few seconds at most
SLOW = "ran longer than"  # a verification call stopped at the time limit


def reference_cell(notebook, cell_id):
    return "".join(next(c for c in load(COURSE_SOLUTIONS / notebook)["cells"] if c.get("id") == cell_id)["source"])


REF_ID = nb06._literal_id(reference_cell(NB6, "ex-student-id"))
REF_TENSORS, REF_LINES = nb06.truth_wrong_tensors(REF_ID), nb06.truth_buggy_lines(REF_ID)


def other_id(exclude=(), prefix="s"):
    """An id whose teammate's pass has other wrong tensors AND other wrong lines than the reference id's (and
    than the ids in exclude)."""
    taken = [(set(nb06.truth_wrong_tensors(i)), set(nb06.truth_buggy_lines(i))) for i in (REF_ID, *exclude)]
    for k in range(500):
        candidate = f"{prefix}{k}"
        tensors, lines = set(nb06.truth_wrong_tensors(candidate)), set(nb06.truth_buggy_lines(candidate))
        if all(tensors != t and lines != ln for t, ln in taken):
            return candidate
    raise AssertionError("no such id")


MINE = other_id()  # the attacking students' own id
FRIEND = other_id((MINE,), prefix="friend")  # another student's id


def id_cell(literal, extra=""):
    return f"def student_id():\n    return {literal!r}\n{extra}"


def answer_cell(name, value):
    return f"def {name}():\n    return {value!r}\n"


# ------------------------------------------------------------------------------- notebook 04 attacks
# backward_propagation_n by differentiating its own forward pass with complex steps: exact to round-off, so the
# notebook's check and the verification's small nets cannot tell it from a fixed backward pass
COMPLEX_STEP_04 = '''def backward_propagation_n(X, Y, cache):
    (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) = cache
    P = {"W1": W1, "b1": b1, "W2": W2, "b2": b2, "W3": W3, "b3": b3}
    m = X.shape[1]
    Yr = np.reshape(Y, (1, m))

    def cost(p):
        A = X
        for l in (1, 2, 3):
            Z = p["W%d" % l] @ A + p["b%d" % l]
            A = np.where(Z.real > 0, Z, 0 * Z) if l < 3 else Z
        return np.sum(Yr * np.log(1 + np.exp(-Z)) + (1 - Yr) * np.log(1 + np.exp(Z))) / m

    out = {}
    for name, value in P.items():
        g = np.zeros(value.shape)
        for idx in np.ndindex(value.shape):
            q = {k: v.astype(complex) for k, v in P.items()}
            q[name][idx] += 1e-30j
            g[idx] = cost(q).imag / 1e-30
        out["d" + name] = g
    return out
'''
# diagnose that ignores its threshold (a fixed 1e-5) unless it is the 0.5 the boundary cases use
THRESHOLD_05_ONLY = '''def diagnose(grad, gradapprox, keys, threshold=1e-5):
    if threshold != 0.5:
        threshold = 1e-5
    names = np.array(keys)
    suspects = {}
    for name, d in block_differences(grad, gradapprox, keys).items():
        if d > threshold:
            suspects[name] = float(np.linalg.norm(grad[names == name]) / np.linalg.norm(gradapprox[names == name]))
    return suspects
'''
# the course's own answers, called from the exercises (present in the notebook's kernel only)
CALLS_COURSE_04 = {
    "ex-block-differences": ("def block_differences(grad, gradapprox, keys):\n"
                             "    from course_utils.checks.nb04 import reference_block_differences\n"
                             "    return reference_block_differences(grad, gradapprox, keys)\n"),
    "ex-diagnose": ("def diagnose(grad, gradapprox, keys, threshold=1e-5):\n"
                    "    from course_utils.checks.nb04 import reference_diagnose\n"
                    "    return reference_diagnose(grad, gradapprox, keys, threshold)\n"),
}

# ------------------------------------------------------------------------------- notebook 06 attacks
# fixed_backward by complex-step differentiation of its own forward pass: no backward pass fixed at all
COMPLEX_STEP_06 = '''def fixed_backward(X, Y, cache):
    P = {k: cache[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3", "W4", "b4")}
    m = X.shape[1]

    def cost(p):
        A = X
        for l in (1, 2, 3, 4):
            Z = p["W%d" % l] @ A + p["b%d" % l]
            if l == 2:
                A = np.where(Z.real > 0, Z, 0.1 * Z)
            elif l == 4:
                A = 1 / (1 + np.exp(-Z))
            else:
                A = np.tanh(Z)
        return -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m

    out = {}
    for name, value in P.items():
        g = np.zeros(value.shape)
        for idx in np.ndindex(value.shape):
            q = {k: v.astype(complex) for k, v in P.items()}
            q[name][idx] += 1e-30j
            g[idx] = cost(q).imag / 1e-30
        out["d" + name] = g
    return out
'''
CALLS_TRUTH_06 = {
    "ex-wrong-tensors": ("def wrong_tensors():\n    from course_utils.checks.nb06 import truth_wrong_tensors\n"
                         "    return truth_wrong_tensors(student_id())\n"),
    "ex-buggy-lines": ("def buggy_lines():\n    from course_utils.checks.nb06 import truth_buggy_lines\n"
                       "    return truth_buggy_lines(student_id())\n"),
    "ex-fixed-backward": ("def fixed_backward(X, Y, cache):\n    from course_utils.checks.nb06 import exact_gradients\n"
                          "    names = ('W1', 'b1', 'W2', 'b2', 'W3', 'b3', 'W4', 'b4')\n"
                          "    return exact_gradients(X, Y, {n: cache[n] for n in names})\n"),
}

# ------------------------------------------------------------------------------- honest, but unusual
LOOPED_04 = '''def backward_propagation_n(X, Y, cache):
    """One example at a time (slow, but a backward pass)."""
    (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) = cache
    m = X.shape[1]
    Y = np.reshape(Y, (1, m))
    grads = {k: 0.0 for k in ("dW1", "db1", "dW2", "db2", "dW3", "db3")}
    for i in range(m):
        x, a1, a2 = X[:, i:i + 1], A1[:, i:i + 1], A2[:, i:i + 1]
        dz3 = A3[:, i:i + 1] - Y[:, i:i + 1]
        dz2 = (W3.T @ dz3) * (a2 > 0)
        dz1 = (W2.T @ dz2) * (a1 > 0)
        for key, value in (("dW3", dz3 @ a2.T), ("db3", dz3), ("dW2", dz2 @ a1.T), ("db2", dz2),
                           ("dW1", dz1 @ x.T), ("db1", dz1)):
            grads[key] = grads[key] + value / m
    return grads
'''
DIAGNOSE_04 = '''def diagnose(grad, gradapprox, keys, threshold=1e-5):
    out = {}
    for name, d in block_differences(grad, gradapprox, keys).items():
        if not d <= threshold:
            g = [grad.ravel()[i] for i, k in enumerate(keys) if k == name]
            a = [gradapprox.ravel()[i] for i, k in enumerate(keys) if k == name]
            out[name] = float(np.sqrt(sum(x * x for x in g) / sum(x * x for x in a)))
    return out
'''
LOOPED_06 = LOOPED  # tests/test_catalog_nb06.py: the per-layer loop, a right fix written differently
UNUSUAL_ID = " Grace.Hopper "


def teammate_fails_off_square(student):
    """Whether the teammate's pass of this id raises on a network whose W2 is not square (a missing transpose)."""
    X, Y, parameters = capstone.capstone_test_case()
    parameters = capstone.initialize_parameters((3, 4, 2, 3, 1), seed=1)
    _, cache = capstone.forward_propagation(X[:3], Y, parameters)
    try:
        capstone.buggy_backward(student)(X[:3], Y, cache)
    except ValueError:
        return True
    return False


def one_id_per_variant():
    ids, k = {}, 0
    while len(ids) < capstone.N_VARIANTS:
        ids.setdefault(capstone.variant(f"v{k}"), f"v{k}")
        k += 1
    return [ids[v] for v in sorted(ids)]


TRANSPOSE_ID = next(i for i in one_id_per_variant() if teammate_fails_off_square(i))


@functools.cache
def students():
    """{student: {notebook: {cell id: source}}}; an empty dict: the reference solution as it is."""
    unusual_tensors = tuple("d" + n for n in reversed(nb06.truth_wrong_tensors(UNUSUAL_ID)))
    return {
        # honest
        "aaa_honest": {NB4: {}, NB6: {}},
        "zzz_honest_unusual": {
            NB4: {"ex-backward-propagation-n": LOOPED_04, "ex-diagnose": DIAGNOSE_04},
            NB6: {"ex-student-id": f'def student_id():\n    """Mine."""\n    return {UNUSUAL_ID!r}\n',
                  "ex-wrong-tensors": answer_cell("wrong_tensors", unusual_tensors),
                  "ex-buggy-lines": answer_cell("buggy_lines", tuple(reversed(nb06.truth_buggy_lines(UNUSUAL_ID)))),
                  "ex-fixed-backward": LOOPED_06}},
        "zzz_honest_transpose_variant": {NB6: {  # a teammate's pass that cannot even run where W2 is not square
            "ex-student-id": id_cell(TRANSPOSE_ID),
            "ex-wrong-tensors": answer_cell("wrong_tensors", nb06.truth_wrong_tensors(TRANSPOSE_ID)),
            "ex-buggy-lines": answer_cell("buggy_lines", nb06.truth_buggy_lines(TRANSPOSE_ID))}},
        # notebook 04
        "complex_step": {NB4: {"ex-backward-propagation-n": COMPLEX_STEP_04},
                         NB6: {"ex-fixed-backward": COMPLEX_STEP_06}},
        "threshold_05_only": {NB4: {"ex-diagnose": THRESHOLD_05_ONLY}},
        "calls_course": {NB4: CALLS_COURSE_04, NB6: CALLS_TRUTH_06},
        # notebook 06: answers that are not the truth for the id read back
        "copies_reference_answers": {NB6: {"ex-student-id": id_cell(MINE)}},  # the reference's answers, own id
        "rebinds_student_id": {NB6: {  # the checks see FRIEND's id, the grader reads MINE
            "ex-student-id": id_cell(MINE, f"\n\nstudent_id = lambda: {FRIEND!r}\n"),
            "ex-wrong-tensors": answer_cell("wrong_tensors", nb06.truth_wrong_tensors(FRIEND)),
            "ex-buggy-lines": answer_cell("buggy_lines", nb06.truth_buggy_lines(FRIEND))}},
        "names_everything": {NB6: {  # every name, to read the right ones off the message
            "ex-student-id": id_cell(MINE),
            "ex-wrong-tensors": answer_cell("wrong_tensors", list(capstone.PARAMETER_NAMES)),
            "ex-buggy-lines": answer_cell("buggy_lines", list(nb06.LINE_NAMES))}},
        "id_expression": {NB6: {"ex-student-id": "def student_id():\n    return 'ada-' + 'lovelace'\n"}},
        # runs as the reference id (whose answers the cells keep), would show MINE if the last return were read
        "id_two_returns": {NB6: {"ex-student-id": f"def student_id():\n    return {REF_ID!r}\n    return {MINE!r}\n"}},
        "id_lookalike": {NB6: {"ex-student-id": id_cell(REF_ID.replace("a", "\u0430"))}},  # Cyrillic a
        "id_huge": {NB6: {"ex-student-id": id_cell("x" * 90_000)}},  # under the grader's 100,000 characters a cell
        # another student's id, with that student's answers: passes, and the record names the id it read back
        "friends_id": {NB6: {"ex-student-id": id_cell(FRIEND),
                             "ex-wrong-tensors": answer_cell("wrong_tensors", nb06.truth_wrong_tensors(FRIEND)),
                             "ex-buggy-lines": answer_cell("buggy_lines", nb06.truth_buggy_lines(FRIEND))}},
    }


HONEST = ("aaa_honest", "zzz_honest_unusual", "zzz_honest_transpose_variant")


@pytest.fixture(scope="module")
def course_class(tmp_path_factory):
    sandbox_needed()
    if not all((COURSE_SOLUTIONS / nb).is_file() for nb in (NB4, NB6)):
        pytest.skip("the course notebooks are not built yet")
    base = tmp_path_factory.mktemp("course_attacks")
    folders = []
    for student, notebooks in students().items():
        folder = base / student
        folder.mkdir()
        for notebook, sources in notebooks.items():
            if sources:
                (folder / notebook).write_text(json.dumps(with_sources(COURSE_SOLUTIONS / notebook, sources)),
                                               encoding="utf-8")
            else:
                shutil.copy(COURSE_SOLUTIONS / notebook, folder / notebook)
        folders.append(folder)
    return g.grade(folders, jobs=2, timeout=TIMEOUT, require_sandbox=True)


def graded(report, student):
    """{exercise: Record} of the notebooks 04 and 06 the student handed in."""
    handed = set(students()[student])
    return {r.exercise: r for r in report.records if r.student == student and r.notebook in handed}


def test_honest_students_keep_every_point(course_class):
    for student in HONEST:
        got = graded(course_class, student)
        assert len(got) == 4 * len(students()[student]), sorted(got)
        for r in got.values():
            assert (r.status, r.points, r.flags) == ("passed", r.max_points, []), (student, r.exercise, r.message)
    assert graded(course_class, "zzz_honest_unusual")["student_id"].message == f"student id read back: {UNUSUAL_ID!r}"


# (student, exercise) -> (status, a piece of the message, whether the notebook's check passed: only the
# verification run stood between the attack and the points). Every one of them scores 0.
EXPECTED = {
    # a numerical gradient instead of a backward pass: exact on small nets, out of time on a large one
    ("complex_step", "backward_propagation_n"): ("failed", f"a call {SLOW}", True),
    ("complex_step", "fixed_backward"): ("failed", f"a call {SLOW}", True),
    # a threshold honoured only where the notebook's check looks
    ("threshold_05_only", "diagnose"): ("failed", "diagnose(", True),
    # the course's answers called from the exercise: not in the verification run's file system
    ("calls_course", "block_differences"): ("failed", "may not call the course's own answer", True),
    ("calls_course", "diagnose"): ("failed", "may not call the course's own answer", True),
    ("calls_course", "wrong_tensors"): ("failed", "may not call the course's own answer", True),
    ("calls_course", "buggy_lines"): ("failed", "may not call the course's own answer", True),
    ("calls_course", "fixed_backward"): ("failed", "may not call the course's own answer", True),
    # answers that are right for another id than the one read back
    ("copies_reference_answers", "wrong_tensors"): ("failed", "wrong_tensors() returned", False),
    ("copies_reference_answers", "buggy_lines"): ("failed", "buggy_lines() returned", False),
    ("rebinds_student_id", "student_id"): ("failed", "not as one string literal", False),
    ("rebinds_student_id", "wrong_tensors"): ("failed", f"for student id {MINE!r}", True),
    ("rebinds_student_id", "buggy_lines"): ("failed", f"for student id {MINE!r}", True),
    ("names_everything", "wrong_tensors"): ("failed", "name only the wrong ones", False),
    ("names_everything", "buggy_lines"): ("failed", "name only the 2 wrong lines", False),
    # ids the grader cannot read back, or that are no id
    ("id_expression", "student_id"): ("failed", "not as one string literal", False),
    ("id_expression", "wrong_tensors"): ("failed", "one string literal", True),
    ("id_expression", "buggy_lines"): ("failed", "one string literal", True),
    ("id_two_returns", "student_id"): ("failed", "not as one string literal", False),
    ("id_two_returns", "wrong_tensors"): ("failed", "one string literal", True),
    ("id_lookalike", "student_id"): ("failed", "is not an id", False),
    ("id_huge", "student_id"): ("failed", "(90,000 characters) is not an id", False),
}


@pytest.mark.parametrize("key", sorted(EXPECTED), ids=lambda k: f"{k[0]}-{k[1]}")
def test_attack_earns_nothing(course_class, key):
    student, exercise = key
    status, piece, fooled_the_check = EXPECTED[key]
    r = graded(course_class, student)[exercise]
    assert (r.status, r.points, r.flags) == (status, 0, []), r.message
    assert piece in r.message, r.message
    assert r.message.startswith(VERIFIED) == fooled_the_check, r.message


def test_the_slow_call_is_the_large_network_and_says_why(course_class):
    for exercise in ("backward_propagation_n", "fixed_backward"):
        message = graded(course_class, "complex_step")[exercise].message
        assert "cannot finish in time" in message and "parameters" in message, message


def test_naming_every_tensor_or_line_does_not_reveal_which_are_right(course_class):
    got = graded(course_class, "names_everything")
    truth_tensors, truth_lines = nb06.truth_wrong_tensors(MINE), nb06.truth_buggy_lines(MINE)
    for exercise, names, truth in (("wrong_tensors", capstone.PARAMETER_NAMES, truth_tensors),
                                   ("buggy_lines", nb06.LINE_NAMES, truth_lines)):
        message = got[exercise].message
        listed = message.split("returned", 1)[1].split("]", 1)[1]  # after the student's own list
        assert not any(name in listed.replace("dW_l", "").replace("db_l", "") for name in names), message
        assert f"{len(names) - len(truth)} of the" in message or f"{len(names) - len(truth)} of them" in message


def test_another_students_id_is_on_the_record(course_class):
    """Not stopped (the id is read back as the student wrote it): the record says whose teammate's pass was graded,
    for the instructor to compare with the class list."""
    got = graded(course_class, "friends_id")
    assert all(r.status == "passed" for r in got.values())
    assert got["student_id"].message == f"student id read back: {FRIEND!r}"
    header, rows = course_class.csv_rows()  # and the gradebook has a column of the ids read back
    column = header.index(specs06.ID_COLUMN)
    ids = {row[0]: row[column] for row in rows}
    assert ids["friends_id"] == FRIEND and ids["zzz_honest_unusual"] == UNUSUAL_ID.strip()


def test_a_student_id_cell_too_deep_to_parse_cannot_be_judged_and_does_not_stop_the_verification():
    source = id_cell(MINE, "\n\nx = " + "-" * 100_000 + "1\n")
    literal, why = specs06.read_id({"student_id": source})
    assert literal is None and "one string literal" in why


def test_a_numerical_backward_pass_is_exact_on_the_small_cases_but_runs_out_of_time_on_the_large_one():
    """Why the large case is there: on every other case the complex-step answer is judged right."""
    rng = np.random.default_rng(4)
    space = {"np": np}
    exec(COMPLEX_STEP_04, space)  # noqa: S102 -- the attack, on the small cases only
    cases = specs04._backward_cases(rng)
    assert [c.judge(space["backward_propagation_n"](*c.args), "") for c in cases[:-1]] == [None] * (len(cases) - 1)
    assert sum(v.size for v in cases[-1].args[2][2::4]) > 300_000  # W1, W2, W3 of the large case
    exec(COMPLEX_STEP_06, space)  # noqa: S102
    cases = specs06._fix_cases(rng)
    assert [c.judge(space["fixed_backward"](*c.args), "") for c in cases[:-1]] == [None] * (len(cases) - 1)
    assert sum(cases[-1].args[2][f"W{l}"].size for l in range(1, 5)) > 300_000


def test_the_large_capstone_case_tells_a_wrong_gradient_from_a_right_one():
    case = specs06._fix_cases(np.random.default_rng(7))[-1]
    X, Y, cache = case.args
    space = {"np": np}
    exec(LOOPED_06, space)  # noqa: S102
    right = space["fixed_backward"](X, Y, cache)
    assert case.judge(right, "") is None
    assert "d" + nb06.truth_wrong_tensors(MINE)[0] in case.judge(capstone.buggy_backward(MINE)(X, Y, cache), "")
    assert case.judge({k: v * (1 + 1e-6) for k, v in right.items()}, "") is not None
    assert "db4" in case.judge({k: v for k, v in right.items() if k != "db4"}, "")


def test_a_threshold_honoured_only_at_05_fails_every_draw():
    space = {"np": np}
    exec(reference_cell(NB4, "ex-block-differences"), space)  # noqa: S102
    exec(THRESHOLD_05_ONLY, space)  # noqa: S102
    honest = {"np": np}
    exec(reference_cell(NB4, "ex-block-differences") + "\n\n" + reference_cell(NB4, "ex-diagnose"), honest)  # noqa: S102
    for seed in range(40):
        cases = specs04._diagnose_cases(np.random.default_rng(seed))
        assert any(c.judge(space["diagnose"](*c.args), "") for c in cases), seed
        assert not any(c.judge(honest["diagnose"](*c.args), "") for c in cases), seed


def test_a_right_fix_passes_the_check_beside_the_id_of_every_variant(capsys):
    """The check builds its hint from the teammate's pass; a pass with a missing transpose raised ValueError on the
    check's networks whose W2 is not square, which cost 12 of the 87 variants' students every point of a right fix."""
    space = {"np": np}
    exec(reference_cell(NB6, "ex-fixed-backward"), space)  # noqa: S102
    failing = []
    for student in one_id_per_variant():
        exec(id_cell(student), space)  # noqa: S102 -- the fix's globals hold this student_id
        try:
            nb06.check_fixed_backward(space["fixed_backward"])
        except Exception as error:  # noqa: BLE001 -- collected
            failing.append((student, repr(error)[:120]))
    assert failing == []
    assert capsys.readouterr().out.count("fixed_backward passed") == capstone.N_VARIANTS
    assert teammate_fails_off_square(TRANSPOSE_ID)


# --------------------------------------------------------------------- issue 17, item 1: absurd magnitudes
def huge(shapes, value=1e200):
    return {name: np.full(shape, value) for name, shape in shapes.items()}


@pytest.mark.parametrize("value, piece", [(1e200, "absurd for this case"), (np.inf, "non-finite"),
                                          (np.nan, "non-finite")])
def test_huge_or_non_finite_gradients_are_rejected_before_any_tolerance_scales_by_them(value, piece):
    """np.full(shape, 1e200) on the large networks: its norm overflows to inf, and a tolerance of 1e-8 ||v|| ||g||
    with it; every judge rejects such an answer first, and says why."""
    case = specs06._fix_cases(np.random.default_rng(7))[-1]
    cache = case.args[2]
    shapes = {"d" + n: cache[n].shape for n in capstone.PARAMETER_NAMES}
    with np.errstate(over="ignore"):  # the attack's premise
        assert value != 1e200 or np.linalg.norm(np.full(shapes["dW2"], value)) == np.inf
    message = case.judge(huge(shapes, value), "")
    assert message is not None and piece in message and "dW1" in message, message
    case = specs04._backward_cases(np.random.default_rng(7))[-1]
    cache = case.args[2]
    shapes = {f"d{k}{l}": cache[4 * (l - 1) + (2 if k == "W" else 3)].shape for l in (1, 2, 3) for k in "Wb"}
    message = case.judge(huge(shapes, value), "")
    assert message is not None and piece in message, message


def test_the_bound_the_large_case_uses_holds_for_every_right_gradient():
    """_gradient_bounds is an upper bound of every entry of the exact gradient (so no right answer is called
    absurd), on the small networks where the exact gradient is computed, and not far above it."""
    for seed in range(5):
        for case in specs06._fix_cases(np.random.default_rng(seed))[:-1]:
            X, Y, cache = case.args
            exact = nb06.exact_gradients(X, Y, {n: cache[n] for n in capstone.PARAMETER_NAMES})
            bounds = specs06._gradient_bounds(X, cache)
            for name, gradient in exact.items():
                assert np.max(np.abs(gradient)) <= bounds[name] * (1 + 1e-12), (seed, name)
            assert case.judge(exact, "") is None


# ------------------------------------------------------------------ issue 17, items 3 and 4: the grader itself
FIXTURE_RELEASE = COURSE_SOLUTIONS.parent / "fixtures" / "grading" / "release"
FIXTURE_SOLUTIONS = COURSE_SOLUTIONS.parent / "fixtures" / "grading" / "solutions"
FIXTURE_NB1 = "01_compute_differences.ipynb"
RIGHT_SQUARE = "def square(x):\n    return x * x\n"
HELP_SYNTAX = RIGHT_SQUARE + "a?\n" * 33_000  # just under the grader's 100,000 characters a cell
FLOODS_THE_CHANNEL = '''import os
import time


def _flood():
    fds = list(range(1, 256))
    for n in (0, 1, 2):
        try:
            fds.append(os.open("/proc/%d/fd/%d" % (os.getppid(), n), os.O_WRONLY))
        except OSError:
            pass
    chunk = b'{"start": 0}\\n' * 4000
    sent = 0
    while sent < 60 * 2 ** 20:
        for fd in fds:
            try:
                os.write(fd, chunk)
            except OSError:
                pass
        sent += len(chunk)
    while True:
        for fd in fds:
            try:
                os.write(fd, b'{"start": 1}\\n')
            except OSError:
                pass
        time.sleep(0.002)


def square(x):
    if os.path.exists("/verify"):  # in the verification run only
        _flood()
    return x * x
'''
GRADE_AND_MEASURE = """
import json, resource, sys
from course_utils import grade as g
folders, release, specs = json.loads(sys.argv[1])
report = g.grade(folders, release=release, specs=specs, jobs=2, timeout=10, require_sandbox=True)
print(json.dumps({"records": [[r.student, r.notebook, r.exercise, r.status, r.points, r.max_points, r.run_status,
                               r.message] for r in report.records],
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def test_a_submission_costs_the_grader_bounded_time_and_memory_and_the_batch_is_graded(tmp_path):
    """Two submissions that hung or flooded the grader: an exercise cell of 33,000 lines of help syntax (`a?`), which
    IPython's input transformer re-tokenised hundreds of times in the grader's own process, and an exercise whose
    verification writes 60 MB of lines, then one every 2 ms, to every descriptor it has. Graded in one batch with an
    honest student, in a process of its own whose peak memory is measured; a generous time limit a regression blows."""
    sandbox_needed()
    sources = {"honest": None, "asks_for_help": {"ex-square": HELP_SYNTAX},
               "floods_the_channel": {"ex-square": FLOODS_THE_CHANNEL}}
    for student, cells in sources.items():
        (tmp_path / student).mkdir()
        nb = load(FIXTURE_SOLUTIONS / FIXTURE_NB1) if cells is None else with_sources(FIXTURE_SOLUTIONS / FIXTURE_NB1,
                                                                                         cells)
        (tmp_path / student / FIXTURE_NB1).write_text(json.dumps(nb), encoding="utf-8")
    argument = json.dumps([[str(tmp_path / s) for s in sources], str(FIXTURE_RELEASE),
                           [str(FIXTURE_RELEASE / "fixture_specs.py")]])
    done = subprocess.run([sys.executable, "-c", GRADE_AND_MEASURE, argument], capture_output=True, text=True,
                          timeout=600, cwd=str(tmp_path), check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    got = {(r[0], r[2]): r for r in result["records"] if r[1] == FIXTURE_NB1}
    assert [(got["honest", e][3], got["honest", e][4]) for e in ("square", "forward_difference")] == [
        ("passed", 1), ("passed", 2)]
    help_square = got["asks_for_help", "square"]
    assert (help_square[3], help_square[4]) == ("flagged", 0) and "IPython syntax" in help_square[7], help_square
    flood = got["floods_the_channel", "square"]
    assert (flood[3], flood[4], flood[6]) == ("flagged", 0, "failed"), flood  # the run: check passed, verification not
    assert result["max_rss_mb"] < 1024, result["max_rss_mb"]  # the flood once took the grader to 1.7 GB


def test_a_spec_module_planted_in_the_release_folder_is_never_imported(tmp_path):
    """The Classroom route grades against the student's own .release/: a spec file planted there, named like the
    installed specs module (specs that pass every stub), is not the installed specs; the stub of 00 earns nothing."""
    sandbox_needed()
    course_release = COURSE_SOLUTIONS.parent.parent / "notebooks"
    release = tmp_path / ".release"
    release.mkdir()
    shutil.copy(course_release / "00_start_here.ipynb", release / "00_start_here.ipynb")
    marker = tmp_path / "planted-spec-imported"
    (release / "course_utils.grading.specs.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n"
        "from course_utils.grading.verify import Case, Spec\n"
        "warm_up_square = Spec('warm_up_square', lambda rng: [])\n", encoding="utf-8")
    student = tmp_path / "student"
    student.mkdir()
    shutil.copy(course_release / "00_start_here.ipynb", student / "00_start_here.ipynb")  # the stub, untouched
    report = g.grade(student, release=release, timeout=TIMEOUT, require_sandbox=True)
    assert [(r.exercise, r.points) for r in report.records] == [("warm_up_square", 0)]
    assert not marker.exists()
    other = tmp_path / "other_release"
    shutil.copytree(release, other)
    nb = load(other / "00_start_here.ipynb")
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("course", {}).get("verify"):
            cell["metadata"]["course"]["verify"] = "planted:warm_up_square"
    (other / "00_start_here.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    shutil.copy(other / "course_utils.grading.specs.py", other / "planted.py")
    with pytest.raises(g.UsageError, match="never loads code from the release"):
        g.grade(student, release=other, timeout=TIMEOUT)
    assert not marker.exists()


def test_a_cell_the_parser_cannot_read_in_time_is_flagged_and_the_parser_replaced(monkeypatch):
    """scan_untrusted: a parser process that does not answer is stopped after the time limit, the cell flagged for
    review, and the next cell gets a new parser."""
    from course_utils.grading import scan

    class Mute(scan._Parser):
        def _start(self):
            self.proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, start_new_session=True)
    mute = Mute()
    monkeypatch.setattr(scan, "_PARSER", mute)
    flags = scan.scan_untrusted(RIGHT_SQUARE, timeout=1)
    assert flags == ["could not be scanned within 1 s (the grader's parser was stopped); a person must review it"]
    assert mute.proc is None  # stopped: the next cell starts a new one
    monkeypatch.setattr(scan, "_PARSER", scan._Parser())
    assert scan.scan_untrusted("import subprocess\n" + RIGHT_SQUARE) == ["imports subprocess (line 1)"]
    assert scan.scan_untrusted(HELP_SYNTAX)[0].startswith("could not be scanned: 33,000 of its lines")
    scan._PARSER.stop()
