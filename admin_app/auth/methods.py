"""Which HTTP methods reach the admin's handlers at all.

Starlette routes HEAD to every GET route, and SQLAdmin's create and edit
handlers (and the admin's own login, logout, bulk edit, bulk delete and action
routes) treat any method but GET as a submission. The CSRF check asks for a
token on unsafe methods only, so a HEAD with a form body used to write without
one. Rather than teach every handler, this answers the methods here, once:

- a HEAD is served as the GET would be: the handlers see GET and no body, and
  the client gets the GET's status and headers without the body;
- OPTIONS and TRACE are refused with 405: the admin has no use for them (no
  cross-origin requests are allowed, and TRACE only echoes requests back).
"""

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REFUSED_METHODS = frozenset({"OPTIONS", "TRACE"})
_HEAD = "admin.head"  # in the scope of a GET that answers a HEAD
ALLOWED = "GET, HEAD, POST, DELETE"


class MethodGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method")
        if scope["type"] != "http" or method not in REFUSED_METHODS | {"HEAD"}:
            await self.app(scope, receive, send)
            return
        if method in REFUSED_METHODS:
            refusal = PlainTextResponse(
                f"{method} is not served here.",
                status_code=405,
                headers={"Allow": ALLOWED},
            )
            await refusal(scope, receive, send)
            return
        # A copy: the server keeps its own scope saying HEAD.
        as_get = {**scope, "method": "GET", _HEAD: True}
        await _HeadAsGet(self.app)(as_get, receive, send)


def answers_head(scope: Scope) -> bool:
    """Whether this GET only answers a HEAD: its body is never sent, so
    nothing it would log as done for the user (an export) happened."""
    return bool(scope.get(_HEAD))


class _HeadAsGet:
    """Runs the GET for a HEAD: no request body in, no response body out."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.answered = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body_sent = False

        async def empty_body() -> Message:
            nonlocal body_sent
            if not body_sent:
                body_sent = True
                return {"type": "http.request", "body": b"", "more_body": False}
            if self.answered:  # ends a streamed response the client will not read
                return {"type": "http.disconnect"}
            return await receive()

        async def headers_only(message: Message) -> None:
            if self.answered:
                return
            if message["type"] == "http.response.body":
                self.answered = True
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app(scope, empty_body, headers_only)
