"""Dependencies inside course_utils, and from the author tooling, run one way (README, "`course_utils` at a glance":
Layers; issue #16), lowest layer first:

1. core -- network, backprop, fastcost, bugs, vectors, differences, gradcheck, compare, plots, lab, widgets (and
   widget_*), capstone*, activations, _validate, verdicts, fresh (and the package's __init__): imports core only;
2. expect -- course_utils.expect, what the checks and the grader's verification share (the print rule, what each
   exercise's verification run holds, reference formulas, tolerances, judges): imports core only;
3. checks -- course_utils.checks, run in the student's kernel: core and expect only;
4. grader -- course_utils.grading (its specs included) and course_utils.grade: core and expect, never the checks;
5. author tooling -- the top-level package authoring (build, delivery, portability), outside what students
   install: may import anything of course_utils, and nothing of course_utils imports it.

The static test reads every module's source (imports at the top and inside functions, and
importlib.import_module of a literal name); the runtime test runs a real check in a fresh interpreter and
looks at what got loaded.
"""
import ast
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "course_utils"
AUTHORING = ROOT / "authoring"  #: the author tooling, a package of its own: every module of it is in the author layer
PACKAGES = (PACKAGE, AUTHORING)

CORE = frozenset({"network", "backprop", "fastcost", "bugs", "vectors", "differences", "gradcheck", "compare",
                  "plots", "lab", "widgets", "widget_base", "widget_epsilon", "widget_bug_picker", "widget_bug_lab",
                  "activations", "_validate", "verdicts", "fresh"})  # and capstone*
SHARED = "expect"  #: the package below the checks and the grader (course_utils.expect)
LAYER_OF_TOP = {SHARED: "expect", "checks": "checks", "grading": "grader", "grade": "grader"}
MAY_IMPORT = {
    "core": {"core"},
    "expect": {"core", "expect"},
    "checks": {"core", "expect", "checks"},
    "grader": {"core", "expect", "grader"},
    "author": {"core", "expect", "checks", "grader", "author"},
}
ALLOWED_EDGES = set()  #: edges that break the rules on purpose (none)


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _importable(path, package):
    """Whether every folder from the package down to `path` is a package (templates/ holds scripts, not modules)."""
    return all((folder / "__init__.py").is_file() for folder in path.parents if folder.is_relative_to(package))


def _modules():
    """{module name: (path, is a package)} of every module of course_utils and of the author tooling."""
    return {_module_name(p): (p, p.name == "__init__.py")
            for package in PACKAGES for p in sorted(package.rglob("*.py")) if _importable(p, package)}


MODULES = _modules()


def layer(module):
    """The layer of a module, or None when it has none (a new module of course_utils must be given one here)."""
    parts = module.split(".")
    if parts[0] == AUTHORING.name:
        return "author"
    if parts == ["course_utils"]:
        return "core"
    if len(parts) == 2 and (parts[1] in CORE or parts[1].startswith("capstone")):
        return "core"
    return LAYER_OF_TOP.get(parts[1])


def _target(name):
    """The module of ours an import of dotted `name` loads last (the longest prefix that is a module)."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in MODULES:
            return ".".join(parts[:n])
    return None


def course_imports(module):
    """The modules of course_utils and authoring `module` imports, anywhere in its source: {target: first line}."""
    path, is_package = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if is_package else module.rpartition(".")[0]
    found = {}

    def add(name, line):
        if any(name == p.name or name.startswith(p.name + ".") for p in PACKAGES):
            target = _target(name)
            if target is not None:
                found.setdefault(target, line)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                base = ".".join(base + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                # `from course_utils import network` imports the module course_utils.network
                add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base, node.lineno)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if called in ("import_module", "__import__"):
                add(node.args[0].value, node.lineno)
    return found


def test_every_module_has_a_layer():
    unplaced = sorted(m for m in MODULES if layer(m) is None)
    assert not unplaced, f"modules of no layer (place them in tests/test_layers.py): {unplaced}"


def test_imports_run_down_the_layers():
    edges = {(m, t): line for m in MODULES for t, line in course_imports(m).items() if t != m}
    violations = []
    for (source, target), line in sorted(edges.items()):
        if (source, target) in ALLOWED_EDGES:
            continue
        if layer(target) not in MAY_IMPORT.get(layer(source), ()):
            violations.append(f"{source} -> {target}  ({layer(source)} may not import {layer(target)}; "
                              f"{MODULES[source][0].relative_to(ROOT)}:{line})")
    stale = sorted(f"{a} -> {b}" for a, b in ALLOWED_EDGES - set(edges))
    assert not violations, "imports against the layers (README: Layers):\n" + "\n".join(violations)
    assert not stale, f"allowed in ALLOWED_EDGES but no longer imported, remove them there: {stale}"


def test_the_author_tooling_is_a_top_level_package_course_utils_never_imports():
    """The build, the delivery and the portability check are the package authoring, next to course_utils (which
    students install): every module of it is in the author layer, none of course_utils is, and the scan sees the
    tooling's imports (so test_imports_run_down_the_layers would see one of course_utils importing it)."""
    author = sorted(m for m in MODULES if layer(m) == "author")
    assert {"authoring", "authoring.build", "authoring.delivery", "authoring.delivery.gradescope",
            "authoring.delivery.student_release", "authoring.portability"} <= set(author)
    assert all(m == "authoring" or m.startswith("authoring.") for m in author)
    assert not any(m.startswith("course_utils") and m.split(".")[1:2] in (["build"], ["delivery"], ["portability"])
                   for m in MODULES)
    assert {"authoring.portability", "authoring.contract"} <= set(course_imports("authoring.build"))
    assert "course_utils.grading.cells" in course_imports("authoring.contract")
    importers = sorted(f"{m} -> {t}" for m in MODULES if layer(m) != "author"
                       for t in course_imports(m) if layer(t) == "author")
    assert importers == []


def test_the_grader_in_a_fresh_interpreter_loads_no_author_tooling():
    """Started where authoring is importable (the repository root), the grader's command line loads none of it."""
    code = "import sys\n\nimport course_utils.grade\n\nprint(sorted(sys.modules))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = [m for m in ast.literal_eval(done.stdout.strip().splitlines()[-1]) if m.split(".")[0] == AUTHORING.name]
    assert loaded == []


def test_no_module_hands_out_names_through_a_module_getattr():
    """Every name is imported from the module that defines it: no module-level __getattr__ forwards it."""
    offenders = []
    for module, (path, _) in MODULES.items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            names = [node.name] if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else [
                t.id for t in getattr(node, "targets", [getattr(node, "target", None)]) if isinstance(t, ast.Name)]
            if "__getattr__" in names:
                offenders.append(f"{module} (line {node.lineno})")
    assert not offenders, f"module-level __getattr__ in: {offenders}"


def test_the_shared_package_is_never_exposed_to_a_verification_run_and_agrees_with_the_specs():
    """course_utils.expect holds reference answers, so no spec exposes it; and what it says each exercise's
    verification run holds (modules, policy) -- which the checks tell the student -- is what the spec says."""
    from course_utils.expect import exposure
    from course_utils.grading import specs, verify

    loaded = {n: s for n in dir(specs) if isinstance(s := getattr(specs, n), verify.Spec)}
    assert sorted(loaded) == sorted(exposure.ALLOWED)
    for name, spec in loaded.items():
        assert not any(m == SHARED or m.startswith(SHARED + "/") for m in spec.modules), name
        assert exposure.allowed(name) == {"modules": spec.modules, "policy": spec.policy}, name


def test_a_check_in_a_fresh_kernel_loads_no_grader_nbval_or_pytest():
    """A student's kernel that imports the checks and runs one loads none of the grader, nbval or pytest."""
    code = textwrap.dedent("""
        import sys

        import course_utils.checks as checks


        def warm_up_square(x):
            return x * x


        checks.check_warm_up_square(warm_up_square)
        print(sorted(sys.modules))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    printed, loaded = done.stdout.rstrip("\n").rsplit("\n", 1)
    assert printed == "warm_up_square passed: warm_up_square(3) = 9"
    forbidden = ("course_utils.grading", "nbval", "pytest", "_pytest")
    loaded = [m for m in ast.literal_eval(loaded) if any(m == f or m.startswith(f + ".") for f in forbidden)]
    assert loaded == [], f"running a check loaded {loaded}"
