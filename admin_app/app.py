"""Assemble the Starlette application: settings, engine, login, views."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqladmin import Admin
from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from admin_app.auth.backend import SESSION_COOKIE, StaffAuthBackend
from admin_app.auth.models import StaffGroup, StaffUser
from admin_app.auth.permissions import StaffAuthorization
from admin_app.db import (
    engine_for,
    make_engine,
    make_read_replica,
    make_session_factory,
)
from admin_app.settings import ImproperlyConfigured, Settings
from admin_app.site.admin_site import TEMPLATES_DIR, AdminSite
from admin_app.site.auditlog import AuditEntryAdmin
from admin_app.site.headers import SecurityHeadersMiddleware
from admin_app.site.mounting import BASE_URL, AdminRouter, CookiePathFollowsMount
from admin_app.site.read_routing import ReadRouting
from admin_app.site.registry import build_views
from admin_app.site.staff import StaffGroupAdmin, StaffUserAdmin
from admin_app.writing.audit import AuditEntry

# The admin's own tables and the views that serve them.
BUILTIN_VIEWS = {
    StaffUser: StaffUserAdmin,
    StaffGroup: StaffGroupAdmin,
    AuditEntry: AuditEntryAdmin,
}


async def _to_admin(request: Request) -> RedirectResponse:
    return RedirectResponse(request.url_for("admin:index").path, status_code=302)


async def _icon(request: Request) -> RedirectResponse:
    """Browsers ask for /favicon.ico whatever the page names."""
    icon = request.url_for("admin:admin_static", path="favicon.svg")
    return RedirectResponse(icon.path, status_code=301)


@asynccontextmanager
async def _set_aside_from_gc(_app: Starlette) -> AsyncIterator[None]:
    """Once the admin has started in a process of its own, the objects it has
    made (modules, mappers, validators, templates: over 100,000) are set
    aside from the garbage collector (`gc.freeze`). Each full collection
    scanned them all, and the many objects of a large import set off dozens
    of them: a sixth of an import's time. Once a process: objects set aside
    are never collected, so a process that starts many apps (a test run)
    sets aside only the first one's. Mounted in a host application, the
    host's lifespan runs instead, and the host's collector is left alone."""
    if not gc.get_freeze_count():
        gc.collect()
        gc.freeze()
    yield


def create_app(
    database_url: str | None = None,
    models: str | list[str] | None = None,
    secret_key: str | None = None,
    engine: Engine | AsyncEngine | None = None,
    read_database_url: str | None = None,
) -> Starlette:
    """The admin site as a Starlette app: at `/admin` when served on its own,
    at the mount point when mounted (`host.mount("/admin", create_app())`).

    Missing arguments come from `DATABASE_URL`, `ADMIN_MODELS` (a dotted module
    path, or several separated by commas; default `models`) and
    `ADMIN_SECRET_KEY`. `engine` is the host application's `Engine` or
    `AsyncEngine`, instead of a URL; an async driver, in a URL or an engine,
    is served through the same database's synchronous driver.
    `read_database_url` (else `ADMIN_READ_DATABASE_URL`) names a read replica
    for list pages, counts, exports and details (see `admin_app.replica`).
    """
    if engine is not None and database_url is not None:
        raise ImproperlyConfigured("Pass create_app() a database_url or an engine.")
    if engine is not None:
        engine = engine_for(engine)
        database_url = engine.url.render_as_string(hide_password=False)
    settings = Settings.load(database_url, models, secret_key, read_database_url)
    if engine is None:
        engine = make_engine(settings.database_url)
    # Logins, sessions and grants always read the primary: a logout, a
    # deactivation or a revoked grant counts at once.
    session_factory = make_session_factory(engine)
    replica = (
        make_read_replica(settings.read_database_url, engine)
        if settings.read_database_url
        else None
    )
    pages_factory = make_session_factory(engine, replica)
    backend = StaffAuthBackend(
        settings.secret_key,
        session_factory,
        base_url=BASE_URL,
        https_only=settings.https_only,
        max_age=settings.session_max_age,
        idle_timeout=settings.session_idle_timeout,
    )
    if replica is not None:
        backend.middlewares.append(Middleware(ReadRouting))
    app = Starlette(
        middleware=[
            Middleware(SecurityHeadersMiddleware),
            # SQLAdmin builds absolute redirects from the Host header.
            Middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts),
        ],
    )
    app.router = AdminRouter(
        routes=[Route("/", _to_admin), Route("/favicon.ico", _icon)],
        lifespan=_set_aside_from_gc,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.read_replica = replica
    site: Admin = AdminSite(
        app,
        engine=engine,
        session_maker=pages_factory,
        base_url=BASE_URL,
        title=settings.title,
        templates_dir=str(TEMPLATES_DIR),
        middlewares=[Middleware(CookiePathFollowsMount, cookie_name=SESSION_COOKIE)],
        authentication_backend=backend,
        authorization_backend=StaffAuthorization(session_factory),
    )
    for view in build_views(settings.models, BUILTIN_VIEWS):
        site.add_view(view)
    app.router.serve_at_mount_point(site.admin)
    app.state.admin = site
    return app
