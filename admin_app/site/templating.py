"""How the admin's Jinja environment differs from SQLAdmin's.

Templates compiled once a process: SQLAdmin makes a new environment for each
`Admin`, so every app in a process (one mounted twice, a project's test suite
making an app per test) compiled each template again on its first page, a
tenth of a second for a dashboard. The compiled code is kept by the template's
name, file and source checksum, so a project's own template of the same name,
or a changed file, is compiled anew. A template once loaded is not looked
for on disk again until the admin restarts.

SQLAdmin's own words, mended where they read wrong: the list's footer said
"Showing 1 to 0 of 0 items" for an empty list.
"""

from __future__ import annotations

from typing import Any

from jinja2 import BytecodeCache, Environment, pass_context
from jinja2.bccache import Bucket
from jinja2.runtime import Context


class CompiledOnce(BytecodeCache):
    """Compiled templates kept in memory for every environment of the process."""

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        compiled = self._compiled.get(bucket.key)
        if compiled is not None:
            bucket.bytecode_from_string(compiled)  # a stale checksum is dropped

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED = CompiledOnce()

SHOWING = "Showing %(start)s to %(end)s of %(count)s items"
"""SQLAdmin's list footer, counting from the page's first row to its last."""


def mend_words(environment: Environment) -> None:
    """Have `_()` and `gettext()` in SQLAdmin's templates say a page without
    rows as such; every other message is SQLAdmin's, translated as it was."""
    gettext = environment.globals["gettext"]

    @pass_context
    def mended(context: Context, message: str, **variables: Any) -> str:
        if message == SHOWING and variables.get("start", 0) > variables.get("end", 0):
            message, variables = "No items", {}  # an empty list: row 1 to row 0
        return context.call(gettext, message, **variables)

    environment.globals["gettext"] = mended


def adapt(environment: Environment) -> None:
    """The environment with templates compiled once and SQLAdmin's words mended.

    A template once loaded is not looked for again on disk: Jinja otherwise
    reads each file's time on every use (a list page includes a template for
    each filter), a few per cent of a page. A changed template is read when
    the admin restarts, as Django's cached template loader does."""
    environment.bytecode_cache = COMPILED
    environment.auto_reload = False
    mend_words(environment)
