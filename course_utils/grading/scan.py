"""A static tripwire for review: exercise cells that reach for the grader's machinery get a flag.

This is not what keeps grading honest -- the sandbox and the verification run are (see run.py and
verify.py); code can reach anything through names no scan recognises. The scan only marks, for a
person, exercise cells that do what plain solutions never need: blocked imports, exec/eval,
get_ipython, frame walking, dunder access, patching other modules, writing files, classes with
comparison dunders. A flagged exercise scores 0 until a person reviews it.

Scanning a submitted cell is left to a parser process (scan_process.py: scan_untrusted), and the work of each step
is bounded (harness.transform_work: a cell with more IPython syntax than MAX_TRANSFORM_WORK is flagged, not
transformed; %time inside %time is scanned MAX_NESTING deep).
"""
from __future__ import annotations

import ast

from course_utils.grading.harness import (
    MAX_TRANSFORM_WORK,
    ipython_lines,
    transform_work,
)
from course_utils.grading.harness import python_source as _python_source

# ----------------------------------------------------------------------------------- policy tables
BLOCKED_MODULES = frozenset({
    "importlib", "builtins", "__builtin__", "ctypes", "gc", "inspect", "subprocess", "shutil", "signal",
    "threading", "_thread", "multiprocessing", "concurrent", "asyncio", "pytest", "_pytest", "nbval",
    "IPython", "ipykernel", "jupyter_client", "zmq", "unittest", "mock", "types", "marshal", "pickle",
    "atexit", "faulthandler", "site", "runpy", "code", "codeop", "pty", "socket", "posix", "nt",
    "trace", "tracemalloc", "sysconfig", "pydoc", "pkgutil", "operator", "course_utils.grading",
    "course_utils.grade",
})
PARTIAL_MODULES = {  # module -> the only attributes an exercise may use
    "sys": frozenset({"float_info", "maxsize", "version", "version_info", "byteorder", "float_repr_style"}),
    "os": frozenset({"path", "getcwd", "cpu_count", "sep", "linesep", "name", "curdir", "_exit", "getpid"}),
}
FORBIDDEN_NAMES = frozenset({"eval", "exec", "compile", "globals", "locals", "vars", "setattr", "delattr",
                             "__import__", "__builtins__", "breakpoint", "get_ipython", "open"})
OK_DUNDERS = frozenset({"__name__", "__doc__", "__qualname__", "__init__", "__main__", "__file__"})
FRAME_ATTRS = frozenset({"tb_frame", "tb_next", "f_back", "f_globals", "f_locals", "f_builtins", "f_code",
                         "gi_frame", "cr_frame", "ag_frame"})
WRITE_ATTRS = frozenset({"write_text", "write_bytes", "unlink", "rmdir", "touch", "symlink_to", "hardlink_to",
                         "chmod", "savetxt", "savez", "savez_compressed", "tofile"})
SAFE_MAGICS = frozenset({"time", "timeit", "matplotlib"})
CLASS_DUNDERS_OK = frozenset({"__init__", "__repr__", "__str__"})


MAX_NESTING = 2  # %time inside %timeit inside ...: scanned this deep, flagged deeper
MAX_FLAGS = 30  # reasons kept per cell (then "... and N more")


def python_source(text):
    """text with IPython syntax (%magic, !shell) turned into Python; text itself when IPython cannot, or when the
    work would exceed harness.MAX_TRANSFORM_WORK (see harness.python_source)."""
    return _python_source(text)


def imported_names(text):
    """{name: module path} bound by the import statements of text ({} when it does not parse)."""
    try:
        tree = ast.parse(python_source(text))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                names[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                names[a.asname or a.name] = f"{node.module}.{a.name}"
    return names


def _dotted(node):
    """(root name, 'a.b.c') for a chain of attributes/subscripts over a Name, else (None, None)."""
    parts = []
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return node.id, ".".join([node.id] + parts[::-1])
    return None, None


def _blocked(module):
    parts = module.split(".")
    if any(".".join(parts[: i + 1]) in BLOCKED_MODULES for i in range(len(parts))):
        return True
    return parts[0] in PARTIAL_MODULES and len(parts) > 1 and parts[1] not in PARTIAL_MODULES[parts[0]]


class _Tripwire(ast.NodeVisitor):
    """Collects the reasons to flag one exercise cell."""

    def __init__(self, aliases):
        self.aliases = dict(aliases)
        self.flags = []

    def flag(self, node, what):
        reason = f"{what} (line {getattr(node, 'lineno', '?')})"
        if reason not in self.flags:
            self.flags.append(reason)

    def visit_Import(self, node):
        for a in node.names:
            self.aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            if _blocked(a.name):
                self.flag(node, f"imports {a.name}")

    def visit_ImportFrom(self, node):
        module = node.module or ""
        if node.level:
            self.flag(node, "uses a relative import")
        for a in node.names:
            self.aliases[a.asname or a.name] = f"{module}.{a.name}"
            if _blocked(module) or _blocked(f"{module}.{a.name}") or a.name == "*":
                self.flag(node, f"imports {a.name} from {module}")

    def visit_Name(self, node):
        if node.id in FORBIDDEN_NAMES or node.id.startswith("__") and node.id.endswith("__") and node.id not in OK_DUNDERS:
            self.flag(node, f"uses {node.id}")

    def visit_Attribute(self, node):
        if node.attr.startswith("__") and node.attr.endswith("__") and node.attr not in OK_DUNDERS:
            self.flag(node, f"uses the attribute {node.attr}")
        elif node.attr in FRAME_ATTRS:
            self.flag(node, f"walks the call stack ({node.attr})")
        elif node.attr in WRITE_ATTRS:
            self.flag(node, f"writes files ({node.attr})")
        root, path = _dotted(node)
        if root in self.aliases and isinstance(node.value, ast.Name):
            parts = (self.aliases[root] + path[len(root):]).split(".")
            if parts[0] in PARTIAL_MODULES and len(parts) > 1 and parts[1] not in PARTIAL_MODULES[parts[0]]:
                self.flag(node, f"uses {parts[0]}.{parts[1]}")
        self._store(node)
        self.generic_visit(node)

    def visit_Subscript(self, node):
        self._store(node)
        self.generic_visit(node)

    def _store(self, node):
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            root, path = _dotted(node)
            if root in self.aliases:
                self.flag(node, f"changes {self.aliases[root] + path[len(root):]}, which other code relies on")

    def visit_Assign(self, node):
        for target in node.targets:  # `alias = np`: later `alias.x = ...` must still be seen
            if isinstance(target, ast.Name) and isinstance(node.value, ast.Name) and node.value.id in self.aliases:
                self.aliases[target.id] = self.aliases[node.value.id]
        self.generic_visit(node)

    def visit_Call(self, node):
        func = node.func
        if isinstance(func, ast.Name) and func.id == "getattr" and len(node.args) >= 2:
            attr = node.args[1]
            if not (isinstance(attr, ast.Constant) and isinstance(attr.value, str) and not attr.value.startswith("__")):
                self.flag(node, "uses getattr with a computed or dunder name")
        elif isinstance(func, ast.Name) and func.id == "type" and len(node.args) == 3:
            self.flag(node, "builds a class with type(name, bases, dict)")
        self.generic_visit(node)

    def visit_ClassDef(self, node):
        dunders = sorted(f.name for f in node.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                         and f.name.startswith("__") and f.name not in CLASS_DUNDERS_OK)
        if dunders:
            self.flag(node, f"defines class {node.name} with {', '.join(dunders)} (it could compare equal to anything)")
        self.generic_visit(node)


def _magic_calls(tree):
    """The get_ipython().run_line_magic/run_cell_magic calls of IPython's transformed source."""
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("run_line_magic", "run_cell_magic", "system", "getoutput")
                and isinstance(node.func.value, ast.Call) and isinstance(node.func.value.func, ast.Name)
                and node.func.value.func.id == "get_ipython"):
            yield node


def scan_exercise_source(text, module_aliases=None, _depth=0):
    """Statically scan one exercise cell. Returns the reasons to flag it (a list of str, [] when clean).

    text -- the exercise cell's source (IPython magics allowed: %time/%timeit/%matplotlib are fine, and
    the code they run is scanned too); module_aliases -- name -> module bound by the release's other cells.
    A cell that cannot be scanned (nested too deeply to parse, more IPython syntax than the grader reads,
    %time nested more than MAX_NESTING deep) is flagged. Runs in the calling process: for a submitted cell
    the grader calls scan_process.scan_untrusted().
    """
    tree = _parse(text)
    return tree if isinstance(tree, list) else _scan_tree(tree, module_aliases, _depth)


def _parse(text):
    """The cell's Python (IPython syntax transformed) parsed, or the flags of a cell that cannot be ([] for a
    SyntaxError: it cannot run either, and the grading run reports it)."""
    if transform_work(text) > MAX_TRANSFORM_WORK:
        return [(f"could not be scanned: {ipython_lines(text):,} of its lines may hold IPython syntax (%, !, ?) -- "
                 "more than the grader reads; a person must review it")]
    try:
        return ast.parse(python_source(text))
    except SyntaxError:
        return []
    except (RecursionError, MemoryError, ValueError) as exc:
        return [f"could not be scanned ({type(exc).__name__}: nested too deeply or too large)"]


def _scan_tree(tree, module_aliases, _depth):
    """scan_exercise_source of a parsed cell (it renames the get_ipython of allowed magics in the tree)."""
    wire = _Tripwire(module_aliases or {})
    allowed = set()
    inner, first_inner = [], None
    for call in _magic_calls(tree):
        magic = call.args[0].value if call.args and isinstance(call.args[0], ast.Constant) else None
        if call.func.attr in ("run_line_magic", "run_cell_magic") and magic in SAFE_MAGICS:
            first_inner = first_inner or call
            allowed.add(id(call.func.value.func))
            inner += [a.value for a in call.args[1:] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        else:
            wire.flag(call, "runs a magic or shell command")
    try:
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id == "get_ipython" and id(node) in allowed:
                node.id = "_allowed_magic"  # visited as a plain name
        wire.visit(tree)
    except RecursionError:
        return ["could not be scanned (RecursionError: nested too deeply)"]
    if inner and _depth >= MAX_NESTING:
        wire.flag(first_inner, f"nests %time/%timeit more than {MAX_NESTING} deep (not scanned further)")
        inner = []
    for code in inner:  # %timeit / %%time run their argument or body as code
        wire.flags += [f for f in scan_exercise_source(code, wire.aliases, _depth + 1) if f not in wire.flags]
    if len(wire.flags) > MAX_FLAGS:
        wire.flags[MAX_FLAGS:] = [f"... and {len(wire.flags) - MAX_FLAGS} more"]
    return wire.flags
