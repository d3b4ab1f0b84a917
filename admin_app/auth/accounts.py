"""Staff accounts: creating them, setting passwords and checking credentials."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin_app.auth.models import StaffUser
from admin_app.auth.passwords import (
    check_password_policy,
    hash_password,
    verify_password,
)
from admin_app.clock import utcnow


class AccountError(ValueError):
    """An account cannot be created as asked; the message says why."""


def set_password(user: StaffUser, password: str) -> None:
    """Store a new password and end the user's other sessions."""
    check_password_policy(password, user.username)
    user.password_hash = hash_password(password)
    user.session_version = (user.session_version or 0) + 1


def create_staff_user(
    session: Session, username: str, password: str, *, superuser: bool = False
) -> StaffUser:
    username = username.strip()
    if not username:
        raise AccountError("The username must not be empty.")
    taken = session.scalar(
        select(StaffUser.id).where(func.lower(StaffUser.username) == username.lower())
    )
    if taken is not None:
        raise AccountError(f"A staff user named {username!r} already exists.")
    user = StaffUser(username=username, password_hash="", is_superuser=superuser)
    set_password(user, password)
    session.add(user)
    session.flush()
    return user


def staff_user_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(StaffUser)) or 0


def check_credentials(
    session: Session, username: str, password: str
) -> StaffUser | None:
    """The active user with these credentials, or None.

    On success the last login is recorded and an outdated hash is re-made.
    """
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    ok, new_hash = verify_password(password, user.password_hash if user else None)
    if user is None or not ok or not user.is_active:
        return None
    if new_hash:
        user.password_hash = new_hash
    user.last_login = utcnow()
    return user
