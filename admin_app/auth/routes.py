"""Login, logout and custom actions as the admin's routes serve them.

A mixin of the admin site. SQLAdmin's logout and `@action` routes change state
on GET, which any other site can trigger with a link; here they change state
on POST only (with the CSRF token), and a GET shows a page with the button
that posts, so they still work with JavaScript off.
"""

import math
from typing import Any

from anyio import to_thread
from sqladmin import Flash
from sqladmin.authentication import login_required
from sqladmin.authorization import custom_action
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from admin_app.auth.backend import LoginThrottled
from admin_app.auth.next_url import admin_path, safe_next
from admin_app.auth.own_password import AGAIN, CURRENT, NEW, change_own_password
from admin_app.model.keys import BadKey, parse_selection

NEXT_KEY = "next"


class AuthRoutes:
    """Login with throttling and `next`, POST-only logout and actions."""

    async def login(self, request: Request) -> Response:
        if request.method == "GET":
            target = safe_next(request.query_params.get("next"), admin_path(request))
            if target:
                request.session[NEXT_KEY] = target
            return await super().login(request)
        target = safe_next(request.session.get(NEXT_KEY), admin_path(request))
        try:
            response = await super().login(request)
        except LoginThrottled as throttled:
            return await self._throttled(
                request, throttled.retry_after, "logins", "sqladmin/login.html"
            )
        if response.status_code == 302 and target:
            return RedirectResponse(target, status_code=302)
        return response

    async def _throttled(
        self,
        request: Request,
        retry_after: int,
        what: str,
        template: str,
        **context: Any,
    ) -> Response:
        """`template` saying that too many `what` failed, as a 429 with
        `Retry-After`."""
        minutes = math.ceil(retry_after / 60)
        response = await self.templates.TemplateResponse(
            request,
            template,
            {
                **context,
                "error": f"Too many failed {what}. Try again in "
                f"{minutes} minute{'s' if minutes != 1 else ''}.",
            },
            status_code=429,
        )
        response.headers["Retry-After"] = str(retry_after)
        return response

    def add_password_route(self) -> None:
        """`/password`: the logged-in user's own password change."""
        self.admin.router.routes.append(
            Route(
                "/password", self.own_password, methods=["GET", "POST"], name="password"
            )
        )

    @login_required
    async def own_password(self, request: Request) -> Response:
        """The form, then the change (`admin_app.auth.own_password`): back to
        the index with a message, or the form again with each box's problem."""
        errors: dict[str, str] = {}
        if request.method == "POST":
            form = await request.form()
            backend = self.authentication_backend
            change = await to_thread.run_sync(
                change_own_password,
                backend.session_factory,
                backend.throttle,
                request.session["user_id"],
                tuple(str(form.get(name, "")) for name in (CURRENT, NEW, AGAIN)),
                request.client.host if request.client else "",
            )
            if change.retry_after is not None:
                return await self._throttled(
                    request,
                    change.retry_after,
                    "password checks",
                    "sqladmin/own_password.html",
                    fields=(CURRENT, NEW, AGAIN),
                    errors={},
                )
            if change.version is not None:
                request.session["version"] = change.version  # this session goes on
                Flash.success(
                    request, "Your password was changed; your other sessions ended."
                )
                return RedirectResponse(request.url_for("admin:index"), status_code=302)
            errors = change.errors
        return await self.templates.TemplateResponse(
            request,
            "sqladmin/own_password.html",
            {"errors": errors, "fields": (CURRENT, NEW, AGAIN)},
            status_code=400 if errors else 200,
        )

    async def logout(self, request: Request) -> Response:
        if request.method == "POST":
            return await super().logout(request)
        return await self._confirm_logout(request)

    @login_required
    async def _confirm_logout(self, request: Request) -> Response:
        return await self._confirm(
            request,
            title="Log out",
            question="Log out of the admin?",
            button="Log out",
            back_url=str(request.url_for("admin:index")),
        )

    async def _confirm(self, request: Request, **context: Any) -> Response:
        return await self.templates.TemplateResponse(
            request,
            "sqladmin/confirm.html",
            {"action_url": str(request.url), **context},
        )

    def allow_post_logout(self) -> None:
        for route in self.admin.router.routes:
            if isinstance(route, Route) and route.name == "logout":
                route.methods = {"GET", "HEAD", "POST"}

    def _handle_action_decorated_func(
        self, func: Any, view: Any, instance: Any
    ) -> None:
        """SQLAdmin's action route, answering POST; GET shows the button."""
        super()._handle_action_decorated_func(func, view, instance)
        if not hasattr(func, "_action"):
            return
        route = self.admin.router.routes.pop()
        slug, label = func._slug, func._label

        @login_required
        async def confirm(site: Any, request: Request) -> Response:
            if not instance.has_permission(request, custom_action(slug)):
                raise HTTPException(403)
            try:
                pks = parse_selection(request.query_params.get("pks", ""))
            except BadKey as error:
                message = f"pks: {error.args[0]!r} is not a key."
                raise HTTPException(400, message) from error
            return await site._confirm(
                request,
                title=label,
                question=f"{label}: {instance.count_words(len(pks))} chosen.",
                button=label,
                back_url=str(request.url_for("admin:list", identity=instance.identity)),
            )

        async def endpoint(request: Request) -> Response:
            if request.method == "POST":
                return await func(request)
            return await confirm(self, request)

        self.admin.router.routes.append(
            Route(
                route.path,
                endpoint,
                methods=["GET", "POST"],
                name=route.name,
                include_in_schema=route.include_in_schema,
            )
        )
