"""The full-stack template's users and items, untouched, with a project's
view that stores a typed password as its application hashes one (here a
PBKDF2 hash, as Django's `pbkdf2_sha256`), and refuses one shorter than its
`UserCreate` schema allows; and a guide-style account whose hash is in a
column named `password`, which its view says holds a password's hash."""

import base64
import hashlib

from sqlmodel import Field, SQLModel

from admin_app import AdminView
from tests.zoo.fullstack import Item, User

__all__ = ["Account", "Item", "User"]

SALT = b"a project's salt"
SHORTEST = 8  # the template's `UserCreate.password` has `min_length=8`


def get_password_hash(password: str) -> str:
    """The project's own hash of a password."""
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), SALT, 1000)
    return f"pbkdf2_sha256$1000${base64.b64encode(digest).decode()}"


class UserAdmin(AdminView, model=User):
    def hash_password(self, password: str) -> str:
        if len(password) < SHORTEST:
            raise ValueError(f"A password has at least {SHORTEST} characters.")
        return get_password_hash(password)


class Account(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True)
    password: str  # its hash, as the guide's login checks it


class AccountAdmin(AdminView, model=Account):
    field_overrides = {"password": {"kind": "password"}}
