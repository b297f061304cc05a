"""Tests of the build (authoring/build.py and the modules it runs: contract, execute, index): stubs, validation, a
reproducible build, the release and its links."""
import json
import re
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from authoring import build, contract, execute, index
from course_utils.grading import cells as grading_cells

ROOT = build.ROOT
RELEASE_NOTEBOOKS = sorted(build.RELEASE.glob("[0-9][0-9]_*.ipynb"))


# ----------------------------------------------------------------------------------------------
# helpers


def cell(kind, cid, source, tags=(), course=None):
    c = new_code_cell(source) if kind == "code" else new_markdown_cell(source)
    c.id = cid
    if tags:
        c.metadata["tags"] = list(tags)
    if course:
        c.metadata["course"] = course
    return c


def exercise(cid="ex-square", name="warm_up_square", body="    # BEGIN SOLUTION: square it\n    return x ** 2\n"
             "    # END SOLUTION", points=1):
    return cell("code", cid, f"def {name}(x):\n{body}", ["exercise"],
                {"exercise": name, "points": points, "verify": f"course_utils.grading.specs:{name}"})


def check_cell(cid="check-square", name="warm_up_square"):
    return cell("code", cid, grading_cells.check_source(name), ["check"], {"exercise": name})


def notebook(*cells):
    nb = new_notebook(cells=list(cells))
    nb.nbformat_minor = 5
    return nb


# ----------------------------------------------------------------------------------------------
# stubs


def test_stub_keeps_indentation_and_hint():
    source = ("def f(x):\n"
              "    \"\"\"Doc.\"\"\"\n"
              "    y = 1\n"
              "    # BEGIN SOLUTION: return x plus y\n"
              "    return x + y\n"
              "    # END SOLUTION\n")
    assert contract.make_stub(source) == ("def f(x):\n"
                                       "    \"\"\"Doc.\"\"\"\n"
                                       "    y = 1\n"
                                       "    # YOUR CODE HERE: return x plus y\n"
                                       "    raise NotImplementedError(\"return x plus y\")")


def test_stub_nested_blocks_and_quotes():
    source = ("def f(x):\n"
              "    for i in range(3):\n"
              "        # BEGIN SOLUTION: add \"i\" to x \\ twice\n"
              "        x += 2 * i\n"
              "        # END SOLUTION\n"
              "    # BEGIN SOLUTION: return x\n"
              "    return x\n"
              "    # END SOLUTION")
    stub = contract.make_stub(source)
    lines = stub.splitlines()
    assert lines[2] == '        # YOUR CODE HERE: add "i" to x \\ twice'
    assert lines[3] == '        raise NotImplementedError("add \\"i\\" to x \\\\ twice")'
    assert lines[4:] == ["    # YOUR CODE HERE: return x", '    raise NotImplementedError("return x")']
    namespace = {}
    exec(compile(stub, "stub", "exec"), namespace)  # the stub is valid Python ...
    with pytest.raises(NotImplementedError, match=r'add "i" to x \\ twice'):  # ... that raises the hint
        namespace["f"](1)


@pytest.mark.parametrize("source, message", [
    ("def f():\n    # BEGIN SOLUTION:\n    pass\n    # END SOLUTION", "needs a one-line hint"),
    ("def f():\n    # BEGIN SOLUTION: a\n    pass", "a begin marker without an end marker"),
    ("def f():\n    pass\n    # END SOLUTION", "an end marker without a begin marker"),
    ("def f():\n    # BEGIN SOLUTION: a\n    # BEGIN SOLUTION: b\n    # END SOLUTION", "inside another"),
    ("def f():\n    pass", "without a '# BEGIN SOLUTION"),
])
def test_stub_rejects_broken_markers(source, message):
    with pytest.raises(build.BuildError, match=message):
        contract.make_stub(source, "nb: cell 'ex'")


# ----------------------------------------------------------------------------------------------
# validation


def test_validate_accepts_a_good_notebook():
    nb = notebook(cell("markdown", "md-title", "# T"), exercise(), check_cell())
    assert contract.validate(nb, "t.ipynb") == {"warm_up_square": ("ex-square", ["warm_up_square"])}


@pytest.mark.parametrize("mutate, message", [
    (lambda nb: nb.cells[1].__setitem__("id", "md-title"), "duplicate id"),
    (lambda nb: nb.cells[1].__setitem__("id", "1a2b3c4d"), "looks random"),
    (lambda nb: nb.cells[1].__setitem__("id", "Ex Square"), "lowercase words"),
    (lambda nb: nb.cells[1].pop("id"), "has no id"),
    (lambda nb: nb.cells[2].__setitem__("source", "check_warm_up_square(warm_up_square)"), "must be exactly"),
    (lambda nb: nb.cells.pop(2), "without a check cell"),
    (lambda nb: nb.cells[1].metadata["course"].pop("points"), "points"),
    (lambda nb: nb.cells[1].metadata["course"].pop("verify"), "course.verify"),
    (lambda nb: nb.cells[1].metadata["course"].update(verify="course_utils.grading.specs:nothing"),
     "verification spec cannot be loaded"),
    (lambda nb: nb.cells[1].metadata["course"].update(verify="course_utils.grading.specs:cost_with_l2"),
     "calls 'cost_with_l2', which the cell does not define"),
    (lambda nb: nb.cells[1].__setitem__("source", nb.cells[1].source + "\nprint(warm_up_square(2))"),
     "top-level work"),
    (lambda nb: nb.cells[0].__setitem__("cell_type", "code") or nb.cells[0].update(
        source="# BEGIN SOLUTION: x\n# END SOLUTION", outputs=[], execution_count=None), "outside an exercise"),
    (lambda nb: nb.__setitem__("nbformat_minor", 4), "need 4.5"),
])
def test_validate_names_the_problem(mutate, message):
    nb = notebook(cell("markdown", "md-title", "# T"), exercise(), check_cell())
    mutate(nb)
    with pytest.raises(build.BuildError, match=message):
        contract.validate(nb, "t.ipynb")


def test_select_by_number_stem_and_file(tmp_path):
    for name in ("00_a.ipynb", "01_b.ipynb", "10_c.ipynb"):
        (tmp_path / name).write_text("{}")
    assert [p.name for p in build.select(["01"], tmp_path)] == ["01_b.ipynb"]
    assert [p.name for p in build.select(["00_a", "10_c.ipynb"], tmp_path)] == ["00_a.ipynb", "10_c.ipynb"]
    assert len(build.select([], tmp_path)) == 3
    with pytest.raises(build.BuildError, match="matches nothing"):
        build.select(["02"], tmp_path)


def test_scrub_text_removes_ansi_and_paths():
    text = f"\x1b[31mError\x1b[0m in {ROOT}/course_utils/x.py and {Path.home()}/y and /tmp/abc/z"
    assert execute.scrub_text(text) == "Error in <course>/course_utils/x.py and ~/y and <tmp>/abc/z"


def test_readme_without_markers_warns(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("# Course\n")
    assert index.update_readme(readme, tmp_path) is False
    assert "lacks the markers" in capsys.readouterr().err
    assert readme.read_text() == "# Course\n"


# ----------------------------------------------------------------------------------------------
# a tiny notebook built for real (one kernel per build)

TINY_CELLS = [
    ("markdown", "md-title", "# Tiny notebook\n\n**Time:** 1 minute"),
    ("code", "setup", "import matplotlib.pyplot as plt\nfrom course_utils.widgets import smoke_test"),
    ("code", "demo-noise", "import os\nprint('\\x1b[1;31mbold red\\x1b[0m')\nprint(os.getcwd())"),
    ("exercise",),
    ("check",),
    ("code", "demo-plot", "fig, ax = plt.subplots()\nax.plot([0, 1], [1, 0])\nax.set_title('t')\nplt.show()"),
    ("code", "demo-widget", "smoke_test()"),
    ("code", "demo-result", "6 * 7"),
]


def tiny_notebook():
    cells = []
    for spec in TINY_CELLS:
        if spec[0] == "exercise":
            cells.append(exercise())
        elif spec[0] == "check":
            cells.append(check_cell())
        else:
            cells.append(cell(*spec))
    return notebook(*cells)


@pytest.fixture(scope="module")
def tiny_build(tmp_path_factory):
    """The tiny notebook built twice into two folders, from a solutions folder."""
    base = tmp_path_factory.mktemp("tiny")
    (base / "solutions").mkdir()
    solution = base / "solutions" / "00_tiny.ipynb"
    nbformat.write(tiny_notebook(), str(solution))
    first = build.build_notebook(solution, base / "one")
    second = build.build_notebook(solution, base / "two", cwd=base / "one")  # same cwd: it is printed
    return solution, first, second


def test_build_twice_gives_identical_bytes(tiny_build):
    _, first, second = tiny_build
    assert first.read_bytes() == second.read_bytes()


def test_build_output_is_clean(tiny_build):
    solution, first, _ = tiny_build
    text = first.read_text(encoding="utf-8")
    assert "\x1b" not in text and "\\u001b" not in text
    assert str(ROOT) not in text and str(Path.home()) not in text and "/tmp/" not in text
    assert "widget-view" not in text and '"widgets"' not in text and '"execution"' not in text
    assert text.endswith("}\n") and json.loads(text)["nbformat_minor"] == 5
    nb = nbformat.read(str(first), as_version=4)
    assert [c.id for c in nb.cells] == [c.id for c in nbformat.read(str(solution), as_version=4).cells]
    codes = [c for c in nb.cells if c.cell_type == "code"]
    counts = [c.metadata.course.execution_count if build.is_check(c) else c.execution_count for c in codes]
    assert counts == list(range(1, len(codes) + 1))
    by_id = {c.id: c for c in nb.cells}
    noise = by_id["demo-noise"].outputs[0].text  # ANSI stripped; cwd = the release folder, path scrubbed
    assert noise.startswith("bold red\n<tmp>/") and noise.endswith("/one\n")
    assert by_id["ex-square"].outputs == []
    assert "raise NotImplementedError(\"square it\")" in by_id["ex-square"].source
    assert "return x ** 2" not in by_id["ex-square"].source
    check = by_id["check-square"]  # an unrun check shows nothing; its reference output is in metadata
    assert (check.outputs, check.execution_count) == ([], None)
    assert check.metadata.course.outputs[0]["text"] == "warm_up_square passed: warm_up_square(3) = 9\n"
    assert check.metadata.course.execution_count == by_id["ex-square"].execution_count + 1
    assert "image/png" in by_id["demo-plot"].outputs[0].data
    assert len(by_id["demo-plot"].outputs) == 1  # plt.show(): the picture, no stray "<Figure size ...>" result
    assert "Widget smoke test" in by_id["demo-widget"].outputs[0].data["text/plain"]
    result = by_id["demo-result"].outputs[0]
    assert result.data["text/plain"] == "42" and result.execution_count == 7


def test_build_fails_clearly_on_a_raising_cell_and_on_stderr(tmp_path):
    for source, message in (("1 / 0", r"cell 'demo-bad'.*ZeroDivisionError"),
                            ("import warnings\nwarnings.warn('careful')", r"cell 'demo-bad': wrote to stderr")):
        solution = tmp_path / "00_bad.ipynb"
        nbformat.write(notebook(cell("code", "demo-bad", source)), str(solution))
        with pytest.raises(build.BuildError, match=re.compile(message, re.S)):
            build.build_notebook(solution, tmp_path / "out")
    assert not (tmp_path / "out" / "00_bad.ipynb").exists()


# ----------------------------------------------------------------------------------------------
# the real release in notebooks/


def _solution_of(release_path):
    return build.SOLUTIONS / release_path.name


@pytest.mark.parametrize("path", RELEASE_NOTEBOOKS, ids=lambda p: p.name)
def test_release_matches_its_solution(path):
    release = nbformat.read(str(path), as_version=4)
    solution = nbformat.read(str(_solution_of(path)), as_version=4)
    nbformat.validate(release)
    assert (release.nbformat, release.nbformat_minor) == (4, 5)
    assert [c.id for c in release.cells] == [c.id for c in solution.cells]
    codes = [c for c in release.cells if c.cell_type == "code"]
    counts = [c.metadata.course.execution_count if build.is_check(c) else c.execution_count for c in codes]
    assert counts == list(range(1, len(codes) + 1))
    assert all(c.outputs == [] and c.execution_count is None for c in codes if build.is_check(c))  # none looks run
    text = path.read_text(encoding="utf-8")
    assert "\\u001b" not in text and str(ROOT) not in text and str(Path.home()) not in text
    for rel, sol in zip(release.cells, solution.cells):
        if build.is_exercise(sol):
            assert rel.outputs == [] and rel.source == contract.make_stub(sol.source)
            assert "NotImplementedError" in rel.source
        else:
            assert rel.source == sol.source
            assert "BEGIN SOLUTION" not in rel.source
        if rel.cell_type == "code" and not build.is_exercise(rel):
            for output in (rel.metadata.course.outputs if build.is_check(rel) else rel.outputs):
                assert output.get("name") != "stderr", f"{path.name}: cell {rel.id!r} stores stderr"
                data = output.get("data", {})  # a figure's own text/plain next to its picture is fine
                assert not ("<Figure size" in str(data.get("text/plain", "")) and "image/png" not in data), \
                    f"{path.name}: cell {rel.id!r} stores stray '<Figure size ...>' text"


def test_every_solution_has_a_release():
    solutions = sorted(p.name for p in build.SOLUTIONS.glob("*.ipynb"))
    assert solutions == [p.name for p in RELEASE_NOTEBOOKS]


def test_readme_index_is_current():
    text = build.README.read_text(encoding="utf-8")
    if index.INDEX_START not in text:
        pytest.skip("README.md has no notebook-index markers yet")
    between = text.split(index.INDEX_START, 1)[1].split(index.INDEX_END, 1)[0].strip()
    assert between == index.index_table(build.RELEASE, ROOT), "run: python -m authoring.build"


# ----------------------------------------------------------------------------------------------
# links

LINK_RE = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)|href=\"([^\"]+)\"")


def markdown_sources():
    yield build.README, build.README.read_text(encoding="utf-8")
    for path in RELEASE_NOTEBOOKS:
        nb = nbformat.read(str(path), as_version=4)
        yield path, "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def relative_links(text):
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # links inside code blocks are not links
    for match in LINK_RE.finditer(text):
        target = match.group(1) or match.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
            continue  # http:, mailto:, in-page anchors
        yield unquote(target.split("#", 1)[0])


@pytest.mark.parametrize("path, text", list(markdown_sources()), ids=lambda v: v.name if isinstance(v, Path) else "")
def test_relative_links_resolve(path, text):
    broken = [t for t in relative_links(text) if not (path.parent / t).exists()]
    assert not broken, f"{path.relative_to(ROOT)}: broken links {broken}"


def test_prev_next_navigation():
    names = [p.name for p in RELEASE_NOTEBOOKS]
    for i, path in enumerate(RELEASE_NOTEBOOKS):
        nb = nbformat.read(str(path), as_version=4)
        links = set(relative_links("\n".join(c.source for c in nb.cells if c.cell_type == "markdown")))
        if i > 0:
            assert names[i - 1] in links, f"{path.name} does not link back to {names[i - 1]}"
        if i + 1 < len(names):
            assert names[i + 1] in links, f"{path.name} does not link on to {names[i + 1]}"
    if names and names[0].startswith("00"):
        first = nbformat.read(str(RELEASE_NOTEBOOKS[0]), as_version=4)
        assert "../README.md" in set(relative_links("\n".join(c.source for c in first.cells
                                                                if c.cell_type == "markdown")))


def test_link_finder_finds_broken_links(tmp_path):
    text = "[ok](a.ipynb) [web](https://x.org) [anchor](#top) <a href=\"b.ipynb#s\">b</a> ```[no](c.ipynb)```"
    assert list(relative_links(text)) == ["a.ipynb", "b.ipynb"]


def test_the_build_kernel_runs_without_forced_blas_kernels(monkeypatch):
    # OPENBLAS_CORETYPE=Haswell rounds the classic difference to ...624 instead of the published ...623;
    # the grader's sandbox starts with a clear environment, so the build must not inherit such settings
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setenv("NVPL_BLAS_DEBUG_CPU_TYPE", "1")
    monkeypatch.setenv("SOME_OTHER_SETTING", "kept")
    env = execute.kernel_env()
    assert "OPENBLAS_CORETYPE" not in env and "NVPL_BLAS_DEBUG_CPU_TYPE" not in env
    assert env["SOME_OTHER_SETTING"] == "kept"


def test_consecutive_stream_outputs_are_merged_so_rebuilding_gives_the_same_file():
    # the kernel may send one cell's prints as one message or several, depending on timing
    outputs = [{"output_type": "stream", "name": "stdout", "text": "a\n"},
               {"output_type": "stream", "name": "stdout", "text": "b\n"},
               {"output_type": "display_data", "data": {"text/plain": "x"}, "metadata": {}},
               {"output_type": "stream", "name": "stdout", "text": "c\n"}]
    cleaned = execute.clean_outputs(outputs, 1)
    assert [o.get("text") for o in cleaned] == ["a\nb\n", None, "c\n"]


def test_a_student_output_cell_keeps_no_reference_output_and_must_be_ignored_by_nbval():
    shows = new_code_cell("print('your diagnosis: b1 4x too big')", id="demo-yours",
                          metadata={"tags": ["nbval-ignore-output", contract.STUDENT_OUTPUT]})
    shows.outputs = [nbformat.v4.new_output("stream", name="stdout", text="your diagnosis: b1 4x too big\n")]
    plain = new_code_cell("print(1)", id="demo-plain")
    plain.outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    nb = new_notebook(cells=[shows, plain])
    nb.nbformat_minor = 5
    release = execute.release_from_executed(nb)
    assert release.cells[0].outputs == [] and release.cells[0].execution_count == 1
    assert release.cells[1].outputs[0]["text"] == "1\n"
    unignored = new_code_cell("print(1)", id="demo-yours", metadata={"tags": [contract.STUDENT_OUTPUT]})
    bad = new_notebook(cells=[unignored])
    bad.nbformat_minor = 5
    with pytest.raises(build.BuildError, match="nbval-ignore-output"):
        contract.validate(bad)
