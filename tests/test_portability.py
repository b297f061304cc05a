"""The stored outputs hold on other computers: the perfect submission, re-run under strict nbval with numpy's
baseline SIMD code and another OpenBLAS kernel, and with the oldest numpy the requirements allow, reproduces every
compared output of the release (authoring.portability). The build refuses a release that fails this.

The oldest numpy is installed once with pip into .cache/ (git-ignored); without network these tests fail, saying so.
"""
import os
import subprocess
import sys

import pytest

from authoring import build, portability


def _environment(make):
    try:
        return make()
    except portability.PortabilityError as error:
        pytest.fail(f"the environment could not be made here: {error}", pytrace=False)


ENVIRONMENTS = {
    "baseline-simd": portability.simd_and_blas_baseline,
    "oldest-numpy": lambda: portability.Environment(
        "oldest numpy allowed", path=[portability.install_oldest_numpy()]),
}


@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_every_compared_output_is_the_same_in_another_numerical_environment(name):
    environment = _environment(ENVIRONMENTS[name])
    found = portability.differences(build.RELEASE, build.SOLUTIONS, environment)
    assert not found, portability.describe({environment.name: found})


def test_the_environments_really_are_other_environments():
    """Each environment changes what numpy computes, so a pass above means something: numpy reports the other
    version, or the disabled SIMD targets, inside the kernel's environment."""
    oldest = _environment(ENVIRONMENTS["oldest-numpy"])
    code = "import numpy; print(numpy.__version__)"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(map(str, oldest.path)))
    version = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert version.stdout.strip().startswith(portability.oldest_numpy() + ".")

    baseline = portability.simd_and_blas_baseline()
    code = ("import numpy\n"
            "try:\n    from numpy._core._multiarray_umath import __cpu_features__ as f, __cpu_dispatch__ as d\n"
            "except ImportError:\n    from numpy.core._multiarray_umath import __cpu_features__ as f, "
            "__cpu_dispatch__ as d\n"
            "print(sorted(x for x in d if f.get(x)))")
    enabled = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, **baseline.env),
                             capture_output=True, text=True, check=True)
    assert enabled.stdout.strip() == "[]", enabled.stdout


MACHINE = ("try:\n    from numpy._core._multiarray_umath import __cpu_features__ as f, __cpu_dispatch__ as d\n"
           "except ImportError:\n    from numpy.core._multiarray_umath import __cpu_features__ as f, "
           "__cpu_dispatch__ as d\n"
           "print(np.__version__, sorted(x for x in d if f.get(x)))")


def test_the_build_refuses_a_release_that_differs_elsewhere_at_exactly_that_cell(tmp_path, capsys):
    """The check is not blind: a demo that prints numpy's version and its enabled SIMD targets differs, at exactly
    that cell, in each other environment, so the build refuses to write the release and says where; the stable
    demo beside it passes everywhere, and so does the notebook once the demo prints something stable."""
    import nbformat
    environments = [environment.name for environment in _environment(portability.environments)]  # the build's
    solution = nbformat.v4.new_notebook()
    solution.cells = [nbformat.v4.new_code_cell("import numpy as np\nprint(round(float(np.sqrt(2.0)), 6))",
                                                id="demo-stable"),
                      nbformat.v4.new_code_cell(MACHINE, id="demo-machine")]
    solutions, release = tmp_path / "solutions", tmp_path / "release"
    solutions.mkdir()
    nbformat.write(solution, str(solutions / "01_machine.ipynb"))
    assert build.main(["--solutions", str(solutions), "--release", str(release)]) == 1
    err = capsys.readouterr().err
    assert "build refused" in err, err
    differing = sorted(line.split(" prints other text")[0] for line in err.splitlines() if "prints other text" in line)
    assert differing == sorted(f"{name}: 01_machine.ipynb cell 'demo-machine'" for name in environments), err
    assert not (release / "01_machine.ipynb").exists()

    solution.cells[1].source = "print(np.sqrt(4.0))"
    nbformat.write(solution, str(solutions / "01_machine.ipynb"))
    assert build.main(["--solutions", str(solutions), "--release", str(release)]) == 0
    assert (release / "01_machine.ipynb").exists()
