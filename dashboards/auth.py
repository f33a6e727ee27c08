"""Who may see what: users, roles and salted password hashes from `data/config/users.yml`.

Roles: `cfo` sees every entity; `credit_manager` sees only the entities listed for them. The
file holds no passwords, only `scrypt` hashes (standard library, salted, memory-hard), so it
can live beside the other configuration. `CM_USERS_FILE` points the dashboard at another file.

Add a user (the password is read without echo; the entry is checked before it is written):

    .venv/bin/python -m dashboards.users_cli add <name> --role credit_manager --entities A,B

`.venv/bin/python -m dashboards.auth` only prints the hash of a password.
"""

from __future__ import annotations

import base64
import functools
import getpass
import hashlib
import hmac
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from dagster_project.settings import REPO_ROOT

ROLES = ("cfo", "credit_manager")
# Roles that may change the segments and strategies; `edit_strategies: false` on a user takes
# it away (a read-only controller, an auditor).
STRATEGY_EDITOR_ROLES = ("cfo", "credit_manager")
SCHEME = "scrypt"
# n=2**14, r=8, p=1: about 16 MB and 50 ms per check, the parameters Python's docs suggest.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SALT_BYTES = 16


class UsersConfigError(ValueError):
    """The users file is missing or malformed; the message names the file and the user."""


@dataclass(frozen=True)
class User:
    """A signed-in user; `entity_ids` None means every entity (the CFO)."""

    username: str
    display_name: str
    role: str
    entity_ids: tuple[str, ...] | None
    password_hash: str = ""
    email: str = ""
    edit_strategies: bool = True

    @property
    def sees_everything(self) -> bool:
        return self.entity_ids is None

    @property
    def can_edit_strategies(self) -> bool:
        return self.role in STRATEGY_EDITOR_ROLES and self.edit_strategies

    @property
    def role_label(self) -> str:
        return {"cfo": "CFO", "credit_manager": "Credit manager"}[self.role]


def users_file() -> Path:
    value = os.environ.get("CM_USERS_FILE")
    if not value:
        return REPO_ROOT / "data" / "config" / "users.yml"
    path = Path(value)
    return path if path.is_absolute() else REPO_ROOT / path


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def hash_password(password: str, salt: bytes | None = None) -> str:
    """`scrypt$n$r$p$<salt>$<hash>`, salt and hash in base64."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return f"{SCHEME}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True when `password` hashes to `stored`; a malformed hash never matches."""
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != SCHEME:
            return False
        digest = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
        )
    except ValueError:
        return False
    return hmac.compare_digest(digest, base64.b64decode(expected))


def load_users(path: Path) -> dict[str, User]:
    """Every user in the file by user name; raise UsersConfigError on the first bad entry."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as error:
        raise UsersConfigError(f"{path}: cannot read the users file ({error.strerror})") from error
    except yaml.YAMLError as error:
        raise UsersConfigError(f"{path}: not valid YAML: {error}") from error

    entries = document.get("users") if isinstance(document, dict) else None
    if not isinstance(entries, dict) or not entries:
        raise UsersConfigError(f"{path}: expected a `users:` mapping of user name to user")
    return {str(name): _parse_user(path, str(name), entry) for name, entry in entries.items()}


def _parse_user(path: Path, username: str, entry: object) -> User:
    where = f"{path}: users.{username}"
    if not isinstance(entry, dict):
        raise UsersConfigError(f"{where}: expected a mapping")

    role = entry.get("role")
    if role not in ROLES:
        raise UsersConfigError(f"{where}.role: {role!r} is not one of {', '.join(ROLES)}")

    # A user signs in with a password, or through the identity provider with their e-mail.
    password_hash = entry.get("password_hash") or ""
    email = entry.get("email") or ""
    if password_hash and not str(password_hash).startswith(f"{SCHEME}$"):
        raise UsersConfigError(f"{where}.password_hash: expected a `{SCHEME}$...` hash")
    if not (password_hash or email):
        raise UsersConfigError(f"{where}: needs a password_hash, an email, or both")

    entities = entry.get("entities")
    if role == "cfo":
        entity_ids = None
    elif isinstance(entities, list) and entities and all(isinstance(e, str) for e in entities):
        entity_ids = tuple(sorted(set(entities)))
    else:
        raise UsersConfigError(f"{where}.entities: a credit manager needs a list of entity ids")

    edit_strategies = entry.get("edit_strategies", True)
    if not isinstance(edit_strategies, bool):
        raise UsersConfigError(f"{where}.edit_strategies: expected true or false")

    return User(
        username=username,
        display_name=str(entry.get("name") or username),
        role=role,
        entity_ids=entity_ids,
        password_hash=str(password_hash),
        email=str(email).lower(),
        edit_strategies=edit_strategies,
    )


def authenticate(users: dict[str, User], username: str, password: str) -> User | None:
    """The user when the password matches; None otherwise, with the same work either way."""
    user = users.get(username.strip())
    # Hash against a dummy when the user is unknown, so the answer time does not tell.
    stored = user.password_hash if user and user.password_hash else _dummy_hash()
    matches = verify_password(password, stored)
    return user if user and user.password_hash and matches else None


@functools.cache
def _dummy_hash() -> str:
    return hash_password("", salt=bytes(SALT_BYTES))


def user_by_email(users: dict[str, User], email: str | None) -> User | None:
    """The user whose `email` matches the identity provider's, case-insensitively."""
    wanted = (email or "").strip().lower()
    return next((user for user in users.values() if wanted and user.email == wanted), None)


def _print_hash() -> None:
    password = getpass.getpass("Password: ")
    if password != getpass.getpass("Again: "):
        sys.stderr.write("The passwords differ.\n")
        raise SystemExit(1)
    sys.stdout.write(hash_password(password) + "\n")


if __name__ == "__main__":
    _print_hash()
