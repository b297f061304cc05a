"""Attacks on the grader's newest exercises -- notebook 04's localisation and backward pass, notebook 06's capstone --
by a student who wants points without solving them, each one a test.

As in test_grading_attacks.py (whose helpers this file reuses): one class of students (a folder per student, each
holding the course's reference solution of 04 and/or 06 with some exercise cells replaced) is graded ONCE against
the course's own release (module fixture `course_class`: the course class of shared_runs, which the course students
of test_grade and test_grading_attacks share), together with honest students who must keep every point -- the
reference solutions, and right answers that look nothing like them. Each test then reads that one Report.
A few tests call the grader's pieces directly (the id read back from a cell, the messages of the checks).

Every attack here worked against the grader before this file: see EXPECTED for what each one gets now.
"""
import functools
import json
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import shared_runs
from needs import sandbox_needed
from test_catalog_nb06 import fix_for, looped, with_id
from test_grading_attacks import COURSE_SOLUTIONS, ROOT, VERIFIED, load, with_sources

from course_utils import capstone, capstone_teammates
from course_utils import grade as g
from course_utils.checks import nb06
from course_utils.grading import teammates
from course_utils.grading.specs import nb06 as specs06
from course_utils.grading.specs.nb04.backward_propagation_n import _backward_cases
from course_utils.grading.specs.nb04.diagnose import _diagnose_cases

NB4, NB6 = "04_check_an_nd_gradient.ipynb", "06_hunt_the_bugs.ipynb"
TIMEOUT = shared_runs.COURSE_CLASS_TIMEOUT  # per cell (and per verification call): the course class's
SLOW = "ran longer than"  # a verification call stopped at the time limit


def reference_cell(notebook, cell_id):
    return "".join(next(c for c in load(COURSE_SOLUTIONS / notebook)["cells"] if c.get("id") == cell_id)["source"])


KEY = teammates.DEMO_KEY  # the class key of the course's own release and tests (public)
REF_CODE = nb06._literal_id(reference_cell(NB6, "ex-student-id"))  # a capstone code, "<id>:<number>:<key>"
REF_ID = capstone.parse_code(REF_CODE)[0]
REF_SLOPE = capstone.teammate(REF_CODE).slope
REF_TENSORS, REF_LINES = nb06.truth_wrong_tensors(REF_CODE), teammates.truth_buggy_lines(REF_CODE)


def slope_of(code):
    return capstone.teammate(code).slope


def explains(lines, code):
    """Whether the check of buggy_lines accepts these two lines for the code's teammate (they would make exactly its
    wrong tensors wrong): it is no oracle, the grader decides."""
    effects = nb06.line_effects(capstone.teammate(code).source)
    return set().union(*(effects[n] for n in lines)) == {"d" + n for n in nb06.truth_wrong_tensors(code)}


def other_code(exclude=(), prefix="s"):
    """The demo-key code of an id whose teammate has other wrong tensors, other wrong lines and another slope than
    the reference code's (and the codes in exclude), a pass that runs where W2 is not square, and for which the
    reference's lines do not even pass the check of buggy_lines."""
    taken = [(set(nb06.truth_wrong_tensors(c)), set(teammates.truth_buggy_lines(c)), slope_of(c))
             for c in (REF_CODE, *exclude)]
    for k in range(500):
        candidate = teammates.code_for(KEY, f"{prefix}{k}")
        tensors, lines = set(nb06.truth_wrong_tensors(candidate)), set(teammates.truth_buggy_lines(candidate))
        if all(tensors != t and lines != ln and slope_of(candidate) != s for t, ln, s in taken) \
                and not teammate_fails_off_square(candidate) and not explains(REF_LINES, candidate):
            return candidate
    raise AssertionError("no such code")


def teammate_fails_off_square(code):
    """Whether the teammate's pass of this code raises on a network whose W2 is not square (a missing transpose)."""
    mate = capstone.teammate(code)
    X, Y, _ = capstone.capstone_test_case()
    parameters = capstone.initialize_parameters((3, 4, 2, 3, 1), seed=1)
    _, cache = mate.forward_propagation(X[:3], Y, parameters)
    try:
        mate.backward_propagation(X[:3], Y, cache)
    except ValueError:
        return True
    return False


MINE = other_code()  # the attacking students' own code
MY_ID = capstone.parse_code(MINE)[0]
FRIEND = other_code((MINE,), prefix="friend")  # another student's code
FRIEND_ID = capstone.parse_code(FRIEND)[0]
FORGED = with_id(FRIEND, MY_ID)  # the friend's teammate number and key, with my id: opens the friend's teammate
NOT_ISSUED = f"was not issued for student id {MY_ID!r}"


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
                             "    from course_utils.expect.nb04 import expected_block_differences\n"
                             "    return expected_block_differences(grad=grad, gradapprox=gradapprox, keys=keys)\n"),
    "ex-diagnose": ("def diagnose(grad, gradapprox, keys, threshold=1e-5):\n"
                    "    from course_utils.expect.nb04 import expected_diagnose\n"
                    "    return expected_diagnose(grad=grad, gradapprox=gradapprox, keys=keys, threshold=threshold)\n"),
}

# ------------------------------------------------------------------------------- notebook 06 attacks
# fixed_backward by complex-step differentiation of its own forward pass (the reference teammate's network, whose
# slope the teammate cell prints): no backward pass fixed at all
COMPLEX_STEP_06 = '''def fixed_backward(X, Y, cache):
    P = {k: cache[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3", "W4", "b4")}
    m = X.shape[1]

    def cost(p):
        A = X
        for l in (1, 2, 3, 4):
            Z = p["W%d" % l] @ A + p["b%d" % l]
            if l == 2:
                A = np.where(Z.real > 0, Z, SLOPE * Z)
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
'''.replace("SLOPE", repr(REF_SLOPE))
CALLS_TRUTH_06 = {
    "ex-wrong-tensors": ("def wrong_tensors():\n    from course_utils.checks.nb06 import truth_wrong_tensors\n"
                         "    return truth_wrong_tensors(student_id())\n"),
    "ex-buggy-lines": ("def buggy_lines():\n    from course_utils.grading.teammates import truth_buggy_lines\n"
                       "    return truth_buggy_lines(student_id())\n"),
    "ex-fixed-backward": ("def fixed_backward(X, Y, cache):\n    from course_utils.checks.nb06 import exact_gradients\n"
                          "    names = ('W1', 'b1', 'W2', 'b2', 'W3', 'b3', 'W4', 'b4')\n"
                          # the slope of the teammate's network, as the teammate cell prints it
                          f"    return exact_gradients(X, Y, {{n: cache[n] for n in names}}, {REF_SLOPE!r})\n"),
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
# tests/test_catalog_nb06.py: looped(slope), the per-layer loop, a right fix written differently; fix_for(slope), the
# course's correct pass. Every fix is for the slope of its teammate's network (printed with the teammate's pass).
UNUSUAL_ID = "Grace.Hopper"
UNUSUAL_CODE = f" {teammates.code_for(KEY, UNUSUAL_ID)} "  # as written, with spaces around it


@functools.cache
def one_code_per_variant():
    """A demo-key code of every teammate number, in number order."""
    codes, k = {}, 0
    while len(codes) < teammates.N_VARIANTS:
        codes.setdefault(teammates.number_for(KEY, f"v{k}"), teammates.code_for(KEY, f"v{k}"))
        k += 1
    return [codes[n] for n in sorted(codes)]


TRANSPOSE_CODE = next(c for c in one_code_per_variant() if teammate_fails_off_square(c))


@functools.cache
def students():
    """{student: {notebook: {cell id: source}}}; an empty dict: the reference solution as it is."""
    unusual_tensors = tuple("d" + n for n in reversed(nb06.truth_wrong_tensors(UNUSUAL_CODE)))
    friends_answers = {"ex-wrong-tensors": answer_cell("wrong_tensors", nb06.truth_wrong_tensors(FRIEND)),
                       "ex-buggy-lines": answer_cell("buggy_lines", teammates.truth_buggy_lines(FRIEND)),
                       "ex-fixed-backward": fix_for(slope_of(FRIEND))}
    return {
        # honest (and the reference solutions themselves, REFERENCE)
        "zzz_honest_unusual": {
            NB4: {"ex-backward-propagation-n": LOOPED_04, "ex-diagnose": DIAGNOSE_04},
            NB6: {"ex-student-id": f'def student_id():\n    """Mine."""\n    return {UNUSUAL_CODE!r}\n',
                  "ex-wrong-tensors": answer_cell("wrong_tensors", unusual_tensors),
                  "ex-buggy-lines": answer_cell("buggy_lines", tuple(reversed(teammates.truth_buggy_lines(UNUSUAL_CODE)))),
                  "ex-fixed-backward": looped(slope_of(UNUSUAL_CODE))}},
        "zzz_honest_transpose_variant": {NB6: {  # a teammate's pass that cannot even run where W2 is not square
            "ex-student-id": id_cell(TRANSPOSE_CODE),
            "ex-wrong-tensors": answer_cell("wrong_tensors", nb06.truth_wrong_tensors(TRANSPOSE_CODE)),
            "ex-buggy-lines": answer_cell("buggy_lines", teammates.truth_buggy_lines(TRANSPOSE_CODE)),
            "ex-fixed-backward": fix_for(slope_of(TRANSPOSE_CODE))}},
        # notebook 04 (the complex-step pass, COMPLEX_STEP, is graded in a class of its own)
        "threshold_05_only": {NB4: {"ex-diagnose": THRESHOLD_05_ONLY}},
        "calls_course": {NB4: CALLS_COURSE_04, NB6: CALLS_TRUTH_06},
        # notebook 06: answers that are not the truth for the code read back
        "copies_reference_answers": {NB6: {"ex-student-id": id_cell(MINE)}},  # the reference's answers, own code
        "rebinds_student_id": {NB6: dict(  # the checks see FRIEND's code, the grader reads MINE
            friends_answers, **{"ex-student-id": id_cell(MINE, f"\n\nstudent_id = lambda: {FRIEND!r}\n")})},
        "names_everything": {NB6: {  # every name, to read the right ones off the message
            "ex-student-id": id_cell(MINE),
            "ex-wrong-tensors": answer_cell("wrong_tensors", list(capstone.PARAMETER_NAMES)),
            "ex-buggy-lines": answer_cell("buggy_lines", list(nb06.LINE_NAMES))}},
        "id_expression": {NB6: {"ex-student-id": "def student_id():\n    return "
                                                 f"{REF_CODE[:13]!r} + {REF_CODE[13:]!r}\n"}},
        # runs as the reference code (whose answers the cells keep), would show MINE if the last return were read
        "id_two_returns": {NB6: {"ex-student-id": id_cell(REF_CODE) + f"    return {MINE!r}\n"}},
        "id_lookalike": {NB6: {"ex-student-id": id_cell(REF_CODE.replace("a", "\u0430", 1))}},  # a Cyrillic a in the id
        # under the grader's 100,000 characters a cell
        "id_huge": {NB6: {"ex-student-id": id_cell(with_id(REF_CODE, "x" * 90_000))}},
        # another student's code, with that student's answers: passes, and the record names the id it read back
        "friends_id": {NB6: dict(friends_answers, **{"ex-student-id": id_cell(FRIEND)})},
        # the friend's teammate number and key under my id: opens the friend's teammate in the notebook (every check
        # passes with the friend's answers), and the grader, with the class key, refuses all four
        "forged_code": {NB6: dict(friends_answers, **{"ex-student-id": id_cell(FORGED)})},
    }


REFERENCE = "solutions"  # the reference solutions (solutions/ itself) in the course class
HONEST = (REFERENCE, "zzz_honest_unusual", "zzz_honest_transpose_variant")


def course_students(base):
    """This module's students of the course class (shared_runs.course_class: graded beside the reference solutions,
    REFERENCE): students() written under base. Returns their folders."""
    folders = []
    for student, notebooks in students().items():
        folder = base / student
        folder.mkdir()
        for notebook, sources in notebooks.items():
            (folder / notebook).write_text(json.dumps(with_sources(COURSE_SOLUTIONS / notebook, sources)),
                                           encoding="utf-8")
        folders.append(folder)
    return folders


@pytest.fixture(scope="module")
def course_class(tmp_path_factory):
    """The course class's Report (shared_runs.course_class)."""
    sandbox_needed()
    if not all((COURSE_SOLUTIONS / nb).is_file() for nb in (NB4, NB6)):
        pytest.skip("the course notebooks are not built yet")
    return shared_runs.course_class(tmp_path_factory)["report"]


def handed_in(student):
    """The notebooks (04 and/or 06) a student of this module handed in."""
    return {NB4, NB6} if student == REFERENCE else set(students()[student])


def graded(report, student):
    """{exercise: Record} of the notebooks 04 and 06 the student handed in."""
    handed = handed_in(student)
    return {r.exercise: r for r in report.records if r.student == student and r.notebook in handed}


def test_honest_students_keep_every_point(course_class):
    for student in HONEST:
        got = graded(course_class, student)
        assert len(got) == 4 * len(handed_in(student)), sorted(got)
        for r in got.values():
            assert (r.status, r.points, r.flags) == ("passed", r.max_points, []), (student, r.exercise, r.message)
    assert graded(course_class, "zzz_honest_unusual")["student_id"].message == f"student id read back: {UNUSUAL_ID!r}"
    assert graded(course_class, "zzz_honest_transpose_variant")["fixed_backward"].status == "passed"


# (student, exercise) -> (status, a piece of the message, whether the notebook's check passed: only the
# verification run stood between the attack and the points). Every one of them scores 0.
EXPECTED = {
    # a threshold honoured only where the notebook's check looks
    ("threshold_05_only", "diagnose"): ("failed", "diagnose(", True),
    # the course's answers called from the exercise: not in the verification run's file system
    ("calls_course", "block_differences"): ("failed", "may not call the course's own answer", True),
    ("calls_course", "diagnose"): ("failed", "may not call the course's own answer", True),
    ("calls_course", "wrong_tensors"): ("failed", "may not call the course's own answer", True),
    # the wrong lines are computed by the grader alone (course_utils/grading/teammates.py, not in a student's
    # install): reaching for it is flagged, and the flag holds the exercises after it
    ("calls_course", "buggy_lines"): ("flagged", "imports truth_buggy_lines from course_utils.grading.teammates", False),
    ("calls_course", "fixed_backward"): ("flagged", "which runs before this check", False),
    # answers that are right for another code than the one read back (the reference's fix: for another slope)
    ("copies_reference_answers", "wrong_tensors"): ("failed", "wrong_tensors() returned", False),
    ("copies_reference_answers", "buggy_lines"): ("failed", "these cannot be the two wrong lines", False),
    ("copies_reference_answers", "fixed_backward"): ("failed", f"your pass uses the leaky ReLU slope {REF_SLOPE:g}",
                                                     False),
    ("rebinds_student_id", "student_id"): ("failed", "not as one string literal", False),
    ("rebinds_student_id", "wrong_tensors"): ("failed", f"for capstone code {MINE!r}", True),
    ("rebinds_student_id", "buggy_lines"): ("failed", f"for capstone code {MINE!r}", True),
    ("rebinds_student_id", "fixed_backward"): ("failed", "wrong gradient", True),
    ("names_everything", "wrong_tensors"): ("failed", "name only the wrong ones", False),
    ("names_everything", "buggy_lines"): ("failed", "name the two wrong lines", False),
    # codes the grader cannot read back, or that are no code
    ("id_expression", "student_id"): ("failed", "not as one string literal", False),
    ("id_expression", "wrong_tensors"): ("failed", "one string literal", True),
    ("id_expression", "buggy_lines"): ("failed", "one string literal", True),
    ("id_expression", "fixed_backward"): ("failed", "one string literal", True),
    ("id_two_returns", "student_id"): ("failed", "not as one string literal", False),
    ("id_two_returns", "wrong_tensors"): ("failed", "one string literal", True),
    ("id_lookalike", "student_id"): ("failed", "is not an id", False),
    ("id_huge", "student_id"): ("failed", "(90,000 characters) is not an id", False),
    # a code of the right form, not issued for its id: every check passes, the grader refuses every exercise
    ("forged_code", "student_id"): ("failed", NOT_ISSUED, True),
    ("forged_code", "wrong_tensors"): ("failed", NOT_ISSUED, True),
    ("forged_code", "buggy_lines"): ("failed", NOT_ISSUED, True),
    ("forged_code", "fixed_backward"): ("failed", NOT_ISSUED, True),
}


@pytest.mark.parametrize("key", sorted(EXPECTED), ids=lambda k: f"{k[0]}-{k[1]}")
def test_attack_earns_nothing(course_class, key):
    student, exercise = key
    status, piece, fooled_the_check = EXPECTED[key]
    r = graded(course_class, student)[exercise]
    assert (r.status, r.points, bool(r.flags)) == (status, 0, status == "flagged"), r.message
    assert piece in r.message, r.message
    assert r.message.startswith(VERIFIED) == fooled_the_check, r.message


# a numerical gradient instead of a backward pass: exact on small nets, out of time on a large one. Graded alone, with
# a shorter time limit than the course class's: each of its two slow calls keeps a core busy until it is stopped (the
# notebooks' cells take about a second; the numerical pass on the large network, hundreds of thousands of forward
# passes, would take many minutes)
COMPLEX_STEP = {NB4: {"ex-backward-propagation-n": COMPLEX_STEP_04}, NB6: {"ex-fixed-backward": COMPLEX_STEP_06}}
COMPLEX_STEP_TIMEOUT = 10  # seconds per cell and per verification call


def test_a_numerical_backward_pass_is_stopped_on_the_large_network_and_told_why(tmp_path):
    sandbox_needed()
    folder = tmp_path / "complex_step"
    folder.mkdir()
    for notebook, sources in COMPLEX_STEP.items():
        (folder / notebook).write_text(json.dumps(with_sources(COURSE_SOLUTIONS / notebook, sources)), encoding="utf-8")
    report = g.grade([folder], jobs=2, timeout=COMPLEX_STEP_TIMEOUT, require_sandbox=True)
    got = {r.exercise: r for r in report.records if r.notebook in COMPLEX_STEP}  # (the other notebooks: missing)
    for exercise in ("backward_propagation_n", "fixed_backward"):
        r = got[exercise]
        assert (r.status, r.points, r.flags) == ("failed", 0, []), r.message
        assert r.message.startswith(VERIFIED), r.message  # the notebook's check passed it: only verification did not
        assert f"a call {SLOW} {COMPLEX_STEP_TIMEOUT} s" in r.message, r.message
        assert "cannot finish in time" in r.message and "parameters" in r.message, r.message
    assert all(r.status == "passed" for r in got.values() if r.exercise not in ("backward_propagation_n",
                                                                               "fixed_backward")), report.records


def test_naming_every_tensor_or_line_does_not_reveal_which_are_right(course_class):
    """Every name at once: the check of wrong_tensors and the grader count the right ones among them, never name
    them; the check of buggy_lines wants two lines; the grader's judge of every line says what it says of every
    wrong pair (no count, no name)."""
    got = graded(course_class, "names_everything")
    truth_tensors, truth_lines = nb06.truth_wrong_tensors(MINE), teammates.truth_buggy_lines(MINE)
    from course_utils.expect.nb06 import NOT_THE_LINES


    def after_the_list(message):
        listed = message.split("returned", 1)[1].split("]", 1)[1]  # after the student's own list
        return listed.replace("dW_l", "").replace("db_l", "").replace("dZ_l", "").replace("dA_l", "")
    message = got["wrong_tensors"].message
    assert not any(name in after_the_list(message) for name in capstone.PARAMETER_NAMES), message
    assert f"{len(capstone.PARAMETER_NAMES) - len(truth_tensors)} of the" in message, message
    message = got["buggy_lines"].message
    assert not any(name in after_the_list(message) for name in nb06.LINE_NAMES), message
    judge = specs06._line_cases(np.random.default_rng(0), {"student_id": id_cell(MINE)})[0].judge
    message = judge(list(nb06.LINE_NAMES), "")
    assert not any(name in after_the_list(message) for name in nb06.LINE_NAMES), message
    others = [n for n in nb06.LINE_NAMES if n not in truth_lines][:2]
    assert message.endswith(": " + NOT_THE_LINES) and judge(others, "").endswith(": " + NOT_THE_LINES), message
    assert judge(list(truth_lines), "") is None


def test_another_students_code_is_on_the_record(course_class):
    """Not stopped (the code was issued for the id it carries): the record says whose teammate was graded, for the
    instructor to compare with the class list. A forged code reads back no id at all."""
    got = graded(course_class, "friends_id")
    assert all(r.status == "passed" for r in got.values()), {e: r.message for e, r in got.items()}
    assert got["student_id"].message == f"student id read back: {FRIEND_ID!r}"
    header, rows = course_class.csv_rows()  # and the gradebook has a column of the ids read back
    column = header.index(specs06.ID_COLUMN)
    ids = {row[0]: row[column] for row in rows}
    assert ids["friends_id"] == FRIEND_ID and ids["zzz_honest_unusual"] == UNUSUAL_ID and ids["forged_code"] == ""


def test_a_student_id_cell_too_deep_to_parse_cannot_be_judged_and_does_not_stop_the_verification():
    source = id_cell(MINE, "\n\nx = " + "-" * 100_000 + "1\n")
    literal, why = specs06.read_id({"student_id": source})
    assert literal is None and "one string literal" in why


def test_a_numerical_backward_pass_is_exact_on_the_small_cases_but_runs_out_of_time_on_the_large_one():
    """Why the large case is there: on every other case the complex-step answer is judged right."""
    rng = np.random.default_rng(4)
    space = {"np": np}
    exec(COMPLEX_STEP_04, space)  # noqa: S102 -- the attack, on the small cases only
    cases = _backward_cases(rng)
    assert [c.judge(space["backward_propagation_n"](*c.args), "") for c in cases[:-1]] == [None] * (len(cases) - 1)
    assert sum(v.size for v in cases[-1].args[2][2::4]) > 300_000  # W1, W2, W3 of the large case
    exec(COMPLEX_STEP_06, space)  # noqa: S102
    cases = specs06._fix_cases(rng, {"student_id": reference_cell(NB6, "ex-student-id")})
    assert [c.judge(space["fixed_backward"](*c.args), "") for c in cases[:-1]] == [None] * (len(cases) - 1)
    assert sum(cases[-1].args[2][f"W{l}"].size for l in range(1, 5)) > 300_000


GRADIENT_NAME = re.compile(r"\bd?[Wb][1-4]\b")


def test_the_large_capstone_case_tells_a_wrong_gradient_from_a_right_one():
    """On MINE's network: the loop fix passes; the teammate's pass is told how many gradients are wrong, not which;
    a scaled answer fails; a missing key is named."""
    case = specs06.fix_cases_for(np.random.default_rng(7), slope_of(MINE))[-1]
    X, Y, cache = case.args
    space = {"np": np}
    exec(looped(slope_of(MINE)), space)  # noqa: S102
    right = space["fixed_backward"](X, Y, cache)
    assert case.judge(right, "") is None
    message = case.judge(capstone.teammate(MINE).backward_propagation(X, Y, cache), "")
    wrong = len(nb06.truth_wrong_tensors(MINE))
    assert f"returned {wrong} wrong gradient{'s' if wrong > 1 else ''} of the 8" in message, message
    assert not GRADIENT_NAME.search(message), message
    assert case.judge({k: v * (1 + 1e-6) for k, v in right.items()}, "") is not None
    assert "db4" in case.judge({k: v for k, v in right.items() if k != "db4"}, "")


def test_a_threshold_honoured_only_at_05_fails_every_draw():
    space = {"np": np}
    exec(reference_cell(NB4, "ex-block-differences"), space)  # noqa: S102
    exec(THRESHOLD_05_ONLY, space)  # noqa: S102
    honest = {"np": np}
    exec(reference_cell(NB4, "ex-block-differences") + "\n\n" + reference_cell(NB4, "ex-diagnose"), honest)  # noqa: S102
    for seed in range(40):
        cases = _diagnose_cases(np.random.default_rng(seed))
        assert any(c.judge(space["diagnose"](*c.args), "") for c in cases), seed
        assert not any(c.judge(honest["diagnose"](*c.args), "") for c in cases), seed


def test_a_right_fix_passes_the_check_beside_the_code_of_every_teammate(capsys):
    """The check builds its hint from the teammate's pass; a pass with a missing transpose raised ValueError on the
    check's networks whose W2 is not square, which once cost those teammates' students every point of a right fix.
    Every one of the 522 teammates: the reference fix, written for its network's slope, passes beside its code."""
    reference = reference_cell(NB6, "ex-fixed-backward")
    assert f"np.where(Z2 > 0, 1.0, {REF_SLOPE!r})" in reference
    failing = []
    for code in one_code_per_variant():
        space = {"np": np}
        exec(reference.replace(f"1.0, {REF_SLOPE!r})", f"1.0, {slope_of(code)!r})"), space)  # noqa: S102
        exec(id_cell(code), space)  # noqa: S102 -- the fix's globals hold this student_id
        try:
            nb06.check_fixed_backward(space["fixed_backward"])
        except Exception as error:  # noqa: BLE001 -- collected
            failing.append((code, repr(error)[:120]))
    assert failing == []
    assert capsys.readouterr().out.count("fixed_backward passed") == capstone.N_VARIANTS == teammates.N_VARIANTS
    assert teammate_fails_off_square(TRANSPOSE_CODE)


def test_the_wrong_lines_pass_the_check_beside_the_code_of_every_teammate(capsys):
    """The check of buggy_lines accepts the two wrong lines of every one of the 522 teammates (a right answer never
    fails it). And it is an oracle only where the wrong tensors are one already: where it accepts a single pair,
    both lines are dW or db lines, each of which makes its own tensor wrong and nothing else."""
    space = {"np": np}
    failing, single = [], set()
    for code in one_code_per_variant():
        mate = capstone.teammate(code)
        truth = teammates.truth_buggy_lines(mate)
        exec(id_cell(code) + "\n\n" + answer_cell("buggy_lines", truth), space)  # noqa: S102
        try:
            nb06.check_buggy_lines(space["buggy_lines"])
        except AssertionError as error:
            failing.append((code, str(error)[:120]))
        wrong = {"d" + n for n in nb06.truth_wrong_tensors(mate)}
        effects = nb06.line_effects(mate.source)
        accepted = [(a, b) for i, a in enumerate(nb06.LINE_NAMES) for b in nb06.LINE_NAMES[i + 1:]
                    if effects[a] | effects[b] == wrong]
        if len(accepted) == 1:
            single.add(accepted[0])
            assert set(accepted[0]) == set(truth) == wrong, (code, accepted, wrong)
    assert failing == []
    assert single and all(name.startswith(("dW", "db")) for pair in single for name in pair), single
    assert " ".join(capsys.readouterr().out.split()).count(nb06.CONFIRM) == capstone.N_VARIANTS


# -------------------------------------------------------------- issue 17: the capstone's answers are not shipped
def test_the_shipped_teammates_cannot_be_majority_voted():
    """The 87 buggy passes once shipped readable (in a generated module since removed): a majority vote over them, line
    by line, gave the correct pass -- and with it every student's wrong lines and fix. Now the package holds each
    teammate sealed under its own key, and a code's key opens its own teammate and no other; neither the correct
    pass nor any teammate's lines are in the shipped text."""
    sealed = capstone_teammates.SEALED
    assert len(sealed) == capstone.N_VARIANTS == teammates.N_VARIANTS
    for code in (REF_CODE, MINE, FRIEND, UNUSUAL_CODE):
        _, number, key = capstone.parse_code(code)
        opened = [n for n in range(len(sealed)) if capstone.unseal(sealed[n], key) is not None]
        assert opened == [number], (code, opened)
        assert capstone.unseal(sealed[number], key)["body"] == teammates.variant(number).body
    shipped = "".join(open(module.__file__, encoding="utf-8").read() for module in (capstone, capstone_teammates))
    for line in teammates.mutate((), REF_SLOPE).splitlines() + [s.buggy for s in teammates.SITES]:
        if line.startswith("d"):  # the lines of the pass: dZ4 = ..., ..., db1 = ...
            assert line.format(slope=REF_SLOPE) not in shipped, line


def test_the_check_of_buggy_lines_is_no_oracle_and_the_grader_accepts_only_the_wrong_lines(capsys):
    """Looping the notebook's check over every pair of lines: more than one pair passes for the reference code (any
    two lines that explain the wrong tensors), so the check does not give the answer away; the grader's judge of
    the same code accepts exactly one pair, the two wrong lines."""
    space = {"np": np}
    exec(reference_cell(NB6, "ex-student-id"), space)  # noqa: S102
    judge = specs06._line_cases(np.random.default_rng(0), {"student_id": reference_cell(NB6, "ex-student-id")})[0].judge
    by_check, by_grader = [], []
    for i, a in enumerate(nb06.LINE_NAMES):
        for b in nb06.LINE_NAMES[i + 1:]:
            exec(answer_cell("buggy_lines", [a, b]), space)  # noqa: S102
            try:
                nb06.check_buggy_lines(space["buggy_lines"])
                by_check.append({a, b})
            except AssertionError:
                pass
            if judge([a, b], "") is None:
                by_grader.append({a, b})
    assert len(by_check) > 1 and set(REF_LINES) in by_check, by_check
    assert by_grader == [set(REF_LINES)]
    out = capsys.readouterr().out
    assert "grader decides" in out and not any(name in out for name in nb06.LINE_NAMES)


#: a student's function for each capstone exercise, called as the verification run calls it: fn(*case.args)
STUBS = {"student_id": lambda: FORGED, "wrong_tensors": lambda: nb06.truth_wrong_tensors(FRIEND),
         "buggy_lines": lambda: teammates.truth_buggy_lines(FRIEND), "fixed_backward": lambda X, Y, cache: {}}


@pytest.mark.parametrize("exercise", list(STUBS))
def test_a_forged_code_is_refused_by_the_verification_of_every_capstone_exercise(exercise):
    """The friend's teammate number and key under my id: right in form, it opens the friend's teammate in the
    notebook; every capstone spec refuses it: its cases, run as the verification runs them, say why."""
    assert capstone.teammate(FORGED).number == capstone.teammate(FRIEND).number
    assert teammates.check_code(KEY, FRIEND)[0] is not None and teammates.check_code(KEY, MINE)[0] is not None
    assert specs06.read_id({"student_id": id_cell(FORGED)}) == (None, f"cannot be judged: "
                                                                      f"{teammates.check_code(KEY, FORGED)[1]}")
    spec = getattr(specs06, exercise)
    cases = spec.cases(np.random.default_rng(0), {"student_id": id_cell(FORGED)})
    assert isinstance(cases, str), cases  # refused: the verdict, and nothing of the student's is called
    messages = [cases]
    assert messages and all(m is not None and NOT_ISSUED in m for m in messages), messages


# --------------------------------------------------------------------- issue 17, item 1: absurd magnitudes
def huge(shapes, value=1e200):
    return {name: np.full(shape, value) for name, shape in shapes.items()}


@pytest.mark.parametrize("value, piece", [(1e200, "absurd for this case"), (np.inf, "non-finite"),
                                          (np.nan, "non-finite")])
def test_huge_or_non_finite_gradients_are_rejected_before_any_tolerance_scales_by_them(value, piece):
    """np.full(shape, 1e200) on the large networks: its norm overflows to inf, and a tolerance of 1e-8 ||v|| ||g||
    with it; every judge rejects such an answer first, and says why."""
    case = specs06.fix_cases_for(np.random.default_rng(7), REF_SLOPE)[-1]
    cache = case.args[2]
    shapes = {"d" + n: cache[n].shape for n in capstone.PARAMETER_NAMES}
    with np.errstate(over="ignore"):  # the attack's premise
        assert value != 1e200 or np.linalg.norm(np.full(shapes["dW2"], value)) == np.inf
    message = case.judge(huge(shapes, value), "")
    assert message is not None and piece in message and "dW1" in message, message
    case = _backward_cases(np.random.default_rng(7))[-1]
    cache = case.args[2]
    shapes = {f"d{k}{l}": cache[4 * (l - 1) + (2 if k == "W" else 3)].shape for l in (1, 2, 3) for k in "Wb"}
    message = case.judge(huge(shapes, value), "")
    assert message is not None and piece in message, message


def test_the_bound_the_large_case_uses_holds_for_every_right_gradient():
    """_gradient_bounds is an upper bound of every entry of the exact gradient (so no right answer is called
    absurd), on the small networks where the exact gradient is computed, and not far above it."""
    for seed in range(2 * len(teammates.SLOPES)):  # every teammate's slope, twice
        slope = teammates.SLOPES[seed % len(teammates.SLOPES)]
        for case in specs06.fix_cases_for(np.random.default_rng(seed), slope)[:-1]:
            X, Y, cache = case.args
            exact = nb06.exact_gradients(X, Y, {n: cache[n] for n in capstone.PARAMETER_NAMES}, slope)
            bounds = specs06._gradient_bounds(X, cache)
            for name, gradient in exact.items():
                assert np.max(np.abs(gradient)) <= bounds[name] * (1 + 1e-12), (seed, name)
            assert case.judge(exact, "") is None


# ------------------------------------------------------------------ issue 17, items 3 and 4: the grader itself
FIXTURE_RELEASE = ROOT / "tests" / "fixtures" / "grading" / "release"
FIXTURE_SOLUTIONS = ROOT / "tests" / "fixtures" / "grading" / "solutions"
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
    course_release = ROOT / "notebooks"
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
    from course_utils.grading import scan_process

    class Mute(scan_process._Parser):
        def _start(self):
            self.proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, start_new_session=True)
    mute = Mute()
    monkeypatch.setattr(scan_process, "_PARSER", mute)
    flags = scan_process.scan_untrusted(RIGHT_SQUARE, timeout=1)
    assert flags == ["could not be scanned within 1 s (the grader's parser was stopped); a person must review it"]
    assert mute.proc is None  # stopped: the next cell starts a new one
    monkeypatch.setattr(scan_process, "_PARSER", scan_process._Parser())
    assert scan_process.scan_untrusted("import subprocess\n" + RIGHT_SQUARE) == ["imports subprocess (line 1)"]
    assert scan_process.scan_untrusted(HELP_SYNTAX)[0].startswith("could not be scanned: 33,000 of its lines")
    scan_process._PARSER.stop()
