"""Checks of notebook 04 check an N-D gradient."""
import numpy as np

from course_utils import gradcheck, network, vectors
from course_utils.checks._common import (
    COLLEAGUE_BUGS,
    SEED,
    THRESHOLD_N,
    _as_float,
    _close,
    _copy_dict,
    _fail,
    _fmt,
    _hints,
    _random_classic_case,
    _reports_stubs,
    _require_function,
    _same_arrays,
    _vector_cost,
)
from course_utils.gradcheck import relative_difference


def _nd_reference(X, Y, parameters, gradients, epsilon):
    """(difference, candidates) of the N-D check: the right value and what the known mistakes give."""
    theta, _ = vectors.dictionary_to_vector(parameters)
    shapes = vectors.parameter_shapes(parameters)
    cost = _vector_cost(X, Y, shapes)
    grad = vectors.gradients_to_vector(gradients, parameters)
    n = theta.shape[0]
    plus, minus, base = np.zeros((n, 1)), np.zeros((n, 1)), cost(theta)
    for i in range(n):
        t = theta.copy()
        t[i, 0] += epsilon
        plus[i, 0] = cost(t)
        t[i, 0] = theta[i, 0] - epsilon
        minus[i, 0] = cost(t)
    approx = (plus - minus) / (2 * epsilon)
    forward = (plus - base) / epsilon
    norm = np.linalg.norm
    want = relative_difference(grad, approx)
    candidates = [
        (relative_difference(grad, forward / 2), "thetaminus was built from thetaplus (or without np.copy), so it "
                                                 "equals theta and gradapprox is half the slope (difference about 1/3): "
                                                 "thetaminus = np.copy(theta); thetaminus[i] -= epsilon."),
        (relative_difference(grad, 2 * approx), "gradapprox divides by epsilon instead of 2 * epsilon (difference about 1/3)."),
        (relative_difference(grad, (plus - minus) / 2 * epsilon), "operator precedence: `/ 2 * epsilon` multiplies by "
                                                                   "epsilon (difference about 1); write / (2 * epsilon)."),
        (relative_difference(grad, forward), "you used the one-sided difference (J(theta + eps) - J(theta)) / eps; use "
                                             "the centered one with thetaminus = theta - epsilon."),
        (float(norm(grad - approx)), "you returned only the numerator ||grad - gradapprox||; divide by "
                                     "||grad|| + ||gradapprox||."),
        (0.0, "a difference of exactly 0 is too good to be true: you compared gradapprox with itself (or grad with "
              "itself); grad must come from gradients_to_vector(gradients)."),
    ]
    return want, candidates


def _nd_band_hint(got):
    if abs(got - 1 / 3) < 0.05:
        return ("a difference near 1/3 means gradapprox is half (or twice) grad: thetaminus built from thetaplus or "
                "without np.copy, or a division by epsilon instead of 2 * epsilon.")
    if abs(got - 1) < 1e-3:
        return "a difference near 1 means gradapprox is about 0: check `/ (2 * epsilon)` (not `/ 2 * epsilon`)."
    return ""


@_reports_stubs("gradient_check_n")
def check_gradient_check_n(gradient_check_n):
    """gradient_check_n(parameters, gradients, X, Y, epsilon=1e-7) must return the N-D relative difference."""
    _require_function(gradient_check_n, "gradient_check_n")
    X, Y, parameters = network.gradient_check_n_test_case()
    _, cache = network.forward_propagation_n(X, Y, parameters)
    correct = network.backward_propagation_n(X, Y, cache)
    buggy = network.backward_propagation_n(X, Y, cache, bugs=COLLEAGUE_BUGS)
    rng = np.random.default_rng(SEED)
    X2, Y2, p2 = _random_classic_case(rng, 6)
    _, cache2 = network.forward_propagation_n(X2, Y2, p2)
    g2 = network.backward_propagation_n(X2, Y2, cache2, bugs=("dW3_missing_1_over_m",))
    g3 = network.backward_propagation_n(X2, Y2, cache2)
    cases = [("the classic case, correct gradients", X, Y, parameters, correct, None),
             ("the classic case, the colleague's gradients", X, Y, parameters, buggy, None),
             ("a random 3-layer net, a wrong dW3, epsilon=1e-6", X2, Y2, p2, g2, 1e-6),
             ("a random 3-layer net, correct gradients, epsilon=1e-3", X2, Y2, p2, g3, 1e-3)]
    values = []
    for label, X_, Y_, p, g, epsilon in cases:
        eps = 1e-7 if epsilon is None else epsilon
        want, candidates = _nd_reference(X_, Y_, p, g, eps)
        p_before, g_before = _copy_dict(p), _copy_dict(g)
        call = f"gradient_check_n({label})"
        args = (p, g, X_, Y_) if epsilon is None else (p, g, X_, Y_, epsilon)
        got = _as_float(gradient_check_n(*args), call)
        if not (_same_arrays(p, p_before) and _same_arrays(g, g_before)):
            raise AssertionError(f"{call} changed the parameters or gradients it was given: perturb copies "
                                 "(np.copy) of theta, never the caller's arrays.")
        if not _close(got, want, rtol=1e-3, atol=1e-15):
            if epsilon is not None:
                candidates.append((_nd_reference(X_, Y_, p, g, 1e-7)[0], "you ignored the epsilon argument "
                                   "(this matches epsilon = 1e-7): perturb by the epsilon you are given."))
            hint = _hints(got, candidates, rtol=1e-3) or _nd_band_hint(got)
            _fail(call, got, want, hint)
        values.append(want)
    print(f"gradient_check_n passed: difference = {values[1]:.3g} with the colleague's bugs, "
          f"below {THRESHOLD_N:.0e} with correct gradients")


@_reports_stubs("name_the_suspects")
def check_name_the_suspects(name_the_suspects):
    """name_the_suspects() must return the parameters whose gradient the colleague got wrong."""
    _require_function(name_the_suspects, "name_the_suspects")
    X, Y, parameters = network.gradient_check_n_test_case()
    _, cache = network.forward_propagation_n(X, Y, parameters)
    buggy = network.backward_propagation_n(X, Y, cache, bugs=COLLEAGUE_BUGS)
    result = gradcheck.check_gradients(network.classic_cost(X, Y), parameters, buggy, threshold=THRESHOLD_N)
    want = list(result.suspects)
    got = name_the_suspects()
    if got is None:
        raise AssertionError("name_the_suspects() returned None. Did you forget `return`? "
                             'Return a list of parameter names, e.g. ["W1"].')
    if isinstance(got, str) or not isinstance(got, (list, tuple, set)) or not all(isinstance(n, str) for n in got):
        raise AssertionError(f"name_the_suspects() returned {_fmt(got)}; expected a list of parameter names "
                             'such as ["W1", "b3"] (strings, even for a single name).')
    names = [n.strip() for n in got]
    if any(n.startswith("d") for n in names):
        raise AssertionError(f"name_the_suspects() returned {names}: name the parameters (e.g. 'W1'), "
                             "not their gradients ('dW1').")
    unknown = [n for n in names if n not in parameters]
    if unknown:
        raise AssertionError(f"name_the_suspects() returned {unknown}, which are not parameters of the network "
                             f"(its parameters are {', '.join(parameters)}).")
    blocks = result.block_differences
    wrong = " and ".join(f"{blocks[n]:.2g}" for n in sorted(want, key=blocks.get))
    roundoff = max((blocks[n] for n in blocks if n not in want), default=0.0)
    far_above = (f"A suspect's block difference is far above round-off (the wrong gradients here are at "
                 f"{wrong}); a tensor only a little above the threshold {THRESHOLD_N:.0e} (the correct ones "
                 f"here reach {roundoff:.2g}) is round-off of the classic cost, not a bug.")
    innocent = [n for n in dict.fromkeys(names) if n not in want]
    if innocent:
        several = len(innocent) > 1
        reasons = []
        for n in innocent:
            d = blocks[n]
            if d > THRESHOLD_N:
                reasons.append(f"{n}'s block difference {d:.2g} is above the threshold {THRESHOLD_N:.0e}, but only "
                               "by round-off: centered differences of the classic cost (a log of probabilities) "
                               f"err by a few 1e-07 with epsilon = 1e-7 even when the gradient is right.")
            else:
                reasons.append(f"{n}'s block difference {d:.2g} is below the threshold {THRESHOLD_N:.0e}.")
        raise AssertionError(f"name_the_suspects(): the gradient{'s' if several else ''} of "
                             f"{' and '.join(innocent)} {'are' if several else 'is'} correct. " + " ".join(reasons)
                             + f"\n{far_above}")
    missing = [n for n in want if n not in names]
    if missing:
        raise AssertionError(f"name_the_suspects(): you named {len(set(names))} of the {len(want)} tensors whose "
                             f"gradient is wrong. Look again at the per-tensor differences. {far_above}")
    print(f"name_the_suspects passed: {' and '.join(want)} have wrong gradients")


@_reports_stubs("backward_propagation_n")
def check_backward_propagation_n(backward_propagation_n):
    """backward_propagation_n(X, Y, cache) must return the correct gradients (the colleague's bugs fixed)."""
    _require_function(backward_propagation_n, "backward_propagation_n")
    X, Y, parameters = network.gradient_check_n_test_case()
    rng = np.random.default_rng(SEED)
    X2, Y2, p2 = _random_classic_case(rng, 7)
    for label, X_, Y_, p in (("the classic case", X, Y, parameters), ("a random 3-layer net with m = 7", X2, Y2, p2)):
        _, cache = network.forward_propagation_n(X_, Y_, p)
        want = network.backward_propagation_n(X_, Y_, cache)
        m = X_.shape[1]
        call = f"backward_propagation_n({label})"
        got = backward_propagation_n(X_, Y_, cache)
        if got is None:
            raise AssertionError(f"{call} returned None. Did you forget `return gradients`?")
        if not isinstance(got, dict):
            raise AssertionError(f"{call} returned {type(got).__name__}; expected the gradients dict.")
        for name in vectors.parameter_order(p):
            key = "d" + name
            if key not in got:
                raise AssertionError(f"{call}: gradients has no {key!r} key.")
            value, ref = np.asarray(got[key]), want[key]
            if value.shape != ref.shape:
                raise AssertionError(f"{call}: {key} has shape {value.shape}, expected {ref.shape} "
                                     "(for db use np.sum(..., axis=1, keepdims=True)).")
            if np.allclose(value, ref, rtol=1e-7, atol=1e-12):
                continue
            hint = ""
            if key == "dW2" and np.allclose(value, 2 * ref, rtol=1e-7, atol=1e-12):
                hint = "dW2 still has the stray `* 2`: dW2 = 1./m * np.dot(dZ2, A1.T)."
            elif key == "db1" and np.allclose(value, 4 * ref, rtol=1e-7, atol=1e-12):
                hint = "db1 still uses 4./m: db1 = 1./m * np.sum(dZ1, axis=1, keepdims=True)."
            else:
                k = float(np.sum(value * ref) / np.sum(ref * ref)) if np.any(ref) else np.nan
                if np.isfinite(k) and np.allclose(value, k * ref, rtol=1e-7, atol=1e-12):
                    hint = f"{key} is {k:.4g} times the right value"
                    hint += (f" (m is {m} here: did you hard-code m = 3?)." if np.isclose(k, m / 3) else
                             ": look for a stray factor in that line.")
            raise AssertionError(f"{call}: {key} is wrong (largest error {np.max(np.abs(value - ref)):.3g})."
                                 + (f"\nMost likely: {hint}" if hint else ""))
    print(f"backward_propagation_n passed: every dW and db matches the gradient check (< {THRESHOLD_N:.0e})")
