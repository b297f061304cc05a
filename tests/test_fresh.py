"""course_utils/fresh.py: a fresh copy of a released notebook, where JupyterLab's file browser shows it."""
import subprocess
import sys

import pytest

from course_utils import fresh


def _student_release(tmp_path):
    """A student release's layout: notebooks/ (the student's, edited) and the untouched .release/."""
    (tmp_path / ".release").mkdir()
    (tmp_path / "notebooks").mkdir()
    for name in ("00_start_here.ipynb", "02_check_a_1d_gradient.ipynb"):
        (tmp_path / ".release" / name).write_text(f"untouched {name}")
        (tmp_path / "notebooks" / name).write_text(f"the student's {name}")
    return tmp_path


@pytest.mark.parametrize("which", ["02", 2, "2", "02_check", "02_check_a_1d_gradient.ipynb"])
def test_a_fresh_copy_is_the_untouched_release_next_to_the_students_notebooks(tmp_path, which):
    root = _student_release(tmp_path)
    target = fresh.fresh_copy(which, start=root / "notebooks")  # a notebook's kernel runs in notebooks/
    assert target == root / "notebooks" / "02_check_a_1d_gradient-fresh.ipynb"
    assert target.read_text() == "untouched 02_check_a_1d_gradient.ipynb"
    assert not target.name.startswith(".") and target.parent.name == "notebooks"  # the file browser shows it
    assert (root / "notebooks" / "02_check_a_1d_gradient.ipynb").read_text().startswith("the student's")


def test_a_fresh_copy_never_overwrites_a_file(tmp_path):
    root = _student_release(tmp_path)
    first = fresh.fresh_copy("02", start=root)
    first.write_text("the student's edits of the first copy")
    second = fresh.fresh_copy("02", start=root)
    assert second.name == "02_check_a_1d_gradient-fresh-2.ipynb"
    assert first.read_text() == "the student's edits of the first copy"


def test_an_unknown_notebook_names_the_choices(tmp_path):
    root = _student_release(tmp_path)
    with pytest.raises(ValueError, match="pick one of 00, 02"):
        fresh.fresh_copy("07", start=root)


def test_the_course_repository_gives_its_committed_notebook(tmp_path):
    root = tmp_path / "course"
    (root / "notebooks").mkdir(parents=True)
    notebook = root / "notebooks" / "01_approximate_a_derivative.ipynb"
    notebook.write_text("as committed")
    git = ["git", "-C", str(root), "-c", "user.email=a@b", "-c", "user.name=a"]
    subprocess.run(git[:3] + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-qm", "release"], check=True)
    notebook.write_text("the student's work")
    target = fresh.fresh_copy("01", start=root / "notebooks")
    assert target.read_text() == "as committed"


def test_the_command_line(tmp_path):
    root = _student_release(tmp_path)
    done = subprocess.run([sys.executable, "-m", "course_utils.fresh", "00"], cwd=root / "notebooks",
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "00_start_here-fresh.ipynb" in done.stdout
    assert (root / "notebooks" / "00_start_here-fresh.ipynb").read_text() == "untouched 00_start_here.ipynb"
