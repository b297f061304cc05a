"""Verification specs of notebook 03 flatten parameters into one vector (see course_utils/grading/verify.py).

Every case is drawn from the rng the spec gets: three nets, of 1 or 2 layers, of 3 layers and of 10 to 12
layers (W10 sorts before W2 as a string), so a function written for a fixed number of layers fails. The
dicts come in other orders than the layer order: reversed (b before W in every layer, so sorting by the
layer number alone keeps the wrong one first) and shuffled. In every net some W has two dimensions of 2
or more (row-major and column-major order differ), values have both signs and different scales. Results
are compared exactly (rtol 0): the entries are copies, not computed. A failed verification names the known
mistake that explains every result, from the checks' own tables (course_utils.expect.nb03).
"""
from course_utils import vectors
from course_utils.expect.exposure import allowed
from course_utils.expect.nb03 import (
    D2V_MISTAKES,
    G2V_MISTAKES,
    V2D_MISTAKES,
    DictCase,
    SlicesCase,
    dict_agrees,
    vector_agrees,
)
from course_utils.grading.specs._common import named_mistake
from course_utils.grading.verify import Case, Spec, close_array, describe


def _parameters(rng, layers):
    """W1, b1, ..., W<layers>, b<layers> in layer order, random sizes 1..4, one W at least 2 x 2."""
    sizes = [int(n) for n in rng.integers(1, 5, size=layers + 1)]
    l = int(rng.integers(1, layers + 1))
    sizes[l - 1], sizes[l] = max(sizes[l - 1], 2), max(sizes[l], 2)
    params = {}
    for l in range(1, layers + 1):
        params[f"W{l}"] = rng.normal(0, 1, size=(sizes[l], sizes[l - 1])) * 10 ** rng.uniform(-2, 2)
        params[f"b{l}"] = rng.normal(0, 1, size=(sizes[l], 1)) * 10 ** rng.uniform(-2, 2)
    return params


def _in_order(rng, d, how):
    names = list(d)
    if how == "reversed":
        names.reverse()
    elif how == "shuffled":
        rng.shuffle(names)
    return {n: d[n] for n in names}


def _nets(rng):
    """(layers, key order) of the three nets of a spec."""
    return [(int(rng.integers(1, 3)), "reversed"), (3, "shuffled"), (int(rng.integers(10, 13)), "reversed")]


def _dictionary_to_vector_cases(rng):
    cases = []
    for layers, how in _nets(rng):
        params = _in_order(rng, _parameters(rng, layers), how)
        theta, keys = vectors.dictionary_to_vector(params)

        def judge(v, _, t=theta, k=tuple(keys)):
            if not isinstance(v, (tuple, list)) or len(v) != 2:
                return f"returned {describe(v)}, expected the pair (theta, keys)"
            return close_array(v[0], t, rtol=0, what="returned theta as") or (
                None if isinstance(v[1], (list, tuple)) and tuple(v[1]) == k
                else "returned keys that do not name the tensor of each entry of theta")
        cases.append(Case((params,), judge, f"dictionary_to_vector(a {layers}-layer dict in the key order "
                                            f"{', '.join(list(params)[:4])}...)"))
    return cases


def _vector_to_dictionary_cases(rng):
    cases = []
    for layers, how in _nets(rng):
        params = _in_order(rng, _parameters(rng, layers), how)
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
        cases.append(Case((theta, shapes), judge, f"vector_to_dictionary(theta, shapes of a {layers}-layer net "
                                                  f"in the key order {', '.join(list(shapes)[:4])}...)"))
    return cases


def _gradients_to_vector_cases(rng):
    cases = []
    for layers, how in _nets(rng):
        params = _parameters(rng, layers)
        gradients, m = {}, int(rng.integers(2, 5))
        for l in range(1, layers + 1):  # as a forward-order listing, then put in the case's order
            gradients[f"dW{l}"] = rng.normal(0, 1, size=params[f"W{l}"].shape) * 10 ** rng.uniform(-3, 1)
            gradients[f"db{l}"] = rng.normal(0, 1, size=params[f"b{l}"].shape) * 10 ** rng.uniform(-3, 1)
            gradients[f"dZ{l}"] = rng.normal(0, 1, size=(params[f"b{l}"].shape[0], m))
            if l < layers:
                gradients[f"dA{l}"] = rng.normal(0, 1, size=(params[f"b{l}"].shape[0], m))
        gradients = _in_order(rng, gradients, how)
        want = vectors.gradients_to_vector(gradients)
        cases.append(Case((gradients,), (lambda v, _, w=want: close_array(v, w, rtol=0)),
                          f"gradients_to_vector(the gradients of a {layers}-layer net, with dZ and dA too, in "
                          f"the key order {', '.join(list(gradients)[:4])}...)"))
    return cases


def _theta_agrees(value, predicted, case):
    """dictionary_to_vector returned (theta, keys): is theta what the mistake gives?"""
    return isinstance(value, (tuple, list)) and len(value) == 2 and vector_agrees(value[0], predicted)


dictionary_to_vector = Spec("dictionary_to_vector", _dictionary_to_vector_cases,
                            reference_modules=("vectors.py", "checks"),
                            mistake=named_mistake(D2V_MISTAKES, lambda c: DictCase(c.args[0], "", len(c.args[0])),
                                                  _theta_agrees),
                            **allowed("dictionary_to_vector"))
vector_to_dictionary = Spec("vector_to_dictionary", _vector_to_dictionary_cases,
                            reference_modules=("vectors.py", "checks"),
                            mistake=named_mistake(V2D_MISTAKES, lambda c: SlicesCase(*c.args), dict_agrees),
                            **allowed("vector_to_dictionary"))
gradients_to_vector = Spec("gradients_to_vector", _gradients_to_vector_cases,
                           reference_modules=("vectors.py", "checks"),
                           mistake=named_mistake(G2V_MISTAKES, lambda c: DictCase(c.args[0], "d", len(c.args[0]) // 2),
                                                 vector_agrees),
                           **allowed("gradients_to_vector"))
