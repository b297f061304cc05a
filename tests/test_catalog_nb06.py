"""Catalog of right and wrong answers for notebook 06, hunt the bugs (see tests/catalog.py).

Three differences from the other catalogs, all because of the capstone code ("<id>:<number>:<key>", issued per
student under the public demo class key here; course_utils/grading/teammates.py):
- the exercise cell runs with its source in linecache (as IPython keeps it, so the check can read student_id's
  return line as the grader does), and the verification run gets a student_id cell beside the entry (the grader
  reads the code from it): the reference solution's, or the entry's own `code` (an entry about a teammate the
  reference code does not open: wrong tensors in several layers, say);
- buggy_lines' check is no oracle: it accepts any two lines that explain the wrong tensors. An entry with two such
  lines that are not the wrong ones is `check_passes`: wrong, its check passes (printing CONFIRM), and the grader's
  verification rejects it (with `grader_hint` in its message, when given). A friend's code carrying my id is one too:
  it opens the friend's teammate in the notebook, and the grader, holding the class key, refuses it;
- the answers expected for a code are computed from the truth (course_utils.checks.nb06), never pasted, and every
  fix is written for the slope of its teammate's network (each teammate has its own).
"""
import contextlib
import io
import linecache
import os
import re
from dataclasses import dataclass

import catalog
import numpy as np
import pytest
from catalog import Entry

from course_utils import capstone, checks
from course_utils.checks import nb06
from course_utils.expect.mistakes import mistake_of, named
from course_utils.grading import sandbox, teammates, verify
from course_utils.grading.mistakes import hint_of

EXERCISES = ("student_id", "wrong_tensors", "buggy_lines", "fixed_backward")
KEY = teammates.DEMO_KEY  # the course's own notebooks and tests use the public demo key


@dataclass(frozen=True)
class Entry06(Entry):
    """A catalog entry of notebook 06 (see the module docstring).

    code -- the capstone code of the student_id cell beside the entry (None: the reference solution's)
    check_passes -- a wrong entry the notebook's check cannot tell (it passes); the verification rejects it
    grader_hint -- a piece of the verification's message that names the mistake
    """

    code: str | None = None
    check_passes: bool = False
    grader_hint: str | None = None

    def __post_init__(self):
        super().__post_init__()
        assert not (self.right and (self.check_passes or self.grader_hint)), self.label
        assert not (self.check_passes and self.hint), self.label  # a passing check names nothing


def code_of(number, prefix="s"):
    """A demo-key capstone code of teammate `number`: the first id prefix0, prefix1, ... the class key gives it."""
    i = 0
    while teammates.number_for(KEY, f"{prefix}{i}") != number:
        i += 1
    return teammates.code_for(KEY, f"{prefix}{i}")


def with_id(code, student):
    """A code of the right form: `code`'s teammate number and key, with another student id (a forgery)."""
    return student + ":" + code.split(":", 1)[1]


REF_CODE = nb06._literal_id(catalog.reference("student_id"))
REF_ID = capstone.parse_code(REF_CODE)[0]
VARIANT = teammates.variant(capstone.teammate(REF_CODE).number)
SLOPE = VARIANT.slope
TENSORS = nb06.truth_wrong_tensors(REF_CODE)
LINES = teammates.truth_buggy_lines(REF_CODE)
LAYER = {name: int(name[-1]) for name in capstone.PARAMETER_NAMES}

# a friend: another teammate with other wrong tensors, other wrong lines and another slope
FRIEND_NUMBER = next(n for n in range(teammates.N_VARIANTS) if teammates.variant(n).slope != SLOPE
                     and {s.target for s in teammates.variant(n).sites}.isdisjoint(LINES)
                     and set(nb06.truth_wrong_tensors(teammates.variant(n))) != set(TENSORS))
FRIEND_CODE = code_of(FRIEND_NUMBER, prefix="friend")
FORGED_CODE = with_id(FRIEND_CODE, REF_ID)  # the friend's number and key, my id
# a teammate whose wrong tensors span three layers (a wrong dZ3 line): the reference's are all in layer 1
MULTI_CODE = code_of(next(n for n in range(teammates.N_VARIANTS)
                          if {s.target for s in teammates.variant(n).sites} == {"dZ3", "db1"}))
MULTI = nb06.truth_wrong_tensors(MULTI_CODE)
assert len({LAYER[n] for n in MULTI}) >= 3, MULTI


def consistent_pairs(mate):
    """The pairs of lines the check of buggy_lines accepts for a teammate: those whose wrong values would make
    exactly the wrong tensors wrong."""
    wrong = {"d" + n for n in nb06.truth_wrong_tensors(mate)}
    effects = nb06.line_effects(nb06._mate(mate).source)
    return [(a, b) for i, a in enumerate(nb06.LINE_NAMES) for b in nb06.LINE_NAMES[i + 1:]
            if effects[a] | effects[b] == wrong]


CONSISTENT = consistent_pairs(REF_CODE)
assert set(LINES) in [set(p) for p in CONSISTENT] and len(CONSISTENT) > 2, CONSISTENT
# two consistent lines, neither of them wrong: the gradients that come out wrong
GRADIENT_LINES = ["d" + n for n in TENSORS]
assert tuple(GRADIENT_LINES) in CONSISTENT
# one wrong line and one that only receives its wrong value (a line below it that uses it), consistent
BELOW = next(n for n in nb06.LINE_NAMES if n not in LINES and LINES[0] in nb06._downstream(VARIANT.source).get(n, ())
             and tuple(sorted((n, LINES[1]), key=nb06.LINE_NAMES.index)) in CONSISTENT)
# a friend's wrong lines that happen to explain my wrong tensors too; and a friend's that do not
FITTING_FRIEND = next(code_of(n, prefix="f") for n in range(teammates.N_VARIANTS)
                      if {s.target for s in teammates.variant(n).sites} != set(LINES)
                      and tuple(sorted((s.target for s in teammates.variant(n).sites), key=nb06.LINE_NAMES.index))
                      in CONSISTENT)
FITTING_LINES = teammates.truth_buggy_lines(FITTING_FRIEND)
OTHER_LINES = teammates.truth_buggy_lines(FRIEND_CODE)
assert tuple(OTHER_LINES) not in CONSISTENT and set(FITTING_LINES) != set(LINES)
SPREADS = next(n for n in ("dZ4", "dW4", "db4") if n not in LINES)  # spreads to tensors the gradient check finds right


def student_id(body):
    return f"def student_id():\n{body}\n"


def id_cell(code):
    return student_id(f"    return {code!r}")


def returns(name, value, doc=""):
    return f"def {name}():\n{doc}    return {value}\n"


def fixed(body, name="fixed_backward"):
    lines = "".join("    " + line + "\n" if line else "\n" for line in body.splitlines())
    return f"def {name}(X, Y, cache):\n{lines}"


def template(*replacements, slope=SLOPE):
    """The correct pass of a network of this slope with lines replaced: (start of line, new line)."""
    lines = teammates.mutate((), slope).splitlines()
    for start, new in replacements:
        hits = [i for i, line in enumerate(lines) if line.startswith(start)]
        assert len(hits) == 1, start
        lines[hits[0]] = new
    return "\n".join(lines)


def site(kind, target):
    return next(s for s in teammates.SITES if s.kind.startswith(kind) and s.target == target)


def with_site(s):
    """The correct pass with one planted site: not one of the reference teammate's (that would be a bug left)."""
    assert s not in VARIANT.sites, s
    return teammates.mutate((s,), SLOPE)


def fix_for(slope):
    """A right fixed_backward for a network of this slope: the course's correct pass."""
    return fixed(teammates.mutate((), slope))


BLOCKS = nb06.teammate_block_differences(REF_CODE)  # what the student's own gradient check shows
TOP_RIGHT = max((n for n in capstone.PARAMETER_NAMES if n not in TENSORS), key=BLOCKS.get)
LOW_WRONG = min(TENSORS, key=BLOCKS.get)
TEAMMATE = VARIANT.source.replace("def backward_propagation(", "def fixed_backward(")
ONE_FIXED = fixed(teammates.mutate(VARIANT.sites[:1], SLOPE))


def looped(slope):
    """A right fix written as a loop over the layers, for a network of this slope."""
    return f'''def fixed_backward(X, Y, cache):
    m = X.shape[1]
    derivative = {{1: lambda Z, A: 1 - A ** 2, 2: lambda Z, A: np.where(Z > 0, 1.0, {slope!r}),
                  3: lambda Z, A: 1 - np.tanh(Z) ** 2}}
    gradients = {{}}
    dZ = cache["A4"] - Y
    for l in range(4, 0, -1):
        A_prev = X if l == 1 else cache[f"A{{l - 1}}"]
        gradients[f"dW{{l}}"] = dZ @ A_prev.T / m
        gradients[f"db{{l}}"] = dZ.mean(axis=1, keepdims=True)
        if l > 1:
            dA = cache[f"W{{l}}"].T @ dZ
            dZ = dA * derivative[l - 1](cache[f"Z{{l - 1}}"], cache[f"A{{l - 1}}"])
    return gradients
'''


LOOPED = looped(SLOPE)
NOT_ISSUED = f"was not issued for student id {REF_ID!r}"
MADE_UP = REF_CODE[:-4] + ("aaaa" if not REF_CODE.endswith("aaaa") else "bbbb")  # the reference's, 4 letters changed

CATALOG = [
    # ---------------------------------------------------------------------------------------- student_id
    Entry06("student_id", "empty", student_id('    return ""'), hint="that is a placeholder"),
    Entry06("student_id", "the example code", id_cell(capstone.EXAMPLE_CODE), hint="(the example of the exercise)",
            subtle="other"),
    Entry06("student_id", "the student id alone", id_cell(REF_ID), hint="a student id alone, not the capstone code",
            subtle="other"),
    Entry06("student_id", "a bare string, no return", student_id(f"    {REF_CODE!r}"),
            hint="return your capstone code as a string"),
    Entry06("student_id", "a number", student_id("    return 12345"), hint="return your capstone code as a string"),
    Entry06("student_id", "with a space in the id", id_cell(REF_CODE.replace("-", " ", 1)), hint="is not an id"),
    Entry06("student_id", "an id too long", id_cell(with_id(REF_CODE, "a" * 70)), hint="is not an id",
            subtle="other"),
    Entry06("student_id", "no number", id_cell(REF_CODE.replace(f":{VARIANT.number}:", ":two hundred:")),
            hint="must be a number"),
    Entry06("student_id", "a key of the wrong length", id_cell(REF_CODE[:-1]),
            hint="must be 16 letters and digits 2-7"),
    Entry06("student_id", "a made-up code", id_cell(MADE_UP), hint="opens none of this release's teammates",
            subtle="other"),
    Entry06("student_id", "another class's code", id_cell(teammates.code_for(b"another class".ljust(32, b"-"), REF_ID)),
            hint="opens none of this release's teammates", subtle="other"),
    Entry06("student_id", "a number beyond the release", id_cell(f"{REF_ID}:{teammates.N_VARIANTS}:"
                                                                   + REF_CODE.rsplit(":", 1)[1]),
            hint="opens none of this release's teammates", subtle="other"),
    # opens the friend's teammate in the notebook (the key fits the number); the grader checks the id with the class
    # key and refuses it, in this exercise and in every one that needs the teammate (test below)
    Entry06("student_id", "a friend's code with my id", id_cell(FORGED_CODE), check_passes=True,
            grader_hint=NOT_ISSUED, subtle="other"),
    Entry06("student_id", "computed", student_id(f'    return {REF_CODE[:13]!r} + {REF_CODE[13:]!r}'),
            hint="one string literal", subtle="other"),
    Entry06("student_id", "from a variable", f"CODE = {REF_CODE!r}\n\n\n" + student_id("    return CODE"),
            hint="one string literal", subtle="other"),
    Entry06("student_id", "prints it too", student_id(f'    print("my code")\n    return {REF_CODE!r}'),
            hint="one string literal", subtle="other"),
    Entry06("student_id", "a different code on each call",
            f"import itertools\n_codes = itertools.cycle([{REF_CODE!r}, {FRIEND_CODE!r}])\n\n\n"
            + student_id("    return next(_codes)"), hint="the same code every time", subtle="other"),
    Entry06("student_id", "docstring, comment, spaces and capitals",
            student_id(f'    """Mine."""\n    # as the instructor wrote it\n    return " {REF_CODE.upper()} "'),
            right=True),
    Entry06("student_id", "an e-mail address in single quotes",
            student_id(f"    return '{teammates.code_for(KEY, 'ada.lovelace@uni.example')}'"), right=True),
    # ------------------------------------------------------------------------------------- wrong_tensors
    Entry06("wrong_tensors", "stops at the first suspects", returns("wrong_tensors", repr(MULTI[-2:])),
            code=MULTI_CODE, hint="stopped at the first suspects"),
    Entry06("wrong_tensors", "all but layer 1", returns("wrong_tensors", repr([n for n in MULTI if LAYER[n] > 1])),
            code=MULTI_CODE, hint="stopped at the first suspects"),
    Entry06("wrong_tensors", "every tensor", returns("wrong_tensors", repr(list(capstone.PARAMETER_NAMES))),
            hint="compares against something other"),
    Entry06("wrong_tensors", "prints instead of returning", f"def wrong_tensors():\n    print({TENSORS!r})\n",
            hint="forget `return`"),
    Entry06("wrong_tensors", "lower-case names", returns("wrong_tensors", repr([n.lower() for n in TENSORS])),
            hint="the names are case-sensitive"),
    Entry06("wrong_tensors", "one string", returns("wrong_tensors", repr(", ".join(TENSORS))),
            hint="returned the string", subtle="right values wrong shape"),
    Entry06("wrong_tensors", "a right tensor too", returns("wrong_tensors", repr(TENSORS + [TOP_RIGHT])),
            hint="block difference is round-off", subtle="other"),
    Entry06("wrong_tensors", "the one with the smallest block difference missing",
            returns("wrong_tensors", repr([n for n in TENSORS if n != LOW_WRONG])), hint="your threshold is too high",
            subtle="right shape wrong values"),
    Entry06("wrong_tensors", "none", returns("wrong_tensors", "[]"), hint="you named no tensor", subtle="other"),
    Entry06("wrong_tensors", "a name twice", returns("wrong_tensors", repr(TENSORS + TENSORS[:1])), hint="twice",
            subtle="other"),
    Entry06("wrong_tensors", "a set", returns("wrong_tensors", "{" + repr(TENSORS)[1:-1] + "}"),
            hint="return a list of tensor names", subtle="right values wrong shape"),
    Entry06("wrong_tensors", "a friend's tensors",
            returns("wrong_tensors", repr(nb06.truth_wrong_tensors(FRIEND_CODE))), subtle="right shape wrong values"),
    Entry06("wrong_tensors", "gradient names, reversed, as a tuple",
            returns("wrong_tensors", repr(tuple("d" + n for n in reversed(TENSORS)))), right=True),
    Entry06("wrong_tensors", "mixed names built in a loop",
            "def wrong_tensors():\n    found = []\n"
            f"    for name in {list(capstone.PARAMETER_NAMES)!r}:\n"
            f"        if name in {MULTI!r}:\n"
            "            found.append('d' + name if name.startswith('W') else name)\n    return found\n",
            code=MULTI_CODE, right=True),
    # --------------------------------------------------------------------------------------- buggy_lines
    Entry06("buggy_lines", "the gradients that come out wrong", returns("buggy_lines", repr(GRADIENT_LINES)),
            check_passes=True, grader_hint="not your teammate's two wrong lines", subtle="other"),
    Entry06("buggy_lines", "prints instead of returning", f"def buggy_lines():\n    print({LINES!r})\n",
            hint="forget `return`"),
    Entry06("buggy_lines", "one string", returns("buggy_lines", repr(" and ".join(LINES))), hint="returned the string"),
    Entry06("buggy_lines", "a line twice", returns("buggy_lines", repr(LINES + LINES[:1])), hint="twice"),
    Entry06("buggy_lines", "a line that does not exist", returns("buggy_lines", repr(["dA4"] + LINES[1:])),
            hint="the pass has no such line"),
    Entry06("buggy_lines", "lower case", returns("buggy_lines", repr([n.lower() for n in LINES])),
            hint="the names are case-sensitive"),
    Entry06("buggy_lines", "only one", returns("buggy_lines", repr(LINES[:1])), hint="you named one line",
            subtle="returns too early"),
    Entry06("buggy_lines", "the line that uses a wrong one, instead of it", returns("buggy_lines", repr(
        [BELOW] + LINES[1:])), check_passes=True, grader_hint="not your teammate's two wrong lines", subtle="other"),
    Entry06("buggy_lines", "every line", returns("buggy_lines", repr(list(nb06.LINE_NAMES))),
            hint="name the two wrong lines", subtle="other"),
    Entry06("buggy_lines", "a friend's lines", returns("buggy_lines", repr(OTHER_LINES)), hint="read the pattern",
            subtle="right shape wrong values"),
    Entry06("buggy_lines", "a friend's lines that fit my wrong tensors", returns("buggy_lines", repr(FITTING_LINES)),
            check_passes=True, subtle="right shape wrong values"),
    Entry06("buggy_lines", "the two, and a line that only receives a wrong value", returns("buggy_lines", repr(
        LINES + [BELOW])), hint="name the two wrong lines", subtle="other"),
    Entry06("buggy_lines", "one right, one that spreads too far", returns("buggy_lines", repr(LINES[:1] + [SPREADS])),
            hint="read the pattern", subtle="other"),
    Entry06("buggy_lines", "a tensor name instead of a line", returns("buggy_lines", repr([LINES[0], "W1"])),
            hint="you named a tensor", subtle="other"),
    Entry06("buggy_lines", "reversed tuple", returns("buggy_lines", repr(tuple(reversed(LINES)))), right=True),
    Entry06("buggy_lines", "filtered from every line", "def buggy_lines():\n"
            f"    return [name for name in {list(nb06.LINE_NAMES)!r} if name in {set(LINES)!r}]\n", right=True),
    # ------------------------------------------------------------------------------------ fixed_backward
    Entry06("fixed_backward", "the teammate's pass unchanged", TEAMMATE, hint="your teammate's gradients unchanged"),
    Entry06("fixed_backward", "one of the two bugs left", ONE_FIXED, subtle="other"),
    Entry06("fixed_backward", "the other bug left", fixed(teammates.mutate(VARIANT.sites[1:], SLOPE)), subtle="other"),
    # the teammate's own kinds of bug: no hint may name them (it would name the teammate's bug: see
    # test_no_hint_names_a_kind_of_the_teammates_bugs), so these are told how many gradients are wrong
    Entry06("fixed_backward", "tanh derivative from Z", fixed(with_site(site("tanh derivative from Z", "dZ3")))),
    Entry06("fixed_backward", "tanh derivative from Z in both tanh layers",
            fixed(template(("dZ1 = ", "dZ1 = dA1 * (1 - Z1 ** 2)"), ("dZ3 = ", "dZ3 = dA3 * (1 - Z3 ** 2)")))),
    Entry06("fixed_backward", "tanh applied twice", fixed(with_site(site("tanh applied twice", "dZ3")))),
    Entry06("fixed_backward", "leaky slope dropped", fixed(with_site(site("leaky-ReLU slope dropped", "dZ2"))),
            subtle="other"),
    Entry06("fixed_backward", "leaky slopes swapped",
            fixed(with_site(site("leaky-ReLU slope on the wrong side", "dZ2"))), subtle="other"),
    Entry06("fixed_backward", "missing transpose", fixed(with_site(site("missing transpose", "dA1")))),
    Entry06("fixed_backward", "1/m twice", fixed(with_site(site("1/m applied twice", "dA2")))),
    Entry06("fixed_backward", "db summed from dA", fixed(with_site(site("bias gradient summed", "db1")))),
    Entry06("fixed_backward", "dW2 from A2", fixed(with_site(site("cache of the wrong layer", "dW2"))),
            subtle="canonical input only"),
    # mistakes no teammate has: named
    Entry06("fixed_backward", "sign flipped at the output", fixed(template(("dZ4 = ", "dZ4 = Y - A4"))),
            hint="opposite sign"),
    Entry06("fixed_backward", "sigmoid derivative twice",
            fixed(template(("dZ4 = ", "dZ4 = (A4 - Y) * A4 * (1 - A4)")))),
    Entry06("fixed_backward", "leaky slope 0.01",
            fixed(template(("dZ2 = ", "dZ2 = dA2 * np.where(Z2 > 0, 1.0, 0.01)"))),
            hint="your pass uses the leaky ReLU slope 0.01 for Z <= 0", subtle="other"),
    Entry06("fixed_backward", "the example network's slope 0.1, not the teammate's", fix_for(capstone.LEAKY_SLOPE),
            hint=f"your pass uses the leaky ReLU slope 0.1 for Z <= 0, and your network's is {SLOPE:g}",
            subtle="other"),
    Entry06("fixed_backward", "a friend's fix", fix_for(teammates.variant(FRIEND_NUMBER).slope),
            hint=f"and your network's is {SLOPE:g}", subtle="other"),
    Entry06("fixed_backward", "memoised by X.shape", "_MEMO = {}\n\n\n" + fixed(template(
        ("m = ", "if X.shape in _MEMO:\n    return _MEMO[X.shape]\nm = X.shape[1]"),
        ("return gradients", "_MEMO[X.shape] = gradients\nreturn gradients"))), hint="a cache keyed by X.shape",
            subtle="other"),
    Entry06("fixed_backward", "db without keepdims",
            fixed(template(("db1 = ", "db1 = 1. / m * np.sum(dZ1, axis=1)"))), hint="keepdims=True",
            subtle="right values wrong shape"),
    Entry06("fixed_backward", "m hard-coded", fixed(template(("m = ", "m = 10"))), hint="m is hard-coded to 10",
            subtle="canonical input only"),
    Entry06("fixed_backward", "squares A1 in the cache",
            fixed(template(("dZ1 = ", "dZ1 = dA1 * (1 - np.square(A1, out=A1))"))),
            hint="changed X, Y or cache in place", subtle="mutates its input"),
    Entry06("fixed_backward", "forgets db4",
            fixed(template(("             \"dW3\"", "             \"dW3\": dW3, \"db3\": db3, \"dW4\": dW4}"))),
            hint="without db4", subtle="returns too early"),
    Entry06("fixed_backward", "computes in float32",
            fixed(template(("m = ", "m = X.shape[1]; X = X.astype(np.float32)"),
                           ("dZ4 = ", "dZ4 = (A4 - Y).astype(np.float32)"))),
            hint="float32's precision", subtle="other"),
    Entry06("fixed_backward", "a loop over the layers", LOOPED, right=True),
    Entry06("fixed_backward", "derivatives from Z, @, extra keys",
            fixed(template(("dZ3 = ", "dZ3 = dA3 * (1 - np.tanh(Z3) ** 2)"),
                           ("dZ2 = ", f"dZ2 = dA2 * np.where(A2 > 0, 1.0, {SLOPE!r})"),
                           ("dW2 = ", "dW2 = (dZ2 @ A1.T) / m"),
                           ("             \"dW3\"", ("             \"dW3\": dW3, \"db3\": db3, \"dW4\": dW4, "
                                                     "\"db4\": db4, \"dZ1\": dZ1, \"dA1\": dA1}")))), right=True),
    Entry06("fixed_backward", "a friend's fix, beside the friend's own code", fix_for(teammates.variant(FRIEND_NUMBER)
                                                                                      .slope),
            code=FRIEND_CODE, right=True),
]


def run_check(entry):
    """catalog.run_check, with every cell's source in linecache (as IPython keeps it), and the entry's code in the
    student_id cell when it has one."""
    exercises, setups = catalog._solutions()
    notebook = catalog.notebook_of(entry.exercise)
    namespace = {"__name__": "__main__"}

    def run(source, where):
        linecache.cache[where] = (len(source), None, source.splitlines(True), where)
        exec(compile(source, where, "exec"), namespace)  # noqa: S102
    run(setups[notebook], "<setup>")
    for name, (nb, source) in exercises.items():
        if nb == notebook and name != entry.exercise:
            run(source, f"<reference {name}>")
    if getattr(entry, "code", None) and entry.exercise != "student_id":
        run(id_cell(entry.code), f"<student_id {entry.label}>")
    run(entry.source, f"<exercise {entry.exercise} {entry.label}>")
    check = getattr(checks, f"check_{entry.exercise}")
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            check(namespace[entry.exercise])
    except Exception as error:  # noqa: BLE001 -- the check's verdict
        return error, printed.getvalue()
    return None, printed.getvalue()


def run_verification(entry, workdir):
    """The grader's verdict on the entry, with a student_id cell beside it (the grader reads the code): the entry's
    code, or the reference solution's."""
    rnb = catalog._course_release().notebooks[catalog.notebook_of(entry.exercise)]
    os.chmod(workdir, 0o755)
    sources = {entry.exercise: entry.source}
    code = getattr(entry, "code", None)
    sources.setdefault("student_id", id_cell(code) if code else catalog.reference("student_id"))
    return verify.verify_notebook(rnb, sources, catalog.ROOT / "notebooks", workdir,
                                  uid=catalog.verification_uid(), sandboxed=sandbox.available()[0],
                                  timeout=30)[entry.exercise]


def assert_check(entry):
    """catalog.assert_check; an entry the check cannot tell passes it (buggy_lines saying the grader decides)."""
    if not entry.check_passes:
        catalog.assert_check(entry, run_check)
        return
    error, printed = run_check(entry)
    assert error is None, f"{entry.label}: the check was expected to pass (the grader rejects): {error!r}"
    if entry.exercise == "buggy_lines":
        assert " ".join(printed.split()) == nb06.CONFIRM, printed  # the check wraps what it prints


def assert_verification(entry, workdir):
    """catalog.assert_verification, and the grader's message names the mistake where the entry has a grader_hint."""
    verdict = run_verification(entry, workdir)
    catalog.assert_verification(entry, workdir, lambda *_: verdict)
    if entry.grader_hint:
        assert entry.grader_hint in verdict.message, f"{entry.label}: {verdict.message}"


IDS = [f"{e.exercise}-{e.label}" for e in CATALOG]
def params(entries):
    return [pytest.param(e, id=f"{e.exercise}-{e.label}") for e in entries]


def test_the_catalog_has_its_shape():
    catalog.assert_catalog_shape(CATALOG, EXERCISES)
    for exercise in EXERCISES:  # every exercise has wrong answers its check names
        assert sum(1 for e in CATALOG if e.exercise == exercise and e.hint) >= 5, exercise


@pytest.mark.parametrize("entry", params(CATALOG))
def test_entry_check(entry):
    assert_check(entry)


@pytest.mark.slow  # a verification run per entry
@pytest.mark.parametrize("entry", CATALOG, ids=IDS)
def test_entry_verification(entry, tmp_path):
    assert_verification(entry, tmp_path)


HINTED = [e for e in CATALOG if e.hint]


@pytest.mark.parametrize("entry", params(HINTED))
def test_a_hint_names_one_mistake(entry):
    """One mistake named, and the AssertionError carries its id where it is one of the exercise's records (the id
    the grader's class mistake report finds from the hint); the judges' own hints (course_utils.expect.nb06) have
    none yet."""
    error, _ = run_check(entry)
    assert " Or: " not in str(error) and str(error).count("Most likely") <= 1, str(error)
    assert mistake_of(error) == named(entry.exercise, hint_of(str(error))), str(error)


GRADIENT_NAME = re.compile(r"\bd?[Wb][1-4]\b")
VALUE_WRONG = [e for e in CATALOG if e.exercise == "fixed_backward" and not e.right]


@pytest.mark.parametrize("entry", VALUE_WRONG, ids=[e.label for e in VALUE_WRONG])
def test_a_wrong_fix_is_told_how_many_gradients_are_wrong_never_which(entry):
    """fixed_backward's message counts the wrong gradients (the student's own gradient check shows which); a wrong
    structure (a missing key, a shape) is named, a wrong value never."""
    error, _ = run_check(entry)
    message = str(error)
    if "wrong gradient" in message:
        assert re.search(r"returned \d wrong gradients? of the 8", message), message
        assert not GRADIENT_NAME.search(message), message


@pytest.mark.slow  # verification runs
@pytest.mark.parametrize("label", ["the teammate's pass unchanged", "sign flipped at the output", "memoised by X.shape"])
def test_a_failed_verification_names_the_checks_modelled_mistake_by_its_id(label, tmp_path):
    """The verification of fixed_backward names the mistakes the check names from its models, by the same id
    (facts["mistake"], counted by the class mistake report)."""
    entry = next(e for e in CATALOG if e.label == label)
    error, _ = run_check(entry)
    verdict = run_verification(entry, tmp_path)
    assert not verdict.ok and mistake_of(error) is not None
    assert verdict.facts.get("mistake") == mistake_of(error), (verdict.facts, verdict.message)


def test_the_teammates_pass_unchanged_is_named_and_no_gradient_is():
    error, _ = run_check(next(e for e in CATALOG if e.label == "the teammate's pass unchanged"))
    assert nb06.TEAMMATE_UNCHANGED in str(error), error
    assert f"returned {len(TENSORS)} wrong gradients of the 8" in str(error), error
    assert not GRADIENT_NAME.search(str(error)), error


def test_buggy_lines_check_accepts_every_pair_that_explains_the_wrong_tensors_and_says_the_grader_decides(capsys):
    """The check is no oracle: for the reference code, every pair of lines whose wrong values would make exactly the
    wrong tensors wrong passes it (CONSISTENT: more than the one right pair), every other pair fails it."""
    space = {"np": np, "student_id": lambda: REF_CODE}
    accepted = []
    for i, a in enumerate(nb06.LINE_NAMES):
        for b in nb06.LINE_NAMES[i + 1:]:
            exec(f"def buggy_lines():\n    return {[a, b]!r}\n", space)  # noqa: S102
            try:
                checks.check_buggy_lines(space["buggy_lines"])
            except AssertionError:
                continue
            accepted.append((a, b))
    assert accepted == CONSISTENT and len(accepted) > 1
    assert " ".join(capsys.readouterr().out.split()).count(nb06.CONFIRM) == len(accepted)


def test_the_graders_buggy_lines_judge_says_the_same_for_every_wrong_pair():
    """The grader is no oracle either: its message is one sentence for every pair that is not the teammate's (a
    count of right or missing lines would let a few resubmissions find the pair with no gradient check)."""
    from course_utils.expect.nb06 import NOT_THE_LINES, _judge_lines

    truth = teammates.truth_buggy_lines(REF_CODE)
    messages = {_judge_lines([a, b], truth) for i, a in enumerate(nb06.LINE_NAMES) for b in nb06.LINE_NAMES[i + 1:]}
    messages |= {_judge_lines(names, truth) for names in ([], list(truth)[:1], list(nb06.LINE_NAMES))}
    assert messages == {None, NOT_THE_LINES}
    assert _judge_lines(list(reversed(truth)), truth) is None


def verdicts_for(sources, tmp_path):
    rnb = catalog._course_release().notebooks[catalog.notebook_of("wrong_tensors")]
    return verify.verify_notebook(rnb, sources, catalog.ROOT / "notebooks", tmp_path,
                                  uid=catalog.verification_uid() + 1, sandboxed=sandbox.available()[0], timeout=30)


UNUSABLE = (("a forged code", lambda: id_cell(FORGED_CODE), NOT_ISSUED),
            ("an expression", lambda: student_id(f"    return {REF_CODE[:13]!r} + {REF_CODE[13:]!r}"),
             "one string literal"),
            ("no student_id cell", lambda: None, "student_id (your capstone code) is missing"))


def test_a_wrong_or_missing_id_in_the_submission_fails_every_answer_that_needs_it(tmp_path):
    """The grader reads the code from the student_id cell. With a friend's code (the friend's id too), the reference
    answers are judged against the friend's teammate and fail -- the fix too, the friend's network having another
    slope; with the friend's number and key under my id (a forgery), with no literal code or no student_id cell, no
    answer is accepted, and wrong_tensors and buggy_lines say why (fixed_backward: the next test). A passed
    student_id says which id it read back."""
    answers = {n: catalog.reference(n) for n in ("wrong_tensors", "buggy_lines", "fixed_backward")}
    friend = capstone.parse_code(FRIEND_CODE)[0]
    verdicts = verdicts_for(dict(answers, student_id=id_cell(FRIEND_CODE)), tmp_path)
    for name in ("wrong_tensors", "buggy_lines"):
        assert not verdicts[name].ok and f"for capstone code {FRIEND_CODE!r}" in verdicts[name].message, \
            (name, verdicts[name].message)
    assert not verdicts["fixed_backward"].ok and "wrong gradient" in verdicts["fixed_backward"].message
    assert (verdicts["student_id"].ok, verdicts["student_id"].message) == (True, f"student id read back: {friend!r}")
    for _, id_source, expect in UNUSABLE:
        sources = dict(answers, **({"student_id": id_source()} if id_source() else {}))
        verdicts = verdicts_for(sources, tmp_path)
        for name in ("wrong_tensors", "buggy_lines"):
            assert not verdicts[name].ok and "cannot be judged" in verdicts[name].message \
                and expect in verdicts[name].message, (name, verdicts[name].message)
        assert not verdicts["fixed_backward"].ok, verdicts["fixed_backward"]
    # with the friend's own answers under the forged code: still refused, all of them
    friend_answers = {"wrong_tensors": returns("wrong_tensors", repr(nb06.truth_wrong_tensors(FRIEND_CODE))),
                      "buggy_lines": returns("buggy_lines", repr(teammates.truth_buggy_lines(FRIEND_CODE))),
                      "fixed_backward": fix_for(teammates.variant(FRIEND_NUMBER).slope)}
    verdicts = verdicts_for(dict(friend_answers, student_id=id_cell(FORGED_CODE)), tmp_path)
    assert all(not v.ok for v in verdicts.values()), verdicts
    assert all(NOT_ISSUED in verdicts[n].message for n in ("student_id", "wrong_tensors", "buggy_lines")), verdicts


@pytest.mark.slow  # a verification run per code
@pytest.mark.parametrize("label, id_source, expect", UNUSABLE, ids=[u[0] for u in UNUSABLE])
def test_a_fix_beside_a_code_the_grader_cannot_use_is_refused_saying_why(label, id_source, expect, tmp_path):
    sources = {"fixed_backward": catalog.reference("fixed_backward")}
    if id_source():
        sources["student_id"] = id_source()
    verdict = verdicts_for(sources, tmp_path)["fixed_backward"]
    assert not verdict.ok and "cannot be judged" in verdict.message and expect in verdict.message, verdict.message


TEAMMATE_KINDS = ("one of the two bugs left", "the other bug left", "tanh derivative from Z",
                  "tanh derivative from Z in both tanh layers", "tanh applied twice", "leaky slope dropped",
                  "leaky slopes swapped", "missing transpose", "1/m twice", "db summed from dA", "dW2 from A2")


@pytest.mark.parametrize("label", TEAMMATE_KINDS)
def test_no_hint_names_a_kind_of_the_teammates_bugs(label):
    """A fix with a mistake of the teammate's family is told how many gradients are wrong and nothing more: a hint
    naming it would name the teammate's own bug in a pass with one bug left, and the models behind such hints would
    let a loop find the teammate's two lines."""
    entry = next(e for e in CATALOG if e.exercise == "fixed_backward" and e.label == label)
    error, _ = run_check(entry)
    assert isinstance(error, AssertionError) and "wrong gradient" in str(error), error
    assert "Most likely" not in str(error), str(error)
    assert not any(name in str(error) for name in capstone.GRADIENT_NAMES), str(error)
