"""A limit on failed sign-ins, kept on the server: 5 failures within 15 minutes lock the user
name for 15 minutes after the last one.

The failures live in a small SQLite file under the data folder (`dashboard/sign_in.sqlite`),
not in the browser session, so a new session, another browser tab or a restart of the server
does not reset them. The user name is stored only as a SHA-256 of its normalised form, since a
mistyped name may be an e-mail address. Unknown user names are counted like known ones, so the
lock does not tell which names exist. A successful sign-in clears the name's failures.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

log = logging.getLogger(__name__)

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCK_TIME = timedelta(minutes=15)


def _key(username: str) -> str:
    return hashlib.sha256(username.strip().lower().encode("utf-8")).hexdigest()


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def _text(moment: datetime) -> str:
    """A fixed-width UTC text, so that SQLite compares moments as strings correctly."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _moment(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


class SignInGuard:
    """Failed sign-ins per user name, in the SQLite file at `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=10)
        con.execute(
            "create table if not exists failures (username_sha256 text not null, "
            "failed_at text not null)"
        )
        con.execute(
            "create table if not exists locks (username_sha256 text primary key, "
            "locked_until text not null)"
        )
        return con

    def locked_until(self, username: str, now: datetime | None = None) -> datetime | None:
        """When the lock on `username` ends, or None when it may try."""
        with closing(self._connect()) as con:
            row = con.execute(
                "select locked_until from locks where username_sha256 = ? and locked_until > ?",
                [_key(username), _text(_now(now))],
            ).fetchone()
        return _moment(row[0]) if row else None

    def record_failure(self, username: str, now: datetime | None = None) -> datetime | None:
        """Count a failure; return the end of the lock when this one locks the name."""
        now, key = _now(now), _key(username)
        with closing(self._connect()) as con, con:
            con.execute("delete from failures where failed_at <= ?", [_text(now - WINDOW)])
            con.execute("insert into failures values (?, ?)", [key, _text(now)])
            failures = con.execute(
                "select count(*) from failures where username_sha256 = ?", [key]
            ).fetchone()[0]
            if failures < MAX_FAILURES:
                return None
            until = now + LOCK_TIME
            con.execute("insert or replace into locks values (?, ?)", [key, _text(until)])
            con.execute("delete from failures where username_sha256 = ?", [key])
        log.warning(
            "sign-in locked for one user name after %d failures until %s",
            MAX_FAILURES,
            until.isoformat(timespec="minutes"),
        )
        return until

    def clear(self, username: str) -> None:
        with closing(self._connect()) as con, con:
            for table in ("failures", "locks"):
                con.execute(f"delete from {table} where username_sha256 = ?", [_key(username)])
