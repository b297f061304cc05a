"""Tests of course_utils/bugs.py: every bug does what its own buggy line does, and nothing else.

The oracle is the original assignment's backward pass written out here line by line (`textbook`):
for a bug, its `correct` line is found in that pass and replaced by its `buggy` line, the lines are
executed, and what they compute must be what backward_propagation_n / backward_propagation_deep return
with the bug injected. Which networks a bug applies to is checked against the same text: a bug is
accepted exactly when its correct line is a line of the network's backward pass.
"""
import ast
import inspect
import itertools
import re

import numpy as np
import pytest

from course_utils import backprop
from course_utils.backprop import backward_propagation_deep, backward_propagation_n
from course_utils.bugs import BUGS, COLLEAGUE_BUGS, STAGES, Bug, validate_bugs
from course_utils.network import (
    forward_propagation_deep,
    forward_propagation_n,
    gradient_check_n_test_case,
    initialize_parameters,
)

PARAMS = ["W1", "b1", "W2", "b2", "W3", "b3"]
DEEP_DIMS = [[4, 5, 4, 3, 1], [3, 6, 5, 4, 2, 1]]  # 4 and 5 layers
DEEP_SEEDS = {4: 1, 5: 11}  # by depth: draws without a dead layer (test_deep_cases_have_no_dead_layer)


def test_catalog_has_the_classics_first_and_enough_bugs():
    names = list(BUGS)
    assert len(names) >= 8
    assert names[:2] == ["dW2_times_2", "db1_4_over_m"] == list(COLLEAGUE_BUGS)
    for name, bug in BUGS.items():
        assert isinstance(bug, Bug) and bug.name == name
        assert bug.description and bug.buggy != bug.correct
        assert bug.corrupts and all(p in PARAMS for p in bug.corrupts)
        assert list(bug.corrupts) == [p for p in PARAMS if p in bug.corrupts]  # parameter order
        assert bug.stage in STAGES and callable(bug.inject)
    assert {bug.stage for bug in BUGS.values()} == set(STAGES)  # no stage without a bug


def test_min_layers_is_the_layer_plus_one_where_it_must_be_hidden():
    def bug(stage, layer):
        return Bug("x", "d", "b", "c", ("W1",), stage, lambda v, at: v, layer=layer)

    assert [bug("dW", 3).min_layers, bug("dZ_relu", 2).min_layers] == [3, 3]
    assert [bug("dZ_out", None).min_layers, bug("dZ_relu", None).min_layers] == [1, 2]
    assert {n: b.min_layers for n, b in BUGS.items() if b.min_layers > 1} == {
        "dW2_times_2": 2, "dW3_missing_1_over_m": 3, "db2_sum_without_axis": 2,
        "relu_grad_missing_layer1": 2, "relu_mask_uses_dA2": 3}


def test_a_bug_with_an_unknown_stage_is_refused():
    with pytest.raises(ValueError, match=r"Bug 'x': stage must be one of .*'dW'.*got 'dw'"):
        Bug("x", "d", "b", "c", ("W1",), "dw", lambda v, at: v)


# ------------------------------------------------------------------ the oracle: the textbook pass


def textbook(L, lambd=0.0):
    """The original assignment's backward pass for an L-layer net, one statement a line (A0 is X)."""
    lines = [f"dZ{L} = A{L} - Y"]
    for l in range(L, 0, -1):
        l2 = f" + lambd / m * W{l}" if lambd else ""
        lines += [f"dW{l} = 1./m * np.dot(dZ{l}, A{l - 1}.T){l2}",
                  f"db{l} = 1./m * np.sum(dZ{l}, axis=1, keepdims=True)"]
        if l > 1:
            lines += [f"dA{l - 1} = np.dot(W{l}.T, dZ{l})",
                      f"dZ{l - 1} = np.multiply(dA{l - 1}, np.int64(A{l - 1} > 0))"]
    return lines


def instances(line, bug, L):
    """The line (a bug's buggy or correct one) as it reads in an L-layer net: one per layer it is in.

    A line without layer numbers (dW, dZ, A_prev, W) is in every layer. A bug tied to no layer but
    written for the classic net names its output layer 3, which is layer L of an L-layer net.
    """
    if re.search(r"\bA_prev\b", line):
        return [re.sub(r"\b(dW|dZ|W|db|dA|A)\b", rf"\g<1>{l}", line.replace("A_prev", f"A{l - 1}"))
                for l in range(1, L + 1)]
    if bug.layer is None:
        return [re.sub(r"\b(dZ|A)3\b", rf"\g<1>{L}", line)]
    return [line]


def inject_text(lines, names, L):
    """The textbook lines with the correct line of every named bug replaced by its buggy line."""
    lines = list(lines)
    for name in names:
        bug = BUGS[name]
        for correct, buggy in zip(instances(bug.correct, bug, L), instances(bug.buggy, bug, L), strict=True):
            assert lines.count(correct) == 1, f"{name}: {correct!r} is not a line of the backward pass"
            lines[lines.index(correct)] = buggy
    return lines


def run_text(lines, X, Y, A, W, lambd):
    """Execute the lines with the forward values A = [A1..AL], W = [W1..WL]; returns the names they set."""
    m = X.shape[1]
    ns = {"__builtins__": {}, "np": np, "m": m, "Y": np.asarray(Y).reshape(1, m), "lambd": lambd, "A0": X, "X": X}
    ns.update({f"A{l}": a for l, a in enumerate(A, start=1)})
    ns.update({f"W{l}": w for l, w in enumerate(W, start=1)})
    before = set(ns)
    exec("\n".join(lines), ns)  # noqa: S102 -- the catalog's own lines of numpy code
    return {k: v for k, v in ns.items() if k not in before}


# ------------------------------------------------------------------ the networks


def classic(bugs=(), lambd=0.0):
    """(gradients, oracle inputs) of the classic test case: backward_propagation_n, or the deep pass with L2."""
    X, Y, parameters = gradient_check_n_test_case()
    W = [parameters[f"W{l}"] for l in (1, 2, 3)]
    if lambd:
        _, cache = forward_propagation_deep(X, Y, parameters, lambd=lambd, cost_formula="classic")
        return backward_propagation_deep(X, Y, cache, bugs=bugs), (X, Y, cache.A[1:], W, lambd)
    _, cache = forward_propagation_n(X, Y, parameters)
    A = [cache[1], cache[5], cache[9]]
    return backward_propagation_n(X, Y, cache, bugs=bugs), (X, Y, A, W, lambd)


def deep(dims, bugs=(), lambd=0.0):
    seed = DEEP_SEEDS[len(dims) - 1]
    rng = np.random.default_rng(seed)
    m = 7
    X = rng.standard_normal((dims[0], m))
    Y = np.array([1, 0, 1, 1, 0, 0, 1])
    parameters = initialize_parameters(dims, seed=seed + 1)
    _, cache = forward_propagation_deep(X, Y, parameters, lambd=lambd)
    W = [parameters[f"W{l}"] for l in range(1, len(dims))]
    return backward_propagation_deep(X, Y, cache, bugs=bugs), (X, Y, cache.A[1:], W, lambd)


@pytest.mark.parametrize("dims", DEEP_DIMS)
def test_deep_cases_have_no_dead_layer(dims):
    """Every unit of every layer passes some gradient back, so no comparison below is one of zeros."""
    grads, _ = deep(dims)
    for l in range(1, len(dims)):
        assert np.all(np.any(grads[f"dW{l}"] != 0, axis=1)), f"layer {l} of {dims} has a dead unit"


def assert_matches_text(grads, inputs, names):
    X, Y, A, W, lambd = inputs
    L = len(W)
    want = run_text(inject_text(textbook(L, lambd), names, L), X, Y, A, W, lambd)
    assert set(want) == set(grads)
    for key, w in want.items():
        got = grads[key]
        if np.ndim(w) == 0:  # np.sum without axis: one number, broadcast over the units when used
            assert np.all(got == got.flat[0]), key
            w = np.broadcast_to(w, got.shape)
        assert got.shape == w.shape, key
        scale = max(np.abs(w).max(), 1e-300)
        np.testing.assert_allclose(got, w, rtol=1e-12, atol=1e-14 * scale, err_msg=f"{names}: {key}")


def lambd_for(names):
    return 0.5 if any(BUGS[n].needs_l2 for n in names) else 0.0


# ------------------------------------------------------------------ each bug is its buggy line


@pytest.mark.parametrize("name", list(BUGS))
def test_bug_does_what_its_buggy_line_does_on_the_classic_case(name):
    grads, inputs = classic({name}, lambd_for([name]))
    assert_matches_text(grads, inputs, [name])


@pytest.mark.parametrize("dims", DEEP_DIMS)
@pytest.mark.parametrize("name", list(BUGS))
def test_bug_does_what_its_buggy_line_does_in_deeper_networks(name, dims):
    grads, inputs = deep(dims, {name}, lambd_for([name]))
    assert_matches_text(grads, inputs, [name])


def test_correct_pass_is_the_textbook_pass():
    for grads, inputs in [classic(), classic(lambd=0.5), deep(DEEP_DIMS[0]), deep(DEEP_DIMS[1], lambd=0.3)]:
        assert_matches_text(grads, inputs, [])


def separate_lines(names):
    """True when the bugs replace different lines, so that the text can hold all of them at once."""
    lines = [c for n in names for c in instances(BUGS[n].correct, BUGS[n], 3)]
    return len(lines) == len(set(lines))


COMBINATIONS = [c for k in (2, 3, 6) for c in itertools.combinations([n for n in BUGS if not BUGS[n].needs_l2], k)
                if separate_lines(c)]


@pytest.mark.parametrize("names", COMBINATIONS, ids="+".join)
def test_bugs_on_different_lines_combine_as_their_lines_do(names):
    assert_matches_text(*classic(set(names)), names)
    assert_matches_text(*deep(DEEP_DIMS[0], set(names)), names)


def test_catalog_combinations_cover_every_layer_bug_and_the_colleagues():
    assert tuple(COLLEAGUE_BUGS) in COMBINATIONS
    assert any(len(c) == 6 for c in COMBINATIONS)


@pytest.mark.parametrize("others", [(), ("dW2_times_2", "db1_4_over_m")])
def test_l2_term_missing_combines_with_the_other_dW_bugs(others):
    """With L2, dW2 * 2 is the data term doubled; the missing L2 term leaves just that."""
    names = ("l2_term_missing", *others)
    clean, _ = classic(lambd=0.5)
    grads, (_, _, _, W, lambd) = classic(set(names), lambd=0.5)
    for l in (1, 2, 3):
        data = clean[f"dW{l}"] - lambd / 3 * W[l - 1]
        factor = 2 if (l == 2 and others) else 1
        np.testing.assert_allclose(grads[f"dW{l}"], factor * data, rtol=1e-12, atol=1e-15)


def test_two_output_bugs_apply_in_catalog_order():
    """Both act on dZ_L: the flipped sign, then the extra sigmoid derivative -- (Y - A3) * A3 * (1 - A3)."""
    names = ("sigmoid_derivative_twice", "output_sign_flipped")
    grads, (X, Y, A, W, lambd) = classic(set(names))
    lines = textbook(3)
    lines[lines.index("dZ3 = A3 - Y")] = "dZ3 = (Y - A3) * A3 * (1 - A3)"
    want = run_text(lines, X, Y, A, W, lambd)
    for key in want:
        np.testing.assert_allclose(grads[key], want[key], rtol=1e-12, atol=1e-16)


# ------------------------------------------------------------------ each bug corrupts what it names


def deep_corrupts(bug, L):
    """What the bug's `corrupts` (classic names) means in an L-layer net: a bug tied to no layer acts
    in every layer, so it corrupts that kind of tensor (W or b) in all of them."""
    if bug.layer is not None:
        return set(bug.corrupts)
    kinds = {p[0] for p in bug.corrupts}
    return {f"{k}{l}" for k in kinds for l in range(1, L + 1)}


@pytest.mark.parametrize("name", list(BUGS))
def test_bug_changes_exactly_the_tensors_it_corrupts(name):
    lambd = lambd_for([name])
    cases = [(classic(lambd=lambd)[0], classic({name}, lambd)[0], set(BUGS[name].corrupts))]
    for dims in DEEP_DIMS:
        clean, buggy = deep(dims, lambd=lambd)[0], deep(dims, {name}, lambd)[0]
        cases.append((clean, buggy, deep_corrupts(BUGS[name], len(dims) - 1)))
    for clean, buggy, corrupts in cases:
        params = [k[1:] for k in clean if k[:2] in ("dW", "db")]
        for p in params:
            assert buggy["d" + p].shape == clean["d" + p].shape
            if p in corrupts:
                assert not np.allclose(buggy["d" + p], clean["d" + p], rtol=1e-3, atol=0), p
            else:
                assert np.array_equal(buggy["d" + p], clean["d" + p]), p  # bit-identical
        assert corrupts <= set(params)


def test_l2_term_missing_is_invisible_without_l2():
    assert BUGS["l2_term_missing"].needs_l2
    assert [n for n in BUGS if BUGS[n].needs_l2] == ["l2_term_missing"]
    (clean, _), (buggy, _) = classic(), classic(bugs={"l2_term_missing"})
    assert all(np.array_equal(buggy[k], clean[k]) for k in clean)


def test_bugs_have_the_forms_their_descriptions_give():
    X, _, parameters = gradient_check_n_test_case()
    m = X.shape[1]
    clean, _ = classic()
    buggy, _ = classic(bugs=("dW2_times_2", "db1_4_over_m"))
    assert np.array_equal(buggy["dW2"], 2 * clean["dW2"])
    assert np.array_equal(buggy["db1"], 4 * clean["db1"])
    m3, _ = classic(bugs="dW3_missing_1_over_m")  # a single string is one name
    assert np.allclose(m3["dW3"], m * clean["dW3"], rtol=1e-14, atol=0)
    flipped, _ = classic(bugs={"output_sign_flipped"})
    for key in clean:  # a - b is exactly -(b - a), and negation passes exactly through the whole pass
        assert np.array_equal(flipped[key], -clean[key]), key
    axis, _ = classic(bugs={"db2_sum_without_axis"})
    assert axis["db2"].shape == (3, 1)
    assert np.allclose(axis["db2"], clean["db2"].sum(), rtol=1e-14, atol=0)  # the sum of the right db2
    relu1, _ = classic(bugs={"relu_grad_missing_layer1"})
    assert np.array_equal(relu1["dZ1"], clean["dA1"]) and not np.array_equal(relu1["dZ1"], clean["dZ1"])
    mask2, _ = classic(bugs={"relu_mask_uses_dA2"})
    assert np.array_equal(mask2["dZ2"], np.where(clean["dA2"] > 0, clean["dA2"], 0))
    twice, _ = classic(bugs={"sigmoid_derivative_twice"})
    A3 = 1 / (1 + np.exp(-(parameters["W3"] @ np.maximum(parameters["W2"] @ np.maximum(
        parameters["W1"] @ X + parameters["b1"], 0) + parameters["b2"], 0) + parameters["b3"])))
    assert np.allclose(twice["dZ3"], clean["dZ3"] * A3 * (1 - A3), rtol=1e-13, atol=0)
    lambd = 0.5
    no_l2, _ = classic(bugs={"l2_term_missing"}, lambd=lambd)
    with_l2, _ = classic(lambd=lambd)
    for l in (1, 2, 3):  # the missing term is exactly lambd/m * W
        assert np.allclose(with_l2[f"dW{l}"] - no_l2[f"dW{l}"], lambd / m * parameters[f"W{l}"],
                           rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------ bad input


def test_unknown_bug_names_are_refused_clearly():
    with pytest.raises(ValueError, match=r"bugs has unknown bug name\(s\) \['dW9_typo'\]"):
        classic(bugs={"dW9_typo"})
    with pytest.raises(ValueError, match=r"unknown bug name\(s\) \['nope'\]"):
        validate_bugs(["dW2_times_2", "nope"])
    with pytest.raises(ValueError, match=r"unknown bug name\(s\) \[42, 'nope'\]"):
        validate_bugs([42, "nope"])
    with pytest.raises(TypeError, match="bugs must be an iterable"):
        validate_bugs(42)
    assert validate_bugs(None) == frozenset()
    assert validate_bugs("dW2_times_2") == frozenset({"dW2_times_2"})


@pytest.mark.parametrize("name, dims", [
    ("dW3_missing_1_over_m", [4, 3, 1]),   # layer 3 in a 2-layer net
    ("relu_mask_uses_dA2", [4, 3, 1]),     # layer 2 is the sigmoid output, not a ReLU
    ("relu_grad_missing_layer1", [4, 1]),  # a 1-layer net has no hidden ReLU
])
def test_bug_in_a_layer_the_network_lacks_is_refused(name, dims):
    parameters = initialize_parameters(dims, seed=0)
    X, Y = np.ones((4, 2)), np.array([1, 0])
    _, cache = forward_propagation_deep(X, Y, parameters)
    with pytest.raises(ValueError, match=rf"^bugs: bug '{name}' (lives in|needs) layer \d.* only {len(dims) - 1} layers"):
        backward_propagation_deep(X, Y, cache, bugs={name})


@pytest.mark.parametrize("L", [1, 2, 3, 4])
def test_a_bug_applies_exactly_where_its_correct_line_is_in_the_pass(L):
    """The depth rule against the text: accepted iff the L-layer pass has the bug's correct line."""
    dims = [3] + [4] * (L - 1) + [1]
    parameters = initialize_parameters(dims, seed=L)
    X, Y = np.linspace(-1, 1, 9).reshape(3, 3), np.array([1, 0, 1])
    refused = []
    for name, bug in BUGS.items():
        lambd = lambd_for([name])
        _, cache = forward_propagation_deep(X, Y, parameters, lambd=lambd)
        if all(c in textbook(L, lambd) for c in instances(bug.correct, bug, L)):
            assert validate_bugs({name}, n_layers=L) == {name}
            assert_matches_text(backward_propagation_deep(X, Y, cache, bugs={name}),
                                (X, Y, cache.A[1:], [parameters[f"W{l}"] for l in range(1, L + 1)], lambd), [name])
        else:
            refused.append(name)
            with pytest.raises(ValueError, match=f"^bugs: bug '{name}'"):
                backward_propagation_deep(X, Y, cache, bugs={name})
    assert bool(refused) == (L < 3)  # not vacuous: shallow nets refuse some, the classic depth none


# ------------------------------------------------------------------ the backward pass knows stages, not bugs


def test_backprop_names_no_bug_and_tests_no_names():
    source = inspect.getsource(backprop)
    for name in BUGS:
        assert name not in source, f"course_utils/backprop.py mentions the bug {name!r}"
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            assert node.attr not in ("startswith", "endswith"), \
                f"course_utils/backprop.py line {node.lineno}: .{node.attr} (a rule on names)"
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            assert not any(isinstance(o, ast.Constant) and isinstance(o.value, str) for o in operands), \
                f"course_utils/backprop.py line {node.lineno}: a comparison with a string"


def test_backprop_reaches_every_stage():
    tree = ast.parse(inspect.getsource(backprop))
    stages = {node.args[0].value for node in ast.walk(tree)
              if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "inject"
              and node.args and isinstance(node.args[0], ast.Constant)}
    assert stages == set(STAGES)
