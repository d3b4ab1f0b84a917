"""CSRF protection for every state-changing request of the admin.

Why not a library: asgi-csrf 0.11 answers 500 to every multipart POST with
current python-multipart (SQLAdmin's create and edit forms are multipart),
skips the check for requests without cookies (so login CSRF passes) and does
not bind its token to the session; starlette-csrf 3.0 reads the token from a
header only, so plain HTML forms, which must work with JavaScript off, cannot
send it. Hence this small middleware:

- a random token is kept in the admin's signed session (it sits inside
  SQLAdmin's `SessionMiddleware`, which is why the backend appends it to its own
  middleware list) and is replaced whenever the session is (login, logout);
- every POST, PUT, PATCH and DELETE must carry it, as the `X-CSRF-Token` header
  or the `csrf_token` field of an urlencoded or multipart body (buffered, up to
  a size cap, then replayed to the endpoint), else 403 and the endpoint never
  runs, so nothing changes;
- a session that has not logged in may send 16 KiB at most and no multipart
  body (413 or 415 before reading further, whichever way it sends the token),
  so anonymous clients cannot make the server buffer large bodies;
- a first, cheap layer refuses requests a browser marks as cross-site
  (`Sec-Fetch-Site`) or whose `Origin` is another host;
- SQLAdmin's forms have no hook for an extra field, so a hidden `csrf_token`
  input is added to every POST form of every HTML page on its way out.
"""

import hmac
import re
import secrets
from collections.abc import MutableMapping
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from markupsafe import escape
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admin_app.model.parsing import whole_number

FIELD = "csrf_token"
HEADER = "x-csrf-token"
SESSION_KEY = "csrf"
# HEAD, OPTIONS and TRACE are answered before this (see `methods`); should one
# get here anyway, it needs a token like any other method but GET.
SAFE_METHODS = frozenset({"GET"})
MAX_FORM_BYTES = 32 * 1024 * 1024  # multipart: SQLAdmin's import sends files
MAX_URLENCODED_BYTES = 1024 * 1024
# Before login the only form is the login form (a username, a password and the
# token: a few hundred bytes), so a session that has not logged in may send
# this much at most, and no multipart body.
MAX_ANONYMOUS_BYTES = 16 * 1024
_POST_FORM = re.compile(
    rb"<form\b[^>]*\bmethod\s*=\s*[\"']?post\b[^>]*>", re.IGNORECASE
)


def session_token(session: MutableMapping[str, Any]) -> str:
    """The session's token, made now if the session has none (new or cleared)."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return token


def csrf_token(request: Request) -> str:
    """For templates: the token for `<meta name="csrf-token">` and forms."""
    return session_token(request.session)


_EXPIRED = (
    "This form has expired or did not come from this site. "
    "Go back, reload the page and try again."
)


class CSRFRefused(Exception):
    """The request may not change anything; the message says why."""


class CSRFMiddleware:
    def __init__(self, app: ASGIApp, max_form_bytes: int = MAX_FORM_BYTES) -> None:
        self.app = app
        self.max_form_bytes = max_form_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session = scope["session"]
        if scope["method"] not in SAFE_METHODS:
            try:
                refuse_cross_site(Headers(scope=scope))
                expected = session.get(SESSION_KEY)
                if not expected:  # no page was ever served to this session
                    raise CSRFRefused(_EXPIRED)
                if not _logged_in(session):
                    receive = await self._anonymous_body(scope, receive)
                submitted, receive = await self._submitted_token(scope, receive)
                if not submitted or not hmac.compare_digest(submitted, expected):
                    raise CSRFRefused(_EXPIRED)
            except CSRFRefused as refused:
                await _refusal(str(refused), 403)(scope, receive, send)
                return
            except _TooLarge:
                await _refusal("The request is too large.", 413)(scope, receive, send)
                return
            except _NotBeforeLogin:
                await _refusal(_LOG_IN_FIRST, 415)(scope, receive, send)
                return
            except _Unreadable:
                await _refusal("The form could not be read.", 400)(scope, receive, send)
                return
        await self.app(scope, receive, _FormTokenWriter(send, session))

    async def _anonymous_body(self, scope: Scope, receive: Receive) -> Receive:
        """Read a body sent before login now, within its cap, whatever the
        route does with it later; a `receive` that replays it."""
        headers = Headers(scope=scope)
        declared = whole_number(headers.get("content-length", ""))
        if declared is not None and declared > MAX_ANONYMOUS_BYTES:
            raise _TooLarge  # refused before a byte of it is read
        if _content_type(headers) == "multipart/form-data":
            raise _NotBeforeLogin
        body = await self._read_body(receive, MAX_ANONYMOUS_BYTES)
        return _replay(body, receive)

    async def _submitted_token(
        self, scope: Scope, receive: Receive
    ) -> tuple[str, Receive]:
        """The token sent as a header or a form field, and a `receive` that
        still delivers the whole body to the endpoint."""
        headers = Headers(scope=scope)
        if HEADER in headers:
            return headers[HEADER], receive
        content_type = _content_type(headers)
        if content_type not in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            return "", receive
        limit = (
            self.max_form_bytes
            if content_type == "multipart/form-data"
            else min(self.max_form_bytes, MAX_URLENCODED_BYTES)
        )
        body = await self._read_body(receive, limit)
        replay = _replay(body, receive)
        try:
            if content_type == "multipart/form-data":
                form = await Request(scope, _replay(body, receive)).form()
                try:
                    value = form.get(FIELD)
                finally:
                    await form.close()
                return (value if isinstance(value, str) else ""), replay
            fields = parse_qs(body.decode("latin-1"), max_num_fields=10_000)
        except Exception as error:  # python-multipart's and urllib's parse errors
            raise _Unreadable from error
        values = fields.get(FIELD)
        return (values[0] if values else ""), replay

    async def _read_body(self, receive: Receive, limit: int) -> bytes:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


class _TooLarge(Exception):
    pass


class _NotBeforeLogin(Exception):
    pass


_LOG_IN_FIRST = "Log in first: before login only the login form is accepted."


def _logged_in(session: MutableMapping[str, Any]) -> bool:
    """Whether the signed session says a user logged in. Cheap (no database),
    which is all the body cap needs; `authenticate` checks the rest later."""
    return isinstance(session.get("user_id"), int)


def _content_type(headers: Headers) -> str:
    return headers.get("content-type", "").split(";")[0].strip().lower()


class _Unreadable(Exception):
    pass


def refuse_cross_site(headers: Headers) -> None:
    """Raise `CSRFRefused` for a request a browser marks as coming from another
    site (or whose `Origin` is another host)."""
    site = headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise CSRFRefused("Requests from other sites may not change anything here.")
    origin = headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != headers.get("host", ""):
        raise CSRFRefused("Requests from other sites may not change anything here.")


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands out `body` once, then listens to the client."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _refusal(message: str, status: int) -> Response:
    """A short page of its own (the middleware runs before the admin's
    templates), titled by its status ("Forbidden", "Request Entity Too Large")."""
    title = escape(HTTPStatus(status).phrase)
    return HTMLResponse(
        f"<!doctype html><title>{title}</title><h1>The request was refused</h1>"
        f"<p>{escape(message)}</p>",
        status_code=status,
    )


class _FormTokenWriter:
    """Adds the hidden token input to every POST form of an HTML response."""

    def __init__(self, send: Send, session: MutableMapping[str, Any]) -> None:
        self.send = send
        self.session = session
        self.start: Message | None = None
        self.chunks: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            content_type = Headers(raw=message["headers"]).get("content-type", "")
            if content_type.startswith("text/html"):
                self.start = message
                session_token(self.session)  # a cleared session gets a new one now
                return
        elif message["type"] == "http.response.body" and self.start is not None:
            self.chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = self._with_tokens(b"".join(self.chunks))
            headers = MutableHeaders(raw=self.start["headers"])
            headers["content-length"] = str(len(body))
            await self.send(self.start)
            await self.send({"type": "http.response.body", "body": body})
            return
        await self.send(message)

    def _with_tokens(self, body: bytes) -> bytes:
        return with_form_tokens(body, self.session)


def with_form_tokens(body: bytes, session: MutableMapping[str, Any]) -> bytes:
    """`body` (HTML) with the hidden token input in every POST form; also for
    a page that travels inside another response (an import's progress)."""
    token = str(escape(session_token(session))).encode()
    field = b'<input type="hidden" name="' + FIELD.encode() + b'" value="'
    return _POST_FORM.sub(lambda m: m.group(0) + field + token + b'">', body)
