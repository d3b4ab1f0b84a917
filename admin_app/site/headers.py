"""Security headers on every response of the admin.

Pages and data are never cached (`no-store`): they hold an organisation's rows
and a signed-in user's forms. Static assets (SQLAdmin's and ours) hold nothing
private, so they keep the static server's caching headers.
"""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admin_app.site.mounting import BASE_URL, serves_at_root_path

CONTENT_SECURITY_POLICY = "; ".join(
    [
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
        "frame-ancestors 'none'",
    ]
)

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

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if not cacheable:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
