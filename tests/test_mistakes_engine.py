"""The one engine that names a known mistake (course_utils.expect.mistakes): a mistake is named only when it explains
every case, and never when two mistakes explain them."""
import numpy as np
import pytest

from course_utils import vectors
from course_utils.expect import mistakes
from course_utils.expect.mistakes import CANNOT_SAY, NO_RESULT, Mistake, explain, explaining, failure, mistake_of

XS = [3, -1.5, 4, 0.5]
DOUBLED = Mistake("sq.doubled", "you computed 2 * x.", lambda x: 2.0 * x)
CUBED = Mistake("sq.cubed", "you computed x ** 3.", lambda x: float(x) ** 3)
ROOT = Mistake("sq.root", "you computed the square root.", lambda x: x ** 0.5 if x >= 0 else CANNOT_SAY)
IDENTITY = Mistake("sq.identity", "you returned x.", lambda x: float(x))
TABLE = (DOUBLED, CUBED, ROOT, IDENTITY)


def close(result, predicted, case):
    return abs(result - predicted) <= 1e-12


def test_the_mistake_that_explains_every_case_is_named():
    assert explain(TABLE, XS, [2.0 * x for x in XS], close) is DOUBLED
    assert explain(TABLE, XS, [float(x) ** 3 for x in XS], close) is CUBED


def test_a_partial_match_names_nothing():
    # 2 * x on the first three inputs, but x ** 2 on the last: 2 * x does not explain every case
    results = [2.0 * x for x in XS[:3]] + [XS[3] ** 2]
    assert explain(TABLE, XS, results, close) is None
    assert explaining(TABLE, XS, results, close) == []


def test_two_mistakes_that_explain_the_cases_name_none():
    # on 0, 1 and -1, x and x ** 3 agree (and the square root says 0 and 1, and nothing on -1)
    cases = [0, 1, -1]
    results = [0.0, 1.0, -1.0]
    assert {m.id for m in explaining(TABLE, cases, results, close)} == {"sq.cubed", "sq.identity", "sq.root"}
    assert {m.id for m in explaining(TABLE, cases, results, close, needed=(2,))} == {"sq.cubed", "sq.identity"}
    assert explain(TABLE, cases, results, close) is None


def test_variants_of_one_mistake_share_an_id_and_count_once():
    other = Mistake("sq.doubled", "you computed 2 * x.", lambda x: x + x)
    assert explain((DOUBLED, other, CUBED), XS, [2.0 * x for x in XS], close) is DOUBLED


def test_cases_without_a_result_or_a_prediction_are_skipped_but_one_case_must_be_said():
    results = [x ** 0.5 if x >= 0 else NO_RESULT for x in XS]
    assert explain(TABLE, XS, results, close) is ROOT
    # ROOT cannot say on -1.5: it still explains the others; but needed=(1,) demands a prediction there
    results = [x ** 0.5 if x >= 0 else 99.0 for x in XS]
    assert explain(TABLE, XS, results, close) is ROOT
    assert explain(TABLE, XS, results, close, needed=(1,)) is None
    assert explain(TABLE, [-2.0], [5.0], close) is None  # no case predicted: nothing explained
    assert explain(TABLE, XS, [NO_RESULT] * 4, close) is None


def test_a_model_that_raises_disagrees_and_stored_values_are_a_model():
    def raising(x):
        raise ZeroDivisionError

    stored = Mistake("sq.stored", "stored values.", [1.0, None, 2.0, CANNOT_SAY])
    assert explain((Mistake("sq.raises", "raises.", raising), stored), XS, [1.0, 7.0, 2.0, 9.0], close) is stored
    assert explain((stored,), XS, [1.0, 7.0, 3.0, 9.0], close) is None


def test_a_failure_carries_the_id_and_keeps_the_text():
    error = failure("f(3) returned 6, expected 9.", DOUBLED)
    assert str(error) == "f(3) returned 6, expected 9.\nMost likely: you computed 2 * x."
    assert mistake_of(error) == "sq.doubled"
    again = AssertionError(*error.args)  # what a wrapper that raises the error anew keeps
    assert str(again) == str(error) and mistake_of(again) == "sq.doubled"
    plain = failure("f(3) returned 6, expected 9.")
    assert str(plain) == "f(3) returned 6, expected 9." and mistake_of(plain) is None
    assert mistake_of(AssertionError("no id")) is None


def test_ids_and_hints_are_checked_and_tables_register():
    with pytest.raises(ValueError, match="id"):
        Mistake("NoDot", "a hint.")
    with pytest.raises(ValueError, match="hint"):
        Mistake("sq.x", "  ")
    mistakes.table("test_engine_square", DOUBLED, CUBED)
    assert mistakes.named("test_engine_square", " you computed x ** 3. ") == "sq.cubed"
    assert mistakes.named("test_engine_square", "something else") is None
    assert mistakes.named("no_such_exercise", "you computed x ** 3.") is None
    with pytest.raises(ValueError, match="two hints"):
        mistakes.table("test_engine_square", Mistake("sq.cubed", "another hint."))


def test_every_registered_table_has_one_abbreviation_and_one_hint_per_id():
    """The grader finds an id from a hint (named): within an exercise no two ids share a hint."""
    tables = mistakes.registered()
    assert {"warm_up_square", "dictionary_to_vector", "vector_to_dictionary", "gradients_to_vector",
            "gradient_check_n", "wrong_tensors", "buggy_lines", "fixed_backward"} <= set(tables)
    for exercise, table in tables.items():
        prefixes = {m.id.split(".")[0] for m in table}
        assert len(prefixes) == 1, (exercise, prefixes)  # one abbreviation per exercise
        hints = [m.hint for m in table]
        assert len(hints) == len(set(hints)), exercise
        for m in table:
            assert mistakes.named(exercise, m.hint) == m.id and mistakes.find(exercise, m.id) == m


# ------------------------------------------------------------------------------------------ the checks' ids
def _one_sided_gradient_check_n(cost, parameters, gradients, epsilon=1e-7, print_msg=False):
    """A gradient_check_n with the one-sided difference (J(theta + epsilon) - J(theta)) / epsilon."""
    theta, _ = vectors.dictionary_to_vector(parameters)
    shapes = vectors.parameter_shapes(parameters)
    grad = vectors.gradients_to_vector(gradients, parameters)
    base = cost(vectors.vector_to_dictionary(theta, shapes))
    gradapprox = np.zeros_like(theta)
    for i in range(theta.shape[0]):
        plus = np.copy(theta)
        plus[i] += epsilon
        gradapprox[i] = (cost(vectors.vector_to_dictionary(plus, shapes)) - base) / epsilon
    difference = np.linalg.norm(grad - gradapprox) / (np.linalg.norm(grad) + np.linalg.norm(gradapprox))
    if print_msg:
        print("There is a mistake" if difference > 2e-7 else "Works fine")
    return difference, gradapprox


@pytest.mark.parametrize(("check", "answer", "want"), [
    ("check_warm_up_square", lambda x: 2 * x, "square.times_two"),
    ("check_warm_up_square", lambda x: round(x ** 2, 6), "square.rounded"),
    ("check_warm_up_square", lambda x: abs(x) ** 2 + 1e-3, None),  # no known mistake explains it
    ("check_gradient_check_n", _one_sided_gradient_check_n, "gcn.one_sided_difference"),
])
def test_a_failing_check_carries_the_id_the_grader_finds_from_its_hint(check, answer, want):
    from course_utils import checks
    from course_utils.grading.mistakes import hint_of

    with pytest.raises(AssertionError) as info:
        getattr(checks, check)(answer)
    assert mistake_of(info.value) == want
    exercise = check.removeprefix("check_")
    assert mistakes.named(exercise, hint_of(str(info.value))) == want


def _entry(catalog_entries, exercise, label):
    return next(e for e in catalog_entries if e.exercise == exercise and e.label == label)


@pytest.mark.slow  # verification runs
def test_a_failed_verification_carries_the_id_of_the_check(tmp_path):
    """The verification spec names a mistake from the check's own table: the same id in the verdict's
    facts["mistake"] (which the class mistake report counts) as on the check's AssertionError."""
    import test_catalog_nb01
    import test_catalog_nb03
    from catalog import run_check, run_verification

    for entries, exercise, label in [(test_catalog_nb01.CATALOG, "warm_up_square", "doubles"),
                                     (test_catalog_nb03.CATALOG, "dictionary_to_vector", "layer numbers as strings"),
                                     (test_catalog_nb03.CATALOG, "vector_to_dictionary", "order F")]:
        entry = _entry(entries, exercise, label)
        error, _ = run_check(entry)
        verdict = run_verification(entry, tmp_path)
        assert not verdict.ok and mistake_of(error) is not None, label
        assert verdict.facts.get("mistake") == mistake_of(error), (label, verdict.facts, verdict.message)


# ------------------------------------------------------------------------------------------ the catalogs' ids
#: the exercises whose mistakes became records in the second round, and their tables' abbreviations
CONVERTED = {"forward_difference": "fd", "centered_difference": "cd", "relative_difference": "rd",
             "forward_propagation": "fp", "backward_propagation": "bp", "gradient_check": "gc",
             "block_differences": "bd", "diagnose": "dg", "backward_propagation_n": "bpn",
             "cost_with_l2": "l2", "directional_check": "dc"}


def _converted_entries():
    import test_catalog_nb01
    import test_catalog_nb03
    import test_catalog_nb04
    import test_catalog_nb05
    return [e for module in (test_catalog_nb01, test_catalog_nb03, test_catalog_nb04, test_catalog_nb05)
            for e in module.CATALOG if e.exercise in CONVERTED and not e.right]


def _named_hints(text):
    """The hints a check's message names: what follows "Most likely: ", or each "- ...: hint" line of a check that
    names one mistake per gradient (backward_propagation_n)."""
    if "Most likely:" not in text:
        return []
    said = text.split("Most likely:", 1)[1]
    lines = [line[2:] for line in said.splitlines() if line.startswith("- ")]
    return lines if lines else [said.strip()]


def _says_in(mistake, text):
    """Whether the hint of `mistake` (its fields filled in with anything) ends one of the hints `text` names."""
    for hint in _named_hints(text):
        starts = [0] + [i + 1 for i, ch in enumerate(hint) if ch == " "]
        if any(mistake.says(hint[i:]) for i in starts):
            return True
    return False


def test_every_table_is_registered_with_its_own_abbreviation():
    tables = mistakes.registered()
    assert set(CONVERTED) <= set(tables)
    prefixes = {}
    for exercise, table in tables.items():
        prefix = table[0].id.split(".")[0]
        assert prefixes.setdefault(prefix, exercise) == exercise, (prefix, exercise, prefixes[prefix])
    for exercise, prefix in CONVERTED.items():
        assert prefixes[prefix] == exercise


@pytest.mark.parametrize("entry", _converted_entries(), ids=lambda e: f"{e.exercise}-{e.label}")
def test_a_hinted_wrong_answer_carries_the_id_of_the_mistake_whose_hint_it_shows(entry):
    """Every catalog wrong answer of the converted exercises: the check's AssertionError carries the id of a registered
    mistake of its exercise exactly when its message names one mistake, and that mistake's hint is the one shown."""
    from catalog import run_check

    error, _ = run_check(entry)
    assert isinstance(error, AssertionError), (entry.label, error)
    text, mid = str(error), mistake_of(error)
    hints = _named_hints(text)
    if mid is None:  # no mistake, or several (one per gradient, or an unexplained gradient beside them)
        assert len(hints) != 1 or "(and look again at" in text, (entry.label, text)
        return
    assert mid.startswith(CONVERTED[entry.exercise] + "."), (entry.label, mid)
    mistake = mistakes.find(entry.exercise, mid)
    assert mistake is not None, (entry.label, mid)
    assert _says_in(mistake, text), (entry.label, mid, text)
    if len(hints) == 1:  # the grader finds the same id from the message alone (a per-gradient message's one hint too)
        from course_utils.grading.mistakes import hint_of
        assert mistakes.named(entry.exercise, hint_of(text)) == mid, (entry.label, mid, text)


def test_the_converted_catalogs_name_most_of_their_mistakes():
    """The tables are used: most hinted wrong answers of each converted exercise carry an id."""
    from catalog import run_check

    named = {}
    for entry in _converted_entries():
        if entry.hint:
            named.setdefault(entry.exercise, []).append(mistake_of(run_check(entry)[0]) is not None)
    for exercise, flags in named.items():
        assert sum(flags) >= 2, (exercise, flags)


@pytest.mark.slow  # a verification run per catalog wrong answer of the converted exercises (the catalogs' own)
def test_a_verification_names_no_other_mistake_than_the_check(tmp_path_factory):
    """The specs of the converted exercises (and gradient_check_n's) name mistakes from the checks' own tables: where a
    failed verification names one, it is the id the check's AssertionError carries. A verification stops at the first
    wrong call, so it may have too few results to tell two mistakes apart (then it names none); it names many. The
    verification runs are the catalogs' test_entry_verification's (catalog.shared_verification: once per session)."""
    import test_catalog_nb04
    from catalog import run_check, shared_verification

    entries = [e for e in _converted_entries() + test_catalog_nb04.CATALOG
               if e.exercise in set(CONVERTED) | {"gradient_check_n"} and not e.right]
    agreed = {}
    for entry in dict.fromkeys(entries):
        verdict = shared_verification(entry, tmp_path_factory)
        named = verdict.facts.get("mistake")
        if named is not None:
            error, _ = run_check(entry)
            assert named == mistake_of(error), (entry.exercise, entry.label, named, mistake_of(error))
        agreed.setdefault(entry.exercise, 0)
        agreed[entry.exercise] += named is not None
    # gradient_check_n's spec names a mistake from two results at least, and most wrong answers fail its first case
    for exercise in ("forward_difference", "centered_difference", "relative_difference", "forward_propagation",
                     "backward_propagation", "block_differences", "diagnose", "cost_with_l2"):
        assert agreed[exercise] >= 2, (exercise, agreed)
