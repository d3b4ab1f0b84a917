"""Which column names say they hold a secret (DESIGN.md's list).

A column so named is never listed, shown, exported, searched or used to name
a row; its own module, so that the field descriptions (`model.fields`) and
the row labels (`model.labels`, which they import) read the one list.
"""

SECRET_NAMES = frozenset(
    {"password", "hashed_password", "password_hash", "secret", "token", "api_key"}
)
SECRET_SUFFIXES = ("_secret", "_token", "_hash")
# of those, the names that say the column holds a password's hash: what is
# typed into its form field is a password, stored as its hash
PASSWORD_HASH_NAMES = frozenset({"hashed_password", "password_hash"})


def is_secret_name(name: str) -> bool:
    """DESIGN.md's secret names: `password`, `hashed_password`, ..., `*_token`."""
    return name in SECRET_NAMES or name.endswith(SECRET_SUFFIXES)


def is_password_hash_name(name: str) -> bool:
    """Whether a column's name says it holds a password's hash
    (`hashed_password`, as the FastAPI docs and full-stack template name it)."""
    return name in PASSWORD_HASH_NAMES
