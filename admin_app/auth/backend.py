"""Login, logout and per-request authentication through SQLAdmin's backend hook."""

from typing import Any

from anyio import to_thread
from sqladmin import Flash
from sqladmin.authentication import AuthenticationBackend
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request

from admin_app.auth.accounts import check_credentials
from admin_app.auth.models import StaffUser

SESSION_COOKIE = "admin_session"


class StaffAuthBackend(AuthenticationBackend):
    """Sessions are itsdangerous-signed cookies holding the user id and version.

    The version is checked against the staff table on every request, so a
    password change, a deactivation or a logout ends every copy of the cookie.
    The cookie has its own name and `path=/admin`, so a host application's
    session is left alone.
    """

    def __init__(
        self,
        secret_key: str,
        session_factory: sessionmaker[Session],
        *,
        base_url: str = "/admin",
        https_only: bool = False,
        max_age: int = 12 * 3600,
    ) -> None:
        super().__init__(
            secret_key,
            session_cookie=SESSION_COOKIE,
            path=base_url,
            same_site="lax",
            https_only=https_only,
            max_age=max_age,
        )
        self.session_factory = session_factory

    async def login(self, request: Request) -> bool:
        form = await request.form()
        username = str(form.get("username", "")).strip()
        password = str(form.get("password", ""))
        if not username or not password:
            return False
        user = await to_thread.run_sync(self._login_sync, username, password)
        request.session.clear()
        if user is None:
            return False
        request.session.update({"user_id": user.id, "version": user.session_version})
        Flash.success(request, f"Logged in as {user.username}.")
        return True

    def _login_sync(self, username: str, password: str) -> StaffUser | None:
        with self.session_factory.begin() as session:
            return check_credentials(session, username, password)

    async def logout(self, request: Request) -> bool:
        request.session.clear()
        Flash.info(request, "You are logged out.")
        return True

    async def authenticate(self, request: Request) -> bool:
        user_id = request.session.get("user_id")
        if not isinstance(user_id, int):
            return False
        user = await to_thread.run_sync(self._load_user, user_id)
        if (
            user is None
            or not user.is_active
            or user.session_version != request.session.get("version")
        ):
            request.session.clear()
            return False
        request.state.staff_user = user
        return True

    def _load_user(self, user_id: int) -> StaffUser | None:
        with self.session_factory() as session:
            return session.get(StaffUser, user_id)

    async def get_user_id(self, request: Request) -> Any:
        user = getattr(request.state, "staff_user", None)
        return user.id if user else None


def current_user(request: Request) -> StaffUser | None:
    """The staff user this request was authenticated as."""
    return getattr(request.state, "staff_user", None)
