"""Catalog of right and wrong answers for notebook 06, hunt the bugs (see tests/catalog.py).

Two differences from the other catalogs, both because of the student id: the exercise cell runs with its source
in linecache (as IPython keeps it, so the check can read student_id's return line as the grader does), and the
verification run gets the reference solution's student_id cell beside the entry (the grader reads the id from it).
The answers expected for the reference id are computed from the truth (course_utils.checks.nb06), never pasted.
"""
import contextlib
import io
import linecache
import os

import capstone_key
import catalog
import pytest
from catalog import Entry

from course_utils import capstone, checks
from course_utils.checks import nb06
from course_utils.grading import sandbox, verify

EXERCISES = ("student_id", "wrong_tensors", "buggy_lines", "fixed_backward")
REF_ID = nb06._literal_id(catalog.reference("student_id"))
TENSORS = nb06.truth_wrong_tensors(REF_ID)
LINES = nb06.truth_buggy_lines(REF_ID)
OTHER_LINES = next(lines for i in range(100) if set(lines := nb06.truth_buggy_lines(f"s{i}")) != set(LINES))
PAIR = next(pair for pair in capstone_key.variants() if {s.target for s in pair} == set(LINES))


def student_id(body):
    return f"def student_id():\n{body}\n"


def returns(name, value, doc=""):
    return f"def {name}():\n{doc}    return {value}\n"


def fixed(body, name="fixed_backward"):
    lines = "".join("    " + line + "\n" if line else "\n" for line in body.splitlines())
    return f"def {name}(X, Y, cache):\n{lines}"


def template(*replacements):
    """The correct pass with lines replaced: (start of line, new line)."""
    lines = capstone_key.TEMPLATE.splitlines()
    for start, new in replacements:
        hits = [i for i, line in enumerate(lines) if line.startswith(start)]
        assert len(hits) == 1, start
        lines[hits[0]] = new
    return "\n".join(lines)


def site(kind, target):
    return next(s for s in capstone_key.SITES if s.kind.startswith(kind) and s.target == target)


def with_site(s):
    return template((f"{s.target} = ", s.buggy))


BLOCKS = nb06.teammate_block_differences(REF_ID)  # what the student's own gradient check shows
TOP_RIGHT = max((n for n in capstone.PARAMETER_NAMES if n not in TENSORS), key=BLOCKS.get)
LOW_WRONG = min(TENSORS, key=BLOCKS.get)
BELOW = next(n for n in nb06.LINE_NAMES if n not in LINES and LINES[0] in nb06._downstream(REF_ID).get(n, ()))
LEFT = "with only one of its two wrong lines fixed"
TEAMMATE = capstone.backward_source(REF_ID).replace("def backward_propagation(", "def fixed_backward(")
ONE_FIXED = fixed(capstone_key.mutate(PAIR[:1]))

LOOPED = '''def fixed_backward(X, Y, cache):
    m = X.shape[1]
    derivative = {1: lambda Z, A: 1 - A ** 2, 2: lambda Z, A: np.where(Z > 0, 1.0, 0.1),
                  3: lambda Z, A: 1 - np.tanh(Z) ** 2}
    gradients = {}
    dZ = cache["A4"] - Y
    for l in range(4, 0, -1):
        A_prev = X if l == 1 else cache[f"A{l - 1}"]
        gradients[f"dW{l}"] = dZ @ A_prev.T / m
        gradients[f"db{l}"] = dZ.mean(axis=1, keepdims=True)
        if l > 1:
            dA = cache[f"W{l}"].T @ dZ
            dZ = dA * derivative[l - 1](cache[f"Z{l - 1}"], cache[f"A{l - 1}"])
    return gradients
'''

CATALOG = [
    # ---------------------------------------------------------------------------------------- student_id
    Entry("student_id", "empty", student_id('    return ""'), hint="set it to YOUR student id"),
    Entry("student_id", "the example id", student_id('    return "jdoe42"'), hint="set it to YOUR student id",
          subtle="other"),
    Entry("student_id", "a bare string, no return", student_id('    "ada-lovelace"'), hint="return your id as a string"),
    Entry("student_id", "a number", student_id("    return 12345"), hint="return your id as a string"),
    Entry("student_id", "with a space", student_id('    return "ada lovelace"'), hint="is not an id"),
    Entry("student_id", "too long", student_id(f'    return "{"a" * 70}"'), hint="is not an id", subtle="other"),
    Entry("student_id", "computed", student_id('    return "ada" + "-lovelace"'), hint="one string literal",
          subtle="other"),
    Entry("student_id", "from a variable", 'ID = "ada-lovelace"\n\n\n' + student_id("    return ID"),
          hint="one string literal", subtle="other"),
    Entry("student_id", "prints it too", student_id('    print("my id")\n    return "ada-lovelace"'),
          hint="one string literal", subtle="other"),
    Entry("student_id", "a different id on each call",
          "import itertools\n_ids = itertools.cycle(['ada-lovelace', 'alan-turing'])\n\n\n"
          + student_id("    return next(_ids)"), hint="the same id every time", subtle="other"),
    Entry("student_id", "docstring, comment, spaces and capitals",
          student_id('    """Mine."""\n    # as the instructor wrote it\n    return " Ada-Lovelace "'), right=True),
    Entry("student_id", "an e-mail address in single quotes", student_id("    return 'ada.lovelace@uni.example'"),
          right=True),
    # ------------------------------------------------------------------------------------- wrong_tensors
    Entry("wrong_tensors", "stops at the first suspects", returns("wrong_tensors", repr(TENSORS[-2:])),
          hint="stopped at the first suspects"),
    Entry("wrong_tensors", "all but layer 1", returns("wrong_tensors", repr(TENSORS[2:])),
          hint="stopped at the first suspects"),
    Entry("wrong_tensors", "every tensor", returns("wrong_tensors", repr(list(capstone.PARAMETER_NAMES))),
          hint="compares against something other"),
    Entry("wrong_tensors", "prints instead of returning", f"def wrong_tensors():\n    print({TENSORS!r})\n",
          hint="forget `return`"),
    Entry("wrong_tensors", "lower-case names", returns("wrong_tensors", repr([n.lower() for n in TENSORS])),
          hint="the names are case-sensitive"),
    Entry("wrong_tensors", "one string", returns("wrong_tensors", repr(", ".join(TENSORS))),
          hint="returned the string", subtle="right values wrong shape"),
    Entry("wrong_tensors", "a right tensor too", returns("wrong_tensors", repr(TENSORS + [TOP_RIGHT])),
          hint="block difference is round-off", subtle="other"),
    Entry("wrong_tensors", "the one with the smallest block difference missing",
          returns("wrong_tensors", repr([n for n in TENSORS if n != LOW_WRONG])), hint="your threshold is too high",
          subtle="right shape wrong values"),
    Entry("wrong_tensors", "none", returns("wrong_tensors", "[]"), hint="you named no tensor", subtle="other"),
    Entry("wrong_tensors", "a name twice", returns("wrong_tensors", repr(TENSORS + TENSORS[:1])), hint="twice",
          subtle="other"),
    Entry("wrong_tensors", "a set", returns("wrong_tensors", "{" + repr(TENSORS)[1:-1] + "}"),
          hint="return a list of tensor names", subtle="right values wrong shape"),
    Entry("wrong_tensors", "gradient names, reversed, as a tuple",
          returns("wrong_tensors", repr(tuple("d" + n for n in reversed(TENSORS)))), right=True),
    Entry("wrong_tensors", "mixed names built in a loop",
          "def wrong_tensors():\n    found = []\n"
          f"    for name in {list(capstone.PARAMETER_NAMES)!r}:\n"
          f"        if name in {TENSORS!r}:\n"
          "            found.append('d' + name if name.startswith('W') else name)\n    return found\n", right=True),
    # --------------------------------------------------------------------------------------- buggy_lines
    Entry("buggy_lines", "the gradients that come out wrong", returns("buggy_lines", repr(
        [n for n in ("dW1", "dW2", "dW3", "dW4") if n[1:] in TENSORS][:2])), hint="named the gradients that come out wrong"),
    Entry("buggy_lines", "prints instead of returning", f"def buggy_lines():\n    print({LINES!r})\n",
          hint="forget `return`"),
    Entry("buggy_lines", "one string", returns("buggy_lines", repr(" and ".join(LINES))), hint="returned the string"),
    Entry("buggy_lines", "a line twice", returns("buggy_lines", repr(LINES + LINES[:1])), hint="twice"),
    Entry("buggy_lines", "a line that does not exist", returns("buggy_lines", repr(["dA4"] + LINES[1:])),
          hint="the pass has no such line"),
    Entry("buggy_lines", "lower case", returns("buggy_lines", repr([n.lower() for n in LINES])),
          hint="the names are case-sensitive"),
    Entry("buggy_lines", "only one", returns("buggy_lines", repr(LINES[:1])), hint="you named one line",
          subtle="returns too early"),
    Entry("buggy_lines", "the line that uses a wrong one, instead of it", returns("buggy_lines", repr(
        [BELOW] + LINES[1:])), hint="only because a line above it is wrong", subtle="other"),
    Entry("buggy_lines", "every line", returns("buggy_lines", repr(list(nb06.LINE_NAMES))), subtle="other"),
    Entry("buggy_lines", "another student's lines", returns("buggy_lines", repr(OTHER_LINES)),
          subtle="right shape wrong values"),
    Entry("buggy_lines", "a line that only receives a wrong value", returns("buggy_lines", repr(
        LINES + [next(n for n in ("dZ1", "dZ2", "dZ3") if n not in LINES)])), hint="only because a line above it is wrong",
          subtle="other"),
    Entry("buggy_lines", "one right, one wrong", returns("buggy_lines", repr(
        LINES[:1] + [next(n for n in ("dZ4", "dW4", "db4") if n not in LINES)])), subtle="other"),
    Entry("buggy_lines", "a tensor name instead of a line", returns("buggy_lines", repr([LINES[0], "W1"])),
          hint="you named a tensor", subtle="other"),
    Entry("buggy_lines", "reversed tuple", returns("buggy_lines", repr(tuple(reversed(LINES)))), right=True),
    Entry("buggy_lines", "filtered from every line", "def buggy_lines():\n"
          f"    return [name for name in {list(nb06.LINE_NAMES)!r} if name in {set(LINES)!r}]\n", right=True),
    # ------------------------------------------------------------------------------------ fixed_backward
    Entry("fixed_backward", "the teammate's pass unchanged", TEAMMATE, hint="your teammate's gradients unchanged"),
    Entry("fixed_backward", "one of the two bugs left", ONE_FIXED, hint=LEFT, subtle="other"),
    Entry("fixed_backward", "the other bug left", fixed(capstone_key.mutate(PAIR[1:])), hint=LEFT, subtle="other"),
    Entry("fixed_backward", "tanh derivative from Z", fixed(with_site(site("tanh derivative from Z", "dZ1"))),
          hint="a tanh derivative computed from Z"),
    Entry("fixed_backward", "tanh derivative from Z in both tanh layers",
          fixed(template(("dZ1 = ", "dZ1 = dA1 * (1 - Z1 ** 2)"), ("dZ3 = ", "dZ3 = dA3 * (1 - Z3 ** 2)"))),
          hint="a tanh derivative computed from Z"),
    Entry("fixed_backward", "tanh applied twice", fixed(with_site(site("tanh applied twice", "dZ3"))),
          hint="tanh applied twice in a derivative"),
    Entry("fixed_backward", "leaky slope dropped", fixed(with_site(site("leaky-ReLU slope dropped", "dZ2"))),
          hint="derivative is 0 where Z <= 0", subtle="other"),
    Entry("fixed_backward", "leaky slopes swapped", fixed(with_site(site("leaky-ReLU slope on the wrong side", "dZ2"))),
          hint="two slopes are swapped", subtle="other"),
    Entry("fixed_backward", "missing transpose", fixed(with_site(site("missing transpose", "dA1"))),
          hint="a missing transpose"),
    Entry("fixed_backward", "1/m twice", fixed(with_site(site("1/m applied twice", "dA2"))), hint="1/m applied twice"),
    Entry("fixed_backward", "db summed from dA", fixed(with_site(site("bias gradient summed", "db1"))),
          hint="a db summed from dA instead of dZ"),
    Entry("fixed_backward", "dW2 from A2", fixed(with_site(site("cache of the wrong layer", "dW2"))),
          hint="the wrong layer's activations", subtle="canonical input only"),
    Entry("fixed_backward", "sign flipped at the output", fixed(template(("dZ4 = ", "dZ4 = Y - A4"))),
          hint="opposite sign"),
    Entry("fixed_backward", "sigmoid derivative twice", fixed(template(("dZ4 = ", "dZ4 = (A4 - Y) * A4 * (1 - A4)"))),
          hint="the sigmoid's derivative is applied twice"),
    Entry("fixed_backward", "leaky slope 0.01", fixed(template(("dZ2 = ", "dZ2 = dA2 * np.where(Z2 > 0, 1.0, 0.01)"))),
          hint="is 0.01 in your pass", subtle="other"),
    Entry("fixed_backward", "memoised by X.shape", "_MEMO = {}\n\n\n" + fixed(template(
        ("m = ", "if X.shape in _MEMO:\n    return _MEMO[X.shape]\nm = X.shape[1]"),
        ("return gradients", "_MEMO[X.shape] = gradients\nreturn gradients"))), hint="a cache keyed by X.shape",
          subtle="other"),
    Entry("fixed_backward", "db without keepdims",
          fixed(template(("db1 = ", "db1 = 1. / m * np.sum(dZ1, axis=1)"))), hint="keepdims=True",
          subtle="right values wrong shape"),
    Entry("fixed_backward", "m hard-coded", fixed(template(("m = ", "m = 10"))), hint="m is hard-coded to 10",
          subtle="canonical input only"),
    Entry("fixed_backward", "squares A1 in the cache",
          fixed(template(("dZ1 = ", "dZ1 = dA1 * (1 - np.square(A1, out=A1))"))), hint="changed X, Y or cache in place",
          subtle="mutates its input"),
    Entry("fixed_backward", "forgets db4",
          fixed(template(("             \"dW3\"", "             \"dW3\": dW3, \"db3\": db3, \"dW4\": dW4}"))),
          hint="without db4", subtle="returns too early"),
    Entry("fixed_backward", "computes in float32", fixed(template(("m = ", "m = X.shape[1]; X = X.astype(np.float32)"),
                                                                  ("dZ4 = ", "dZ4 = (A4 - Y).astype(np.float32)"))),
          hint="float32's precision", subtle="other"),
    Entry("fixed_backward", "a loop over the layers", LOOPED, right=True),
    Entry("fixed_backward", "derivatives from Z, @, extra keys",
          fixed(template(("dZ3 = ", "dZ3 = dA3 * (1 - np.tanh(Z3) ** 2)"),
                         ("dZ2 = ", "dZ2 = dA2 * np.where(A2 > 0, 1.0, 0.1)"),
                         ("dW2 = ", "dW2 = (dZ2 @ A1.T) / m"),
                         ("             \"dW3\"", ("             \"dW3\": dW3, \"db3\": db3, \"dW4\": dW4, "
                                                   "\"db4\": db4, \"dZ1\": dZ1, \"dA1\": dA1}")))), right=True),
]


def run_check(entry):
    """catalog.run_check, with every cell's source in linecache (as IPython keeps it)."""
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
    """The grader's verdict on the entry, with the reference student_id cell beside it (the grader reads the id)."""
    rnb = catalog._course_release().notebooks[catalog.notebook_of(entry.exercise)]
    os.chmod(workdir, 0o755)
    sources = {entry.exercise: entry.source}
    sources.setdefault("student_id", catalog.reference("student_id"))
    return verify.verify_notebook(rnb, sources, catalog.ROOT / "notebooks", workdir,
                                  uid=catalog.verification_uid(), sandboxed=sandbox.available()[0],
                                  timeout=30)[entry.exercise]


def test_the_catalog_has_its_shape():
    catalog.assert_catalog_shape(CATALOG, EXERCISES)


@pytest.mark.parametrize("entry", CATALOG, ids=[f"{e.exercise}-{e.label}" for e in CATALOG])
def test_entry_check(entry):
    catalog.assert_check(entry, run_check)


@pytest.mark.slow  # a verification run per entry
@pytest.mark.parametrize("entry", CATALOG, ids=[f"{e.exercise}-{e.label}" for e in CATALOG])
def test_entry_verification(entry, tmp_path):
    catalog.assert_verification(entry, tmp_path, run_verification)


HINTED = [e for e in CATALOG if e.hint]


@pytest.mark.parametrize("entry", HINTED, ids=[f"{e.exercise}-{e.label}" for e in HINTED])
def test_a_hint_names_one_mistake(entry):
    error, _ = run_check(entry)
    assert " Or: " not in str(error) and str(error).count("Most likely") <= 1, str(error)


def test_a_wrong_or_missing_id_in_the_submission_fails_every_answer_that_needs_it(tmp_path):
    """The grader reads the id from the student_id cell: with another student's id, the reference answers fail;
    with no literal id, they cannot be judged and say why; a passed student_id says which id it read back."""
    rnb = catalog._course_release().notebooks[catalog.notebook_of("wrong_tensors")]
    answers = {n: catalog.reference(n) for n in ("wrong_tensors", "buggy_lines", "fixed_backward")}
    other = next(f"s{i}" for i in range(100) if set(nb06.truth_buggy_lines(f"s{i}")) != set(LINES)
                 and set(nb06.truth_wrong_tensors(f"s{i}")) != set(TENSORS))
    for id_source, expect in ((student_id(f"    return {other!r}"), f"for student id {other!r}"),
                              (student_id('    return "ada" + "-lovelace"'), "one string literal"),
                              (None, "student_id (your student id) is missing")):
        sources = dict(answers, **({"student_id": id_source} if id_source else {}))
        verdicts = verify.verify_notebook(rnb, sources, catalog.ROOT / "notebooks", tmp_path,
                                          uid=catalog.verification_uid() + 1, sandboxed=sandbox.available()[0], timeout=30)
        for name in ("wrong_tensors", "buggy_lines"):
            assert not verdicts[name].ok and expect in verdicts[name].message, (name, verdicts[name].message)
        assert verdicts["fixed_backward"].ok  # the fix is the same for every id
    sources = {"student_id": student_id(f"    return {other!r}")}
    verdicts = verify.verify_notebook(rnb, sources, catalog.ROOT / "notebooks", tmp_path,
                                      uid=catalog.verification_uid() + 1, sandboxed=sandbox.available()[0], timeout=30)
    assert (verdicts["student_id"].ok, verdicts["student_id"].message) == (True, f"student id read back: {other!r}")
