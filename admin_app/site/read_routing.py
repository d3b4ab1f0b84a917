"""Which requests may read the replica: the reading pages, unless the user
has just saved something.

A replica lags behind the primary by a moment. Lists, counts, exports,
details and the choices of filters and selects may show that moment's old
data to someone who did not cause the change; nobody may miss their own. So
every state-changing request (a save, a delete, a bulk edit; not a login,
which changes nothing a page shows) leaves a marker in the user's signed
session, and for `window` seconds after it the user's pages read the
primary. Edit and create forms always read the primary: the version token an
edit form carries must be the row as it is now.

It sits inside the session middleware (the marker lives in the session) and
sets `replica_reads` for the request; the sessions route each statement
(`admin_app.replica`).
"""

import re
import time
from collections.abc import MutableMapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admin_app.replica import replica_reads

READ_YOUR_WRITES_SECONDS = 10
MARKER = "primary_until"
# The pages that only read: the index (its counts), lists, details, exports,
# and the search-as-you-type choices of filters, selects and link editors.
_READING_PAGES = re.compile(
    r"/(?:[^/]+/(?:list|details/.+|export/[^/]+|ajax/lookup|filter-options"
    r"|link-options))?/?"
)
_READS = frozenset({"GET", "HEAD"})


def _route_path(scope: Scope) -> str:
    """The path below the admin's own root (its mount point)."""
    path, root = scope.get("path", ""), scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def note_write(session: MutableMapping[str, Any], window: int | None = None) -> None:
    """Have the user's pages read the primary for the next `window` seconds:
    after each state-changing request, and where a write that streamed its
    progress ends (its cookie went with its first line, before the write)."""
    seconds = READ_YOUR_WRITES_SECONDS if window is None else window
    session[MARKER] = int(time.time()) + seconds


class ReadRouting:
    """Marks reading requests as allowed to use the replica, and notes each
    user's writes in their session so their next pages read the primary."""

    def __init__(self, app: ASGIApp, window: int | None = None) -> None:
        self.app = app
        self.window = window

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session = scope.get("session")
        if scope["method"] in _READS:
            allowed = _READING_PAGES.fullmatch(_route_path(scope)) is not None
            marker = session.get(MARKER) if session is not None else None
            if isinstance(marker, int | float) and time.time() < marker:
                allowed = False  # their own change may not be on the replica yet
            with replica_reads(allowed):
                await self.app(scope, receive, send)
            return

        if _route_path(scope).rstrip("/") == "/login":
            await self.app(scope, receive, send)
            return

        async def send_marked(message: Message) -> None:
            # Before the session middleware writes the cookie; only a logged-in
            # session (so a logout or a failed login leaves no marker behind).
            current = scope.get("session")
            if (
                message["type"] == "http.response.start"
                and current
                and current.get("user_id") is not None
            ):
                note_write(current, self.window)
            await send(message)

        await self.app(scope, receive, send_marked)
