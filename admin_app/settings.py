"""Settings from arguments or the environment.

Arguments win over environment variables, which win over defaults, so a test
or an embedding application can pass everything explicitly while an operator
configures a deployment with variables alone.
"""

import ipaddress
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from admin_app.model.parsing import whole_number

DEFAULT_DATABASE_URL = "sqlite:///admin.db"
DEFAULT_MODELS = ("models",)
DEFAULT_ALLOWED_HOSTS = ("localhost", "127.0.0.1")
SECRET_KEY_FILE = ".admin-secret-key"


class ImproperlyConfigured(RuntimeError):
    """The admin cannot start with the settings it was given."""


def _split_models(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    return tuple(name.strip() for name in value if name.strip())


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _env_seconds(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    seconds = whole_number(text)
    if seconds is None or seconds < 60:
        raise ImproperlyConfigured(f"{name} must be a number of seconds, at least 60.")
    return seconds


def _env_list(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    text = os.environ.get(name, "")
    return tuple(item.strip() for item in text.split(",") if item.strip()) or default


@dataclass(frozen=True)
class Settings:
    database_url: str
    models: tuple[str, ...]
    secret_key: str
    https_only: bool = False
    title: str = "Admin"
    session_max_age: int = 12 * 3600
    """Absolute lifetime of a login, in seconds."""
    session_idle_timeout: int = 3600
    """A session unused for this long, in seconds, has to log in again."""
    allowed_hosts: tuple[str, ...] = DEFAULT_ALLOWED_HOSTS
    """`Host` headers the site answers; any other gets 400 (`*.example.com` works)."""
    read_database_url: str | None = None
    """A read replica for lists, counts, exports and details (optional)."""

    @classmethod
    def load(
        cls,
        database_url: str | None = None,
        models: str | list[str] | tuple[str, ...] | None = None,
        secret_key: str | None = None,
        read_database_url: str | None = None,
    ) -> "Settings":
        statement_timeout()  # a bad value stops the start, not a request
        secret_key = secret_key or os.environ.get("ADMIN_SECRET_KEY")
        if not secret_key:
            raise ImproperlyConfigured(
                "No secret key: set ADMIN_SECRET_KEY or pass secret_key= to "
                "create_app(). `admin-app serve` creates one for you."
            )
        return cls(
            database_url=database_url
            or os.environ.get("DATABASE_URL")
            or DEFAULT_DATABASE_URL,
            models=_split_models(models or os.environ.get("ADMIN_MODELS") or "")
            or DEFAULT_MODELS,
            secret_key=secret_key,
            https_only=_env_flag("ADMIN_HTTPS_ONLY"),
            title=os.environ.get("ADMIN_TITLE", "Admin"),
            session_max_age=_env_seconds("ADMIN_SESSION_MAX_AGE", 12 * 3600),
            session_idle_timeout=_env_seconds("ADMIN_SESSION_IDLE_TIMEOUT", 3600),
            allowed_hosts=_env_list("ADMIN_ALLOWED_HOSTS", DEFAULT_ALLOWED_HOSTS),
            read_database_url=read_database_url
            or os.environ.get("ADMIN_READ_DATABASE_URL", "").strip()
            or None,
        )


DEFAULT_STATEMENT_TIMEOUT = 30.0


def statement_timeout() -> float:
    """`ADMIN_STATEMENT_TIMEOUT`: seconds a list, count or index query may run
    on PostgreSQL before the database cancels it (0: no limit). Read each
    time, so a test or an operator's change applies without a restart."""
    text = os.environ.get("ADMIN_STATEMENT_TIMEOUT", "").strip()
    if not text:
        return DEFAULT_STATEMENT_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < 1e6:
        raise ImproperlyConfigured(
            "ADMIN_STATEMENT_TIMEOUT must be a number of seconds (0 for no limit), "
            f"not {text!r}."
        )
    return seconds


DEFAULT_IMPORT_MAX_BYTES = 20 * 1024 * 1024


def import_max_bytes() -> int:
    """`ADMIN_IMPORT_MAX_BYTES`: the largest file an import accepts (an XLSX
    may expand to five times that). Read each time, like the statement
    timeout. Uploads above 32 MB are refused before this by the request size
    limit, whatever this says."""
    value = _env_count("ADMIN_IMPORT_MAX_BYTES", 1)
    return DEFAULT_IMPORT_MAX_BYTES if value is None else value


_FLAGS = {"1": True, "true": True, "yes": True, "on": True}
_FLAGS.update({"0": False, "false": False, "no": False, "off": False})


def _env_count(name: str, minimum: int) -> int | None:
    text = os.environ.get(name, "").strip()
    if not text:
        return None
    count = whole_number(text)
    if count is None or count < minimum:
        raise ImproperlyConfigured(
            f"{name} must be a whole number, at least {minimum}."
        )
    return count


def pool_settings() -> dict[str, object]:
    """The connection pool options set in the environment, as SQLAlchemy names
    them: `ADMIN_POOL_SIZE`, `ADMIN_MAX_OVERFLOW`, `ADMIN_POOL_RECYCLE`
    (seconds) and `ADMIN_POOL_PRE_PING`. Only those set are returned, so the
    engine's defaults (and pre-ping on) apply to the rest. Each worker process
    has its own pool: the database sees up to workers x (size + overflow)
    connections, twice that with a read replica.
    """
    options: dict[str, object] = {}
    for name, option, minimum in (
        ("ADMIN_POOL_SIZE", "pool_size", 1),
        ("ADMIN_MAX_OVERFLOW", "max_overflow", 0),
        ("ADMIN_POOL_RECYCLE", "pool_recycle", 1),
    ):
        value = _env_count(name, minimum)
        if value is not None:
            options[option] = value
    text = os.environ.get("ADMIN_POOL_PRE_PING", "").strip().lower()
    if text:
        if text not in _FLAGS:
            raise ImproperlyConfigured(
                "ADMIN_POOL_PRE_PING must be on or off (true/false, 1/0, yes/no)."
            )
        options["pool_pre_ping"] = _FLAGS[text]
    return options


def trusted_proxies() -> tuple[str, ...]:
    """`ADMIN_TRUSTED_PROXIES`: the addresses or networks of the reverse proxies
    whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed. None by
    default: without a proxy, any client could claim any address, and so dodge
    the per-address login limit and write a forged address into the audit log.
    """
    proxies = _env_list("ADMIN_TRUSTED_PROXIES", ())
    for proxy in proxies:
        if proxy == "*":
            continue
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"ADMIN_TRUSTED_PROXIES: {proxy!r} is not an address or network "
                "(like 10.0.0.5, 10.0.0.0/8 or fd00::/8), nor *."
            ) from None
    return proxies


def load_or_create_secret_key(path: Path) -> tuple[str, bool]:
    """Read the key kept in `path`, or create it readable by its owner only.

    Returns the key and whether it was created now. Every worker of one
    deployment must sign sessions with the same key, so it is kept on disk
    rather than made anew at each start.
    """
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key, False
    key = secrets.token_urlsafe(48)
    fd = os.open(
        path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR
    )
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    return key, True
