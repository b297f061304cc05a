"""A copy tripwire: exercise cells whose functions are the course's own code with the names changed.

The student release ships course_utils, whose functions compute what some exercises ask for
(differences.numerical_gradient, expect/nb04.expected_block_differences, backprop.backward_propagation_deep, ...).
The verification sandbox does not expose them, but a pasted copy runs anywhere. This module fingerprints
functions so that scan_process.scan_untrusted() can flag a cell that pastes one, for a person to compare.

A fingerprint is a function's AST with docstrings removed and every identifier that is not an attribute, a keyword
argument's name or a builtin renamed in order of first appearance (v0, v1, ...): renaming variables changes nothing,
attribute names (np.linalg.norm) and constants are kept. A function is also cut into parts -- each statement and
expression of at least MIN_PART nodes, fingerprinted on its own (its own renaming) -- so that a deleted or edited
line leaves the other parts matching. A cell is flagged when its functions together, or one of them alone, are
large (CELL_MIN_NODES nodes) and mostly (MIN_SHARE of their nodes, at least MIN_MATCHED) made of parts of course
functions. The thresholds were set on the red team's pastes (shares 0.66 .. 1.0) and the course's right answers
(reference solutions and the catalogs' right entries of 90 nodes or more: at most 0.55; tests/test_grading_copies.py).

What it cannot tell: a short function whose honest answer is the formula itself (01's quotients,
relative_difference, 02's passes, 05's cost_with_l2) looks the same written or pasted, so cells below
CELL_MIN_NODES are never flagged; a paste rewritten by hand (other statements, other calls) is not a copy any more
to this test; and a pasted function padded with enough statements of its own falls below MIN_SHARE. It is a
tripwire for review, never proof: the reason asks a person to compare.

Trust: fingerprint_source() parses its text. For a submitted cell it runs only in scan_process.py's parser process
(which replies with fingerprints(), plain lists); course_index() parses the installed course_utils source files in the
grader's own process, once per process.
"""
from __future__ import annotations

import ast
import builtins
import hashlib
from functools import lru_cache
from pathlib import Path

MIN_PART = 6  #: nodes of the smallest statement or expression fingerprinted as a part
CELL_MIN_NODES = 90  #: a cell whose functions hold fewer nodes is never flagged (honest short answers = the formula)
MIN_MATCHED = 70  #: nodes of a cell's functions made of course parts before it can be flagged
MIN_SHARE = 0.62  #: ... and the share of its functions' nodes they make up (honest answers: at most 0.55; pastes: 0.66 and more)
MIN_FUNCTION_MATCHED = 12  #: a course function is named in the reason when it accounts for this many nodes
MAX_FUNCTIONS = 200  #: functions per cell in a reply (a course cell has 1..4)
MAX_PARTS = 4000  #: parts per cell in a reply
MAX_WORK = 300_000  #: nodes visited fingerprinting a submitted cell (parts nest: deep code costs more; ~1 s)
HASH_CHARS = 16

#: The course code fingerprinted: all of course_utils (the release ships it; verification hides it), but the grading
#: machinery (only its specs are kept: their expected values are answers) and capstone_teammates.py (sealed data,
#: no functions).
_SKIPPED_PARTS = ("grading",)
_KEPT_UNDER_SKIPPED = ("grading/specs",)
_SKIPPED_FILES = ("capstone_teammates.py",)

_BUILTINS = frozenset(dir(builtins))
_IGNORED_FIELDS = frozenset({"ctx", "type_comment", "kind", "lineno", "col_offset", "end_lineno", "end_col_offset",
                             "returns", "annotation", "type_params", "decorator_list"})


def _is_docstring(node):
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str))


class _Canon:
    """The canonical text of one subtree, names renamed in order of first appearance within it."""

    def __init__(self):
        self.names = {}
        self.size = 0

    def name(self, ident):
        if ident in _BUILTINS:
            return ident
        if ident not in self.names:
            self.names[ident] = f"v{len(self.names)}"
        return self.names[ident]

    def text(self, node, top=False):
        if isinstance(node, list):
            return "[" + ",".join(self.text(n) for n in node if not _is_docstring(n)) + "]"
        if not isinstance(node, ast.AST):
            return repr(node)
        self.size += 1
        kind = type(node).__name__
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.arg):
            return self.name(node.arg)
        if isinstance(node, ast.Constant):
            return f"C{node.value!r}"
        if isinstance(node, ast.Attribute):
            return f"{self.text(node.value)}.{node.attr}"
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            head = "def" if top else f"def {self.name(node.name)}"
            return f"{head}({self.text(node.args)}){self.text(node.body)}"
        fields = []
        for field, value in ast.iter_fields(node):
            if field in _IGNORED_FIELDS or value is None or value == []:
                continue
            if field in ("names",) and isinstance(node, (ast.Global, ast.Nonlocal)):
                value = [self.name(n) for n in value]
            fields.append(f"{field}={self.text(value)}")
        return f"{kind}(" + ",".join(fields) + ")"


def _digest(text):
    return hashlib.blake2b(text.encode("utf-8"), digest_size=HASH_CHARS // 2).hexdigest()


class _Budget(Exception):
    """MAX_WORK nodes were visited."""


def _fingerprint(node, top=False, work=None):
    """(hash, size in nodes) of one subtree; work -- a one-item list counting the nodes visited (see MAX_WORK)."""
    canon = _Canon()
    digest = _digest(canon.text(node, top))
    if work is not None:
        work[0] += canon.size
        if work[0] > MAX_WORK:
            raise _Budget
    return digest, canon.size


def _functions(tree):
    """The outermost function definitions of a module (methods of classes included, nested functions not)."""
    out, todo = [], [tree]
    while todo:
        node = todo.pop(0)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out.append(child)
            elif isinstance(child, (ast.ClassDef, ast.If, ast.Try, ast.With)) or isinstance(node, ast.Module):
                todo.append(child)
    return out


def _parts(function, work):
    """[[hash, size, parent], ...] in preorder: every statement and expression of function of at least MIN_PART
    nodes (not the function itself), parent the index of the nearest enclosing part, or -1."""
    parts = []

    def walk(node, parent):
        for child in ast.iter_child_nodes(node):
            if _is_docstring(child):
                continue
            index = parent
            if isinstance(child, (ast.stmt, ast.expr)):
                digest, size = _fingerprint(child, work=work)
                if size >= MIN_PART:
                    parts.append([digest, size, parent])
                    index = len(parts) - 1
            walk(child, index)

    try:
        walk(function, -1)
    except _Budget:
        pass
    return parts


def fingerprints(tree, limit=True):
    """[{"name", "hash", "size", "parts"}, ...] of the outermost functions of a parsed module (see _parts), at most
    MAX_FUNCTIONS, MAX_PARTS parts and MAX_WORK nodes visited (limit=False: all, for the course's own files)."""
    out, total = [], 0
    work = [0] if limit else None
    for function in _functions(tree)[:MAX_FUNCTIONS] if limit else _functions(tree):
        try:
            digest, size = _fingerprint(function, top=True, work=work)
        except _Budget:
            break
        parts = _parts(function, work)
        if limit:
            parts = parts[: max(0, MAX_PARTS - total)]
        total += len(parts)
        out.append({"name": function.name, "hash": digest, "size": size, "parts": parts})
    return out


def fingerprint_source(text):
    """fingerprints() of Python source text ([] when it does not parse). Parses text: for a submitted cell, call it
    only in scan_process.py's parser process."""
    try:
        return fingerprints(ast.parse(text))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []


# ------------------------------------------------------------------------------------- the course's side
def _course_files(root):
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if path.name in _SKIPPED_FILES or "__pycache__" in rel:
            continue
        if rel.startswith(_SKIPPED_PARTS) and not rel.startswith(_KEPT_UNDER_SKIPPED):
            continue
        yield rel, path


@lru_cache(maxsize=None)
def course_index(root=None):
    """{"functions": [(qualified name, hash, size)], "parts": {hash: {qualified name: size}}} of the installed
    course_utils (root: its folder), computed once per process from the trusted source files."""
    root = Path(root) if root else Path(__file__).resolve().parents[1]
    functions, parts = [], {}
    for rel, path in _course_files(root):
        module = "course_utils." + rel[:-3].replace("/", ".").removesuffix(".__init__")
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, ValueError, OSError):
            continue
        for fp in fingerprints(tree, limit=False):
            qualified = f"{module}.{fp['name']}"
            functions.append((qualified, fp["hash"], fp["size"]))
            parts.setdefault(fp["hash"], {})[qualified] = fp["size"]
            for digest, size, _parent in fp["parts"]:
                parts.setdefault(digest, {})[qualified] = size
    return {"functions": functions, "parts": parts}


# ------------------------------------------------------------------------------------------- matching
def _valid(functions):
    """The parser's reply, checked: a list of fingerprints (anything malformed is dropped)."""
    out = []
    if not isinstance(functions, list):
        return out
    for fp in functions[:MAX_FUNCTIONS]:
        if not (isinstance(fp, dict) and isinstance(fp.get("name"), str) and isinstance(fp.get("hash"), str)
                and isinstance(fp.get("size"), int) and isinstance(fp.get("parts"), list)):
            continue
        parts = [p for p in fp["parts"][:MAX_PARTS] if isinstance(p, list) and len(p) == 3
                 and isinstance(p[0], str) and all(isinstance(x, int) and not isinstance(x, bool) for x in p[1:])]
        out.append({"name": fp["name"][:100], "hash": fp["hash"], "size": max(0, fp["size"]), "parts": parts})
    return out


def matches(functions, index=None):
    """How much of each function of a cell is the course's code: [(name, matched nodes, nodes, course function or
    None), ...]. A function equal to a course function counts whole; else its largest parts found among the
    course's parts count (a part inside a counted part is not counted again). The course function named is the one
    holding most of the matched nodes."""
    index = index or course_index()
    out = []
    for fp in _valid(functions):
        whole = index["parts"].get(fp["hash"])
        if whole:
            out.append((fp["name"], fp["size"], fp["size"], min(whole)))
            continue
        matched, counted, holders = 0, [], {}
        for digest, size, parent in fp["parts"]:
            inside = 0 <= parent < len(counted) and counted[parent]
            found = index["parts"].get(digest) if not inside else None
            counted.append(inside or bool(found))
            if found:
                matched += size
                for q in found:
                    holders[q] = holders.get(q, 0) + size
        best = min(holders, key=lambda q: (-holders[q], q)) if holders else None
        out.append((fp["name"], min(matched, fp["size"]), fp["size"], best))
    return out


def _copied(matched, size):
    return size >= CELL_MIN_NODES and matched >= MIN_MATCHED and matched >= MIN_SHARE * size


def copy_flags(functions, exercise=None, index=None):
    """The reasons to flag a cell whose functions (fingerprints() from the parser) are mostly course code -- all of
    them together, or one of them alone (code of its own added around a paste does not hide it): [] or one
    sentence naming the exercise and the course functions, asking a person to compare them."""
    if not functions:
        return []
    found = matches(functions, index)
    matched, total = sum(f[1] for f in found), sum(f[2] for f in found)
    if not (_copied(matched, total) or any(_copied(got, size) for _name, got, size, _course in found)):
        return []
    named = []
    for name, got, size, course in sorted(found, key=lambda f: -f[1]):
        if course and got >= max(MIN_FUNCTION_MATCHED, size / 2) and course not in (n[1] for n in named):
            named.append((name, course, got, size))
    where = f"exercise {exercise}" if exercise else "this exercise cell"
    sources = "; ".join(f"{course} (its {name}: {got} of {size} code nodes match, names aside)"
                        for name, course, got, size in named[:4])
    more = f"; and {len(named) - 4} more" if len(named) > 4 else ""
    return [f"{where} looks copied from {sources}{more} -- a person should compare them before it gets points"]
