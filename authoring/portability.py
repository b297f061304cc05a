"""Do the release's stored outputs hold on other computers? Re-run the perfect submission elsewhere and compare.

Students run the course on every kind of laptop and with any numpy the requirements allow. numpy computes
float32 `**`, `exp`, `log`, `tanh`, `sin` and float64 `tanh` with other SIMD code on other CPUs, OpenBLAS picks
another kernel (another order of summation) on another CPU, and numpy 1 promotes scalars differently from
numpy 2: the last digits of a round-off move. Every output nbval compares must print the same text anyway.

This module re-executes the perfect submission -- the release notebooks with every exercise cell taken from the
reference solution, merged as the grader merges -- under strict `pytest --nbval` in other numerical
environments, on this one machine:

- "baseline SIMD": NPY_DISABLE_CPU_FEATURES lists every dispatch target numpy reports, so numpy takes the code
  of the oldest CPU it supports; on x86-64, OpenBLAS is also forced onto another kernel (OPENBLAS_CORETYPE);
- "oldest numpy": the lowest numpy the requirements allow (numpy>=X.Y in requirements.txt), installed once with
  `pip install --target` into a cache folder that is put first on the kernel's PYTHONPATH.

    python -m authoring.portability            # check notebooks/ against solutions/, print the differences

The test suite (tests/test_portability.py) and the build (which refuses to write a release that fails it) call
`check`.
"""
from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course_utils.grading.run import without_rfc3987

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements.txt"
CACHE = ROOT / ".cache"  # the oldest numpy, installed once (git-ignored)
CELL_TIMEOUT = 60  # seconds per cell; the course's notebooks run in seconds
KERNEL_STARTUP_TIMEOUT = 300  # seconds for a new kernel to answer (nbval's 60 ran out on a loaded CI machine)
ANSI_RE = re.compile(r"(?:\x1b|#x1B)\[[0-9;]*m")
BLAS_SETTINGS = ("OPENBLAS_", "NVPL_BLAS_", "MKL_", "GOTO")  # environment variables that pick BLAS kernels
OTHER_BLAS_KERNEL = "Prescott"  # an OpenBLAS x86-64 kernel every x86-64 CPU runs, other than the one it picks


class PortabilityError(Exception):
    """An environment could not be set up (no network for pip, ...)."""


@dataclass
class Environment:
    name: str
    env: dict = field(default_factory=dict)  # variables to set for the kernel
    path: list = field(default_factory=list)  # folders to put first on PYTHONPATH


def code_cell_ids(path):
    nb = nbformat.read(str(path), as_version=4)
    return [c.id for c in nb.cells if c.cell_type == "code"]


def merge_solutions(release_path, solution_path):
    """The release notebook with every exercise cell's source taken from the solution (by id), merged as the
    grader merges (grading.cells.merge: check cells get their reference outputs back from metadata)."""
    from course_utils.grading import load_release
    release_path, solution_path = Path(release_path), Path(solution_path)
    rnb = load_release(release_path.parent).notebooks[release_path.name]
    solution = {c.id: c for c in nbformat.read(str(solution_path), as_version=4).cells}
    sources = {name: solution[ex.cell_id].source for name, ex in rnb.exercises.items()}
    return nbformat.reads(json.dumps(rnb.merged(sources)), as_version=4)  # reads joins multi-line sources


def run_nbval(folder, mode="--nbval", environment=None, timeout=900):
    """Run `pytest --nbval` (or `--nbval-lax`) on every notebook in folder, in a kernel whose environment is this
    process's, without BLAS overrides, plus `environment`.

    Returns {notebook name: {cell id: (outcome, message)}}, outcome "passed", "failed" or "skipped".
    nbval names a cell "Cell N", N counting the notebook's code cells from 0; results are read from a JUnit XML
    report and mapped back to cell ids.
    """
    folder = Path(folder)
    environment = environment or Environment("this machine")
    (folder / "pytest.ini").write_text("[pytest]\n")  # keep the course's pytest settings out of it
    report = folder / "report.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith(BLAS_SETTINGS)}
    env.update(environment.env)
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    with tempfile.TemporaryDirectory(prefix="portability-path-") as shim:  # without_rfc3987: as the grader's runs
        env["PYTHONPATH"] = os.pathsep.join([*map(str, environment.path), str(without_rfc3987(shim)), str(ROOT),
                                             *filter(None, [os.environ.get("PYTHONPATH")])])
        done = subprocess.run(
            [sys.executable, "-m", "pytest", mode, "-p", "no:cacheprovider", "-p", "no:xdist",
             f"--nbval-cell-timeout={CELL_TIMEOUT}", f"--nbval-kernel-startup-timeout={KERNEL_STARTUP_TIMEOUT}",
             "-q", f"--junitxml={report}", "--rootdir", str(folder),
             "-c", str(folder / "pytest.ini"), str(folder)],
            cwd=folder, env=env, capture_output=True, text=True, timeout=timeout)
    if not report.exists():
        raise PortabilityError(f"pytest {mode} did not run ({environment.name}):\n{done.stdout[-3000:]}\n"
                               f"{done.stderr[-3000:]}")
    results = {}
    ids = {p.name: code_cell_ids(p) for p in folder.glob("*.ipynb")}
    for case in ET.parse(report).getroot().iter("testcase"):
        notebook = next((n for n in ids if case.get("classname").endswith(n.replace(".ipynb", ""))
                         or case.get("classname").endswith(n)), None)
        if notebook is None:
            continue
        number = int(case.get("name").split()[-1])
        outcome, message = "passed", ""
        for kind in ("failure", "error", "skipped"):
            element = case.find(kind)
            if element is not None:
                outcome = "skipped" if kind == "skipped" else "failed"
                message = ANSI_RE.sub("", (element.get("message") or "") + "\n" + (element.text or ""))
        results.setdefault(notebook, {})[ids[notebook][number]] = (outcome, message)
    return results


def oldest_numpy(requirements=REQUIREMENTS):
    """The lowest numpy version the requirements allow, from its `numpy>=X.Y[.Z]` line, e.g. "1.26"."""
    for line in Path(requirements).read_text().splitlines():
        found = re.match(r"\s*numpy\s*>=\s*([0-9][0-9.]*)", line.split("#")[0])
        if found:
            return found.group(1)
    raise PortabilityError(f"{requirements}: no numpy>=X.Y line, so the oldest numpy allowed is unknown")


def install_oldest_numpy(cache=CACHE, requirements=REQUIREMENTS):
    """A folder holding the oldest allowed numpy (the newest release of that minor version), installed once."""
    version = oldest_numpy(requirements)
    spec = f"numpy=={version}.*" if version.count(".") == 1 else f"numpy=={version}"
    tag = f"numpy-{version}-py{sys.version_info.major}{sys.version_info.minor}-{platform.machine()}"
    target = Path(cache) / tag
    if (target / "numpy" / "__init__.py").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=tag + ".", dir=target.parent))
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                           "--no-deps", "--only-binary=:all:", "--target", str(partial), spec],
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise PortabilityError(f"pip could not install {spec}: {done.stderr.strip()[-1500:]}")
    try:
        partial.rename(target)
    except OSError:  # another run installed it meanwhile
        pass
    return target


def simd_and_blas_baseline():
    """The 'baseline SIMD' environment: numpy's dispatch targets disabled, OpenBLAS on another kernel (x86-64)."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__
    except ImportError:  # numpy 1
        from numpy.core._multiarray_umath import __cpu_dispatch__
    env = {"NPY_DISABLE_CPU_FEATURES": " ".join(__cpu_dispatch__)}
    if platform.machine().lower() in ("x86_64", "amd64"):
        env["OPENBLAS_CORETYPE"] = OTHER_BLAS_KERNEL
    return Environment("baseline SIMD and another BLAS kernel", env=env)


def environments(cache=CACHE):
    """The other numerical environments the perfect submission must give the stored outputs in."""
    return [simd_and_blas_baseline(),
            Environment(f"oldest numpy allowed ({oldest_numpy()})", path=[install_oldest_numpy(cache)])]


def differences(release_dir, solutions_dir, environment, names=None):
    """{notebook: {cell id: nbval's message}} of every cell of the perfect submission that fails strict nbval in
    `environment` (an empty dict: every compared output is reproduced)."""
    release_dir, solutions_dir = Path(release_dir), Path(solutions_dir)
    paths = sorted(p for p in release_dir.glob("[0-9][0-9]_*.ipynb") if names is None or p.name in names)
    with tempfile.TemporaryDirectory(prefix="portability-") as tmp:
        for path in paths:
            nbformat.write(merge_solutions(path, solutions_dir / path.name), str(Path(tmp) / path.name))
        results = run_nbval(tmp, "--nbval", environment)
    found = {}
    for path in paths:
        cells = results.get(path.name)
        if cells is None:
            found[path.name] = {"(notebook)": "nbval ran none of its cells"}
            continue
        failed = {cid: message for cid, (outcome, message) in cells.items() if outcome != "passed"}
        if failed:
            found[path.name] = failed
    return found


def check(release_dir, solutions_dir, names=None, cache=CACHE):
    """{environment name: differences(...)} for every environment; all empty when the release is portable."""
    return {environment.name: differences(release_dir, solutions_dir, environment, names)
            for environment in environments(cache)}


def describe(found):
    """A readable report of check()'s result: which cells print what elsewhere."""
    lines = []
    for name, notebooks in found.items():
        for notebook, cells in notebooks.items():
            for cell_id, message in cells.items():
                diff = [line.strip() for line in message.splitlines() if re.match(r"\s*[-+] ", line)]
                lines.append(f"{name}: {notebook} cell {cell_id!r} prints other text: "
                             + (" | ".join(diff[:6]) or message.strip()[:500]))
    return "\n".join(lines)


def main(argv=None):
    import argparse
    parser = argparse.ArgumentParser(prog="python -m authoring.portability", description=__doc__.split("\n\n")[0])
    parser.add_argument("--release", type=Path, default=ROOT / "notebooks")
    parser.add_argument("--solutions", type=Path, default=ROOT / "solutions")
    args = parser.parse_args(argv)
    try:
        found = check(args.release, args.solutions)
    except PortabilityError as error:
        print(f"portability check could not run: {error}", file=sys.stderr)
        return 2
    text = describe(found)
    print(text or "every compared output is the same in: " + ", ".join(found))
    return 1 if text else 0


if __name__ == "__main__":
    sys.exit(main())
