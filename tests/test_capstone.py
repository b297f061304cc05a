"""Tests of course_utils/capstone.py (notebook 06's network and teammates' passes), the truth the checks of
notebook 06 compute (course_utils/checks/nb06.py) and the generated variants (tests/capstone_key.py).

Oracles: the instructor-only correct pass (capstone_key.TEMPLATE), complex-step derivatives, centered
differences computed here by a plain loop, and the sites each variant was generated from.
"""
import ast
import hashlib
import json
import runpy
from pathlib import Path

import capstone_key
import numpy as np
import pytest

from course_utils import bugs, capstone
from course_utils.checks import nb06
from course_utils.grading.specs import nb06 as specs06

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "tests" / "solutions" / "06_hunt_the_bugs.ipynb"


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


def id_of_variant(number):
    i = 0
    while capstone.variant(f"student{i}") != number:
        i += 1
    return f"student{i}"


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
    exact = nb06.exact_gradients(X, Y, parameters)
    approx = centered(X, Y, parameters)
    for name in capstone.GRADIENT_NAMES:
        assert nb06._block_difference(exact[name], approx[name]) < 1e-8, name


def test_the_instructor_template_is_the_exact_gradient_on_other_sizes():
    backward = capstone_key.correct_backward()
    rng = np.random.default_rng(3)
    for sizes, m in (((4, 5, 5, 3, 1), 10), ((2, 3, 7, 2, 1), 4), ((6, 1, 1, 1, 1), 9)):
        X, Y = rng.standard_normal((sizes[0], m)), (rng.random((1, m)) < 0.5).astype(float)
        parameters = capstone.initialize_parameters(sizes, seed=int(rng.integers(100)))
        _, cache = capstone.forward_propagation(X, Y, parameters)
        got, exact = backward(X, Y, cache), nb06.exact_gradients(X, Y, parameters)
        for name in capstone.GRADIENT_NAMES:
            assert got[name].shape == exact[name].shape
            assert nb06._block_difference(got[name], exact[name]) < 1e-13, name


# ------------------------------------------------------------------------------------------- the variants
def test_generated_variants_are_current():
    assert (ROOT / "course_utils" / "capstone_variants.py").read_text(encoding="utf-8") == capstone_key.module_text()


def test_variant_is_a_stable_sha256_of_the_normalised_id():
    for text in ("ada-lovelace", "  Ada-Lovelace ", "s1234567"):
        key = text.strip().lower().encode()
        assert capstone.variant(text) == int.from_bytes(hashlib.sha256(key).digest()[:8], "big") % 87
    assert capstone.N_VARIANTS == len(capstone_key.variants()) == 87
    assert len({capstone.variant(f"student{i}") for i in range(2000)}) == 87  # every variant is reachable


@pytest.mark.parametrize("bad, error, words", [
    ("", ValueError, "set it to YOUR student id"), ("   ", ValueError, "set it to YOUR student id"),
    ("jdoe42", ValueError, "set it to YOUR student id"), ("your id", ValueError, "YOUR student id"),
    ("two words", ValueError, "is not an id"), ("x" * 65, ValueError, "is not an id"),
    (None, TypeError, "must be a string"), (42, TypeError, "got int"),
])
def test_bad_ids_get_a_clear_message(bad, error, words):
    with pytest.raises(error) as info:
        capstone.variant(bad)
    assert words in str(info.value) and "student_id" in str(info.value)


def test_no_site_is_in_the_bug_lab_catalog():
    catalog = {bug.buggy for bug in bugs.BUGS.values()}
    for site in capstone_key.SITES:
        assert site.buggy not in catalog
    assert len({(s.target, s.buggy) for s in capstone_key.SITES}) == len(capstone_key.SITES) == 14


def test_shipped_sources_never_hold_the_correct_pass_of_a_bugged_line():
    """Each variant's source holds the buggy form of its two lines, not the correct one (the key stays in tests/)."""
    template = {line.split(" = ")[0]: line for line in capstone_key.TEMPLATE.splitlines() if " = " in line}
    for number, pair in enumerate(capstone_key.variants()):
        source = capstone.BODIES[number]
        for site in pair:
            assert site.buggy in source.splitlines() and template[site.target] not in source.splitlines()
    shipped = (ROOT / "course_utils" / "capstone.py").read_text(encoding="utf-8")
    for site in capstone_key.SITES:
        assert template[site.target] not in shipped


@pytest.mark.parametrize("number", range(87))
def test_every_variant_truth(number):
    """Its two planted lines are exactly the wrong lines the check computes; the wrong tensors are the tensors
    at and below them; on other data the same tensors are wrong (the truth is a property of the code)."""
    student = id_of_variant(number)
    pair = capstone_key.variants()[number]
    targets = {site.target for site in pair}
    assert set(nb06.truth_buggy_lines(student)) == targets
    X, Y, parameters = capstone.capstone_test_case()
    _, cache = capstone.forward_propagation(X, Y, parameters)
    got, exact = capstone.buggy_backward(student)(X, Y, cache), nb06.exact_gradients(X, Y, parameters)
    differences = {n[1:]: nb06._block_difference(got[n], exact[n]) for n in capstone.GRADIENT_NAMES}
    wrong = nb06.truth_wrong_tensors(student)
    assert wrong and all(differences[n] > 1e-2 for n in wrong)
    assert all(differences[n] < 1e-9 for n in capstone.PARAMETER_NAMES if n not in wrong)
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
    assert nb06.truth_wrong_tensors(student, X2, Y2, capstone.initialize_parameters(seed=number)) == wrong


def test_buggy_backward_follows_a_changing_id_and_show_backward_explains_a_missing_one():
    X, Y, parameters = capstone.capstone_test_case()
    _, cache = capstone.forward_propagation(X, Y, parameters)
    current = {"id": id_of_variant(0)}
    backward = capstone.buggy_backward(lambda: current["id"])
    first = backward(X, Y, cache)
    current["id"] = id_of_variant(1)
    second = backward(X, Y, cache)
    assert any(not np.array_equal(first[n], second[n]) for n in first)

    def stub():
        raise NotImplementedError("return your id")
    assert capstone.show_backward(stub).startswith("Set your student id first (exercise student_id above)")
    assert "set it to YOUR student id" in capstone.show_backward(lambda: "")
    shown = capstone.show_backward("ada-lovelace")
    assert shown.startswith("Your teammate's backward pass for student id 'ada-lovelace':")
    assert capstone.backward_source("ada-lovelace") in shown


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
    assert specs06.read_id({"student_id": 'def student_id():\n    return "ada"\n'}) == ("ada", None)
    assert "is missing" in specs06.read_id({"student_id": None})[1]
    assert "string literal" in specs06.read_id({"student_id": "def student_id():\n    return 'a' + 'b'\n"})[1]
    assert "YOUR student id" in specs06.read_id({"student_id": "def student_id():\n    return ''\n"})[1]


# --------------------------------------------------------------------------- the reference solution
def solution_sources():
    nb = json.loads(SOLUTION.read_text(encoding="utf-8"))
    return {c["metadata"]["course"]["exercise"]: "".join(c["source"]) for c in nb["cells"]
            if "exercise" in c["metadata"].get("tags", [])}


def test_the_solution_sets_an_id_and_its_answers_are_the_truth_for_it():
    sources = solution_sources()
    literal = nb06._literal_id(sources["student_id"])
    namespace = {"np": np}
    for source in sources.values():
        exec(source, namespace)  # noqa: S102 -- our reference solution
    assert namespace["student_id"]() == literal
    assert set(namespace["wrong_tensors"]()) == set(nb06.truth_wrong_tensors(literal))
    assert set(namespace["buggy_lines"]()) == set(nb06.truth_buggy_lines(literal))


@pytest.mark.parametrize("student", ["ada-lovelace", "alan-turing", "grace-hopper", "s0042", "Emmy.Noether"])
def test_the_solutions_fix_passes_for_every_id(student, capsys):
    """fixed_backward is the same for every student (the network is), and passes the check beside any id."""
    namespace = {"np": np}
    exec(solution_sources()["fixed_backward"], namespace)  # noqa: S102
    exec(f"def student_id():\n    return {student!r}\n", namespace)  # noqa: S102
    nb06.check_fixed_backward(namespace["fixed_backward"])
    assert capsys.readouterr().out == "fixed_backward passed: all 8 gradients are the exact derivatives of J on 4 networks\n"


def test_the_checks_print_the_same_line_for_every_id(capsys):
    lines = set()
    for student in ("alan-turing", "grace-hopper", "s0042"):
        namespace = {}
        exec(f"def student_id():\n    return {student!r}\n"  # noqa: S102
             f"def wrong_tensors():\n    return {nb06.truth_wrong_tensors(student)!r}\n"
             f"def buggy_lines():\n    return {nb06.truth_buggy_lines(student)[::-1]!r}\n", namespace)
        nb06.check_wrong_tensors(namespace["wrong_tensors"])
        nb06.check_buggy_lines(namespace["buggy_lines"])
        lines.add(capsys.readouterr().out)
    assert lines == {("wrong_tensors passed: you named exactly the tensors whose gradient disagrees with J\n"
                      "buggy_lines passed: you found the two wrong lines\n")}


def test_another_students_answers_fail_for_my_id():
    a, b = id_of_variant(5), id_of_variant(60)
    assert set(nb06.truth_buggy_lines(a)) != set(nb06.truth_buggy_lines(b))
    namespace = {}
    exec(f"def student_id():\n    return {a!r}\ndef buggy_lines():\n    return {nb06.truth_buggy_lines(b)!r}\n",  # noqa: S102
         namespace)
    with pytest.raises(AssertionError):
        nb06.check_buggy_lines(namespace["buggy_lines"])


def test_the_key_generator_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(capstone_key, "GENERATED", tmp_path / "variants.py")
    capstone_key.main([])
    text = (tmp_path / "variants.py").read_text(encoding="utf-8")
    assert text == capstone_key.module_text()
    assert len(runpy.run_path(str(tmp_path / "variants.py"))["BODIES"]) == 87
    ast.parse(text)
