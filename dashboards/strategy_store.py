"""Check and save the segments file that credit managers edit, one version per save.

The live file (`Settings.segments_file`) is what the daily run reads. A save:
1. takes a lock beside the file, so two saves never interleave;
2. refuses when the live file changed since the editor opened it (someone else saved);
3. validates the new text with the policy's own loader (`models_ml.policy.load_segments`), on a
   temporary file in the live file's folder so relative paths (`holidays_file`) resolve alike;
4. keeps a copy of the text in `history/` beside the live file (`segments_0001_<when>_<who>.yml`)
   and appends who and when to `history/segments.jsonl` (the first save records the file as
   it was before, too); `data/config/history/` is not in git;
5. replaces the live file by renaming that temporary file onto it: a reader (the daily run)
   sees the old file or the new one, never half of either.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from models_ml.policy import SegmentsConfig, SegmentsConfigError, load_segments

HISTORY_FOLDER = "history"


class StaleFileError(RuntimeError):
    """The live file changed after the editor read it; saving would undo someone's change."""


@dataclass(frozen=True)
class Version:
    version: int
    saved_at: str  # ISO 8601, UTC
    saved_by: str
    role: str
    sha256: str
    file: str  # the copy, relative to the history folder
    comment: str = ""


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def history_dir(segments_file: Path) -> Path:
    return segments_file.parent / HISTORY_FOLDER


def log_file(segments_file: Path) -> Path:
    return history_dir(segments_file) / f"{segments_file.stem}.jsonl"


@contextmanager
def _candidate_file(segments_file: Path, text: str) -> Iterator[Path]:
    """`text` in a hidden temporary file beside the live one; removed unless moved away."""
    handle, name = tempfile.mkstemp(
        prefix=f".{segments_file.stem}.", suffix=".candidate.yml", dir=segments_file.parent
    )
    path = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        yield path
    finally:
        path.unlink(missing_ok=True)


def check(segments_file: Path, text: str) -> SegmentsConfig:
    """The policy of `text` as the daily run would load it; SegmentsConfigError listing every
    problem otherwise (the problems name keys, not the temporary file)."""
    with _candidate_file(segments_file, text) as candidate:
        try:
            return load_segments(candidate)
        except SegmentsConfigError as error:
            raise SegmentsConfigError(segments_file, error.problems) from None


def versions(segments_file: Path) -> list[Version]:
    """Every saved version, oldest first."""
    log = log_file(segments_file)
    if not log.is_file():
        return []
    lines = log.read_text(encoding="utf-8").splitlines()
    return [Version(**json.loads(line)) for line in lines if line.strip()]


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def save(
    segments_file: Path,
    text: str,
    *,
    based_on_sha256: str,
    saved_by: str,
    role: str,
    comment: str = "",
    now: datetime | None = None,
) -> Version:
    """Validate `text`, record it as a new version and make it the live file; return the
    version. StaleFileError when the live file is no longer the one with `based_on_sha256`."""
    folder = history_dir(segments_file)
    with _locked(folder), _candidate_file(segments_file, text) as candidate:
        live = segments_file.read_text(encoding="utf-8")
        if sha256(live) != based_on_sha256:
            raise StaleFileError(
                f"{segments_file} was changed by someone else after you opened it; "
                "reload the page, then apply your change again."
            )
        try:
            load_segments(candidate)
        except SegmentsConfigError as error:
            raise SegmentsConfigError(segments_file, error.problems) from None

        stamp = (now or datetime.now(UTC)).astimezone(UTC)
        known = versions(segments_file)
        if not known:  # the file as it was before the first save from the dashboard
            modified = datetime.fromtimestamp(segments_file.stat().st_mtime, UTC)
            before = (0, live, modified, "(before the first save)", "", "")
            known = [_record(segments_file, *before)]
        version = _record(
            segments_file, known[-1].version + 1, text, stamp, saved_by, role, comment
        )
        candidate.replace(segments_file)  # atomic rename
    return version


def _record(
    segments_file: Path,
    number: int,
    text: str,
    saved_at: datetime,
    saved_by: str,
    role: str,
    comment: str,
) -> Version:
    """Write the copy of `text` and append its line to the log."""
    who = re.sub(r"[^A-Za-z0-9._-]+", "_", saved_by) or "unknown"
    name = f"{segments_file.stem}_{number:04d}_{saved_at:%Y%m%dT%H%M%SZ}_{who}.yml"
    (history_dir(segments_file) / name).write_text(text, encoding="utf-8")
    version = Version(
        version=number,
        saved_at=saved_at.isoformat(timespec="seconds"),
        saved_by=saved_by,
        role=role,
        sha256=sha256(text),
        file=name,
        comment=comment.strip(),
    )
    with log_file(segments_file).open("a", encoding="utf-8") as log:
        log.write(json.dumps(asdict(version)) + "\n")
        log.flush()
        os.fsync(log.fileno())
    return version
