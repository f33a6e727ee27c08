"""Add a dashboard user to the users file, with a salted scrypt hash of their password.

    .venv/bin/python -m dashboards.users_cli add credit.be --role credit_manager \\
        --entities BE-HCM-01,BE-HCM-02 --name "Credit manager, Belgium"
    .venv/bin/python -m dashboards.users_cli hash        # only print a hash

The password is asked twice without echo (or read from the first line of standard input with
`--password-stdin`, for scripts). The entry is appended to the file named by `CM_USERS_FILE`
(default `data/config/users.yml`), keeping its comments; the result is checked with the
dashboard's own loader before it replaces the file, so a bad entry never lands.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import tempfile
from pathlib import Path

from dashboards.auth import ROLES, UsersConfigError, hash_password, load_users, users_file


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Again: "):
            raise SystemExit("The passwords differ.")
    if len(password) < 10:
        raise SystemExit("Use a password of at least 10 characters.")
    return password


def entry_text(args: argparse.Namespace, password_hash: str) -> str:
    """The YAML lines of one user under `users:` (JSON strings are valid YAML scalars)."""
    lines = [f"\n  {json.dumps(args.username)}:", f"    role: {args.role}"]
    if args.name:
        lines.append(f"    name: {json.dumps(args.name)}")
    if args.role == "credit_manager":
        entities = [e.strip() for e in (args.entities or "").split(",") if e.strip()]
        lines.append(f"    entities: {json.dumps(entities)}")
    if args.email:
        lines.append(f"    email: {json.dumps(args.email)}")
    if args.read_only:
        lines.append("    edit_strategies: false")
    lines.append(f"    password_hash: {password_hash}")
    return "\n".join(lines) + "\n"


def add_user(args: argparse.Namespace) -> Path:
    path = users_file()
    users = load_users(path)
    if args.username in users:
        raise SystemExit(f"{path}: a user {args.username!r} is already there.")
    text = path.read_text(encoding="utf-8").rstrip("\n") + "\n"
    text += entry_text(args, hash_password(_password(args.password_stdin)))

    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
    ) as candidate:
        candidate.write(text)
    candidate_path = Path(candidate.name)
    try:
        load_users(candidate_path)
    except UsersConfigError as error:
        candidate_path.unlink()
        raise SystemExit(str(error).replace(str(candidate_path), str(path))) from None
    candidate_path.replace(path)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dashboards.users_cli")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="add a user to the users file")
    add.add_argument("username")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--entities", help="comma-separated entity ids (credit managers)")
    add.add_argument("--name", help="the name shown in the dashboard")
    add.add_argument("--email", help="for sign-in through the identity provider (OIDC)")
    add.add_argument("--read-only", action="store_true", help="may not change strategies")
    add.add_argument("--password-stdin", action="store_true")
    hash_command = commands.add_parser("hash", help="print the hash of a password")
    hash_command.add_argument("--password-stdin", action="store_true")
    args = parser.parse_args(argv)

    if args.command == "hash":
        sys.stdout.write(hash_password(_password(args.password_stdin)) + "\n")
        return
    path = add_user(args)
    sys.stdout.write(f"added {args.username} ({args.role}) to {path}\n")


if __name__ == "__main__":
    main()
