"""The delivery's two writers: a folder tree with a manifest (write_tree) and a deterministic zip (write_zip).
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

from authoring.delivery import AUTHORING, PACKAGE, DeliveryError
from authoring.paths import RELEASE, ROOT, SOLUTIONS

ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold: no build time in the bundle


def _check_relative(rel):
    parts = rel.split("/")
    if rel.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise DeliveryError(f"bad output path {rel!r}")
    return parts


def _refuse_source_folder(target):
    """An output inside the folders the build and the packaging read from would feed on itself."""
    resolved = Path(os.path.realpath(target))
    for folder in (PACKAGE, RELEASE, SOLUTIONS, AUTHORING, ROOT / "tests", ROOT / ".git"):
        folder = Path(os.path.realpath(folder))
        if resolved == folder or folder in resolved.parents:
            raise DeliveryError(f"{target} is inside {folder}; write the delivery somewhere else")
    if resolved == Path(os.path.realpath(ROOT)):
        raise DeliveryError(f"{target} is the course repository itself; write the delivery somewhere else")


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def write_tree(target, files, manifest_name, generator):
    """Write `files` ({relative posix path: File}) into the folder `target`; returns the paths written.

    `target` must be missing, empty, or a folder this function wrote before (it holds `manifest_name`,
    a JSON list of the files it wrote with their SHA-256). Then files of the previous tree that are no
    longer produced are removed, files nobody asked for (e.g. `.git/`) are left alone, and a file of
    the new tree that exists but was not written before is refused rather than overwritten. Nothing is
    written outside `target`: paths are checked, and a symbolic link on the way is refused.
    """
    target = Path(target)
    _refuse_source_folder(target)
    if target.exists() and not target.is_dir():
        raise DeliveryError(f"{target} exists and is not a folder")
    manifest = target / manifest_name
    previous = {}
    if target.is_dir() and any(target.iterdir()):
        if manifest.is_symlink() or not manifest.is_file():
            raise DeliveryError(f"{target} is not empty and is not a previous {generator} (no {manifest_name}); "
                                "choose an empty or new folder")
        try:
            previous = json.loads(manifest.read_text(encoding="utf-8"))["files"]
            if not isinstance(previous, dict):
                raise TypeError("files is not an object")
        except (ValueError, KeyError, TypeError) as error:
            raise DeliveryError(f"{manifest} cannot be read ({error}); choose an empty or new folder") from None
    for rel in list(files) + list(previous):
        _check_relative(rel)
    if manifest_name in files:
        raise DeliveryError(f"{manifest_name} is reserved for the manifest")
    target.mkdir(parents=True, exist_ok=True)
    base = Path(os.path.realpath(target))

    def place(rel, create):
        """The path of `rel` under base, its folders checked (and created) one by one."""
        path = base
        for part in rel.split("/")[:-1]:
            path = path / part
            if path.is_symlink() or (path.exists() and not path.is_dir()):
                raise DeliveryError(f"{path} is in the way (a link or a file where a folder belongs); remove it")
            if create and not path.exists():
                path.mkdir()
        path = path / rel.split("/")[-1]
        if path.is_symlink() or path.is_dir():
            raise DeliveryError(f"{path} is in the way (a link or a folder where a file belongs); remove it")
        return path

    for rel in sorted(files):
        path = place(rel, create=False)
        if rel not in previous and (path.exists() or path.is_symlink()):
            raise DeliveryError(f"{path} exists but was not written by a previous {generator}; move it away first")
    for rel in sorted(set(previous) - set(files)):  # dropped since the last build
        try:
            path = place(rel, create=False)
        except DeliveryError:
            continue
        if path.is_file():
            path.unlink()
        folder = path.parent
        while folder != base and folder.is_dir() and not folder.is_symlink() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
    written = []
    for rel in sorted(files):
        item = files[rel]
        path = place(rel, create=True)
        if not (path.is_file() and path.read_bytes() == item.data):
            path.write_bytes(item.data)
        os.chmod(path, item.mode)
        written.append(path)
    # folders get fixed permissions too, so a second build (or another umask) gives the same tree
    for rel in sorted({"/".join(r.split("/")[:i]) for r in files for i in range(1, len(r.split("/")))}):
        os.chmod(base / rel, 0o755)
    listing = {"generator": generator, "files": {rel: sha256(files[rel].data) for rel in sorted(files)}}
    manifest.write_text(json.dumps(listing, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.chmod(manifest, 0o644)
    return written


def zip_bytes(files):
    """A deterministic zip of `files`: sorted entries, a fixed date, Unix permissions, deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for rel in sorted(files):
            _check_relative(rel)
            info = zipfile.ZipInfo(rel, date_time=ZIP_DATE)
            info.create_system = 3  # Unix, so that unzip applies the permission bits below
            info.external_attr = (0o100000 | files[rel].mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[rel].data, compresslevel=9)
    return buffer.getvalue()


def write_zip(target, files):
    """Write zip_bytes(files) to `target` (a new or existing .zip file, replaced atomically)."""
    target = Path(target)
    if target.suffix.lower() != ".zip":
        raise DeliveryError(f"{target}: expected a file name ending in .zip")
    if target.is_dir() or target.is_symlink():
        raise DeliveryError(f"{target} is a folder or a link; expected a .zip file name")
    _refuse_source_folder(target)
    if not target.parent.is_dir():
        raise DeliveryError(f"the folder {target.parent} does not exist")
    data = zip_bytes(files)
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".zip", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return target
