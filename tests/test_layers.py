"""Dependencies inside course_utils run one way (COURSE.md "Layers"; issue #16), lowest layer first:

1. core -- network, backprop, fastcost, bugs, vectors, gradcheck, compare, plots, lab, widgets, capstone*,
   activations, _validate, verdicts, fresh (and the package's __init__): imports core only;
2. expect -- course_utils.expect, what the checks and the grader's verification share (the print rule, what each
   exercise's verification run holds, reference formulas, tolerances, judges): imports core only;
3. checks -- course_utils.checks, run in the student's kernel: core and expect only;
4. grader -- course_utils.grading (its specs included) and course_utils.grade: core and expect, never the checks;
5. author tooling -- build, delivery, portability: may import anything, and nothing else imports it.

The static test reads every module's source (imports at the top and inside functions, and
importlib.import_module of a literal name); the runtime test runs a real check in a fresh interpreter and
looks at what got loaded.
"""
import ast
import subprocess
import sys
import textwrap
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "course_utils"

CORE = frozenset({"network", "backprop", "fastcost", "bugs", "vectors", "gradcheck", "compare", "plots", "lab",
                  "widgets", "activations", "_validate", "verdicts", "fresh"})  # and capstone*
SHARED = "expect"  #: the package below the checks and the grader (course_utils.expect)
LAYER_OF_TOP = {SHARED: "expect", "checks": "checks", "grading": "grader", "grade": "grader",
                "build": "author", "delivery": "author", "portability": "author"}
MAY_IMPORT = {
    "core": {"core"},
    "expect": {"core", "expect"},
    "checks": {"core", "expect", "checks"},
    "grader": {"core", "expect", "grader"},
    "author": {"core", "expect", "checks", "grader", "author"},
}
ALLOWED_EDGES = set()  #: edges that break the rules on purpose (none)


def _module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _importable(path):
    """Whether every folder from course_utils/ down to `path` is a package (templates/ holds scripts, not modules)."""
    return all((folder / "__init__.py").is_file() for folder in path.parents if folder.is_relative_to(PACKAGE))


def _modules():
    """{module name: (path, is a package)} of every module of course_utils."""
    return {_module_name(p): (p, p.name == "__init__.py") for p in sorted(PACKAGE.rglob("*.py")) if _importable(p)}


MODULES = _modules()


def layer(module):
    """The layer of a course_utils module, or None when it has none (a new module must be given one here)."""
    parts = module.split(".")
    if parts == ["course_utils"]:
        return "core"
    if len(parts) == 2 and (parts[1] in CORE or parts[1].startswith("capstone")):
        return "core"
    return LAYER_OF_TOP.get(parts[1])


def _target(name):
    """The course_utils module an import of dotted `name` loads last (the longest prefix that is a module)."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in MODULES:
            return ".".join(parts[:n])
    return None


def course_imports(module):
    """The course_utils modules `module` imports, anywhere in its source: {target: first line}."""
    path, is_package = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if is_package else module.rpartition(".")[0]
    found = {}

    def add(name, line):
        if name == "course_utils" or name.startswith("course_utils."):
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
                              f"{MODULES[source][0].relative_to(PACKAGE.parent)}:{line})")
    stale = sorted(f"{a} -> {b}" for a, b in ALLOWED_EDGES - set(edges))
    assert not violations, "imports against the layers (COURSE.md \"Layers\"):\n" + "\n".join(violations)
    assert not stale, f"allowed in ALLOWED_EDGES but no longer imported, remove them there: {stale}"


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
                          cwd=PACKAGE.parent)
    assert done.returncode == 0, done.stderr[-3000:]
    printed, loaded = done.stdout.rstrip("\n").rsplit("\n", 1)
    assert printed == "warm_up_square passed: warm_up_square(3) = 9"
    forbidden = ("course_utils.grading", "nbval", "pytest", "_pytest")
    loaded = [m for m in ast.literal_eval(loaded) if any(m == f or m.startswith(f + ".") for f in forbidden)]
    assert loaded == [], f"running a check loaded {loaded}"
