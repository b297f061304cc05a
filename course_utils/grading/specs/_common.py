"""What the verification specs share: random draws of signed numbers and parameter dictionaries, and the naming of
a known mistake (named_mistake)."""
import numpy as np

from course_utils.expect.mistakes import NO_RESULT, explain
from course_utils.grading.harness_codec import EncodeError, decode
from course_utils.grading.verify import as_number

U = np.finfo(float).eps


def _signed(rng, low, high):
    """A float with random sign and magnitude in [low, high)."""
    return float(rng.choice([-1.0, 1.0]) * rng.uniform(low, high))


def _number(value):
    return as_number(value)


def _random_parameters(rng, layers):
    sizes = [int(n) for n in rng.integers(1, 5, size=layers + 1)]
    params = {}
    for l in range(1, layers + 1):
        params[f"W{l}"] = rng.normal(0, 1, size=(sizes[l], sizes[l - 1]))
        params[f"b{l}"] = rng.normal(0, 1, size=(sizes[l], 1))
    names = list(params)
    rng.shuffle(names)
    return {n: params[n] for n in names}


def _depths(rng):
    return [int(rng.integers(1, 4)), 3, int(rng.integers(10, 13))]


def result_of(event):
    """The value a harness result event carries, decoded; NO_RESULT when there is none (no event, an error, data
    that is not plain)."""
    if event is None or not event.get("ok"):
        return NO_RESULT
    try:
        return decode(event.get("value"))
    except (EncodeError, RecursionError, ValueError, TypeError, MemoryError):
        return NO_RESULT


def named_mistake(table, case_of, close):
    """A Spec.mistake (see verify_specs.Spec): the id of the one mistake of `table` (course_utils.expect.mistakes
    records, the check's own) that explains every result of the verification run, or None.

    case_of(case) -> the case as the table's models take it (from the verify.Case), or None for a case no model
    can say anything about (left out); close(value, prediction, that case) -> whether the value returned is the
    prediction. A call that raised or gave no result counts as no result; every call the spec's judge finds wrong
    must be predicted (no mistake is named for a run of errors only)."""
    def mistake(cases, events):
        inputs, values, wrong = [], [], []
        for case, event in zip(cases, events):
            model_case = case_of(case)
            value = result_of(event) if model_case is not None else NO_RESULT
            if value is not NO_RESULT and case.judge(value, str(event.get("stdout", ""))) is not None:
                wrong.append(len(values))
            inputs.append(model_case)
            values.append(value)
        found = explain(table, inputs, values, close, needed=tuple(wrong)) if wrong else None
        return found.id if found is not None else None
    return mistake
