"""Sign-in: a user name and password form, or Streamlit's own OIDC login when it is configured.

With an `[auth]` section in `.streamlit/secrets.toml`, Streamlit signs the user in at the
identity provider and the provider's e-mail picks the user (and so the role and entities) in
the users file; a person with no entry there sees nothing. Without it, the form checks the
password against the salted hash in the users file.
"""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from dagster_project.settings import get_settings
from dashboards import auth
from dashboards.lockout import SignInGuard

USER_KEY = "signed_in_user"


def signed_in_user() -> auth.User | None:
    """The session's user as the users file has them now: a changed entity list applies on
    the next click, and a user taken out of the file is signed out."""
    user = st.session_state.get(USER_KEY)
    if user is None:
        return None
    try:
        current = auth.load_users(auth.users_file()).get(user.username)
    except auth.UsersConfigError:
        current = None
    if current is None:
        st.session_state.pop(USER_KEY, None)
        return None
    st.session_state[USER_KEY] = current
    return current


def sign_out() -> None:
    st.session_state.pop(USER_KEY, None)
    if _oidc_configured() and st.user.is_logged_in:
        st.logout()


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False


def render(title: str) -> None:
    """The sign-in page; stores the user in the session and reruns on success."""
    st.title(title)
    try:
        users = auth.load_users(auth.users_file())
    except auth.UsersConfigError as error:
        st.error(f"The users file cannot be used: {error}")
        return

    if _oidc_configured():
        _render_oidc(users)
        return

    form_column, _ = st.columns([2, 3])
    with form_column, st.form("sign_in"):
        st.subheader("Sign in")
        username = st.text_input("User name", key="sign_in_username")
        password = st.text_input("Password", type="password", key="sign_in_password")
        submitted = st.form_submit_button("Sign in", type="primary")

    if not submitted:
        return
    guard = sign_in_guard()
    locked_until = guard.locked_until(username)
    if locked_until is not None:
        st.error(_locked_message(locked_until))
        return
    user = auth.authenticate(users, username, password)
    if user is None:
        locked_until = guard.record_failure(username)
        st.error(
            _locked_message(locked_until)
            if locked_until
            else "Unknown user name or wrong password."
        )
        return
    guard.clear(username)
    st.session_state[USER_KEY] = user
    st.rerun()


def sign_in_guard() -> SignInGuard:
    """Failed sign-ins, kept on the server beside the other data (`lockout.py`)."""
    return SignInGuard(get_settings().data_dir / "dashboard" / "sign_in.sqlite")


def _locked_message(until: datetime) -> str:
    return (
        "Too many failed sign-ins for this user name: it is locked until "
        f"{until.astimezone(UTC):%H:%M} UTC. Ask the dashboard's administrator if it was not you."
    )


def _render_oidc(users: dict[str, auth.User]) -> None:
    if not st.user.is_logged_in:
        st.button("Sign in with your company account", on_click=st.login, type="primary")
        return

    user = auth.user_by_email(users, str(st.user.get("email") or ""))
    if user is None:
        st.error(
            "You are signed in, but your e-mail address has no entry in the users file: "
            "ask the dashboard's administrator for access."
        )
        st.button("Sign out", on_click=st.logout)
        return
    st.session_state[USER_KEY] = user
    st.rerun()
