"""Verification specs of notebook 04 check an N-D gradient (see course_utils/grading/verify.py)."""
import numpy as np

from course_utils import network, vectors
from course_utils.backprop import backward_propagation_n as _reference_backward
from course_utils.gradcheck import relative_difference as _reference_rd
from course_utils.grading.verify import Case, Spec, close_array, close_number, describe

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
