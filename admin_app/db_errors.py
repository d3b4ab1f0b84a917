"""What a database error means for the person who caused it.

Three kinds, answered differently by every page and write path:
- the database cannot be reached (down, restarting, locked): a 503 page that
  says to try again, never a form error that blames the input;
- one statement beyond the database's limits (too many variables, a pattern
  too long): a 400 asking for less;
- a change the database refused (a constraint, a value it cannot hold): the
  form shown again with words that show no SQL.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from starlette.requests import Request

TOO_LARGE = (
    "too many sql variables",
    "expression tree is too large",
    "like or glob pattern too complex",
    "string or blob too big",
    "too many terms in compound select",
    "parser stack overflow",
    "number of parameters must be between",
)


def statement_too_large(error: Exception) -> bool:
    """Whether the database refused one statement as beyond its limits
    (SQLite's expression depth, variables and pattern length; PostgreSQL's
    program limits, SQLSTATE class 54) rather than being unavailable."""
    orig = getattr(error, "orig", None)
    if str(getattr(orig, "sqlstate", "") or "").startswith("54"):
        return True
    if getattr(orig, "sqlite_errorname", "") == "SQLITE_TOOBIG":
        return True
    message = str(orig if orig is not None else error).lower()
    return any(text in message for text in TOO_LARGE)


def database_unavailable(error: Exception) -> bool:
    """Whether the database could not run the statement at all (a lost or
    refused connection, a lock), as opposed to refusing what it was asked."""
    return isinstance(
        error, OperationalError | InterfaceError
    ) and not statement_too_large(error)


def broken_rule(error: Exception) -> tuple[str, str] | None:
    """The CHECK constraint a refused statement broke, as (its name or its
    expression as the database reports it, words to show): a rule the
    database keeps that the model's validation does not know (`"UnitPrice"
    >= 0`). None for any other refusal."""
    orig = getattr(error, "orig", None)
    if getattr(orig, "sqlstate", None) == "23514":  # PostgreSQL's check_violation
        name = getattr(getattr(orig, "diag", None), "constraint_name", None) or ""
        return name, _rule_words(name)
    text = str(orig if orig is not None else "")
    if text.startswith(_SQLITE_CHECK):
        found = text.removeprefix(_SQLITE_CHECK).strip()
        named = found.isidentifier()  # else SQLite gives the expression itself
        return found, _rule_words(found if named else "")
    return None


_SQLITE_CHECK = "CHECK constraint failed:"


def _rule_words(name: str) -> str:
    if not name:
        return "The database refuses this value: it breaks one of its rules."
    return f"The database refuses this value: it breaks its rule “{name}”."


def database_error_message(error: Exception) -> str:
    """Words for a change the database refused, showing no SQL.

    An unavailable database refused nothing: its error is raised again, so
    the site answers it with the 503 page instead of blaming the input."""
    if database_unavailable(error):
        raise error
    rule = broken_rule(error)
    if rule is not None:
        return f"{rule[1]} Nothing was saved."
    if isinstance(error, IntegrityError | AssertionError):
        return "The row is still used by other rows, or the change conflicts with them."
    return "The database refused the change. Nothing was saved."


_OUTAGE = "database_outage"


@contextmanager
def noting_outage(request: Request) -> Iterator[None]:
    """Note on `request` a database outage raised in the block, then raise it.

    SQLAdmin's create and edit handlers catch every error of a view's
    `insert_model` and `update_model` and show its text with a 400; the site
    looks for this note to answer the 503 page instead."""
    try:
        yield
    except (OperationalError, InterfaceError) as error:
        if database_unavailable(error):
            setattr(request.state, _OUTAGE, error)
        raise


def noted_outage(request: Request) -> Exception | None:
    return getattr(request.state, _OUTAGE, None)
