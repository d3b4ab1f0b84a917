"""Security headers on every response of the admin.

Pages and data are never cached (`no-store`): they hold an organisation's rows
and a signed-in user's forms. Static assets (SQLAdmin's and ours) hold nothing
private, so they keep the static server's caching headers.
"""

from starlette.datastructures import MutableHeaders, QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admin_app.site.add_related import popup_requested
from admin_app.site.mounting import BASE_URL, serves_at_root_path

_POLICY = [
    "default-src 'self'",
    "script-src 'self'",
    # SQLAdmin's markup and its widgets (select2, flatpickr) set inline
    # styles; styles cannot run code, and no other origin is allowed.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
]
CONTENT_SECURITY_POLICY = "; ".join([*_POLICY, "frame-ancestors 'none'"])
# A popup page (`_popup=1`, add_related.py) is shown in a dialog of the admin's
# own pages: framed by its own origin, never by another.
POPUP_POLICY = "; ".join([*_POLICY, "frame-ancestors 'self'"])

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

STATIC_PREFIXES = ("/statics/", "/static/")  # SQLAdmin's and ours, in the admin


def _is_static(scope: Scope) -> bool:
    path, root = scope["path"], scope.get("root_path", "")
    path = path[len(root) :] if path.startswith(root) else path
    if not serves_at_root_path(scope):  # the admin is under /admin
        if not path.startswith(BASE_URL + "/"):
            return False
        path = path[len(BASE_URL) :]
    return path.startswith(STATIC_PREFIXES)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = _is_static(scope)
        framed = popup_requested(QueryParams(scope.get("query_string", b"")))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if framed:
                    headers["X-Frame-Options"] = "SAMEORIGIN"
                    headers["Content-Security-Policy"] = POPUP_POLICY
                if not cacheable:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
