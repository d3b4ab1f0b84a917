"""Where the admin is served: at `/admin` on its own, at the mount point when mounted.

`uvicorn --factory admin_app:create_app` serves the admin at `/admin`, and `/`
redirects there. `host.mount("/backoffice", create_app())` in a Starlette or
FastAPI application serves it at `/backoffice` itself, not at
`/backoffice/admin`: below a host's `Mount` the admin routes through a second
router that has SQLAdmin's app at its root. A host's `Mount` is recognised by
what Starlette puts in the scope: `root_path` grows by the mount's prefix while
`app_root_path` keeps the server's own root path.

Either way the admin builds its URLs with its own router from its own root
path, so links, redirects, static files, `next` after login and the session
cookie's path all follow the mount point; and it works on a copy of the scope,
so its session never lands in the scope a host's own `SessionMiddleware`
reads back.
"""

from urllib.parse import quote

from starlette.datastructures import MutableHeaders
from starlette.routing import Mount, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BASE_URL = "/admin"
"""Where the admin is when it is the whole application."""


def serves_at_root_path(scope: Scope) -> bool:
    """Whether a host's `Mount` put the admin at `root_path` (else the admin
    is the application, with its pages under `/admin`)."""
    app_root = scope.get("app_root_path")
    return app_root is not None and scope.get("root_path", "") != app_root


class AdminRouter(Router):
    """The application's router: its own routes (`/`, `/favicon.ico`, the admin
    at `/admin`), or, below a host's `Mount`, SQLAdmin's app at the mount point."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.at_mount_point: Router | None = None

    def serve_at_mount_point(self, admin: ASGIApp) -> None:
        """Route to `admin` (SQLAdmin's app) at the root when mounted."""
        self.at_mount_point = Router(routes=[Mount("", app=admin, name="admin")])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await super().__call__(scope, receive, send)
            return
        mounted = self.at_mount_point is not None and serves_at_root_path(scope)
        router = self.at_mount_point if mounted else self
        own = {**scope, "router": router, "app_root_path": scope.get("root_path", "")}
        if router is self:
            await super().__call__(own, receive, send)
        else:
            await router(own, receive, send)


class CookiePathFollowsMount:
    """The admin's session cookie is sent back only under the admin's path.

    Starlette's `SessionMiddleware` writes the path it was given at start; the
    admin's path is known per request (`root_path` of SQLAdmin's app), so it
    is written here instead.
    """

    def __init__(self, app: ASGIApp, cookie_name: str) -> None:
        self.app = app
        self.prefix = cookie_name + "="

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Quoted: a mount path with parameters holds what the client sent.
        path = quote(scope.get("root_path", "") or "/", safe="/:@!$&'()*+,=-._~")

        async def send_with_path(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                cookies = headers.getlist("set-cookie")
                if any(cookie.startswith(self.prefix) for cookie in cookies):
                    del headers["set-cookie"]
                    for cookie in cookies:
                        if cookie.startswith(self.prefix):
                            cookie = _with_path(cookie, path)
                        headers.append("set-cookie", cookie)
            await send(message)

        await self.app(scope, receive, send_with_path)


def _with_path(cookie: str, path: str) -> str:
    parts = [part for part in cookie.split(";") if part.strip()]
    kept = [parts[0]] + [
        part for part in parts[1:] if not part.strip().lower().startswith("path=")
    ]
    return "; ".join([kept[0], f"path={path}", *(p.strip() for p in kept[1:])])
