"""CSV files a spreadsheet may open safely: every CSV the grader writes (the gradebook, the mistake report)."""
from __future__ import annotations

import csv
import re
from pathlib import Path

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")  # and full-width =+-@
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _spreadsheet_safe(value):
    """A CSV cell that no spreadsheet runs as a formula: numbers as they are; text that starts (after any spaces) with
    =, +, -, @, a tab, CR or LF gets a leading ' (OWASP's advice for CSV injection), unless it is a plain number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value)
    start = text.lstrip(" ")[:1]
    if start and start in FORMULA_STARTS and not _PLAIN_NUMBER.fullmatch(text.strip()):
        return "'" + text
    return text


def write_csv_table(path, header, rows):
    """Write a CSV a spreadsheet may open: plain UTF-8 (no BOM), every text cell through _spreadsheet_safe.
    Every CSV the grader writes goes through here. Returns the Path."""
    path = Path(path)
    with open(path, "w", encoding="utf-8", errors="replace", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([_spreadsheet_safe(c) for c in header])
        writer.writerows([_spreadsheet_safe(c) for c in row] for row in rows)
    return path
