"""Tests of the verification run (course_utils/grading/verify.py, harness.py, specs/).

The course's reference solutions must pass verification; the release's stubs and plausible wrong answers
must not; a crash or an endless loop in one exercise costs only that exercise. Runs in the sandbox where
bubblewrap works, else unsandboxed (the verification logic is the same; test_grading_sandbox.py covers
the sandbox itself).
"""
import atexit
import json
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from course_utils.grading import harness, harness_run, sandbox, scan_process, specs, verify
from course_utils.grading import release as grading_release

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
COURSE = grading_release.load_release(ROOT / "notebooks")
SANDBOXED = sandbox.available()[0]


def solution_sources():
    """{notebook name: {exercise: the reference solution's source}}."""
    out = {}
    for path in sorted(SOLUTIONS.glob("*.ipynb")):
        nb = json.loads(path.read_text())
        out[path.name] = {c["metadata"]["course"]["exercise"]: "".join(c["source"]) for c in nb["cells"]
                          if "exercise" in c.get("metadata", {}).get("tags", [])}
    return out


SOLVED = solution_sources()
NOTEBOOK_OF = {ex: nb for nb, exercises in SOLVED.items() for ex in exercises}


_LEASE = []


def leased_uids():
    """uids of this test session's own, held machine-wide (sandbox.Lease): a sandbox's clean-up ends every process of
    its uid, so a fixed uid would let two test sessions on one machine stop each other's runs."""
    if not _LEASE:
        _LEASE.append(sandbox.Lease())
        atexit.register(_LEASE[0].release)
    return list(_LEASE[0].uids())


def run(sources, workdir, seed=None, timeout=20, uid=None):
    """Verify sources ({exercise: source}, all of one notebook); returns {exercise: Verdict}. Runs at the same
    time need their own uid and workdir (a sandbox's clean-up ends every process of its uid)."""
    uid = leased_uids()[0] if uid is None else uid
    rnb = COURSE.notebooks[NOTEBOOK_OF[next(iter(sources))]]
    return verify.verify_notebook(rnb, sources, COURSE.path, workdir, uid=uid,
                                  sandboxed=SANDBOXED, timeout=timeout, seed=seed)


def run_apart(solved, workdir):
    """run() for each notebook's sources, two at a time, each with a uid and a folder of its own."""
    def one(item):
        i, sources = item
        folder = workdir / f"nb{i}"
        folder.mkdir(mode=0o755)
        folder.chmod(0o755)
        return run(sources, folder, uid=leased_uids()[1 + i])
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(one, enumerate(solved)))


@pytest.fixture
def workdir(tmp_path):
    tmp_path.chmod(0o755)
    return tmp_path


# ------------------------------------------------------------------------------------- harness
@pytest.mark.parametrize("value", [
    3, -2.5, float("nan"), True, None, "text", [1, 2.0, None], (1, (2, 3)), {"a": np.arange(6.0).reshape(2, 3)},
    np.array([[1, 2]], dtype=np.int32), np.array([True, False]), np.float32(1.5), np.int64(7), np.zeros((0, 3)),
])
def test_plain_data_survives_the_round_trip(value):
    back = harness.decode(json.loads(json.dumps(harness.encode(value))))
    if isinstance(value, dict):
        np.testing.assert_array_equal(back["a"], value["a"])
    elif isinstance(value, np.ndarray):
        assert back.shape == value.shape and back.tolist() == value.tolist()
    elif isinstance(value, float) and value != value:
        assert back != back
    else:
        assert back == value and type(back) in (type(value), float, int, bool)


class Sneaky(float):
    def __eq__(self, other):
        return True


@pytest.mark.parametrize("value, why", [
    (object(), "an object of type object"), ({1: 2}, "keys are not all strings"),
    (np.array(["a"]), "dtype <U1"), (Sneaky(1.0), None), (lambda: 1, "an object of type function"),
])
def test_only_plain_data_leaves_the_harness(value, why):
    if why is None:  # a float subclass leaves as a plain float: its __eq__ does not travel
        assert type(harness.decode(harness.encode(value))) is float
        return
    with pytest.raises(harness.EncodeError, match=why):
        harness.encode(value)


@pytest.mark.parametrize("data", [
    {"__array__": "float64", "shape": [2], "data": [1.0]}, {"__array__": "object", "shape": [1], "data": [1]},
    {"__array__": "float64", "shape": [1], "data": ["x"]}, {"__provided__": "os.system", "params": []},
    {"__weird__": 1}, {"__dict__": [[1, 2]]},
])
def test_malformed_data_is_refused(data):
    with pytest.raises(harness.EncodeError):
        harness.decode(data)


def test_deeply_nested_data_is_refused():
    data = 1
    for _ in range(200):
        data = [data]
    with pytest.raises(harness.EncodeError):
        harness.decode(data)


# --------------------------------------------------------------------------------------- specs
NEVER_EXPOSED = {"checks", "gradcheck.py", "differences.py", "backprop.py", "fastcost.py", "bugs.py", "widgets.py",
                 "widget_epsilon.py", "widget_bug_picker.py", "widget_bug_lab.py", "grade.py"}


def test_every_course_exercise_has_a_spec_whose_policy_hides_its_answer():
    for rnb in COURSE.notebooks.values():
        loaded = {n: verify.load_spec(e.verify, COURSE.path) for n, e in rnb.exercises.items()}
        runs = verify.policies(loaded)
        assert sorted(n for names, _, _ in runs for n in names) == sorted(loaded)
        for names, _namespace, modules in runs:
            for name in names:
                assert loaded[name].function == name
                assert not set(loaded[name].reference_modules) & set(modules), name
            assert not NEVER_EXPOSED & set(modules)
            assert all((sandbox.PACKAGE / m).is_file() for m in modules)


def test_04_verifies_each_exercise_with_only_what_it_may_use():
    """gradient_check_n gets the vector helpers (its cost is given: no network, no gradient checker); the
    per-tensor exercises and the backward pass get numpy alone."""
    rnb = COURSE.notebooks["04_check_an_nd_gradient.ipynb"]
    runs = verify.policies({n: verify.load_spec(e.verify, COURSE.path) for n, e in rnb.exercises.items()})
    modules_of = {n: modules for names, _, modules in runs for n in names}
    assert modules_of["gradient_check_n"] == ["__init__.py", "_validate.py", "vectors.py"]
    for name in ("block_differences", "diagnose", "backward_propagation_n"):
        assert modules_of[name] == ["__init__.py"], name


def test_04_draws_deeper_nets_and_unusual_tensor_names():
    """gradient_check_n is verified on 3-layer and deeper nets (one of 10 or more layers, where "W10" sorts
    before "W2"), block_differences and diagnose on tensors named like parameters and not."""
    rng = np.random.default_rng(7)
    depths = [len(c.args[1]) // 2 for c in specs.gradient_check_n.cases(rng)]
    assert 3 in depths and any(4 <= d <= 6 for d in depths) and any(d >= 10 for d in depths)
    for spec in (specs.block_differences, specs.diagnose):
        names = [list(dict.fromkeys(c.args[2])) for c in spec.cases(rng)]
        assert any(all(n[0] in "Wb" and n[1:].isdigit() for n in ns) for ns in names)
        assert any(not all(n[0] in "Wb" and n[1:].isdigit() for n in ns) for ns in names)
    edge = [c for c in specs.diagnose.cases(rng) if len(c.args) == 4 and c.args[3] == 0.5]
    assert len(edge) == 1 and "edge" in edge[0].args[2]


def test_a_policy_that_exposes_an_answer_is_refused():
    leaky = verify.Spec("f", lambda rng: [], modules=("vectors.py",), reference_modules=("vectors.py",))
    with pytest.raises(LookupError, match="its answer is in vectors.py"):
        verify.policies({"f": leaky})


def test_cases_are_drawn_fresh_for_every_seed():
    for name in ("forward_difference", "gradient_check", "dictionary_to_vector", "backward_propagation_n",
                 "directional_check"):
        spec = getattr(specs, name)
        one = [c.label for c in spec.cases(np.random.default_rng(1))]
        two = [c.label for c in spec.cases(np.random.default_rng(2))]
        assert one != two, name


# ----------------------------------------------------------------------------- the course's answers
def test_the_reference_solutions_pass_verification(workdir):
    results = run_apart(SOLVED.values(), workdir)
    failed = {n: v.message for verdicts in results for n, v in verdicts.items() if not v.ok}
    assert failed == {}
    assert sorted(n for verdicts in results for n in verdicts) == sorted(NOTEBOOK_OF)


READS_THE_CODE = ("student_id", "wrong_tensors", "buggy_lines", "fixed_backward")


def test_the_release_stubs_fail_verification(workdir):
    for rnb in COURSE.notebooks.values():
        verdicts = run({n: e.stub for n, e in rnb.exercises.items()}, workdir)
        for name, v in verdicts.items():
            # 06's capstone exercises need the code the stub of student_id does not give: refused, nothing called
            refused = name in READS_THE_CODE and "capstone code" in v.message and "string literal" in v.message
            assert not v.ok and ("NotImplementedError" in v.message or refused), (name, v.message)


WRONG = {
    "warm_up_square": ["def warm_up_square(x):\n    return 2 * x",
                       "def warm_up_square(x):\n    return 9 if x == 3 else 0"],
    "forward_difference": ["def forward_difference(f, x, epsilon):\n    return (f(x + epsilon) - f(x - epsilon)) / (2 * epsilon)",
                           "def forward_difference(f, x, epsilon):\n    return (f(x + 1e-4) - f(x)) / 1e-4"],
    "centered_difference": ["def centered_difference(f, x, epsilon):\n    return (f(x + epsilon) - f(x - epsilon)) / 2 * epsilon",
                            "def centered_difference(f, x, epsilon):\n    return (f(x + epsilon) - f(x)) / epsilon"],
    "relative_difference": ["def relative_difference(grad, gradapprox):\n"
                            "    return float(np.linalg.norm(grad - gradapprox) / np.linalg.norm(grad + gradapprox))",
                            "def relative_difference(grad, gradapprox):\n    return float(np.linalg.norm(grad - gradapprox))"],
    "forward_propagation": ["def forward_propagation(x, theta):\n    return x + theta"],
    "backward_propagation": ["def backward_propagation(x, theta):\n    return theta"],
    "gradient_check": ["def gradient_check(x, theta, epsilon=1e-7, print_msg=False):\n    return 2.9e-10",
                       "def gradient_check(x, theta, epsilon=1e-7, print_msg=False):\n"
                       "    approx = (forward_propagation(x, theta + epsilon) - forward_propagation(x, theta - epsilon)) / (2 * epsilon)\n"  # noqa: E501 (a submitted line, kept whole)
                       "    return abs(x - approx) / (abs(x) + abs(approx))",
                       # the slope of theta x written in place of the centered difference (a red team's shortcut)
                       "def gradient_check(x, theta, epsilon=1e-7, print_msg=False):\n"
                       "    grad, gradapprox = backward_propagation(x, theta), x\n"
                       "    return abs(grad - gradapprox) / (abs(grad) + abs(gradapprox))"],
    "dictionary_to_vector": ["def dictionary_to_vector(parameters):\n    keys = []\n"
                             "    for k in sorted(parameters):\n        keys += [k] * parameters[k].size\n"
                             "    return np.concatenate([parameters[k].reshape(-1, 1) for k in sorted(parameters)]), keys",
                             "def dictionary_to_vector(parameters):\n    names = ['W1', 'b1', 'W2', 'b2', 'W3', 'b3']\n"
                             "    keys = [k for k in names for _ in range(parameters[k].size)]\n"
                             "    return np.concatenate([parameters[k].reshape(-1, 1) for k in names]), keys"],
    "vector_to_dictionary": ["def vector_to_dictionary(theta, shapes):\n"
                             "    names = sorted(shapes, key=lambda n: (int(n[1:]), n[0] != 'W'))\n    out, i = {}, 0\n"
                             "    for n in names:\n        size = int(np.prod(shapes[n]))\n"
                             "        out[n] = theta[i:i + size].reshape(shapes[n], order='F')\n        i += size\n    return out"],  # noqa: E501 (a submitted line, kept whole)
    "gradients_to_vector": ["def gradients_to_vector(gradients):\n"
                            "    names = sorted(gradients, key=lambda k: (int(k[2:]), k))\n"
                            "    return np.concatenate([gradients[k].reshape(-1, 1) for k in names])"],
    "block_differences": ["def block_differences(grad, gradapprox, keys):\n    names = np.array(keys)\n"
                          "    total = np.linalg.norm(grad) + np.linalg.norm(gradapprox)\n"
                          "    return {n: float(np.linalg.norm(grad[names == n] - gradapprox[names == n]) / total)\n"
                          "            for n in dict.fromkeys(keys)}",
                          "def block_differences(grad, gradapprox, keys):\n    names = np.array(keys)\n"
                          "    out = {}\n    for n in sorted(set(keys)):\n"
                          "        g, a = grad[names == n], gradapprox[names == n]\n"
                          "        out[n] = float(np.linalg.norm(g - a) / (np.linalg.norm(g) + np.linalg.norm(a)))\n"
                          "    return out"],
    "diagnose": [  # self-contained: a verification run of one cell has no block_differences
        "def diagnose(grad, gradapprox, keys, threshold=1e-5):\n    names = np.array(keys)\n    out = {}\n"
        "    for n in dict.fromkeys(keys):\n        g, a = grad[names == n], gradapprox[names == n]\n"
        "        if np.linalg.norm(g - a) / (np.linalg.norm(g) + np.linalg.norm(a)) > threshold:\n"
        "            out[n] = float(np.linalg.norm(a) / np.linalg.norm(g))\n    return out",
        "def diagnose(grad, gradapprox, keys, threshold=1e-5):\n    names = np.array(keys)\n    out = {}\n"
        "    for n in dict.fromkeys(keys):\n        g, a = grad[names == n], gradapprox[names == n]\n"
        "        if np.linalg.norm(g - a) / (np.linalg.norm(g) + np.linalg.norm(a)) >= threshold:\n"
        "            out[n] = float(np.linalg.norm(g) / np.linalg.norm(a))\n    return out"],
    "cost_with_l2": ["def cost_with_l2(cross_entropy_cost, parameters, lambd, m):\n"
                     "    return cross_entropy_cost + lambd / (2 * m) * sum(np.sum(np.square(v)) for v in parameters.values())",
                     "def cost_with_l2(cross_entropy_cost, parameters, lambd, m):\n"
                     "    return cross_entropy_cost + lambd / m * sum(np.sum(np.square(parameters[f'W{l}'])) for l in (1, 2, 3))"],  # noqa: E501 (a submitted line, kept whole)
    "directional_check": ["def directional_check(cost, theta, grad, epsilon=1e-7, seed=0):\n"
                          "    u = np.random.default_rng(seed).standard_normal(theta.shape)\n    u = u / np.linalg.norm(u)\n"
                          "    numerical = (cost(theta + epsilon * u) - cost(theta)) / epsilon\n"
                          "    analytic = float(np.sum(grad * u))\n"
                          "    return abs(numerical - analytic) / (abs(numerical) + abs(analytic))"],
}


def _edit(exercise, old, new):
    source = SOLVED[NOTEBOOK_OF[exercise]][exercise]
    assert old in source, (exercise, old)
    return source.replace(old, new)


WRONG["gradient_check_n"] = [
    _edit("gradient_check_n", "if difference > 2e-7:", "if difference < 2e-7:"),  # reversed verdict
    _edit("gradient_check_n", "denominator = np.linalg.norm(grad) + np.linalg.norm(gradapprox)",
          "denominator = np.linalg.norm(grad + gradapprox)"),
    _edit("gradient_check_n", "thetaminus = np.copy(theta)", "thetaminus = thetaplus"),
]
WRONG["backward_propagation_n"] = [
    _edit("backward_propagation_n", "dW2 = 1. / m * np.dot(dZ2, A1.T)", "dW2 = 1. / m * np.dot(dZ2, A1.T) * 2"),
    _edit("backward_propagation_n", "db1 = 1. / m * np.sum(dZ1, axis=1, keepdims=True)",
          "db1 = 4. / m * np.sum(dZ1, axis=1, keepdims=True)"),
]
WRONG["student_id"] = ['def student_id():\n    return ""', 'def student_id():\n    return "ada" + "-lovelace"']
# alone, without the student_id cell, the id-dependent answers cannot be judged (tests/test_catalog_nb06.py judges
# wrong answers beside the reference id)
WRONG["wrong_tensors"] = ["def wrong_tensors():\n    return ['W4']"]
WRONG["buggy_lines"] = ["def buggy_lines():\n    return ['dZ4']"]
WRONG["fixed_backward"] = [_edit("fixed_backward", "dZ2 = dA2 * np.where(Z2 > 0, 1.0, 0.15)",
                                 "dZ2 = dA2 * np.where(Z2 > 0, 1.0, 0.0)")]




@pytest.mark.parametrize("exercise, n", [(e, n) for e, sources in WRONG.items() for n in range(len(sources))])
def test_a_wrong_answer_fails_verification(workdir, exercise, n):
    verdict = run({exercise: WRONG[exercise][n]}, workdir)[exercise]
    assert not verdict.ok and verdict.message


def test_every_exercise_has_wrong_answers_here():
    assert set(WRONG) == set(NOTEBOOK_OF)


# --------------------------------------------------------------------------------- robustness
def test_a_crash_or_an_endless_loop_costs_only_its_own_exercise(workdir):
    sources = dict(SOLVED["03_flatten_parameters_into_one_vector.ipynb"])
    sources["dictionary_to_vector"] = "import os\n\ndef dictionary_to_vector(parameters):\n    os._exit(3)"
    sources["vector_to_dictionary"] = "def vector_to_dictionary(theta, shapes):\n    while True:\n        pass"
    verdicts = run(sources, workdir, timeout=3)
    assert not verdicts["dictionary_to_vector"].ok and "exit status 3" in verdicts["dictionary_to_vector"].message
    assert not verdicts["vector_to_dictionary"].ok and "longer than 3 s" in verdicts["vector_to_dictionary"].message
    assert verdicts["gradients_to_vector"].ok, verdicts["gradients_to_vector"].message


def test_a_cell_that_does_not_run_is_named_in_the_message(workdir):
    verdicts = run({"warm_up_square": "def warm_up_square(x)\n    return x"}, workdir)
    assert "SyntaxError" in verdicts["warm_up_square"].message
    assert "NameError" in verdicts["warm_up_square"].message


@pytest.mark.parametrize("turned_by", ["the parser process", "the harness"])
def test_timing_magics_run_their_code_and_other_magics_do_nothing(workdir, monkeypatch, turned_by):
    """IPython syntax is turned into Python by the grader's parser process (scan_process.python_untrusted), or by the
    harness itself where the parser could not answer: the same Python either way."""
    transformed = []
    parser = scan_process.python_untrusted

    def recorded(text, *args, **kwargs):
        transformed.append(parser(text, *args, **kwargs) if turned_by == "the parser process" else None)
        return transformed[-1]

    monkeypatch.setattr(scan_process, "python_untrusted", recorded)
    timed = ("%time y = 3\n%timeit -n1 -r1 z = y + 1\n\ndef warm_up_square(x):\n    return x ** 2 + z - 4")
    assert run({"warm_up_square": timed}, workdir)["warm_up_square"].ok
    shell = "!ls\n%matplotlib inline\n\ndef warm_up_square(x):\n    return x ** 2"
    assert run({"warm_up_square": shell}, workdir)["warm_up_square"].ok
    if turned_by == "the parser process":
        assert len(transformed) == 2 and "get_ipython().run_line_magic('time'" in transformed[0], transformed
    else:
        assert transformed == [None, None]


def test_numerical_gradients_do_not_pass_for_the_backward_pass(workdir):
    source = ("def backward_propagation_n(X, Y, cache):\n"
              "    import numpy as np\n"
              "    (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) = cache\n"
              "    params = dict(W1=W1, b1=b1, W2=W2, b2=b2, W3=W3, b3=b3)\n"
              "    def cost(p):\n"
              "        relu = lambda z: np.maximum(z, 0)\n"
              "        a1 = relu(p['W1'] @ X + p['b1']); a2 = relu(p['W2'] @ a1 + p['b2'])\n"
              "        a3 = 1 / (1 + np.exp(-(p['W3'] @ a2 + p['b3'])))\n"
              "        return float(np.mean(-Y * np.log(a3) - (1 - Y) * np.log(1 - a3)))\n"
              "    grads = {}\n"
              "    for k, v in params.items():\n"
              "        g = np.zeros_like(v)\n"
              "        for i in np.ndindex(v.shape):\n"
              "            plus = {q: w.copy() for q, w in params.items()}; plus[k][i] += 1e-5\n"
              "            minus = {q: w.copy() for q, w in params.items()}; minus[k][i] -= 1e-5\n"
              "            g[i] = (cost(plus) - cost(minus)) / 2e-5\n"
              "        grads['d' + k] = g\n"
              "    return grads")
    verdict = run({"backward_propagation_n": source}, workdir)["backward_propagation_n"]
    assert not verdict.ok and "returned wrong" in verdict.message


def test_what_the_function_prints_or_writes_to_stdout_does_not_spoil_the_results(workdir):
    source = ("import os, sys\n\ndef warm_up_square(x):\n    print('hello')\n    os.write(1, b'{\"call\": 0, \"ok\": true}\\n')\n"
              "    sys.__stdout__.write('noise\\n')\n    return x ** 2")
    assert run({"warm_up_square": source}, workdir)["warm_up_square"].ok


@pytest.mark.skipif(not SANDBOXED, reason="needs the sandbox: unsandboxed, the package folder is a copy")
def test_calling_the_courses_answer_is_named_as_such(workdir):
    source = ("from course_utils import vectors\n\ndef dictionary_to_vector(parameters):\n"
              "    return vectors.dictionary_to_vector(parameters)")
    verdict = run({"dictionary_to_vector": source}, workdir)["dictionary_to_vector"]
    assert not verdict.ok and "may not call the course's own answer" in verdict.message


def test_every_draw_of_block_differences_has_a_tensor_zero_in_both():
    """So an answer that gives 0 / 0 (nan) there fails on every draw, not only on some."""
    from course_utils.grading.specs.nb04.block_differences import _block_cases
    for seed in range(200):
        found = False
        for case in _block_cases(np.random.default_rng(seed)):
            grad, approx, keys = case.args
            names = np.array(keys)
            found |= any(not np.any(grad[names == t]) and not np.any(approx[names == t]) for t in dict.fromkeys(keys))
        assert found, seed


def test_the_reference_diagnose_passes_verification_on_many_draws(workdir):
    """A tensor whose block difference is 0.5 only up to rounding must not sit next to the threshold-0.5 case:
    which side of the line it falls on would depend on the order of operations, not on the answer."""
    from course_utils.grading.specs.nb04.diagnose import SUSPECT_THRESHOLD, _diagnose_cases, expected_block_differences
    for seed in range(300):
        for case in _diagnose_cases(np.random.default_rng(seed)):
            grad, approx, keys, *threshold = case.args
            t = threshold[0] if threshold else SUSPECT_THRESHOLD
            near = [d for name, d in expected_block_differences(grad=grad, gradapprox=approx, keys=keys).items()
                    if name != "edge" and abs(d - t) <= 0.02 * t]  # "edge": exactly 0.5 by construction
            assert not near, (seed, case.label, near)


# ------------------------------------------------------------------- the result channel (issue 17, item 4b)
FLOOD = r'''
import os, time

def _flood():
    fds = list(range(1, 256))  # every descriptor: one of them is the pipe to the harness's supervisor
    for n in (0, 1, 2):  # and the supervisor's own, through /proc (it is not dumpable: refused)
        try:
            fds.append(os.open("/proc/%d/fd/%d" % (os.getppid(), n), os.O_WRONLY))
        except OSError:
            pass
    chunk = b'{"start": 0}\n' * 4000
    sent = 0
    while sent < 60 * 2 ** 20:  # 60 MB of lines, then one line every 2 ms
        for fd in fds:
            try:
                os.write(fd, chunk)
            except OSError:
                pass
        sent += len(chunk)
    while True:
        for fd in fds:
            try:
                os.write(fd, b'{"start": 1}\n')
            except OSError:
                pass
        time.sleep(0.002)

def warm_up_square(x):
    _flood()  # never returns
'''
REACHES_FOR_THE_SUPERVISOR = r'''
import os

def _reached():
    got = []
    parent = os.getppid()
    for path, mode in (("/proc/%d/fd/1" % parent, os.O_WRONLY), ("/proc/%d/fd/0" % parent, os.O_RDONLY),
                       ("/proc/%d/mem" % parent, os.O_RDONLY), ("/proc/%d/environ" % parent, os.O_RDONLY)):
        try:
            os.close(os.open(path, mode))
            got.append(path)
        except OSError:
            pass
    return got

REACHED = _reached()

def warm_up_square(x):
    return x ** 2 if not REACHED else "reached " + ", ".join(REACHED)
'''


def bounded(function, seconds=300):
    """function() in a thread; fails when it has not returned after `seconds` (generous: a regression hangs)."""
    out = {}
    thread = threading.Thread(target=lambda: out.setdefault("value", function()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    return out["value"]


def test_a_flood_of_lines_on_every_descriptor_stops_that_run_and_nothing_else(workdir):
    """60 MB of event lines, then a line every 2 ms, written to every descriptor: the supervisor drops what is not
    the harness's own and stops the run after MAX_JUNK bytes; the grader's deadlines do not move."""
    sources = dict(SOLVED["03_flatten_parameters_into_one_vector.ipynb"])
    sources["dictionary_to_vector"] = FLOOD.replace("warm_up_square(x)", "dictionary_to_vector(parameters)")
    verdicts = bounded(lambda: run(sources, workdir, timeout=20))
    message = verdicts["dictionary_to_vector"].message
    assert not verdicts["dictionary_to_vector"].ok and "harness's pipe" in message, message
    assert verdicts["vector_to_dictionary"].ok and verdicts["gradients_to_vector"].ok  # graded in a run of their own


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_the_harness_supervisor_is_out_of_the_exercise_codes_reach(workdir):
    """Same uid, but the supervisor is not dumpable: its descriptors, memory and environment cannot be opened."""
    verdict = run({"warm_up_square": REACHES_FOR_THE_SUPERVISOR}, workdir)["warm_up_square"]
    assert verdict.ok, verdict.message


def test_a_forged_result_line_is_no_better_than_a_returned_value(workdir):
    """A line the exercise's code writes in place of the harness's is taken as what the call returned: judged as
    such, on inputs it does not know."""
    source = ("import os\n\ndef warm_up_square(x):\n"
              "    for fd in range(3, 64):\n"
              "        try:\n"
              "            os.write(fd, b'{\"call\": 0, \"ok\": true, \"value\": 9, \"stdout\": \"\"}\\n')\n"
              "        except OSError:\n"
              "            pass\n"
              "    return x ** 2\n")
    verdict = run({"warm_up_square": source}, workdir)["warm_up_square"]
    assert not verdict.ok and "returned 9, expected" in verdict.message


def test_the_grader_reads_only_token_lines_within_bounds(workdir):
    """harness_run.stream itself: lines without the run's token are dropped, a start never moves a call's deadline back, and the
    run's deadline holds however fast lines come."""
    script = ("import sys, time\n"
              "t = sys.stdin.buffer.read().decode().split()[0]\n"
              "w = sys.stdout.buffer.write\n"
              "w(b'{\"start\": 0}\\n' * 1000)\n"
              "w(t.encode() + b' {\"start\": 0}\\n')\n"
              "w(t.encode() + b' {\"call\": 5, \"ok\": true}\\n')\n"
              "sys.stdout.flush()\n"
              "while True:\n"
              "    w(t.encode() + b' {\"start\": 0}\\n' + b'x' * 100 + b'\\n'); sys.stdout.flush(); time.sleep(0.002)\n")
    token = "0123abcd"
    events, problem = bounded(lambda: harness_run.stream([sys.executable, "-c", script], workdir, None, 3, 1,
                                                     order=(token + " ").encode(), token=token), 120)
    assert events == [{"start": 0}]  # one start; the call of another index and the untokened lines were dropped
    assert problem == "a call ran longer than 1 s and was stopped"


# ------------------------------------------------------------------------- IPython syntax (issue 17, item 4a)
def test_a_cell_of_33000_help_lines_fails_its_own_verification_quickly(workdir):
    source = "def warm_up_square(x):\n    return x ** 2\n" + "a?\n" * 33_000
    assert harness.transform_work(source) > harness.MAX_TRANSFORM_WORK
    assert harness.python_source(source) == source  # not transformed: too much IPython syntax to read
    verdict = bounded(lambda: run({"warm_up_square": source}, workdir))["warm_up_square"]
    assert not verdict.ok and "SyntaxError" in verdict.message


# ----------------------------------------------------------------------------- specs (issue 17, item 3)
def test_specs_are_never_loaded_from_a_folder(tmp_path):
    marker = tmp_path / "imported"
    planted = f"open({str(marker)!r}, 'w').close()\nfrom course_utils.grading.verify import Spec\n"
    (tmp_path / "course_utils.grading.specs.py").write_text(planted + "warm_up_square = None\n")
    (tmp_path / "evil.py").write_text(planted + "spec = Spec('f', lambda rng: [])\n")
    assert verify.load_spec("course_utils.grading.specs:warm_up_square", tmp_path) is specs.warm_up_square
    with pytest.raises(LookupError, match="never loads code from the release"):
        verify.load_spec("evil:spec", tmp_path)
    with pytest.raises(LookupError, match="never loads code from the release"):
        verify.load_spec("os:path", ())
    assert not marker.exists()
    assert isinstance(verify.load_spec("evil:spec", [tmp_path / "evil.py"]), verify.Spec)  # named: loaded
    assert marker.exists()
