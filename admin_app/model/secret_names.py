"""Which column names say they hold a secret (DESIGN.md's list).

A column so named is never listed, shown, exported, searched or used to name
a row; its own module, so that the field descriptions (`model.fields`) and
the row labels (`model.labels`, which they import) read the one list.
"""

SECRET_NAMES = frozenset(
    {"password", "hashed_password", "password_hash", "secret", "token", "api_key"}
)
SECRET_SUFFIXES = ("_secret", "_token", "_hash")


def is_secret_name(name: str) -> bool:
    """DESIGN.md's secret names: `password`, `hashed_password`, ..., `*_token`."""
    return name in SECRET_NAMES or name.endswith(SECRET_SUFFIXES)
