"""Login, logout and per-request authentication through SQLAdmin's backend hook."""

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from anyio import to_thread
from sqladmin import Flash
from sqladmin.authentication import AuthenticationBackend
from sqlalchemy.orm import Session, sessionmaker
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from admin_app.auth.accounts import check_credentials
from admin_app.auth.csrf import CSRFMiddleware
from admin_app.auth.methods import MethodGuard
from admin_app.auth.models import StaffUser
from admin_app.auth.session_scope import SessionScope
from admin_app.auth.throttle import Throttle
from admin_app.writing.audit import record

SESSION_COOKIE = "admin_session"
SEEN_RESOLUTION = 60  # seconds: how stale the idle clock may get between writes


def _now() -> int:
    """Seconds since the epoch: the clock of session lifetimes."""
    return int(time.time())


class LoginThrottled(Exception):
    """Too many failed logins; retry after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


@dataclass(frozen=True)
class _Attempt:
    user: StaffUser | None = None
    retry_after: int | None = None


class StaffAuthBackend(AuthenticationBackend):
    """Sessions are itsdangerous-signed cookies holding the user id and version.

    The version is checked against the staff table on every request, so a
    password change, a deactivation or a logout ends every copy of the cookie
    (a signed cookie cannot be revoked otherwise). A session also ends
    `max_age` seconds after login and after `idle_timeout` seconds unused. The
    cookie has its own name and `path=/admin`, so a host application's session
    is left alone. The CSRF middleware runs inside the session middleware,
    since its token lives in the session; HEAD, OPTIONS and TRACE are answered
    before either (see `methods`).
    """

    def __init__(
        self,
        secret_key: str,
        session_factory: sessionmaker[Session],
        *,
        base_url: str = "/admin",
        https_only: bool = False,
        max_age: int = 12 * 3600,
        idle_timeout: int = 3600,
        throttle: Throttle | None = None,
    ) -> None:
        super().__init__(
            secret_key,
            session_cookie=SESSION_COOKIE,
            path=base_url,
            same_site="lax",
            https_only=https_only,
            max_age=max_age,
        )
        self.middlewares = [
            Middleware(MethodGuard),  # before anything reads the method
            Middleware(SessionScope),
            *self.middlewares,  # SQLAdmin's SessionMiddleware
            Middleware(CSRFMiddleware),
        ]
        self.session_factory = session_factory
        self.max_age = max_age
        self.idle_timeout = idle_timeout
        self.throttle = throttle or Throttle()

    async def login(self, request: Request) -> bool:
        """Log in with the form's credentials, in a new session.

        Raises `LoginThrottled` when this username or address failed too often.
        """
        form = await request.form()
        username = str(form.get("username", "")).strip()[:150]
        password = str(form.get("password", ""))[:1024]
        if not username or not password or not username.isprintable():
            return False  # no account has such a name: nothing to count
        address = request.client.host if request.client else ""
        attempt = await to_thread.run_sync(
            self._login_sync, username, password, address
        )
        if attempt.retry_after is not None:
            raise LoginThrottled(attempt.retry_after)
        if attempt.user is None:
            return False
        now = _now()
        request.session.clear()  # a new session, with a new CSRF token
        request.session.update(
            {
                "user_id": attempt.user.id,
                "version": attempt.user.session_version,
                "login_at": now,
                "seen": now,
            }
        )
        Flash.success(request, f"Logged in as {attempt.user.username}.")
        return True

    def _login_sync(self, username: str, password: str, address: str) -> _Attempt:
        """The password checked under the login throttle (`Throttle.counted`),
        failed and throttled attempts recorded in the audit log."""
        found: list[StaffUser] = []

        def check(session: Session) -> bool:
            user = check_credentials(session, username, password)
            if user is None:
                record(
                    session,
                    None,
                    "login_failed",
                    "staff-user",
                    summary=f"Failed login for “{username}” from {address}",
                    username=username,
                )
                return False
            found.append(user)
            return True

        wait = self.throttle.counted(
            self.session_factory, username, address, check, "Login"
        )
        return _Attempt(user=found[0] if found else None, retry_after=wait)

    async def logout(self, request: Request) -> bool:
        """End this session and every copy of its cookie."""
        user_id, version = (
            request.session.get("user_id"),
            request.session.get("version"),
        )
        if isinstance(user_id, int):
            await to_thread.run_sync(self._end_sessions, user_id, version)
        request.session.clear()
        Flash.info(request, "You are logged out.")
        return False  # SQLAdmin then redirects to the login page

    def _end_sessions(self, user_id: int, version: Any) -> None:
        with self.session_factory.begin() as session:
            user = session.get(StaffUser, user_id)
            if user is not None and user.session_version == version:
                user.session_version += 1

    async def authenticate(self, request: Request) -> bool | Response:
        session = request.session
        user_id = session.get("user_id")
        if not isinstance(user_id, int):
            return self._to_login(request)
        now = _now()
        login_at, seen = session.get("login_at"), session.get("seen")
        if (
            not isinstance(login_at, int)
            or not isinstance(seen, int)
            or now - login_at > self.max_age
            or now - seen > self.idle_timeout
        ):
            session.clear()
            return self._to_login(request)
        user = await to_thread.run_sync(self._load_user, user_id)
        if (
            user is None
            or not user.is_active
            or user.session_version != session.get("version")
        ):
            session.clear()
            return self._to_login(request)
        if now - seen >= SEEN_RESOLUTION:
            session["seen"] = now
        request.state.staff_user = user
        return True

    @staticmethod
    def _to_login(request: Request) -> Response:
        """To the login page, which sends the user back here afterwards."""
        url = str(request.url_for("admin:login"))
        if request.method == "GET":
            target = request.url.path
            if request.url.query:
                target += "?" + request.url.query
            url += "?next=" + quote(target, safe="/")
        return RedirectResponse(url, status_code=302)

    def _load_user(self, user_id: int) -> StaffUser | None:
        with self.session_factory() as session:
            return session.get(StaffUser, user_id)

    async def get_user_id(self, request: Request) -> Any:
        user = getattr(request.state, "staff_user", None)
        return user.id if user else None


def current_user(request: Request) -> StaffUser | None:
    """The staff user this request was authenticated as."""
    return getattr(request.state, "staff_user", None)
