"""Verification specs of the course's exercises (see verify.py): for each exercise, the cases drawn at
grading time, how each result is judged, and what the exercise may use.

Every expected value is computed here, in the grader's process, from the course's reference code;
none of it enters a verification sandbox. Names are the exercise names; release notebooks point at
them with ``course.verify = "course_utils.grading.specs:<exercise>"``.
"""
from __future__ import annotations

import numpy as np

from course_utils import network, vectors
from course_utils.backprop import backward_propagation_n as _reference_backward
from course_utils.gradcheck import relative_difference as _reference_rd
from course_utils.grading.verify import Case, Provided, Spec, close_array, close_number, describe

U = np.finfo(float).eps


def _signed(rng, low, high):
    """A float with random sign and magnitude in [low, high)."""
    return float(rng.choice([-1.0, 1.0]) * rng.uniform(low, high))


# --------------------------------------------------------------------------------------------- 00
def _square_cases(rng):
    xs = [int(rng.integers(-50, 50)), _signed(rng, 0.1, 10), _signed(rng, 1e3, 1e4)]
    return [Case((x,), (lambda v, _, w=x * x: close_number(v, w, rtol=1e-12)), f"warm_up_square({x:.6g})")
            for x in xs]


warm_up_square = Spec("warm_up_square", _square_cases, reference_modules=("checks",))


# --------------------------------------------------------------------------------------------- 01
def _quotient_cases(rng, name, formula):
    cases = []
    for _ in range(4):
        kind = rng.integers(2)
        if kind == 0:
            f = Provided("polynomial", (tuple(float(c) for c in rng.normal(0, 2, size=4)),))
        else:
            f = Provided("wave", (_signed(rng, 0.5, 3), _signed(rng, 0.5, 3), _signed(rng, 0.1, 1)))
        x, eps = _signed(rng, 0.1, 2.5), float(10 ** rng.uniform(-5, -2))
        fn = f.build()
        want = formula(fn, x, eps)
        noise = 8 * U * max(abs(fn(x + eps)), abs(fn(x - eps)), abs(fn(x)), 1.0) / eps  # round-off of any order
        cases.append(Case((f, x, eps), (lambda v, _, w=want, a=noise: close_number(v, w, rtol=1e-9, atol=a)),
                          f"{name}(f, {x:.6g}, {eps:.3g})"))
    return cases


forward_difference = Spec(
    "forward_difference", lambda rng: _quotient_cases(rng, "forward_difference", lambda f, x, e: (f(x + e) - f(x)) / e),
    reference_modules=("gradcheck.py", "checks", "widgets.py"))
centered_difference = Spec(
    "centered_difference",
    lambda rng: _quotient_cases(rng, "centered_difference", lambda f, x, e: (f(x + e) - f(x - e)) / (2 * e)),
    reference_modules=("gradcheck.py", "checks", "widgets.py"))


def _relative_difference_cases(rng):
    cases = []
    shapes = [(int(rng.integers(3, 9)), 1), (int(rng.integers(2, 5)), int(rng.integers(2, 5))),
              (int(rng.integers(3, 9)), 1), ()]
    for n, shape in enumerate(shapes):
        scale = float(10 ** rng.uniform(-3, 3))
        grad = np.asarray(rng.normal(0, scale, size=shape))
        if n == 0:  # close: a good gradient
            approx = grad * (1 + rng.normal(0, float(10 ** rng.uniform(-6, -2)), size=shape))
        elif n == 1:  # unrelated: not aligned, so ||g + a|| differs from ||g|| + ||a||
            approx = np.asarray(rng.normal(0, scale, size=shape))
        else:  # a wrong sign and size
            approx = -float(rng.uniform(0.2, 3)) * grad
        grad, approx = (float(grad), float(approx)) if shape == () else (grad, approx)
        want = float(_reference_rd(grad, approx))
        cases.append(Case((grad, approx), (lambda v, _, w=want: close_number(v, w, rtol=1e-9, atol=1e-15)),
                          f"relative_difference(grad, gradapprox) with shape {shape}"))
    same = rng.normal(0, 1, size=(4, 1))
    cases.append(Case((same, same.copy()), (lambda v, _: close_number(v, 0.0, atol=1e-15)),
                      "relative_difference(g, g)"))
    return cases


relative_difference = Spec("relative_difference", _relative_difference_cases,
                           reference_modules=("gradcheck.py", "checks"))


# --------------------------------------------------------------------------------------------- 02
def _jx_cases(rng, name, formula):
    cases = []
    for _ in range(3):
        x, theta = _signed(rng, 0.2, 5), _signed(rng, 0.2, 5)
        want = formula(x, theta)
        cases.append(Case((x, theta), (lambda v, _, w=want: close_number(v, w, rtol=1e-12)),
                          f"{name}(x={x:.6g}, theta={theta:.6g})"))
    return cases


forward_propagation = Spec("forward_propagation", lambda rng: _jx_cases(rng, "forward_propagation", lambda x, t: t * x),
                           reference_modules=("checks", "widgets.py"))
backward_propagation = Spec("backward_propagation", lambda rng: _jx_cases(rng, "backward_propagation", lambda x, t: x),
                            reference_modules=("checks", "widgets.py"))


def _gradient_check_cases(rng):
    cases = []
    for k in [1.0, float(rng.uniform(1.5, 3)), float(rng.uniform(0.2, 0.7)), -float(rng.uniform(0.5, 2))]:
        x, theta = _signed(rng, 0.5, 5), _signed(rng, 0.5, 5)
        eps = float(10 ** rng.uniform(-7, -4))
        overrides = {"forward_propagation": Provided("product"), "backward_propagation": Provided("scaled_slope", (k,))}
        label = f"gradient_check(x={x:.4g}, theta={theta:.4g}, epsilon={eps:.2g}) with a backward pass giving {k:.3g} * x"
        if k == 1.0:
            judge = (lambda v, _: None if (n := _number(v)) is not None and 0 <= n < 1e-7
                     else f"returned {describe(v)}, expected a difference below 1e-7 (the backward pass is right)")
        else:
            want = abs(k - 1) / (abs(k) + 1)
            judge = (lambda v, _, w=want: close_number(v, w, rtol=1e-5))
        cases.append(Case((x, theta, eps), judge, label, overrides=overrides))
    return cases


def _number(value):
    from course_utils.grading.verify import as_number

    return as_number(value)


gradient_check = Spec("gradient_check", _gradient_check_cases, reference_modules=("checks", "widgets.py"))


# --------------------------------------------------------------------------------------------- 03
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


# --------------------------------------------------------------------------------------------- 04
CLASSIC_LAYER_BUGS = ("dW2_times_2", "db1_4_over_m", "dW3_missing_1_over_m", "db2_sum_without_axis",
                      "relu_mask_uses_dA2", "relu_grad_missing_layer1", "output_sign_flipped")
NETWORK_MODULES = ("_validate.py", "activations.py", "vectors.py", "network.py")


def _classic_case(rng):
    m = int(rng.integers(3, 7))
    sizes = [4, int(rng.integers(3, 6)), int(rng.integers(2, 4)), 1]
    params = {}
    for l in (1, 2, 3):
        params[f"W{l}"] = rng.normal(0, 1, size=(sizes[l], sizes[l - 1]))
        params[f"b{l}"] = rng.normal(0, 1, size=(sizes[l], 1))
    X = rng.normal(0, 1, size=(4, m))
    Y = rng.integers(0, 2, size=m).astype(float)
    return X, Y, params


def _loop_difference(X, Y, params, gradients, eps):
    theta, _ = vectors.dictionary_to_vector(params)
    shapes = vectors.parameter_shapes(params)
    grad = vectors.gradients_to_vector(gradients, params)
    approx = np.zeros_like(theta)
    for i in range(theta.shape[0]):
        plus, minus = theta.copy(), theta.copy()
        plus[i] += eps
        minus[i] -= eps
        approx[i] = (network.forward_propagation_n(X, Y, vectors.vector_to_dictionary(plus, shapes))[0]
                     - network.forward_propagation_n(X, Y, vectors.vector_to_dictionary(minus, shapes))[0]) / (2 * eps)
    return float(_reference_rd(grad, approx))


def _gradient_check_n_cases(rng):
    cases = []
    bugs = [(), (str(rng.choice(CLASSIC_LAYER_BUGS)),), ("dW2_times_2", "db1_4_over_m")]
    for n, chosen in enumerate(bugs):
        X, Y, params = _classic_case(rng)
        _, cache = network.forward_propagation_n(X, Y, params)
        gradients = _reference_backward(X, Y, cache, bugs=chosen)
        eps = 1e-6
        want = _loop_difference(X, Y, params, gradients, eps)
        print_msg = n > 0
        wrong = want > 2e-7

        def judge(v, out, w=want, wrong=wrong, print_msg=print_msg):
            message = close_number(v, w, rtol=1e-3, atol=1e-6)
            if message or not print_msg:
                return message
            if wrong != ("mistake" in out.lower()):
                return (f"printed {out.strip()!r} with print_msg=True for a difference of {w:.3g}: "
                        f"the message must {'say' if wrong else 'not say'} there is a mistake (threshold 2e-7)")
            return None
        label = (f"gradient_check_n(a random 3-layer net, {'correct gradients' if not chosen else 'bugs ' + ', '.join(chosen)}"
                 f", epsilon={eps:g}{', print_msg=True' if print_msg else ''})")
        cases.append(Case((params, gradients, X, Y, eps, print_msg), judge, label))
    return cases


gradient_check_n = Spec(
    "gradient_check_n", _gradient_check_n_cases,
    namespace={"np": "numpy", "forward_propagation_n": "course_utils.network:forward_propagation_n",
               "dictionary_to_vector": "course_utils.vectors:dictionary_to_vector",
               "vector_to_dictionary": "course_utils.vectors:vector_to_dictionary",
               "gradients_to_vector": "course_utils.vectors:gradients_to_vector",
               "parameter_shapes": "course_utils.vectors:parameter_shapes"},
    modules=NETWORK_MODULES, reference_modules=("gradcheck.py", "fastcost.py", "checks", "widgets.py"),
    policy="it may use forward_propagation_n and the vector helpers, but computes the differences itself")


def _suspects_cases(rng):
    def judge(v, _):
        if not isinstance(v, (list, tuple)) or not all(isinstance(s, str) for s in v):
            return f"returned {describe(v)}, expected a list of parameter names"
        return None if sorted(v) == ["W2", "b1"] else f"returned {sorted(v)}, which are not the suspects"
    return [Case((), judge, "name_the_suspects()")]


name_the_suspects = Spec("name_the_suspects", _suspects_cases, reference_modules=("checks", "widgets.py"))


def _backward_cases(rng):
    cases = []
    for _ in range(3):
        X, Y, params = _classic_case(rng)
        _, cache = network.forward_propagation_n(X, Y, params)
        want = _reference_backward(X, Y, cache)

        def judge(v, _, w=want):
            if not isinstance(v, dict):
                return f"returned {describe(v)}, expected a dict of gradients"
            wrong = []
            for name in ("dW1", "db1", "dW2", "db2", "dW3", "db3"):
                if name not in v:
                    return f"returned no {name!r}"
                # an analytic gradient differs from the reference by round-off only (~1e-15 relative); a
                # numerical one (centered differences) cannot get closer than ~1e-10
                if close_array(v[name], w[name], rtol=1e-11, atol=1e-14 * float(np.max(np.abs(w[name])) + 1e-300)):
                    wrong.append(name)
            return f"returned wrong {', '.join(wrong)}" if wrong else None
        cases.append(Case((X, Y, cache), judge, f"backward_propagation_n(X of shape {X.shape}, Y, cache)"))
    return cases


backward_propagation_n = Spec("backward_propagation_n", _backward_cases,
                              reference_modules=("backprop.py", "bugs.py", "fastcost.py", "network.py", "checks",
                                                 "widgets.py"),
                              policy="it computes the gradients itself; the course's backward pass is not there")


# --------------------------------------------------------------------------------------------- 05
def _l2_cases(rng):
    cases = []
    for layers in (3, int(rng.integers(2, 6)), int(rng.integers(10, 13))):
        params = _random_parameters(rng, layers)
        lambd, m = float(rng.uniform(0.01, 2)), int(rng.integers(1, 50))
        cost = float(rng.uniform(0.05, 2))
        want = cost + float(lambd / (2 * m) * sum(np.sum(np.square(w)) for k, w in params.items() if k.startswith("W")))
        cases.append(Case((cost, params, lambd, m), (lambda v, _, w=want: close_number(v, w, rtol=1e-10)),
                          f"cost_with_l2({cost:.4g}, a {layers}-layer net, lambd={lambd:.3g}, m={m})"))
    return cases


cost_with_l2 = Spec("cost_with_l2", _l2_cases, reference_modules=("network.py", "checks"))


def _directional_cases(rng):
    cases = []
    for wrong in (False, True, True):
        n = int(rng.integers(5, 30))
        B = rng.normal(0, 1, size=(n, n))
        A, b = B @ B.T / n + np.eye(n), rng.normal(0, 1, size=(n, 1))
        theta = rng.normal(0, 1, size=(n, 1))
        grad = A @ theta + b
        if wrong:
            grad[: max(1, n // 3)] *= float(rng.uniform(1.5, 3))
        eps, seed = float(10 ** rng.uniform(-6, -4)), int(rng.integers(0, 2 ** 31))
        u = np.random.default_rng(seed).standard_normal(theta.shape)
        u = u / np.linalg.norm(u)
        cost = Provided("quadratic", (A, b))
        f = cost.build()
        numerical = (f(theta + eps * u) - f(theta - eps * u)) / (2 * eps)
        analytic = float(np.sum(grad * u))
        want = abs(numerical - analytic) / (abs(numerical) + abs(analytic))
        noise = 16 * U * max(abs(f(theta)), 1.0) / eps / max(abs(analytic), 1e-12)
        judge = (lambda v, _, w=want, a=noise: close_number(v, w, rtol=1e-4, atol=a))
        cases.append(Case((cost, theta, grad, eps, seed), judge,
                          f"directional_check(a quadratic cost in {n} parameters, {'a wrong' if wrong else 'the right'}"
                          f" gradient, epsilon={eps:.2g}, seed={seed})"))
    return cases


directional_check = Spec("directional_check", _directional_cases, reference_modules=("gradcheck.py", "checks"))
