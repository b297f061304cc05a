"""Tests of course_utils/capstone.py (notebook 06's network and sealed teammates), the truth the checks of
notebook 06 compute (course_utils/checks/nb06.py) and the teammates of the instructor's side
(course_utils/grading/teammates.py: generated, sealed, issued per student with a class key).

Oracles: the instructor-only correct pass (teammates.mutate((), slope), its canonical forms; OLD_TEMPLATE below, the
pass as it was written before the forms varied), complex-step derivatives, centered
differences computed here by a plain loop, and the sites each variant was generated from.
"""
import ast
import base64
import csv
import hashlib
import hmac
import io
import json
import re
import runpy
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from authoring import build
from course_utils import bugs, capstone
from course_utils.checks import nb06
from course_utils.differences import relative_difference
from course_utils.grading import teammates
from course_utils.grading.specs import nb06 as specs06

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solutions" / "06_hunt_the_bugs.ipynb"


def centered(X, Y, parameters, epsilon=1e-6):
    """dJ/dtheta by centered differences, one entry at a time (an independent oracle)."""
    out = {}
    for name, value in parameters.items():
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            plus = {k: v.copy() for k, v in parameters.items()}
            minus = {k: v.copy() for k, v in parameters.items()}
            plus[name][index] += epsilon
            minus[name][index] -= epsilon
            grad[index] = (capstone.forward_propagation(X, Y, plus)[0]
                           - capstone.forward_propagation(X, Y, minus)[0]) / (2 * epsilon)
        out["d" + name] = grad
    return out


def code_of_variant(number, key=teammates.DEMO_KEY):
    """A demo code (id student<i>) whose teammate is `number`."""
    i = 0
    while teammates.number_for(key, f"student{i}") != number:
        i += 1
    return teammates.code_for(key, f"student{i}")


# ------------------------------------------------------------------------------------------- the network
def test_test_case_shapes_and_cost():
    X, Y, parameters = capstone.capstone_test_case()
    assert X.shape == (4, 10) and Y.shape == (1, 10) and set(np.unique(Y)) == {0.0, 1.0}
    assert {k: v.shape for k, v in parameters.items()} == {
        "W1": (5, 4), "b1": (5, 1), "W2": (5, 5), "b2": (5, 1), "W3": (3, 5), "b3": (3, 1), "W4": (1, 3), "b4": (1, 1)}
    assert sum(v.size for v in parameters.values()) == 77
    cost, cache = capstone.forward_propagation(X, Y, parameters)
    # the same cost, computed here layer by layer
    A1 = np.tanh(parameters["W1"] @ X + parameters["b1"])
    Z2 = parameters["W2"] @ A1 + parameters["b2"]
    A2 = np.maximum(Z2, 0.1 * Z2)
    A3 = np.tanh(parameters["W3"] @ A2 + parameters["b3"])
    A4 = 1 / (1 + np.exp(-(parameters["W4"] @ A3 + parameters["b4"])))
    want = -np.mean(Y * np.log(A4) + (1 - Y) * np.log(1 - A4))
    assert abs(cost - want) < 1e-12 and isinstance(cost, float)
    assert np.allclose(cache["A2"], A2, rtol=0, atol=1e-15) and np.abs(cache["Z2"]).min() > 1e-3  # no kink near


def test_leaky_relu():
    z = np.array([-2.0, -0.0, 0.0, 3.0])
    assert np.array_equal(capstone.leaky_relu(z), np.array([-0.2, 0.0, 0.0, 3.0]))
    assert np.array_equal(capstone.leaky_relu(z, 0.25), np.array([-0.5, 0.0, 0.0, 3.0]))


@pytest.mark.parametrize("slope", [0.0, 1.0, -0.1, "0.1", True, float("nan")])
def test_a_bad_slope_is_refused_naming_it(slope):
    X, Y, parameters = capstone.capstone_test_case()
    with pytest.raises(ValueError, match="slope must be a number between 0 and 1"):
        capstone.forward_propagation(X, Y, parameters, slope)


@pytest.mark.parametrize("args, error, words", [
    (("X", "Y", "p"), TypeError, "X must be a numpy array"),
    ((np.zeros((4, 3)), np.zeros((3,)), {}), ValueError, "Y must have shape (1, m) = (1, 3)"),
    ((np.zeros((4, 3)), np.full((1, 3), 2.0), {}), ValueError, "Y must hold labels 0 and 1"),
    ((np.zeros((4, 3)), np.zeros((1, 3)), []), TypeError, "parameters must be a dict"),
    ((np.zeros((4, 3)), np.zeros((1, 3)), {"W1": np.zeros((5, 4))}), KeyError, "parameters is missing b1"),
])
def test_forward_refuses_bad_input_naming_the_argument(args, error, words):
    with pytest.raises(error, match=None) as info:
        capstone.forward_propagation(*args)
    assert words in str(info.value)


def test_forward_refuses_wrong_shapes():
    X, Y, parameters = capstone.capstone_test_case()
    parameters["b3"] = np.zeros((3,))
    with pytest.raises(ValueError, match=r"parameters\['b3'\] must have shape \(3, 1\)"):
        capstone.forward_propagation(X, Y, parameters)


def test_complex_step_and_centered_differences_agree():
    X, Y, parameters = capstone.capstone_test_case()
    exact = nb06.exact_gradients(X, Y, parameters, capstone.LEAKY_SLOPE)
    approx = centered(X, Y, parameters)
    for name in capstone.GRADIENT_NAMES:
        assert relative_difference(exact[name], approx[name]) < 1e-8, name


def test_the_slope_is_the_networks_own():
    """Two teammates' networks differ in their slope only: the same test case, another cost and other gradients."""
    X, Y, parameters = capstone.capstone_test_case()
    low, high = (capstone.forward_propagation(X, Y, parameters, s)[0] for s in (0.05, 0.3))
    assert low != high
    exact = nb06.exact_gradients(X, Y, parameters, 0.3)
    approx = {}
    for name, value in parameters.items():
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            plus = {k: v.copy() for k, v in parameters.items()}
            minus = {k: v.copy() for k, v in parameters.items()}
            plus[name][index] += 1e-6
            minus[name][index] -= 1e-6
            grad[index] = (capstone.forward_propagation(X, Y, plus, 0.3)[0]
                           - capstone.forward_propagation(X, Y, minus, 0.3)[0]) / 2e-6
        approx["d" + name] = grad
    assert all(relative_difference(exact[n], approx[n]) < 1e-8 for n in capstone.GRADIENT_NAMES)
    assert relative_difference(exact["dW1"], nb06.exact_gradients(X, Y, parameters, 0.05)["dW1"]) > 1e-3


@pytest.mark.parametrize("slope", teammates.SLOPES)
def test_the_instructor_template_is_the_exact_gradient_on_other_sizes(slope):
    backward = teammates.correct_backward(slope)
    rng = np.random.default_rng(3)
    for sizes, m in (((4, 5, 5, 3, 1), 10), ((2, 3, 7, 2, 1), 4), ((6, 1, 1, 1, 1), 9)):
        X, Y = rng.standard_normal((sizes[0], m)), (rng.random((1, m)) < 0.5).astype(float)
        parameters = capstone.initialize_parameters(sizes, seed=int(rng.integers(100)))
        _, cache = capstone.forward_propagation(X, Y, parameters, slope)
        got, exact = backward(X, Y, cache), nb06.exact_gradients(X, Y, parameters, slope)
        for name in capstone.GRADIENT_NAMES:
            assert got[name].shape == exact[name].shape
            assert relative_difference(got[name], exact[name]) < 1e-13, name


# ------------------------------------------------------------------------------------------- the teammates
def test_the_sealed_teammates_are_current():
    """course_utils/capstone_teammates.py is what teammates.py generates under the demo key (regenerate with
    python -m course_utils.grading.teammates)."""
    shipped = (ROOT / "course_utils" / "capstone_teammates.py").read_text(encoding="utf-8")
    assert shipped == teammates.sealed_module_text(teammates.DEMO_KEY)
    assert capstone.N_VARIANTS == teammates.N_VARIANTS == 87 * len(teammates.SLOPES)
    assert capstone.KEY_FINGERPRINT == teammates.fingerprint(teammates.DEMO_KEY)


def test_each_sealed_teammate_opens_with_its_own_key_only():
    """A code opens its teammate and no other: the other 521 stay sealed (no majority vote over the variants)."""
    key = teammates.DEMO_KEY
    for number in (0, 200, capstone.N_VARIANTS - 1):
        own = teammates.teammate_key(key, number)
        payload = capstone.unseal(capstone.SEALED[number], own)
        v = teammates.variant(number)
        assert payload == {"slope": v.slope, "body": v.body}
        assert all(capstone.unseal(capstone.SEALED[n], own) is None for n in range(capstone.N_VARIANTS) if n != number)
    shipped = (ROOT / "course_utils" / "capstone_teammates.py").read_text(encoding="utf-8")
    assert "dZ1 = " not in shipped and "np.dot" not in shipped  # nothing readable (base64 has no space, no dot)


def test_the_code_of_an_id_follows_the_class_key():
    """number_for and the teammate's key are HMACs of the class key: the same id gets another teammate and another
    key in another class, and nothing about them can be computed without the key."""
    other = hashlib.sha256(b"another class").digest()
    ids = [f"student{i}" for i in range(300)]
    demo = [teammates.number_for(teammates.DEMO_KEY, i) for i in ids]
    assert demo != [teammates.number_for(other, i) for i in ids]
    digest = hmac.new(teammates.DEMO_KEY, b"variant:ada-lovelace", hashlib.sha256).digest()
    assert teammates.number_for(teammates.DEMO_KEY, " Ada-Lovelace ") == int.from_bytes(digest[:8], "big") % 522
    code = teammates.code_for(teammates.DEMO_KEY, "ada-lovelace")
    student, number, key = capstone.parse_code(code)
    assert (student, number) == ("ada-lovelace", demo[0] if ids[0] == "ada-lovelace" else number)
    assert key == hmac.new(teammates.DEMO_KEY, f"teammate-key:{number}".encode(), hashlib.sha256).digest()[:10]
    assert base64.b32encode(key).decode().lower() == code.rsplit(":", 1)[1]
    assert len({teammates.number_for(teammates.DEMO_KEY, f"student{i}") for i in range(6000)}) == 522


def test_check_code_binds_a_code_to_its_id():
    key = teammates.DEMO_KEY
    mine, friends = teammates.code_for(key, "ada-lovelace"), teammates.code_for(key, "alan-turing")
    assert teammates.check_code(key, mine)[0].number == capstone.parse_code(mine)[1]
    assert teammates.check_code(key, " " + mine + " ")[0] is not None
    forged = "ada-lovelace:" + friends.split(":", 1)[1]  # the friend's teammate under my id
    assert "was not issued for student id 'ada-lovelace'" in teammates.check_code(key, forged)[1]
    made_up = "ada-lovelace:17:" + "a" * 16
    assert "was not issued with this class's key" in teammates.check_code(key, made_up)[1]
    other_class = hashlib.sha256(b"another class").digest()
    assert teammates.check_code(other_class, mine)[0] is None
    assert "not a capstone code" in teammates.check_code(key, "a:b")[1]


@pytest.mark.parametrize("bad, error, words", [
    ("", ValueError, "that is a placeholder"), ("   ", ValueError, "that is a placeholder"),
    ("jdoe42", ValueError, "the example of the exercise"), (capstone.EXAMPLE_CODE, ValueError, "the example"),
    ("ada-lovelace", ValueError, "a student id alone"), ("two words", ValueError, "not a capstone code"),
    ("ada:x:aaaaaaaaaaaaaaaa", ValueError, "must be a number"), ("ada:3:short", ValueError, "16 letters"),
    ("ada:3:aaaaaaaaaaaaaaa1", ValueError, "16 letters"), ("x y:3:aaaaaaaaaaaaaaaa", ValueError, "is not an id"),
    (None, TypeError, "as a string"), (42, TypeError, "got int"),
    ("ada-lovelace:200:aaaaaaaaaaaaaaaa", ValueError, "opens none of this release's teammates"),
    ("ada-lovelace:99999:aaaaaaaaaaaaaaaa", ValueError, "opens none"),
])
def test_bad_codes_get_a_clear_message(bad, error, words):
    with pytest.raises(error) as info:
        capstone.teammate(bad)
    assert words in str(info.value)


def test_no_site_is_in_the_bug_lab_catalog():
    catalog = {bug.buggy for bug in bugs.BUGS.values()}
    for site in teammates.SITES:
        assert site.buggy not in catalog
    assert len({(s.target, s.buggy) for s in teammates.SITES}) == len(teammates.SITES) == 14


def _every_form(name, slope, parameters=None):
    """The line `name = ...` of the correct pass in each of its family's forms."""
    _, family, correct = next(line for line in teammates.LINES if line[0] == name)
    return {teammates.render(name, family, dict(correct, **(parameters or {})), form, slope)
            for form in range(len(teammates.FORMS[family]))}


def test_nothing_a_student_installs_holds_the_correct_pass_of_a_bugged_line():
    """The correct lines live in course_utils/grading/teammates.py, which the student release leaves out; the shipped
    capstone module and the sealed table do not hold them (in any form), and each opened teammate holds only the buggy
    form of its two."""
    for number in range(0, capstone.N_VARIANTS, 7):
        v = teammates.variant(number)
        mate = capstone.teammate(code_of_variant(number))
        lines = [line.strip() for line in mate.source.splitlines()]
        forms = teammates.forms_of(number)
        for site in v.sites:
            _, family, correct = next(line for line in teammates.LINES if line[0] == site.target)
            buggy = teammates.render(site.target, site.family, dict(correct, **dict(site.parameters)),
                                     forms[site.target], v.slope)
            assert buggy in lines
            assert not _every_form(site.target, v.slope) & set(lines)
    for shipped in ("capstone.py", "capstone_teammates.py"):
        text = (ROOT / "course_utils" / shipped).read_text(encoding="utf-8")
        assert not [site for site in teammates.SITES if any(form in text for form in _every_form(site.target, 0.1))]


# ------------------------------------------------------------------- the forms of a teammate's lines (issue #17)
#: The pass as every teammate was written before its lines varied in form: the same bugs and truth must follow.
OLD_TEMPLATE = '''\
m = X.shape[1]
Z1, A1, W1 = cache["Z1"], cache["A1"], cache["W1"]
Z2, A2, W2 = cache["Z2"], cache["A2"], cache["W2"]
Z3, A3, W3 = cache["Z3"], cache["A3"], cache["W3"]
A4, W4 = cache["A4"], cache["W4"]

dZ4 = A4 - Y
dW4 = 1. / m * np.dot(dZ4, A3.T)
db4 = 1. / m * np.sum(dZ4, axis=1, keepdims=True)
dA3 = np.dot(W4.T, dZ4)

dZ3 = dA3 * (1 - A3 ** 2)
dW3 = 1. / m * np.dot(dZ3, A2.T)
db3 = 1. / m * np.sum(dZ3, axis=1, keepdims=True)
dA2 = np.dot(W3.T, dZ3)

dZ2 = dA2 * np.where(Z2 > 0, 1.0, {slope})
dW2 = 1. / m * np.dot(dZ2, A1.T)
db2 = 1. / m * np.sum(dZ2, axis=1, keepdims=True)
dA1 = np.dot(W2.T, dZ2)

dZ1 = dA1 * (1 - A1 ** 2)
dW1 = 1. / m * np.dot(dZ1, X.T)
db1 = 1. / m * np.sum(dZ1, axis=1, keepdims=True)

gradients = {{"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2,
             "dW3": dW3, "db3": db3, "dW4": dW4, "db4": db4}}
return gradients
'''


class _OldVariant:
    """Teammate `number` as it was generated from OLD_TEMPLATE: its sites' buggy lines replace the template's."""

    def __init__(self, number):
        v = teammates.variant(number)
        self.slope = v.slope
        lines = OLD_TEMPLATE.format(slope=repr(v.slope)).splitlines()
        for site in v.sites:
            hits = [i for i, line in enumerate(lines) if line.startswith(f"{site.target} = ")]
            assert len(hits) == 1, site
            lines[hits[0]] = site.buggy.format(slope=repr(v.slope))
        self.body = "\n".join(lines) + "\n"
        self.source = capstone.source_of(self.body)


def test_the_canonical_forms_are_the_old_template_and_each_site_its_buggy_line():
    assert tuple(name for name, _, _ in teammates.LINES) == ("dZ4",) + nb06.LINE_NAMES[1:] == nb06.LINE_NAMES
    for slope in teammates.SLOPES:
        assert teammates.mutate((), slope) == OLD_TEMPLATE.format(slope=repr(slope))
    for number in range(0, teammates.N_VARIANTS, 11):
        v = teammates.variant(number)
        assert teammates.mutate(v.sites, v.slope) == _OldVariant(number).body
        assert v.body == teammates.mutate(v.sites, v.slope, number) != _OldVariant(number).body
    for site in teammates.SITES:
        _, family, correct = next(line for line in teammates.LINES if line[0] == site.target)
        assert teammates.STYLE.get(site.family, site.family) == family
        assert len(teammates.FORMS[site.family]) == len(teammates.FORMS[family])
        assert teammates.render(site.target, site.family, dict(correct, **dict(site.parameters)), 0, 0.2) \
            == site.buggy.format(slope="0.2")


def test_every_teammate_has_the_same_wrong_lines_tensors_and_gradients_as_before():
    """All 522: the pass in its new forms has the wrong lines and wrong tensors of the old template's pass with the
    same sites; its gradients agree with the old pass's to round-off (a correct line's forms may differ in the last
    bits), and stay on their side of the thresholds: wrong far above 1e-2, right far below 1e-9 (and WRONG)."""
    X, Y, parameters = capstone.capstone_test_case()
    exact, caches = {}, {}
    for slope in teammates.SLOPES:
        exact[slope] = nb06.exact_gradients(X, Y, parameters, slope)
        caches[slope] = capstone.forward_propagation(X, Y, parameters, slope)[1]
    worst_right, least_wrong, worst_drift = 0.0, np.inf, 0.0
    for number in range(teammates.N_VARIANTS):
        v, old = teammates.variant(number), _OldVariant(number)
        assert teammates.truth_buggy_lines(v) == teammates.truth_buggy_lines(old), number
        assert nb06.truth_wrong_tensors(v) == nb06.truth_wrong_tensors(old), number
        new_g = nb06.teammate_gradients(v, X, Y, caches[v.slope])
        old_g = nb06.teammate_gradients(old, X, Y, caches[v.slope])
        wrong = set(nb06.truth_wrong_tensors(old))
        for name in capstone.GRADIENT_NAMES:
            assert new_g[name].shape == old_g[name].shape
            worst_drift = max(worst_drift, relative_difference(new_g[name], old_g[name]))
            difference = relative_difference(new_g[name], exact[v.slope][name])
            if name[1:] in wrong:
                least_wrong = min(least_wrong, difference)
            else:
                worst_right = max(worst_right, difference)
    assert worst_drift < 1e-13 and worst_right < 1e-12 and least_wrong > 1e-2, (worst_drift, worst_right, least_wrong)
    assert worst_right < nb06.WRONG


def _odd_one_out(source, slope):
    """The red team's text-only solver (issue #17), as it read 498 of the 522 teammates when every layer's lines were
    written alike: make the layer numbers of each line relative, and within each group of parallel lines (dW, db, dA)
    call the line that differs from the majority wrong; the activation lines against their template's text."""
    lines = dict(re.findall(r"^\s*(d[ZWbA]\d) = (.*?)\s*$", source, re.MULTILINE))

    def normal(name, rhs):
        layer = int(name[-1]) + (1 if name.startswith("dA") else 0)  # dA_{l-1} closes layer l's block
        return re.sub(r"([A-Za-z]+)(\d)\b", lambda mt: f"{mt.group(1)}[{int(mt.group(2)) - layer:+d}]",
                      re.sub(r"\bX\b", "A0", rhs))

    wrong = []
    for kind in ("dW", "db", "dA"):
        group = {n: normal(n, r) for n, r in lines.items() if n.startswith(kind)}
        common = Counter(group.values()).most_common(1)[0][0]
        wrong += [n for n, text in group.items() if text != common]
    wrong += [n for n in ("dZ1", "dZ3") if normal(n, lines[n]) != "dA[+0] * (1 - A[+0] ** 2)"]
    if lines["dZ2"] != f"dA2 * np.where(Z2 > 0, 1.0, {slope!r})":
        wrong.append("dZ2")
    return wrong


def test_the_lines_cannot_be_read_off_by_comparing_layers():
    """The red team's solver names both wrong lines of nearly every teammate written alike (the old template: the
    solver works), and of almost none now that each line has its own form."""
    read_old = read_new = 0
    for number in range(teammates.N_VARIANTS):
        v = teammates.variant(number)
        truth = {site.target for site in v.sites}
        read_old += set(_odd_one_out(_OldVariant(number).source, v.slope)) == truth
        read_new += set(_odd_one_out(v.source, v.slope)) == truth
    assert read_old == 498
    assert read_new <= 0.02 * teammates.N_VARIANTS, read_new
    used = {(name, form) for number in range(teammates.N_VARIANTS) for name, form in teammates.forms_of(number).items()}
    assert used == {(name, form) for name, family, _ in teammates.LINES for form in range(len(teammates.FORMS[family]))}


@pytest.mark.parametrize("number", range(0, 522, 3))
def test_every_variant_truth(number):
    """Its two planted lines are exactly the wrong lines the check computes; the wrong tensors are the tensors
    at and below them; on other data the same tensors are wrong (the truth is a property of the code); the two lines
    explain the wrong tensors (line_effects), so the local check of buggy_lines accepts them."""
    code = code_of_variant(number)
    v = teammates.variant(number)
    mate = capstone.teammate(code)
    assert (mate.number, mate.slope) == (number, v.slope)
    targets = {site.target for site in v.sites}
    assert set(teammates.truth_buggy_lines(code)) == targets
    assert set(teammates.truth_buggy_lines(v)) == targets  # the grader's Variant gives the same
    X, Y, parameters = capstone.capstone_test_case()
    _, cache = mate.forward_propagation(X, Y, parameters)
    got, exact = mate.backward_propagation(X, Y, cache), nb06.exact_gradients(X, Y, parameters, v.slope)
    differences = {n[1:]: relative_difference(got[n], exact[n]) for n in capstone.GRADIENT_NAMES}
    wrong = nb06.truth_wrong_tensors(code)
    assert wrong and all(differences[n] > 1e-2 for n in wrong)
    assert all(differences[n] < 1e-9 for n in capstone.PARAMETER_NAMES if n not in wrong)
    effects = nb06.line_effects(mate.source)
    assert set().union(*(effects[t] for t in targets)) == {"d" + n for n in wrong}
    # a wrong dZ_l / dA_{l-1} corrupts dW_l.. down to layer 1; a wrong dW_l or db_l only itself
    expect = set()
    for t in targets:
        layer = int(t[2:]) + (1 if t.startswith("dA") else 0)
        if t.startswith(("dZ", "dA")):
            expect |= {f"{k}{l}" for l in range(1, layer + (0 if t.startswith("dA") else 1)) for k in "Wb"}
            if t.startswith("dZ"):
                expect |= {f"W{layer}", f"b{layer}"}
        else:
            expect.add(t[1:])
    assert set(wrong) == expect
    rng = np.random.default_rng(number)
    X2, Y2 = rng.standard_normal((4, 13)), (rng.random((1, 13)) < 0.5).astype(float)
    assert nb06.truth_wrong_tensors(code, X2, Y2, capstone.initialize_parameters(seed=number)) == wrong


def test_buggy_backward_follows_a_changing_code_and_show_backward_explains_a_missing_one():
    X, Y, parameters = capstone.capstone_test_case()
    _, cache = capstone.forward_propagation(X, Y, parameters)
    current = {"code": code_of_variant(0)}
    backward = capstone.buggy_backward(lambda: current["code"])
    first = backward(X, Y, cache)
    current["code"] = code_of_variant(6)
    second = backward(X, Y, cache)
    assert any(not np.array_equal(first[n], second[n]) for n in first)

    def stub():
        raise NotImplementedError("return your code")
    assert capstone.show_backward(stub).startswith("Set your capstone code first (exercise student_id above)")
    assert "that is a placeholder" in capstone.show_backward(lambda: "")
    code = teammates.code_for(teammates.DEMO_KEY, "ada-lovelace")
    shown = capstone.show_backward(code)
    mate = capstone.teammate(code)
    assert shown.startswith(f"Your teammate (number {mate.number}) for student id 'ada-lovelace'. In its network the "
                            f"leaky ReLU's slope for z <= 0 is {mate.slope:g}.")
    assert capstone.backward_source(code) in shown


# ------------------------------------------------------------------------- reading the id back as text
@pytest.mark.parametrize("source, want", [
    ('def student_id():\n    return "ada"\n', "ada"),
    ('def student_id():\n    """Doc."""\n    # mine\n    return " Ada.L "\n', " Ada.L "),
    ('def student_id():\n    return "a" + "b"\n', None),
    ('import os\ndef student_id():\n    return os.environ["ID"]\n', None),
    ('def student_id():\n    print("x")\n    return "ada"\n', None),
    ('def student_id(x="ada"):\n    return "ada"\n', None),
    ('def student_id():\n    return "ada"\ndef student_id():\n    return "bob"\n', "bob"),
    ('def student_id():\n    return "ada"\nstudent_id = lambda: "bob"\n', "ada"),
    ("def student_id(:\n", None),
])
def test_literal_id(source, want):
    assert nb06._literal_id(source) == want


def test_read_id_explains_what_is_missing():
    code = teammates.code_for(teammates.DEMO_KEY, "ada")
    assert specs06.read_id({"student_id": f'def student_id():\n    return "{code}"\n'}) == ("ada", None)
    assert "is missing" in specs06.read_id({"student_id": None})[1]
    assert "string literal" in specs06.read_id({"student_id": "def student_id():\n    return 'a' + 'b'\n"})[1]
    assert "that is a placeholder" in specs06.read_id({"student_id": "def student_id():\n    return ''\n"})[1]
    assert "a student id alone" in specs06.read_id({"student_id": "def student_id():\n    return 'ada'\n"})[1]
    friend = teammates.code_for(teammates.DEMO_KEY, "bob")
    forged = "ada:" + friend.split(":", 1)[1]
    assert "not issued for student id 'ada'" in specs06.read_id({"student_id": f"def student_id():\n    return '{forged}'\n"})[1]


def test_the_grader_checks_codes_with_the_class_key_it_is_given():
    """A class's codes are refused under the demo key and accepted under the class key (grade --class-key)."""
    key = hashlib.sha256(b"a class").digest()
    sources = {"student_id": f'def student_id():\n    return "{teammates.code_for(key, "ada")}"\n'}
    assert "not issued with this class's key" in specs06.read_teammate(sources)[2]
    teammates.set_class_key(key)
    try:
        assert specs06.read_teammate(sources)[0].number == teammates.number_for(key, "ada")
    finally:
        teammates.set_class_key(None)


# --------------------------------------------------------------------------- the reference solution
def solution_sources():
    nb = json.loads(SOLUTION.read_text(encoding="utf-8"))
    return {c["metadata"]["course"]["exercise"]: "".join(c["source"]) for c in nb["cells"]
            if "exercise" in c["metadata"].get("tags", [])}


def test_the_solution_sets_a_code_and_its_answers_are_the_truth_for_it():
    sources = solution_sources()
    literal = nb06._literal_id(sources["student_id"])
    assert teammates.check_code(teammates.DEMO_KEY, literal)[0] is not None
    namespace = {"np": np}
    for source in sources.values():
        exec(source, namespace)  # noqa: S102 -- our reference solution
    assert namespace["student_id"]() == literal
    assert set(namespace["wrong_tensors"]()) == set(nb06.truth_wrong_tensors(literal))
    assert set(namespace["buggy_lines"]()) == set(teammates.truth_buggy_lines(literal))


def _fix_for(slope):
    """The solution's fixed_backward with the slope of another network."""
    source = solution_sources()["fixed_backward"]
    mine = capstone.teammate(nb06._literal_id(solution_sources()["student_id"])).slope
    assert f"np.where(Z2 > 0, 1.0, {mine!r})" in source
    return source.replace(f"np.where(Z2 > 0, 1.0, {mine!r})", f"np.where(Z2 > 0, 1.0, {slope!r})")


@pytest.mark.parametrize("student", ["alan-turing", "grace-hopper", "s0042", "Emmy.Noether"])
def test_a_fix_passes_for_the_networks_slope_and_only_for_it(student, capsys):
    """fixed_backward differs between students: the fix of the solution's network fails beside another code unless
    that code's network has the same slope, and passes once the slope is the code's."""
    code = teammates.code_for(teammates.DEMO_KEY, student)
    slope = capstone.teammate(code).slope
    namespace = {"np": np}
    exec(f"def student_id():\n    return {code!r}\n", namespace)  # noqa: S102
    exec(_fix_for(slope), namespace)  # noqa: S102
    nb06.check_fixed_backward(namespace["fixed_backward"])
    assert capsys.readouterr().out == "fixed_backward passed: all 8 gradients are the exact derivatives of J on 4 networks\n"
    other = next(s for s in teammates.SLOPES if s != slope)
    exec(_fix_for(other), namespace)  # noqa: S102
    with pytest.raises(AssertionError, match=f"your pass uses the leaky ReLU slope {other:g} for Z <= 0, and your "
                                             f"network's is {slope:g}"):
        nb06.check_fixed_backward(namespace["fixed_backward"])


def test_the_checks_print_the_same_line_for_every_code(capsys):
    lines = set()
    for student in ("alan-turing", "grace-hopper", "s0042"):
        code = teammates.code_for(teammates.DEMO_KEY, student)
        namespace = {}
        exec(f"def student_id():\n    return {code!r}\n"  # noqa: S102
             f"def wrong_tensors():\n    return {nb06.truth_wrong_tensors(code)!r}\n"
             f"def buggy_lines():\n    return {teammates.truth_buggy_lines(code)[::-1]!r}\n", namespace)
        nb06.check_student_id(namespace["student_id"])
        nb06.check_wrong_tensors(namespace["wrong_tensors"])
        nb06.check_buggy_lines(namespace["buggy_lines"])
        lines.add(capsys.readouterr().out)
    assert len(lines) == 1 and "buggy_lines: your two lines can explain every wrong tensor" in lines.pop()


def test_another_students_answers_fail_for_my_code():
    a, b = code_of_variant(5 * 6), code_of_variant(60 * 6)
    assert set(nb06.truth_wrong_tensors(a)) != set(nb06.truth_wrong_tensors(b))
    namespace = {}
    exec(f"def student_id():\n    return {a!r}\ndef wrong_tensors():\n    return {nb06.truth_wrong_tensors(b)!r}\n",  # noqa: S102
         namespace)
    with pytest.raises(AssertionError):
        nb06.check_wrong_tensors(namespace["wrong_tensors"])


def test_the_teammates_generator_runs(tmp_path, monkeypatch, capsys):
    """python -m course_utils.grading.teammates: demo codes of ids, or the sealed module regenerated."""
    assert teammates.main(["ada-lovelace"]) == 0
    assert capsys.readouterr().out.strip() == teammates.code_for(teammates.DEMO_KEY, "ada-lovelace")
    assert teammates.main(["--help"]) == 0 and capsys.readouterr().out.startswith("usage:")  # not an id
    assert teammates.main(["ada-lovelace", "-x"]) == 2 and capsys.readouterr().err.startswith("usage:")
    fake = tmp_path / "capstone.py"
    monkeypatch.setattr(capstone, "__file__", str(fake))
    assert teammates.main([]) == 0
    text = (tmp_path / "capstone_teammates.py").read_text(encoding="utf-8")
    assert text == teammates.sealed_module_text(teammates.DEMO_KEY)
    assert len(runpy.run_path(str(tmp_path / "capstone_teammates.py"))["SEALED"]) == 522
    ast.parse(text)


def test_class_keys_are_made_once_kept_private_and_never_the_demo_key(tmp_path):
    path = tmp_path / "class.key"
    key = build.class_key(path)
    assert len(key) == 32 and (path.stat().st_mode & 0o777) == 0o600
    assert build.class_key(path) == key  # read back, not replaced
    path.write_text("not a key\n", encoding="utf-8")
    with pytest.raises(build.BuildError, match="expected 64 hexadecimal digits"):
        build.class_key(path)
    path.write_text(teammates.DEMO_KEY.hex(), encoding="utf-8")
    with pytest.raises(build.BuildError, match="public demo key"):
        build.class_key(path)


def test_capstone_codes_for_a_roster(tmp_path, capsys):
    key_file, ids = tmp_path / "class.key", tmp_path / "roster.csv"
    ids.write_text("Student ID,Name\nada-lovelace,Ada\nalan.turing,Alan\n\n", encoding="utf-8")
    assert build.main(["--capstone-codes", str(ids), "--class-key", str(key_file)]) == 0
    key = teammates.load_key(key_file)
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows == [["student id", "capstone code"], ["ada-lovelace", teammates.code_for(key, "ada-lovelace")],
                    ["alan.turing", teammates.code_for(key, "alan.turing")]]
    assert all(teammates.check_code(key, code)[0] is not None for _, code in rows[1:])
    ids.write_text("ada lovelace\n", encoding="utf-8")
    assert build.main(["--capstone-codes", str(ids), "--class-key", str(key_file)]) == 1
    assert "line 1" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["--capstone-codes", "ids.txt"], ["--student-release", "out"],
                                  ["--gradescope", "ag.zip"], ["--class-key", "k"]])
def test_delivery_needs_a_class_key(args, capsys):
    with pytest.raises(SystemExit) as info:
        build.main(args)
    assert info.value.code == 2 and "--class-key" in capsys.readouterr().err


def test_the_grader_refuses_a_class_key_the_kernels_or_the_release_do_not_share(tmp_path, capsys):
    """The red team's finding: graded with --class-key on a machine whose installed teammates are the demo's, every
    honest code 'opened none' (0 points); graded without it, a demo code anyone can make would pass. Both refused."""
    import shutil

    from course_utils import grading
    from course_utils.grading.release import load_release

    rel = load_release(ROOT / "notebooks")
    grading._check_class_key(rel, None)  # the course's own: demo key, demo teammates
    class_key = hashlib.sha256(b"a class").digest()
    with pytest.raises(grading.UsageError, match="sealed under another key .*--reseal KEYFILE"):
        grading._check_class_key(rel, class_key)
    folder = tmp_path / "release"
    shutil.copytree(ROOT / "notebooks", folder)
    (folder / grading.FINGERPRINT_FILE).write_text(teammates.fingerprint(class_key) + "\n", encoding="utf-8")
    with pytest.raises(grading.UsageError, match="built with another class key .*no --class-key was given"):
        grading._check_class_key(load_release(folder), None)
    key_file = tmp_path / "class.key"
    key_file.write_text(class_key.hex(), encoding="utf-8")
    fake = tmp_path / "pkg" / "capstone.py"
    fake.parent.mkdir()
    original = capstone.__file__
    try:
        capstone.__file__ = str(fake)
        assert teammates.main(["--reseal", str(key_file)]) == 0
    finally:
        capstone.__file__ = original
    sealed = runpy.run_path(str(fake.with_name("capstone_teammates.py")))
    assert sealed["FINGERPRINT"] == teammates.fingerprint(class_key) and len(sealed["SEALED"]) == 522
    assert "sealed 522 teammates" in capsys.readouterr().out
