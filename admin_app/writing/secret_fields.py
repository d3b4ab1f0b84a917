"""The form fields of secrets: typed in, never shown again.

A secret's field starts empty and, left empty, keeps the stored value. A
column that holds a password's hash (`hashed_password`, `Kind.PASSWORD`) is
typed as the password itself, asked twice (a typo in a password box cannot
be seen), and stored as its hash: stored as typed, it would keep the password
in the clear, and the application's own login, which checks a hash, would
refuse it.
"""

from collections.abc import Callable
from typing import Any

from wtforms import Form, PasswordField, validators
from wtforms.fields.core import UnboundField

PASSWORD_AGAIN_LABEL = "Password again"
PASSWORDS_DIFFER = "The two passwords differ."
REPEAT_SUFFIX = (
    "_repeat"  # the second box of `hashed_password`: `hashed_password_repeat`
)
STORED_HASHED = "Stored as its hash, never as typed."
KEEP_BOTH_EMPTY = "Leave both boxes empty to keep the current password."
_BOX = {"class": "form-control", "autocomplete": "new-password"}


class SecretField(PasswordField):
    """A secret's input: it starts empty (the stored value is never sent to
    the browser), and left empty it keeps the stored value, so it is never
    required here; a new row that needs one is refused by the view."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kept = [
            v
            for v in kwargs.pop("validators", None) or []
            if not isinstance(v, validators.InputRequired | validators.DataRequired)
        ]
        kwargs["validators"] = [validators.Optional(), *kept]
        render_kw = dict(kwargs.pop("render_kw", None) or {})
        render_kw.setdefault("autocomplete", "new-password")
        kwargs.setdefault("description", "Leave empty to keep the current value.")
        super().__init__(*args, render_kw=render_kw, **kwargs)


def _no_hasher(password: str) -> str:
    raise ValueError("A password is set on its row's own form.")


class PasswordHashField(SecretField):
    """A password typed in, whose data is its hash (`hasher`: the view's
    `hash_password`, which its form passes; without one, as in a link row's
    editor, a password is refused, never stored as typed). A hasher's
    `ValueError` refuses the password with its message, as a project's
    password rules may."""

    def __init__(
        self, *args: Any, hasher: Callable[[str], str] = _no_hasher, **kwargs: Any
    ) -> None:
        self.hasher = hasher
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        typed = valuelist[0] if valuelist else ""
        self.data = None
        if typed:
            self.data = self.hasher(typed)


class SamePassword:
    """The second box's check: it holds what the first box holds, as typed."""

    def __init__(self, first: str) -> None:
        self.first = first

    def __call__(self, form: Form, field: Any) -> None:
        if _typed(form[self.first]) != _typed(field):
            raise validators.StopValidation(PASSWORDS_DIFFER)


def _typed(field: Any) -> str:
    return (field.raw_data or [""])[0] or ""


def asked_twice(form: type[Form], name: str, again: str, **kwargs: Any) -> type[Form]:
    """`form` with its password field `name` asked twice: a second box named
    `again` right after it, which must hold the same text (both empty keeps
    a stored password); `kwargs` change the first box's arguments (its
    `description`, its `hasher`). The second box is no column: the form's
    data leaves it out (`AdminForm.asked_again`)."""
    typed = getattr(form, name)
    password = UnboundField(
        typed.field_class, *typed.args, **{**typed.kwargs, **kwargs}
    )
    second = PasswordField(
        PASSWORD_AGAIN_LABEL, validators=[SamePassword(name)], render_kw=_BOX
    )
    # Fields are ordered by creation, then name: the same place, after it.
    password.creation_counter = second.creation_counter = typed.creation_counter
    asked = getattr(form, "asked_again", frozenset()) | {again}
    return type(
        form.__name__, (form,), {name: password, again: second, "asked_again": asked}
    )
