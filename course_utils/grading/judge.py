"""Stage 6: the verdict -- one Record per exercise from the nbval run and the verification run.

An exercise earns its points (metadata course.points) only when every check cell of it passed in
the nbval run AND the verification run agreed (verify.py). A tripwire flag holds the record at 0
for a person to review (run_status/run_points say what it would have got).
"""
from __future__ import annotations

from course_utils.grading import cells, nbval_plugin
from course_utils.grading.report import Record


def _clip(text, width):
    return text if len(text) <= width else text[: width - 3] + "..."


def _first_line(text):
    lines = [ln for ln in str(text or "").splitlines() if ln.strip()]
    return lines[0].strip() if lines else ""


def _nbval_verdict(job, ex, timeout):
    """(status, points, message) of exercise ex from the nbval run alone."""
    rnb = job.rnb
    ex_index = rnb.code_index(ex.cell_id)
    check_indexes = [rnb.code_index(c) for c in ex.check_ids]
    for i in [ex_index] + check_indexes:
        if job.results.get(i, {}).get("budget"):
            return "timeout", 0, (f"not graded: the grading time budget ran out before cell {rnb.code_ids[i]!r} "
                                  "was done (earlier cells took the time: an endless loop?)")
    for i in [ex_index] + check_indexes:
        if i in job.crashes:
            cid = rnb.code_ids[i]
            if job.results.get(i, {}).get("exception") == "OutputLimitExceeded":
                return "error", 0, (f"cell {cid!r} printed more than {nbval_plugin.OUTPUT_LIMIT // 2 ** 20} MB and "
                                    "was stopped; the rest of the notebook was graded in a fresh kernel")
            if job.crashes[i] == "stopped":
                return "timeout", 0, (f"cell {cid!r} ran longer than {timeout:g} s and the kernel could not be "
                                      "interrupted; the rest of the notebook was graded in a fresh kernel")
            return "error", 0, (f"the Python kernel died while running cell {cid!r} (os._exit, a crash or out of "
                                "memory); the rest of the notebook was graded in a fresh kernel without this exercise")
    for i in [ex_index] + check_indexes:
        if job.results[i].get("timeout"):
            return "timeout", 0, (f"cell {rnb.code_ids[i]!r} ran longer than {timeout:g} s and was interrupted "
                                  "(an endless loop?)")
    checks = [(i, job.results[i]) for i in check_indexes]
    if all(r.get("ok") for _, r in checks):
        return "passed", ex.points, ""
    i, r = next((i, r) for i, r in checks if not r.get("ok"))
    cid = rnb.code_ids[i]
    if not r.get("ran"):
        return "error", 0, f"check cell {cid!r} did not run: {job.run_error or 'nbval gave no result for it'}"
    if r.get("dead_at_start"):
        dead = min((k for k in job.crashes), default=None)
        where = f" in cell {rnb.code_ids[dead]!r}" if dead is not None else ""
        return "error", 0, f"not run: the kernel died earlier{where}"
    exr = job.results[ex_index]
    prefix = ""
    if exr.get("ran") and not exr.get("ok") and exr.get("ename"):
        prefix = f"exercise cell raised {exr['ename']}: {_first_line(exr.get('evalue'))}; then "
    ename, evalue = r.get("ename"), str(r.get("evalue") or "").strip()
    if ename == "AssertionError":
        status, message = "failed", evalue or "AssertionError (the check gave no message)"
    elif r.get("text") == nbval_plugin.OUTPUTS_DIFFER:
        expected, got = r.get("expected", ""), r.get("got", "")
        status, message = "failed", (f"check cell {cid!r} printed {_clip(got.strip(), 200)!r} but the reference "
                                     f"output is {_clip(expected.strip(), 200)!r}: {cells.PRINTS_ADVICE}")
    elif ename:
        status, message = "error", f"{ename}: {evalue}"
        if ename == "NameError":
            message = (f"{ename}: {_first_line(evalue)} -- define it in exercise cell {ex.cell_id!r} (only "
                       "exercise cells are graded; cells you added do not run)")
    else:
        status, message = "error", f"{r.get('exception', 'error')}: {_first_line(r.get('text'))}"
    if prefix:
        status = "error"
    return status, 0, prefix + message


def nbval_status(job, ex, timeout):
    """The status of exercise ex from the nbval run alone ("passed" when its checks passed)."""
    return _nbval_verdict(job, ex, timeout)[0]


def verdict(job, ex, timeout):
    """(status, points, message): the nbval run's verdict, overruled by a failed verification."""
    status, points, message = _nbval_verdict(job, ex, timeout)
    checked = job.verdicts.get(ex.name)
    if status == "passed" and checked is not None and getattr(checked, "budget", False):
        return "timeout", 0, ("the notebook's check passed, but the grading time budget ran out before the "
                              f"verification run on fresh inputs was done: {checked.message}")
    if status == "passed" and (checked is None or not checked.ok):
        why = checked.message if checked is not None else "the verification run did not take place"
        return "failed", 0, (f"the notebook's check passed, but the verification run on fresh inputs drawn at "
                             f"grading time did not: {why}")
    if status == "passed" and checked.message:
        return status, points, checked.message  # a note of the verification run, e.g. the student id it read back
    return status, points, message


def records_for(job, timeout):
    """The Records of one job (student x notebook), in exercise order."""
    rnb = job.rnb
    records = []
    held = {name: [] for name in rnb.exercises}
    for a in rnb.exercises.values():  # a flag on an exercise cell holds every check that runs after it
        reasons = job.flags.get(a.name) or []
        a_index = rnb.code_index(a.cell_id)
        for b in rnb.exercises.values():
            if reasons and any(rnb.code_index(c) > a_index for c in b.check_ids):
                held[b.name] += (reasons if a is b else
                                 [f"exercise cell {a.cell_id!r} ({a.name}), which runs before this check, {r}"
                                  for r in reasons])
    for ex in rnb.exercises.values():
        base = dict(student=job.sub.student, notebook=rnb.name, exercise=ex.name, max_points=ex.points,
                    cell_id=ex.cell_id, submission=str(job.file or job.sub.path))
        if job.problem:
            records.append(Record(points=0, status=job.problem[0], message=job.problem[1], **base))
            continue
        pick = job.picks[ex.name]
        if pick.status:
            records.append(Record(points=0, status=pick.status, message=pick.message, **base))
            continue
        status, points, message = verdict(job, ex, timeout)
        notes = job.notes.get(ex.name, [])
        if held[ex.name]:
            records.append(Record(points=0, status="flagged", notes=notes, flags=held[ex.name], run_status=status,
                                  run_points=points, message=f"for review: {'; '.join(held[ex.name])} -- the run "
                                                             f"says {status} {points}/{ex.points}", **base))
        else:
            records.append(Record(points=points, status=status, message=message, notes=notes, **base))
        checked = job.verdicts.get(ex.name)
        if checked is not None and getattr(checked, "facts", None):
            records[-1].facts = dict(checked.facts)
    return records


def notebook_notes(job):
    """Notes about one graded notebook: failed demo cells, cells the student added, run problems."""
    notes = list(job.nb_notes)
    rnb = job.rnb
    for i, cid in enumerate(rnb.code_ids):
        r = job.results.get(i)
        if rnb.roles[cid][0] == "demo" and r and r.get("ran") and not r.get("ok") and not r.get("dead_at_start") \
                and not r.get("skipped"):
            why = f"{r['ename']}: {_first_line(r.get('evalue'))}" if r.get("ename") else _first_line(r.get("text"))
            notes.append(f"demo cell {cid!r} failed ({_clip(why, 80)}); demo cells do not count for points")
    if job.run_error:
        notes.append(job.run_error)
    return notes
