"""The class mistake report: which mistakes the class made, exercise by exercise (`grade ... --report DIR`).

From the graded records it writes, into DIR:

- report.html -- self-contained (inline CSS and an inline SVG plot; no script, nothing fetched): per exercise the
  pass rate, the named mistakes by how many students made them (with the hint and one example message), and the
  failures no mistake explains; a plot of both; per student, the ids of their mistakes;
- mistakes.csv -- one row per exercise and mistake (and one for the passes and one for the unexplained failures):
  notebook, exercise, mistake, students, share of the students graded on the exercise, hint, example;
- students.csv -- one row per student: their total failures and the ids of their mistakes.

A known mistake is a record with a stable id (course_utils.expect.mistakes, e.g. `gcn.one_sided_difference`): every
check that recognises one says "Most likely: <hint>" and its AssertionError carries the id; a verification spec that
names one puts its id in the verdict's `facts["mistake"]`. A record's mistake id is, in that order: its
`facts["mistake"]`; the id of the registered mistake of its exercise whose hint the message names
(course_utils.expect.mistakes.named); else, for a hint no table holds, `<exercise>.<first words of the hint>.<hash
of the hint>` -- the same hint gives the same id in every record. A failure without a hint or an id (an error, a
timeout, a wrong answer no known mistake explains, a verification run that disagrees) is "unexplained" and counted
apart.
"""
from __future__ import annotations

import hashlib
import html
import io
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from course_utils.expect import mistakes as known
from course_utils.grading.formats.csvfile import write_csv_table

HINT = re.compile(r"Most likely: (.+)", re.DOTALL)
UNEXPLAINED = "(unexplained)"
PASSED = "(passed)"
# Okabe-Ito, colour-blind safe: passed, named mistakes, unexplained failures, not submitted
COLOURS = {"passed": "#009E73", "named": "#E69F00", "unexplained": "#D55E00", "missing": "#BBBBBB"}


def hint_of(message):
    """The hint of a check's message: what follows "Most likely: " (its first paragraph); for a check that names a
    mistake per gradient ("Most likely:" and lines "- dW1, db1: hint", backward_propagation_n), the hint when every
    line names the same one and no gradient is left unexplained; else None."""
    message = message or ""
    found = HINT.search(message)
    if found:
        return found.group(1).strip().split("\n\n")[0].strip()
    if "Most likely:\n" not in message or "(and look again at" in message:
        return None
    lines = [line[2:] for line in message.split("Most likely:\n", 1)[1].splitlines() if line.startswith("- ")]
    hints = {_line_hint(line) for line in lines}
    return hints.pop() if len(hints) == 1 and None not in hints else None


def _line_hint(line):
    """The hint of one "- ..." line of a per-gradient message: "dW1, db1: hint", or "the colleague's bug is hint"."""
    for lead in ("the colleague's bug is ", "the colleague's bugs are "):
        if line.startswith(lead):
            return line[len(lead):].strip()
    keys, sep, hint = line.partition(": ")
    return hint.strip() if sep and re.fullmatch(r"d[WbAZ]\d+(, d[WbAZ]\d+)*", keys) else None


def mistake_id(exercise, hint):
    """The id of the mistake a hint names: the registered one (course_utils.expect.mistakes), else one made from the
    exercise, the hint's first words and a short hash of the whole hint (two hints can begin alike), e.g.
    'centered_difference.you_put_the_one_sided.3f2a9c'."""
    registered = known.named(exercise, hint)
    if registered:
        return registered
    words = re.findall(r"[a-z0-9]+", hint.lower())
    digest = hashlib.sha256(" ".join(words).encode()).hexdigest()[:6]
    return f"{exercise}." + "_".join(words[:5]) + f".{digest}"


@dataclass
class Mistake:
    id: str
    hint: str
    students: list = field(default_factory=list)
    example: str = ""


@dataclass
class ExerciseSummary:
    notebook: str
    exercise: str
    graded: int = 0  # students with a record that is not "missing"
    passed: int = 0
    missing: int = 0
    mistakes: dict = field(default_factory=dict)  # id -> Mistake
    unexplained: list = field(default_factory=list)  # (student, status, message)

    @property
    def pass_rate(self):
        return self.passed / self.graded if self.graded else 0.0

    def ranked(self):
        return sorted(self.mistakes.values(), key=lambda m: (-len(m.students), m.id))


@dataclass
class ClassMistakes:
    exercises: dict  # (notebook, exercise) -> ExerciseSummary, in release order
    students: dict  # student -> [mistake ids]
    unexplained: Counter = field(default_factory=Counter)  # student -> failures no mistake explains

    @classmethod
    def from_records(cls, records):
        exercises, students, unexplained = {}, defaultdict(list), Counter()
        for r in records:
            key = (r.notebook, r.exercise)
            summary = exercises.setdefault(key, ExerciseSummary(r.notebook, r.exercise))
            students.setdefault(r.student, [])
            if r.status == "missing":
                summary.missing += 1
                continue
            summary.graded += 1
            if r.status == "passed":
                summary.passed += 1
                continue
            carried = (r.facts or {}).get("mistake")
            # a check's AssertionError ("failed") names its mistake; an error's text is the student's own
            hint = (r.facts or {}).get("mistake_hint") or (hint_of(r.message) if r.status == "failed" else None)
            if carried and not hint:
                record = known.find(r.exercise, carried)
                hint = record.hint if record is not None else None
            if carried or hint:
                mid = carried or mistake_id(r.exercise, hint)
                mistake = summary.mistakes.setdefault(mid, Mistake(mid, hint or mid, example=r.message))
                mistake.students.append(r.student)
                students[r.student].append(mid)
            else:
                summary.unexplained.append((r.student, r.status, r.message))
                unexplained[r.student] += 1
        return cls(exercises, dict(sorted(students.items())), unexplained)

    # -------------------------------------------------------------------------------------------------
    # CSV

    def mistake_rows(self):
        for s in self.exercises.values():
            def share(n, graded=s.graded):
                return round(n / graded, 4) if graded else 0.0
            yield [s.notebook, s.exercise, PASSED, s.passed, share(s.passed), "", ""]
            for m in s.ranked():
                yield [s.notebook, s.exercise, m.id, len(m.students), share(len(m.students)), m.hint,
                       _first_lines(m.example)]
            if s.unexplained:
                yield [s.notebook, s.exercise, UNEXPLAINED, len(s.unexplained), share(len(s.unexplained)), "",
                       _first_lines(s.unexplained[0][2])]

    def student_rows(self):
        for student, ids in self.students.items():
            yield [student, len(ids), self.unexplained[student], " ".join(ids)]

    def write(self, folder):
        """Write report.html, mistakes.csv and students.csv into folder (made if needed); return their paths."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = [
            write_csv_table(folder / "mistakes.csv",
                            ["notebook", "exercise", "mistake", "students", "share", "hint", "example"],
                            self.mistake_rows()),
            write_csv_table(folder / "students.csv", ["student", "named mistakes", "unexplained failures",
                                                       "mistake ids"], self.student_rows()),
        ]
        html_path = folder / "report.html"
        html_path.write_text(self.html(), encoding="utf-8")
        return [html_path, *paths]

    # -------------------------------------------------------------------------------------------------
    # HTML

    def plot_svg(self):
        """A horizontal stacked bar per exercise: passed, named mistakes, unexplained, not submitted (SVG text)."""
        import matplotlib
        matplotlib.use("Agg", force=False)
        from matplotlib.figure import Figure

        rows = list(self.exercises.values())
        fig = Figure(figsize=(8, 0.4 * len(rows) + 1.2))
        ax = fig.add_subplot()
        labels = [f"{s.notebook[:2]} {s.exercise}" for s in rows][::-1]
        parts = {"passed": [s.passed for s in rows], "named": [sum(len(m.students) for m in s.mistakes.values())
                                                                for s in rows],
                 "unexplained": [len(s.unexplained) for s in rows], "missing": [s.missing for s in rows]}
        names = {"passed": "passed", "named": "a named mistake", "unexplained": "unexplained failure",
                 "missing": "not submitted"}
        left = [0] * len(rows)
        hatches = {"passed": "", "named": "//", "unexplained": "xx", "missing": ".."}  # not by colour alone
        for kind, values in parts.items():
            values = values[::-1]
            ax.barh(labels, values, left=left, color=COLOURS[kind], hatch=hatches[kind], edgecolor="white",
                    label=names[kind])
            left = [a + b for a, b in zip(left, values)]
        ax.set_xlabel("students")
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4, frameon=False, fontsize=9)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        out = io.StringIO()
        fig.savefig(out, format="svg", metadata={"Date": None})
        svg = out.getvalue()
        return svg[svg.index("<svg"):]

    def html(self):
        students = len(self.students)
        body = [f"<h1>Class mistake report</h1>\n<p class=\"summary\">{students} students, "
                f"{len(self.exercises)} exercises. A mistake is what a check's hint names; a failure no hint "
                "explains (an error, a timeout, a wrong answer of another kind, a verification run that disagrees) "
                "is counted as unexplained.</p>", f"<figure>{self.plot_svg()}</figure>"]
        for s in self.exercises.values():
            body.append(f"<h2>{_e(s.notebook)} · <code>{_e(s.exercise)}</code> <small>{s.passed}/{s.graded} "
                        f"passed ({100 * s.pass_rate:.0f} %)" + (f", {s.missing} not submitted" if s.missing else "")
                        + "</small></h2>")
            if s.mistakes:
                body.append("<table><tr><th>students</th><th>mistake</th><th>hint (what the check says)</th></tr>")
                for m in s.ranked():
                    body.append(f"<tr><td>{len(m.students)}</td><td><code>{_e(m.id)}</code></td><td>{_e(m.hint)}"
                                f"<details><summary>one example</summary><pre>{_e(m.example)}</pre></details>"
                                "</td></tr>")
                body.append("</table>")
            if s.unexplained:
                statuses = Counter(status for _, status, _ in s.unexplained)
                body.append(f"<p>Unexplained failures: {len(s.unexplained)} ("
                            + ", ".join(f"{n} {status}" for status, n in statuses.most_common()) + ")</p>"
                            f"<details><summary>one example</summary><pre>{_e(s.unexplained[0][2])}</pre></details>")
        body.append("<h2>Students</h2><table><tr><th>student</th><th>mistakes</th></tr>")
        for student, ids in self.students.items():
            body.append(f"<tr><td>{_e(student)}</td><td>{' '.join(f'<code>{_e(i)}</code>' for i in ids) or '—'}"
                        "</td></tr>")
        body.append("</table>")
        return _page("Class mistake report", "\n".join(body))


def write_report(records, folder):
    """The class mistake report of these records (grading.report.Record) into folder; returns the paths written."""
    return ClassMistakes.from_records(records).write(folder)


def _first_lines(text, lines=6):
    return "\n".join(str(text).splitlines()[:lines])


def _e(text):
    return html.escape(str(text), quote=True)


_CSS = """
body{margin:0;background:#f6f8fa;color:#1f2328;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
main{max-width:64rem;margin:0 auto;padding:1.5rem 1.25rem 3rem}
h1{font-size:1.6rem}h2{font-size:1.1rem;margin:2rem 0 .5rem;border-bottom:1px solid #d0d7de}
h2 small{font-weight:400;color:#59636e;margin-left:.5rem}
.summary{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:.8rem 1.1rem}
table{border-collapse:collapse;background:#fff;width:100%}
th,td{text-align:left;vertical-align:top;padding:.3rem .8rem .3rem 0;border-bottom:1px solid #d8dee4}
pre{white-space:pre-wrap;overflow-wrap:anywhere;font-size:12px;background:#f6f8fa;padding:.4rem}
figure{margin:1rem 0}svg{max-width:100%;height:auto}
"""


def _page(title, body):
    """A whole HTML document: inline CSS and SVG, a policy that forbids scripts and anything fetched."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
            f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n"
            "</body>\n</html>\n")
