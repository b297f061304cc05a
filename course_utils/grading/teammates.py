"""The capstone's teammates (notebook 06), on the instructor's side: generated, sealed, and issued per student.

Never shipped to students (the student release leaves this module out): it holds the correct backward pass of
the capstone network (LINES, in the equivalent FORMS of each line) and the bugs planted in it (SITES).

- Teammate number v is a pair of sites (two wrong lines) and a leaky-ReLU slope: variant(v). The same for every
  class; the list is in a fixed order. Each of its lines is written in one of its family's forms (forms_of(v):
  `np.dot(dZ2, A1.T) / m`, `1 / m * (dZ2 @ A1.T)`, ...), its wrong lines too, so the four layers' lines do not read
  alike and a wrong line is not the one that differs from its siblings (issue #17).
- A class key (32 random bytes, a hex file only the instructor and the grader hold: new_key, load_key) decides
  which teammate each student id gets (number_for) and each teammate's key (teammate_key). The student release
  ships every teammate sealed under its own key (sealed_module_text -> course_utils/capstone_teammates.py), and
  each student gets a code, "<id>:<number>:<key>" (code_for), that opens their teammate and no other.
- The grader, with the class key, checks that a code was issued for the id it carries (check_code) and knows the
  truth from the teammate's number (variant), without the student's code running.

DEMO_KEY is public: the course's own notebooks, tests and self-study use it. A class must use its own key
(python -m authoring.build --student-release DIR --class-key FILE makes one), or every code can be forged.
"""
from __future__ import annotations

import ast
import base64
import hashlib
import hmac
import itertools
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from course_utils import capstone
from course_utils.differences import relative_difference
from course_utils.expect.nb06 import WRONG, _complex_step, _cost_from, _mate, exact_gradients

DEMO_KEY = hashlib.sha256(b"gradient-checking-hands-on: the public demo key (never grade a class with it)").digest()
SLOPES = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3)  #: the leaky ReLU's slope for z <= 0 of a teammate's network

def _lines():
    lines = [("dZ4", "fixed", {"text": "A4 - Y"})]
    for l in range(capstone.LAYERS, 0, -1):  # dA_{l-1} closes layer l's block
        if l < capstone.LAYERS:
            lines.append((f"dZ{l}", "leaky" if l == 2 else "tanh", {"dA": f"dA{l}", "A": f"A{l}", "Z": f"Z{l}"}))
        lines += [(f"dW{l}", "dW", {"D": f"dZ{l}", "P": "X" if l == 1 else f"A{l - 1}"}), (f"db{l}", "db", {"D": f"dZ{l}"})]
        if l > 1:
            lines.append((f"dA{l - 1}", "dA", {"W": f"W{l}", "D": f"dZ{l}"}))
    return tuple(lines)


#: The pass's lines in the order it runs them: (name, family, parameters). Every line but dZ4 is written in one of its
#: family's FORMS, chosen per teammate and line (forms_of): the lines of the four layers do not read alike, so a wrong
#: line is not the one that differs from its siblings (issue #17: 498 of 522 teammates were read off that way).
LINES = _lines()

#: Equivalent forms of each family, index by index: a buggy family's form i is the bug in correct form i's style, so
#: a line's form says nothing about whether it is wrong. Form 0 is the course's canonical text.
FORMS = {
    "fixed": ("{text}",),
    "dW": ("1. / m * np.dot({D}, {P}.T)", "np.dot({D}, {P}.T) / m", "({D} @ {P}.T) / m", "{D} @ {P}.T / m",
           "1 / m * ({D} @ {P}.T)", "np.matmul({D}, {P}.T) / m", "(1. / m) * np.dot({D}, {P}.T)"),
    "db": ("1. / m * np.sum({D}, axis=1, keepdims=True)", "np.sum({D}, axis=1, keepdims=True) / m",
           "{D}.sum(axis=1, keepdims=True) / m", "1. / m * {D}.sum(axis=1, keepdims=True)",
           "np.mean({D}, axis=1, keepdims=True)", "{D}.mean(axis=1, keepdims=True)"),
    "dA": ("np.dot({W}.T, {D})", "{W}.T @ {D}", "np.matmul({W}.T, {D})", "np.dot({D}.T, {W}).T"),
    "dA_twice_1/m": ("1. / m * np.dot({W}.T, {D})", "{W}.T @ {D} / m", "np.matmul({W}.T, {D}) / m",
                     "np.dot({D}.T, {W}).T / m"),
    "dA_no_transpose": ("np.dot({W}, {D})", "{W} @ {D}", "np.matmul({W}, {D})", "np.dot({D}.T, {W}.T).T"),
    "tanh": ("{dA} * (1 - {A} ** 2)", "{dA} * (1 - np.square({A}))", "{dA} * (1 - {A} * {A})",
             "(1 - {A} ** 2) * {dA}", "{dA} * (1 - np.tanh({Z}) ** 2)", "{dA} * (1 - np.power({A}, 2))"),
    "tanh_of_Z": ("{dA} * (1 - {Z} ** 2)", "{dA} * (1 - np.square({Z}))", "{dA} * (1 - {Z} * {Z})",
                  "(1 - {Z} ** 2) * {dA}", "{dA} * (1 - {Z} ** 2)", "{dA} * (1 - np.power({Z}, 2))"),
    "tanh_twice": ("{dA} * (1 - np.tanh({A}) ** 2)", "{dA} * (1 - np.square(np.tanh({A})))",
                   "{dA} * (1 - np.tanh({A}) * np.tanh({A}))", "(1 - np.tanh({A}) ** 2) * {dA}",
                   "{dA} * (1 - np.tanh({A}) ** 2)", "{dA} * (1 - np.power(np.tanh({A}), 2))"),
    "leaky": ("{dA} * np.where({Z} > 0, 1.0, {slope})", "np.where({Z} > 0, {dA}, {slope} * {dA})",
              "{dA} * np.where({Z} <= 0, {slope}, 1.0)", "np.where({Z} > 0, 1.0, {slope}) * {dA}",
              "np.where({Z} <= 0, {slope} * {dA}, {dA})"),
    "leaky_wrong_side": ("{dA} * np.where({Z} > 0, {slope}, 1.0)", "np.where({Z} > 0, {slope} * {dA}, {dA})",
                         "{dA} * np.where({Z} <= 0, 1.0, {slope})", "np.where({Z} > 0, {slope}, 1.0) * {dA}",
                         "np.where({Z} <= 0, {dA}, {slope} * {dA})"),
    "leaky_as_relu": ("{dA} * np.where({Z} > 0, 1.0, 0.0)", "np.where({Z} > 0, {dA}, 0.0)",
                      "{dA} * np.where({Z} <= 0, 0.0, 1.0)", "np.where({Z} > 0, 1.0, 0.0) * {dA}",
                      "np.where({Z} <= 0, 0.0, {dA})"),
}
#: the families whose forms are the same styles, index by index (a line's form index is drawn once for its family)
STYLE = {"dA_twice_1/m": "dA", "dA_no_transpose": "dA", "tanh_of_Z": "tanh", "tanh_twice": "tanh",
         "leaky_wrong_side": "leaky", "leaky_as_relu": "leaky"}

_HEAD = """\
m = X.shape[1]
Z1, A1, W1 = cache["Z1"], cache["A1"], cache["W1"]
Z2, A2, W2 = cache["Z2"], cache["A2"], cache["W2"]
Z3, A3, W3 = cache["Z3"], cache["A3"], cache["W3"]
A4, W4 = cache["A4"], cache["W4"]
"""
_TAIL = """
gradients = {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2,
             "dW3": dW3, "db3": db3, "dW4": dW4, "db4": db4}
return gradients
"""


@dataclass(frozen=True)
class Site:
    """One bug at one place: the line assigning `target` is written in `family`'s forms with `parameters` changed
    (`buggy`: its canonical form, {slope}: the network's slope)."""

    kind: str  # what went wrong (never shown to students)
    target: str
    buggy: str
    family: str
    parameters: tuple = ()  # (name, value) pairs replacing the correct line's


#: None of these is in course_utils.bugs.BUGS (tests/test_capstone.py checks it).
SITES = (
    Site("tanh derivative from Z instead of A", "dZ3", "dZ3 = dA3 * (1 - Z3 ** 2)", "tanh_of_Z"),
    Site("tanh applied twice in the derivative", "dZ3", "dZ3 = dA3 * (1 - np.tanh(A3) ** 2)", "tanh_twice"),
    Site("tanh derivative from Z instead of A", "dZ1", "dZ1 = dA1 * (1 - Z1 ** 2)", "tanh_of_Z"),
    Site("tanh applied twice in the derivative", "dZ1", "dZ1 = dA1 * (1 - np.tanh(A1) ** 2)", "tanh_twice"),
    Site("leaky-ReLU slope on the wrong side", "dZ2", "dZ2 = dA2 * np.where(Z2 > 0, {slope}, 1.0)",
         "leaky_wrong_side"),
    Site("leaky-ReLU slope dropped (the ReLU derivative)", "dZ2", "dZ2 = dA2 * np.where(Z2 > 0, 1.0, 0.0)",
         "leaky_as_relu"),
    Site("cache of the wrong layer (A2 instead of A1)", "dW2", "dW2 = 1. / m * np.dot(dZ2, A2.T)", "dW",
         (("P", "A2"),)),
    Site("missing transpose of a square W2", "dA1", "dA1 = np.dot(W2, dZ2)", "dA_no_transpose"),
    Site("bias gradient summed from dA instead of dZ", "db3", "db3 = 1. / m * np.sum(dA3, axis=1, keepdims=True)", "db",
         (("D", "dA3"),)),
    Site("bias gradient summed from dA instead of dZ", "db2", "db2 = 1. / m * np.sum(dA2, axis=1, keepdims=True)", "db",
         (("D", "dA2"),)),
    Site("bias gradient summed from dA instead of dZ", "db1", "db1 = 1. / m * np.sum(dA1, axis=1, keepdims=True)", "db",
         (("D", "dA1"),)),
    Site("1/m applied twice (once more in dA)", "dA3", "dA3 = 1. / m * np.dot(W4.T, dZ4)", "dA_twice_1/m"),
    Site("1/m applied twice (once more in dA)", "dA2", "dA2 = 1. / m * np.dot(W3.T, dZ3)", "dA_twice_1/m"),
    Site("1/m applied twice (once more in dA)", "dA1", "dA1 = 1. / m * np.dot(W2.T, dZ2)", "dA_twice_1/m"),
)

PAIRS = tuple(pair for pair in itertools.combinations(SITES, 2) if pair[0].target != pair[1].target)
N_VARIANTS = len(PAIRS) * len(SLOPES)


@dataclass(frozen=True)
class Variant:
    """Teammate number `number`: its two planted sites, its network's slope, and the forms of its lines."""

    number: int
    sites: tuple
    slope: float

    @property
    def body(self):
        return mutate(self.sites, self.slope, self.number)

    @property
    def source(self):
        return capstone.source_of(self.body)


def variant(number):
    """The teammate of a number 0 .. N_VARIANTS - 1."""
    if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number < N_VARIANTS:
        raise ValueError(f"number must be a teammate number from 0 to {N_VARIANTS - 1}, got {number!r}")
    return Variant(number, PAIRS[number // len(SLOPES)], SLOPES[number % len(SLOPES)])


def forms_of(number):
    """{line name: index of its form} of teammate `number` (None: form 0 everywhere, the canonical pass). Drawn from a
    hash of the number and the line's name: the same on every machine and numpy version."""
    out = {}
    for name, family, _ in LINES:
        if number is None:
            out[name] = 0
        else:
            digest = hashlib.sha256(f"teammate-form:{number}:{name}".encode("ascii")).digest()
            out[name] = int.from_bytes(digest[:4], "big") % len(FORMS[family])
    return out


def render(name, family, parameters, form, slope):
    """The line `name = ...` in form `form` of `family` (an index into FORMS[family])."""
    return f"{name} = " + FORMS[family][form].format(**parameters, slope=repr(float(slope)))


def mutate(sites, slope, number=None):
    """The backward pass's body with the lines of `sites` wrong, for a network of this slope, its lines in the forms
    of teammate `number` (None: the canonical forms, form 0)."""
    forms, planted = forms_of(number), {site.target: site for site in sites}
    assert len(planted) == len(sites), sites
    lines = []
    for name, family, parameters in LINES:
        site = planted.pop(name, None)
        if site is not None:
            assert len(FORMS[site.family]) == len(FORMS[family]) and STYLE.get(site.family, site.family) == family
            family, parameters = site.family, dict(parameters, **dict(site.parameters))
        lines.append(render(name, family, parameters, forms[name], slope))
    assert not planted, planted
    return _HEAD + _layout(lines) + _TAIL


def _layout(lines):
    """The lines with an empty line before each layer's block (before every dZ line)."""
    return "".join(("\n" if line.startswith("dZ") else "") + line + "\n" for line in lines)


def correct_backward(slope=capstone.LEAKY_SLOPE):
    """The correct backward pass for a network of this slope, backward(X, Y, cache) -> gradients (the tests')."""
    return capstone._compile(capstone.source_of(mutate((), slope)))


# ------------------------------------------------------------------------------- the truth of the wrong lines
# The grader's alone: with these, any code's wrong lines are a function call away (the student release leaves
# this module out; the checks only test that two named lines would make exactly the wrong tensors wrong).
def exact_intermediates(X, Y, parameters, slope=capstone.LEAKY_SLOPE):
    """The exact values of every line of the backward pass in its own convention: dZ_l = m dJ/dZ_l,
    dA_l = m dJ/dA_l (l = 1..3), dW_l, db_l. Returns a dict of those names."""
    X, Y, parameters = capstone.check_data(X, Y, parameters)
    _, cache = capstone._forward(X, Y, parameters, slope)
    m = X.shape[1]
    values = exact_gradients(X, Y, parameters, slope)
    for l in range(1, capstone.LAYERS + 1):
        values[f"dZ{l}"] = m * _complex_step(lambda z, l=l: _cost_from(l, "Z", z, parameters, Y, slope),
                                             cache[f"Z{l}"])
        if l < capstone.LAYERS:
            values[f"dA{l}"] = m * _complex_step(lambda a, l=l: _cost_from(l, "A", a, parameters, Y, slope),
                                                 cache[f"A{l}"])
    return values


@lru_cache(maxsize=None)
def _on_test_case(slope):
    return exact_intermediates(*capstone.capstone_test_case(), slope)


def truth_buggy_lines(mate, X=None, Y=None, parameters=None):
    """The names assigned by the wrong lines of the teammate's pass, in the order the pass runs them.

    Each statement runs on the exact values of the lines before it; a line is wrong when what it assigns
    differs from the exact value (block difference above WRONG)."""
    mate = _mate(mate)
    on_test_case = X is None
    if on_test_case:  # the notebook's test case: its exact values once per slope (copies: the lines may change them)
        X, Y, parameters = capstone.capstone_test_case()
        exact = {k: v.copy() for k, v in _on_test_case(mate.slope).items()}
    else:
        exact = exact_intermediates(X, Y, parameters, mate.slope)
    _, cache = capstone.forward_propagation(X, Y, parameters, mate.slope)
    function = ast.parse(mate.source).body[0]
    namespace = {"np": np, "X": X, "Y": Y, "cache": cache}
    wrong = []
    for statement in function.body:
        if isinstance(statement, ast.Return) or (isinstance(statement, ast.Expr)
                                                 and isinstance(statement.value, ast.Constant)):
            continue
        exec(compile(ast.Module([statement], []), "<line>", "exec"), namespace)  # noqa: S102 -- course code
        if isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name):
            name = statement.targets[0].id
            if name in exact:
                if np.shape(namespace[name]) != exact[name].shape \
                        or relative_difference(namespace[name], exact[name]) > WRONG:
                    wrong.append(name)
                namespace[name] = exact[name]
    return wrong


# ----------------------------------------------------------------------------------------- the class key
def new_key():
    return secrets.token_bytes(32)


def load_key(path):
    """The class key in the file `path` (64 hex digits), or ValueError saying what is wrong."""
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ValueError(f"--class-key {path}: cannot read it ({error.strerror or error})") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ValueError(f"--class-key {path}: expected 64 hexadecimal digits (a key made by the build), got "
                         f"{len(text)} characters")
    return key


def write_new_key(path):
    """Write a fresh class key to `path` (created, readable by its owner only); returns the key."""
    key = new_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(key.hex() + "\n")
    return key


def _mac(key, label):
    return hmac.new(key, label.encode("utf-8"), hashlib.sha256).digest()


def fingerprint(key):
    """A short public name of a class key (the sealed module records it; the grader compares)."""
    return _mac(key, "fingerprint").hex()[:12]


def teammate_key(key, number):
    return _mac(key, f"teammate-key:{number}")[:10]


def number_for(key, student_id):
    """Which teammate a student id gets under a class key."""
    digest = _mac(key, "variant:" + capstone.normalize_id(student_id))
    return int.from_bytes(digest[:8], "big") % N_VARIANTS


def code_for(key, student_id):
    """The capstone code of a student id: "<id>:<number>:<the teammate's key in base32>"."""
    number = number_for(key, student_id)
    token = base64.b32encode(teammate_key(key, number)).decode("ascii").lower()
    return f"{student_id.strip()}:{number}:{token}"


def check_code(key, code):
    """(Variant, None) for a code issued under this class key, else (None, why not)."""
    try:
        student, number, token = capstone.parse_code(code)
    except (TypeError, ValueError) as error:
        return None, str(error)
    if number >= N_VARIANTS or not hmac.compare_digest(token, teammate_key(key, number)):
        return None, (f"the capstone code {code.strip()!r} was not issued with this class's key (a typo, a code of "
                      "another class, or one made up)")
    if number_for(key, student) != number:
        return None, (f"the capstone code {code.strip()!r} was not issued for student id {student.strip()!r}: "
                      "a code works only with the id it was issued for")
    return variant(number), None


def sealed_module_text(key):
    """course_utils/capstone_teammates.py for a class key: every teammate sealed under its own key."""
    lines = ['"""Generated by course_utils/grading/teammates.py -- do not edit: the sealed teammates of notebook 06.',
             "",
             "SEALED[v] is teammate v (its backward pass and its network's slope), encrypted under its own key; a",
             "student's capstone code carries the key of their teammate only (course_utils.capstone.teammate).",
             '"""',
             f"FINGERPRINT = {fingerprint(key)!r}  # of the class key these were sealed with",
             "SEALED = ("]
    for number in range(N_VARIANTS):
        v = variant(number)
        lines.append(f"    {capstone.seal({'slope': v.slope, 'body': v.body}, teammate_key(key, number))!r},")
    lines.append(")")
    return "\n".join(lines) + "\n"


_ACTIVE = {"key": DEMO_KEY}


def set_class_key(key):
    """The class key the grader checks codes with (None: the public demo key)."""
    _ACTIVE["key"] = DEMO_KEY if key is None else key


def class_key():
    return _ACTIVE["key"]


def main(argv=None):
    """python -m course_utils.grading.teammates [ID ...]: the demo codes of ids (self-study); --reseal KEYFILE: seal
    the installed package's teammates under a class key (to grade a class on this machine); no arguments: regenerate
    them under the demo key (the course's own)."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    usage = ("usage: python -m course_utils.grading.teammates [ID ...]   the demo codes of ids (self-study)\n"
             "       python -m course_utils.grading.teammates --reseal KEYFILE   seal the installed teammates under a "
             "class key\n       python -m course_utils.grading.teammates   regenerate them under the demo key")
    if args[:1] in (["-h"], ["--help"]):
        print(usage)
        return 0
    if any(a.startswith("-") for a in args[args[:1] == ["--reseal"]:]):  # an option, not an id
        print(usage, file=sys.stderr)
        return 2
    if args[:1] == ["--reseal"]:
        if len(args) != 2:
            print("usage: python -m course_utils.grading.teammates --reseal KEYFILE", file=sys.stderr)
            return 2
        try:
            key = load_key(args[1])
        except ValueError as error:
            print(error, file=sys.stderr)
            return 2
        target = Path(capstone.__file__).with_name("capstone_teammates.py")
        target.write_text(sealed_module_text(key), encoding="utf-8")
        print(f"sealed {N_VARIANTS} teammates in {target} under the class key {fingerprint(key)}")
        return 0
    if args:
        for student in args:
            print(code_for(DEMO_KEY, student))
        return 0
    target = Path(capstone.__file__).with_name("capstone_teammates.py")
    target.write_text(sealed_module_text(DEMO_KEY), encoding="utf-8")
    print(f"wrote {N_VARIANTS} sealed teammates to {target.name} (demo key)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
