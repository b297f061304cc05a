"""Verification specs of notebook 03 flatten parameters into one vector (see course_utils/grading/verify.py)."""

from course_utils import vectors
from course_utils.grading.specs._common import _depths, _random_parameters
from course_utils.grading.verify import Case, Spec, close_array, describe


def _dictionary_to_vector_cases(rng):
    cases = []
    for layers in _depths(rng):
        params = _random_parameters(rng, layers)
        theta, keys = vectors.dictionary_to_vector(params)

        def judge(v, _, t=theta, k=list(keys)):
            if not isinstance(v, (tuple, list)) or len(v) != 2:
                return f"returned {describe(v)}, expected the pair (theta, keys)"
            return close_array(v[0], t, rtol=0, what="returned theta as") or (
                None if list(v[1]) == k else "returned keys that do not name the tensor of each entry of theta")
        cases.append(Case((params,), judge, f"dictionary_to_vector(a {layers}-layer dict in the key order "
                                            f"{', '.join(list(params)[:4])}...)"))
    return cases


def _vector_to_dictionary_cases(rng):
    cases = []
    for layers in _depths(rng):
        params = _random_parameters(rng, layers)
        theta, _ = vectors.dictionary_to_vector(params)
        shapes = {n: tuple(int(s) for s in a.shape) for n, a in params.items()}

        def judge(v, _, want=params):
            if not isinstance(v, dict) or set(v) != set(want):
                return f"returned {describe(v)}, expected a dict with the keys {sorted(want)}"
            for n in want:
                message = close_array(v[n], want[n], rtol=0, what=f"returned {n} as")
                if message:
                    return message
            return None
        cases.append(Case((theta, shapes), judge, f"vector_to_dictionary(theta, shapes of a {layers}-layer net)"))
    return cases


def _gradients_to_vector_cases(rng):
    cases = []
    for layers in _depths(rng):
        params = _random_parameters(rng, layers)
        gradients = {"d" + n: rng.normal(0, 1, size=a.shape) for n, a in params.items()}
        for l in range(1, layers + 1):
            gradients[f"dZ{l}"] = rng.normal(0, 1, size=(params[f"b{l}"].shape[0], 3))
            if l > 1:
                gradients[f"dA{l - 1}"] = rng.normal(0, 1, size=(params[f"b{l - 1}"].shape[0], 3))
        names = list(gradients)
        rng.shuffle(names)
        gradients = {n: gradients[n] for n in names}
        want = vectors.gradients_to_vector(gradients)
        cases.append(Case((gradients,), (lambda v, _, w=want: close_array(v, w, rtol=0)),
                          f"gradients_to_vector(the gradients of a {layers}-layer net, with dZ and dA too)"))
    return cases


dictionary_to_vector = Spec("dictionary_to_vector", _dictionary_to_vector_cases,
                            reference_modules=("vectors.py", "checks"))
vector_to_dictionary = Spec("vector_to_dictionary", _vector_to_dictionary_cases,
                            reference_modules=("vectors.py", "checks"))
gradients_to_vector = Spec("gradients_to_vector", _gradients_to_vector_cases,
                           reference_modules=("vectors.py", "checks"))
