"""A staff user changes their own password (Django's *Change password*).

Only superusers edit staff accounts, so anyone else had to ask one for a new
password, and a superuser who typed one for them knew it. `GET /password`
shows a form; `POST /password` (with the CSRF token, as everywhere) takes the
current password and the new one twice:

- the current password is checked as a login checks it, and counted by the
  login throttle: a wrong one is a failed attempt for the username (in the
  audit log), and too many answer 429 (recorded too), so a session left
  open on someone's desk cannot be used to guess it;
- the new one follows the staff password rules (at least 12 characters, not
  the username); boxes that differ, or a rule broken, are refused under their
  box with nothing changed;
- on success the hash is replaced and every other session of the user ends
  (as any password change ends them), while this one goes on (Django's
  `update_session_auth_hash`); the audit log names the change, never a value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from admin_app.auth.accounts import set_password
from admin_app.auth.models import StaffUser
from admin_app.auth.passwords import WeakPassword, verify_password
from admin_app.auth.throttle import Throttle
from admin_app.writing.audit import record

CURRENT, NEW, AGAIN = "current_password", "new_password", "new_password_again"
LONGEST = 1024  # characters of a password read, as the login reads them
GONE = "This staff account no longer exists."
WRONG = "This is not your current password."


@dataclass(frozen=True)
class PasswordChange:
    """What a change came to: each refused box's message, the wait the
    throttle asks for, or the session version the change moved to."""

    errors: dict[str, str] = field(default_factory=dict)
    retry_after: int | None = None
    version: int | None = None


def _typed(current: str, new: str, again: str) -> dict[str, str]:
    """The boxes left empty or differing, before anything is checked."""
    errors = {}
    if not current:
        errors[CURRENT] = "Type your current password."
    if not new:
        errors[NEW] = "Type a new password."
    elif new != again:
        errors[AGAIN] = "The two new passwords differ."
    return errors


def change_own_password(
    factory: sessionmaker[Session],
    throttle: Throttle,
    user_id: int,
    typed: tuple[str, str, str],
    address: str,
) -> PasswordChange:
    """Check `typed` (current, new, new again) and store the new password,
    the current one checked under the login throttle (`Throttle.counted`)."""
    current, new, again = (text[:LONGEST] for text in typed)
    errors = _typed(current, new, again)
    if errors:
        return PasswordChange(errors)
    with factory() as session:
        user = session.get(StaffUser, user_id)
        username = user.username if user is not None else None
    if username is None:  # deleted since this request's session was checked
        return PasswordChange({CURRENT: GONE})
    outcome: list[PasswordChange] = []

    def check(session: Session) -> bool:
        user = session.get(StaffUser, user_id)
        if user is None:
            outcome.append(PasswordChange({CURRENT: GONE}))
            return False
        if not verify_password(current, user.password_hash)[0]:
            record(
                session,
                None,
                "password_change_failed",
                "staff-user",
                [str(user_id)],
                summary=f"Wrong current password for “{username}” from {address}",
                username=username,
            )
            outcome.append(PasswordChange({CURRENT: WRONG}))
            return False
        before = user.session_version
        try:
            set_password(user, new)
        except WeakPassword as weak:
            outcome.append(PasswordChange({NEW: str(weak)}))
            return True  # the current password was right
        record(
            session,
            None,
            "edit",
            "staff-user",
            [str(user_id)],
            summary=f"Changed own password: Staff user “{username}”, "
            "other sessions ended",
            changes={"session_version": [before, user.session_version]},
            username=username,
        )
        outcome.append(PasswordChange(version=user.session_version))
        return True

    wait = throttle.counted(
        factory, username, address, check, "Password change", (str(user_id),)
    )
    return PasswordChange(retry_after=wait) if wait is not None else outcome[0]
