"""Where to go after login: only a path of this admin, never another host."""

import re
from urllib.parse import unquote

from starlette.requests import Request

_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")


def safe_next(value: object, base_url: str = "/admin") -> str | None:
    """`value` if it is a path under `base_url` on this host, else None.

    Refused: anything not starting with a single `/` (`//evil.example` and
    `/\\evil.example` are other hosts to a browser), schemes, control
    characters and spaces, backslashes, `..` segments, and paths outside the
    admin (the login page of another app must not become an open redirect).
    """
    if not isinstance(value, str) or not value or len(value) > 2000:
        return None
    if not value.startswith("/") or value.startswith("//") or _UNSAFE.search(value):
        return None
    path = unquote(value.split("?", 1)[0].split("#", 1)[0])
    if ".." in path.split("/") or _UNSAFE.search(path):
        return None
    if path != base_url and not path.startswith(base_url + "/"):
        return None
    return value


def admin_path(request: Request) -> str:
    """The path the admin is served at: `/admin`, or a host's mount point."""
    return request.url_for("admin:index").path.rstrip("/")
