"""Keep a host application's session apart from the admin's.

Starlette's `SessionMiddleware` keeps the session in `scope["session"]`. When
the admin is mounted in an application that has its own, the admin's
middleware replaces that entry, and the host's middleware would then write the
admin's session into the host's cookie. This puts the host's session back
before the response leaves the admin.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_MISSING = object()


class SessionScope:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        outer = scope.get("session", _MISSING)
        if scope["type"] != "http" or outer is _MISSING:
            await self.app(scope, receive, send)
            return

        async def restore_then_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                scope["session"] = outer
            await send(message)

        await self.app(scope, receive, restore_then_send)
