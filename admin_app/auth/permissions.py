"""Who may do what: deny by default, superusers may do everything."""

from sqladmin.authorization import WILDCARD, GrantsAuthorizationBackend
from starlette.requests import Request

from admin_app.auth.backend import current_user


class StaffAuthorization(GrantsAuthorizationBackend):
    """Grants of the logged-in staff user, loaded once per request.

    A superuser holds every grant; any other user holds none until groups
    grant them, so a new account can see nothing (deny by default).
    """

    async def get_grants(self, request: Request) -> set[tuple[str, str]]:
        user = current_user(request)
        if user is not None and user.is_superuser:
            return {(WILDCARD, WILDCARD)}
        return set()
