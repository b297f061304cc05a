"""The build's delivery options: --student-release DIR, --gradescope FILE.zip and --capstone-codes IDS, each with
the class key (--class-key FILE). The packaging itself is authoring.delivery's; here are the key, the codes and
the dispatch."""
import csv
import io
import sys
from pathlib import Path

from authoring.contract import BuildError


def class_key(path):
    """The class key in `path`, made there first if the file does not exist (BuildError when it is not a key)."""
    from course_utils.grading import teammates

    path = Path(path)
    if not path.exists():
        key = teammates.write_new_key(path)
        print(f"new class key written to {path} (readable by you only). Keep it, and never give it to students: "
              "the grader needs it (grade --class-key), and the capstone codes come from it", file=sys.stderr)
        return key
    try:
        key = teammates.load_key(path)
    except ValueError as error:
        raise BuildError(str(error)) from None
    if key == teammates.DEMO_KEY:
        raise BuildError(f"--class-key {path}: that is the course's public demo key; a class needs its own (give a "
                         "FILE that does not exist, and a new key is made there)")
    return key


def capstone_codes(path, key):
    """CSV text: "student id,capstone code" for every id in the file `path` (one id per line, or the first column
    of a CSV with a header). BuildError for an id that is not one."""
    from course_utils import capstone
    from course_utils.grading import teammates

    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise BuildError(f"--capstone-codes {path}: cannot read it ({error.strerror or error})") from None
    rows = [row for row in csv.reader(io.StringIO(text)) if row and row[0].strip()]
    if rows and "," in text.splitlines()[0] and not capstone.ID_PATTERN.fullmatch(rows[0][0].strip()):
        rows = rows[1:]  # a header
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student id", "capstone code"])
    for number, row in enumerate(rows, 1):
        student = row[0].strip()
        try:
            writer.writerow([student, teammates.code_for(key, student)])
        except ValueError as error:
            raise BuildError(f"--capstone-codes {path}, line {number}: {error}") from None
    return out.getvalue()


def deliver(args):
    """--student-release DIR and/or --gradescope FILE.zip (authoring.delivery); returns the exit status."""
    from authoring.delivery import DeliveryError
    from authoring.delivery.gradescope import build_gradescope
    from authoring.delivery.student_release import build_student_release

    try:
        key = class_key(args.class_key)
        if args.student_release:
            count = build_student_release(args.student_release, args.release, args.solutions, args.github,
                                          class_key=key)
            print(f"student release written to {args.student_release} ({count} files)")
        if args.gradescope:
            count = build_gradescope(args.gradescope, args.release, args.solutions, class_key=key)
            print(f"Gradescope autograder written to {args.gradescope} ({count} entries)")
        if args.capstone_codes:
            sys.stdout.write(capstone_codes(args.capstone_codes, key))
    except (DeliveryError, BuildError) as error:
        print(f"delivery failed: {error}", file=sys.stderr)
        return 1
    return 0
