"""Password hashing with argon2id through pwdlib."""

from pwdlib import PasswordHash

_hasher = PasswordHash.recommended()  # argon2id with the library's current parameters

# A hash of a random string, verified when the username is unknown so a failed
# login takes as long whether or not the account exists.
_DUMMY_HASH = _hasher.hash("a password nobody has")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(
    password: str, password_hash: str | None
) -> tuple[bool, str | None]:
    """Check `password`; return whether it matches and a new hash if one is due.

    The new hash is set when the stored one was made with older parameters, so
    accounts move to the current parameters as their owners log in.
    """
    if not password_hash:
        _hasher.verify(password, _DUMMY_HASH)
        return False, None
    try:
        return _hasher.verify_and_update(password, password_hash)
    except Exception:  # an unparseable hash is a failed login, not a crash
        return False, None


MIN_PASSWORD_LENGTH = 12


class WeakPassword(ValueError):
    """A password the admin refuses to store; the message says why."""


def check_password_policy(password: str, username: str) -> None:
    """Refuse passwords that are short or that repeat the username."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters."
        )
    if password.strip().casefold() == username.strip().casefold():
        raise WeakPassword("The password must not be the username.")
