"""The notebook index of README.md: a table of the release's notebooks (number, linked title, exercises with
their points, time), written between the notebook-index markers (the build's step 5). The student release's
README has its own index (authoring.delivery.student_release), built from first_heading and reading_time."""
import os
import re
import sys
from pathlib import Path

import nbformat

from authoring.contract import is_exercise
from authoring.paths import README, RELEASE, ROOT
from course_utils.grading.cells import course_meta

INDEX_START = "<!-- notebook-index:start -->"
INDEX_END = "<!-- notebook-index:end -->"


def first_heading(nb):
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return None


def reading_time(nb):
    """The '**Time:** ...' line of the first markdown cells, else their 'about N minutes', else ''."""
    for cell in nb.cells[:3]:
        if cell.cell_type == "markdown":
            match = re.search(r"\*\*(?:Reading )?time:?\*\*:?\s*(.+)", cell.source, re.IGNORECASE)
            if match:
                return match.group(1).strip().rstrip(".")
            match = re.search(r"\babout (\d+(?:[-–]\d+)?) ?min(?:utes)?\b", cell.source, re.IGNORECASE)
            if match:
                return f"about {match.group(1)} minutes"
    return ""


def index_table(release_dir=RELEASE, base=ROOT):
    """Markdown table of the notebooks in release_dir, links relative to `base`."""
    rows = ["| # | Notebook | Exercises (points) | Time |", "|---|---|---|---|"]
    for path in sorted(Path(release_dir).glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        title = first_heading(nb) or path.stem[3:].replace("_", " ").capitalize()
        link = os.path.relpath(path, base).replace(os.sep, "/")
        exercises = [f"`{course_meta(c)['exercise']}` ({course_meta(c).get('points', 0)})"
                     for c in nb.cells if is_exercise(c)]
        rows.append(f"| {path.name[:2]} | [{title}]({link}) | {', '.join(exercises) or '—'} | {reading_time(nb)} |")
    return "\n".join(rows)


def update_readme(readme=README, release_dir=RELEASE):
    """Write the index between the markers of README.md; return True if written, False if no markers."""
    readme = Path(readme)
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    if INDEX_START not in text or INDEX_END not in text or text.index(INDEX_START) > text.index(INDEX_END):
        print(f"warning: {readme} lacks the markers {INDEX_START} ... {INDEX_END}; notebook index not written",
              file=sys.stderr)
        return False
    head, rest = text.split(INDEX_START, 1)
    _, tail = rest.split(INDEX_END, 1)
    new = f"{head}{INDEX_START}\n{index_table(release_dir, readme.parent)}\n{INDEX_END}{tail}"
    if new != text:
        readme.write_text(new, encoding="utf-8")
    return True
