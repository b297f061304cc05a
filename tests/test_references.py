"""No reference to a file the repository lacks: every repository path or course_utils module that the
prose names exists.

Scanned: markdown files; the docstrings and comments of .py files (not their other strings: test code
makes up file names on purpose); the markdown cells and code comments of notebooks; the comment lines
of the other text files (pyproject.toml, requirements.txt, .ci/run, the delivery templates).

Found in them:
- paths with a folder and an extension, `course_utils/grading/verify.py`, `docs/img/bug_lab.png`;
  a path resolves against the folder of the file that names it or any folder above it, up to the
  repository root (a reference solution solutions/NN_name.ipynb is also read from notebooks/,
  where the build puts it);
- paths into a top-level folder of the repository, with or without an extension (`solutions/`);
- bare module and notebook file names, `verify.py`, `04_check_an_nd_gradient.ipynb`: a file of that
  name must exist somewhere in the repository;
- relative link targets of markdown, `[next](01_approximate_a_derivative.ipynb)`, `![Bug Lab](docs/img/bug_lab.png)`;
- dotted course_utils and authoring names, `course_utils.bugs.BUGS`, `authoring.build`: the module must import
  and have the attribute.

Not references: URLs, absolute paths (`/autograder/...`), placeholders (`notebooks/NN_name.ipynb`,
`DIR/FILE.zip`, globs), and the files of other projects or of what the build writes, listed in
EXTERNAL with whose they are.
"""
import ast
import importlib
import io
import json
import os
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP_DIRS = {".git", ".venv", "venv", ".cache", "__pycache__", ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints", "build",
             "node_modules"}
TOP_DIRS = ("course_utils", "authoring", "solutions", "tests", "docs", "notebooks", "benchmarks", ".ci")
COMMENTED = {".toml", ".txt", ".sh", ".yml", ".yaml", ".in", ".cfg", ".ini", ""}  # '#' comment lines are prose

# Paths that are not this repository's files: other projects' files, cited by path, and files that only
# exist in what the build writes (the student release, the Gradescope container). ref -> whose it is.
EXTERNAL = {
    "docs/specs.md": "gradescope/autograder_samples, Gradescope's autograder specification",
    "helpers/test-helpers.js": "classroom-resources/autograding-grading-reporter",
    "bin/run.sh": "classroom-resources/autograding-python-grader",
    "nbval/plugin.py": "nbval, the pytest plugin",
    "conftest.py": "pytest's per-folder configuration file, named as a file a submission might plant",
    "sitecustomize.py": "Python's start-up hook, named as a file a submission might plant",
    ".github/workflows/classroom.yml": "the student release (from authoring/delivery/templates/student/classroom.yml)",
    "binder/requirements.txt": "the student release's Binder configuration",
    "binder/runtime.txt": "the student release's Binder configuration",
    "results/results.json": "the Gradescope container (/autograder/results/results.json)",
    "root/results/results.json": "a local stand-in for the Gradescope container's /autograder",
}

# Known broken references in files whose owners fix them: (file, ref) -> the right reference.
# Each must still be found (a fixed one must leave this set); the set is to become empty.
ALLOWED = {}

EXT = r"(?:py|ipynb|md|png|svg|gif|jpe?g|toml|txt|ya?ml|json|csv|zip|cfg|ini|sh|html|js|css|in)"
NOT_AFTER = r"(?<![\w./:~$@%=+-])"  # not inside a word, a URL, an absolute or home path, a variable
PATH_RE = re.compile(rf"{NOT_AFTER}((?:\.\.?/)*(?:[\w.-]+/)+[\w.-]*\w\.{EXT})(?![\w/])")
TOP_RE = re.compile(rf"{NOT_AFTER}((?:{'|'.join(re.escape(d) for d in TOP_DIRS)})/[\w./*-]*)")
BARE_RE = re.compile(rf"{NOT_AFTER}([A-Za-z_][\w-]*\.py|\d\d_[\w-]+\.ipynb)(?![\w/])")
MODULE_RE = re.compile(r"(?<![\w./])((?:course_utils|authoring)(?:\.\w+)+)")
LINK_RE = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|\bsrc=\"([^\"]+)\"")
PLACEHOLDER_RE = re.compile(r"NN|NAME|DIR|FILE|OWNER|FOLDER|XXX|[*?<>{}\[\]]|\.\.\.|\u2026")
DOMAIN_RE = re.compile(r"^[\w-]+(?:\.[\w-]+)*\.(?:com|org|io|net|dev|edu)(?:/|$)")


# ------------------------------------------------------------------------------ the prose of each file


def _python_prose(source):
    """[(line, text)] of the docstrings and comments of Python source."""
    out = []
    try:
        tree = ast.parse(source)
    except SyntaxError:
        tree = None
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                out.append((first.lineno, first.value.value))
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                out.append((tok.start[0], tok.string))
    except (tokenize.TokenError, SyntaxError, IndentationError):  # e.g. a notebook cell with IPython magics
        out += [(n, line) for n, line in enumerate(source.splitlines(), 1) if line.lstrip().startswith("#")]
    return out


def prose(path):
    """[(where, text, is_markdown)] of one file: the parts of it that talk about other files."""
    suffix = path.suffix
    if suffix == ".py":
        return [(line, text, False) for line, text in _python_prose(path.read_text(encoding="utf-8"))]
    if suffix == ".md":
        return [(n, line, True) for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)]
    if suffix == ".ipynb":
        try:
            cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        except (ValueError, UnicodeDecodeError, AttributeError):
            return []  # the grader's fixtures hold deliberately broken notebooks
        out = []
        for cell in cells if isinstance(cells, list) else []:
            source = cell.get("source", "") if isinstance(cell, dict) else ""
            source = "".join(source) if isinstance(source, list) else str(source)
            where = f"cell {cell.get('id', '?')}" if isinstance(cell, dict) else "cell"
            if cell.get("cell_type") == "markdown":
                out.append((where, source, True))
            elif cell.get("cell_type") == "code":
                out += [(where, text, False) for _, text in _python_prose(source)]
        return out
    if suffix in COMMENTED:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError:
            return []
        return [(n, line, False) for n, line in enumerate(lines, 1) if line.lstrip().startswith("#")]
    return []


def text_files(root):
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info"))
        for name in sorted(files):
            yield Path(folder) / name


# ------------------------------------------------------------------------------ references and their targets


def references(where, text, is_markdown):
    """[(kind, ref)] named in one piece of prose."""
    found = []
    for match in PATH_RE.finditer(text):
        found.append(("path", match.group(1)))
    for match in TOP_RE.finditer(text):
        ref = match.group(1).rstrip(".")
        if not any(ref == r for _, r in found):
            found.append(("path", ref))
    for match in BARE_RE.finditer(text):
        found.append(("file", match.group(1)))
    for match in MODULE_RE.finditer(text):
        found.append(("module", match.group(1)))
    if is_markdown:
        for match in LINK_RE.finditer(text):
            target = (match.group(1) or match.group(2)).split("#")[0]
            if target and not re.match(r"^[a-z][\w+.-]*:", target) and not target.startswith("/"):
                found.append(("path", target))
    return [(kind, ref) for kind, ref in found if kind == "module"
            or not (PLACEHOLDER_RE.search(ref) or DOMAIN_RE.match(ref) or ref in EXTERNAL)]


def _module_exists(dotted):
    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:n]))
        except ImportError:
            continue
        for attr in parts[n:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def _bases(path, root):
    """The folders a path named in `path` may be relative to: its own, every one above it, and for a
    reference solution the release folder it is built into."""
    rel = path.relative_to(root)
    bases = [root / Path(*rel.parts[:n]) for n in range(len(rel.parts) - 1, -1, -1)]
    if rel.parts[:1] == ("solutions",):
        bases.insert(0, root / "notebooks")
    return bases


def missing_references(root):
    """{(file, ref): [where, ...]} of every reference in the repository at `root` that names nothing."""
    names = {p.name for p in text_files(root)}
    out = {}
    for path in text_files(root):
        for where, text, is_markdown in prose(path):
            for kind, ref in references(where, text, is_markdown):
                if kind == "module":
                    ok = _module_exists(ref)
                elif kind == "file":
                    ok = ref in names
                else:
                    ok = any((base / ref.rstrip("/")).exists() for base in _bases(path, root))
                if not ok:
                    out.setdefault((path.relative_to(root).as_posix(), ref), []).append(where)
    return out


# ------------------------------------------------------------------------------ the tests


def test_every_reference_names_a_file_the_repository_has():
    missing = missing_references(ROOT)
    new = {k: v for k, v in missing.items() if k not in ALLOWED}
    assert not new, "references to files the repository lacks:\n" + "\n".join(
        f"  {file} ({', '.join(map(str, where))}): {ref}" for (file, ref), where in sorted(new.items()))
    fixed = sorted(set(ALLOWED) - set(missing))
    assert not fixed, f"fixed, so remove them from ALLOWED: {fixed}"


def test_external_paths_are_not_in_the_repository():
    """An EXTERNAL path is another project's: if the repository has it, it is a reference to check."""
    inside = [ref for ref in EXTERNAL if "/" in ref and (ROOT / ref).exists()]
    assert not inside


def plant(tmp_path, files):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return {k: v for k, v in missing_references(tmp_path).items()}


def test_the_scan_finds_planted_wrong_references(tmp_path):
    notebook = {"cells": [{"cell_type": "markdown", "id": "md", "source": ["See [next](02_missing.ipynb) and ",
                                                                           "`course_utils/nothing_here.py`."]},
                          {"cell_type": "code", "id": "c", "source": "x = 1  # as in docs/img/gone.png\n"}],
               "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    found = plant(tmp_path, {
        "course_utils/real.py": '"""Uses course_utils/real.py, grading/gone.py and network_old.py."""\n'
                                "# course_utils.bugs.NO_SUCH_NAME and course_utils.no_such_module, authoring.gone\n"
                                "x = 'tests/made_up_on_purpose.py'  # a string in code is not prose\n",
        "README.md": "Run [it](notebooks/00_gone.ipynb); see ![pic](docs/img/missing.png) and tests/test_gone.py.\n",
        "notebooks/01_here.ipynb": json.dumps(notebook),
        "pyproject.toml": "# see benchmarks/bench_gone.py\nname = 'x'\n",
    })
    assert set(found) == {
        ("course_utils/real.py", "grading/gone.py"), ("course_utils/real.py", "network_old.py"),
        ("course_utils/real.py", "course_utils.bugs.NO_SUCH_NAME"),
        ("course_utils/real.py", "course_utils.no_such_module"), ("course_utils/real.py", "authoring.gone"),
        ("README.md", "notebooks/00_gone.ipynb"), ("README.md", "docs/img/missing.png"),
        ("README.md", "tests/test_gone.py"),
        ("notebooks/01_here.ipynb", "02_missing.ipynb"), ("notebooks/01_here.ipynb", "course_utils/nothing_here.py"),
        ("notebooks/01_here.ipynb", "docs/img/gone.png"), ("pyproject.toml", "benchmarks/bench_gone.py"),
    }


def test_the_scan_leaves_urls_placeholders_and_existing_files_alone(tmp_path):
    found = plant(tmp_path, {
        "docs/img/pic.png": "",
        "notebooks/00_start.ipynb": json.dumps({"cells": [{"cell_type": "markdown", "source": "[back](../README.md)"}]}),
        "notebooks/01_next.ipynb": json.dumps({"cells": []}),
        # a reference solution links as its release notebook will, next to the other notebooks
        "solutions/00_start.ipynb": json.dumps({"cells": [{"cell_type": "markdown",
                                                           "source": "[back](../README.md) [next](01_next.ipynb)"}]}),
        "README.md": "![pic](docs/img/pic.png) https://example.org/a/b.py github.com/o/r/x.py "
                     "notebooks/NN_name.ipynb DIR/FILE.zip notebooks/*.ipynb /autograder/results/results.json "
                     "[site](https://nbval.readthedocs.io) [top](#the-notebooks) course_utils.bugs.BUGS "
                     "nbval/plugin.py solutions/ authoring.build ~/x/y.py $HOME/z/w.py\n",
    })
    assert found == {}


@pytest.mark.parametrize("ref, kind", [("docs/img/bug_lab.png", "path"), ("verify.py", "file"),
                                       ("course_utils.gradcheck.check_gradients", "module")])
def test_real_references_are_found_and_resolve(ref, kind):
    assert (kind, ref) in references(1, f"see {ref}.", is_markdown=False)
