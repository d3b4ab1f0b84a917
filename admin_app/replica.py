"""Reads from a read replica, everything else from the primary.

With `ADMIN_READ_DATABASE_URL` set, list pages, counts, exports, details and
the choices of filters and selects read a replica, so the primary's load is
its writes. One mechanism routes them: the site's sessions are
`RoutingSession`s, which send a statement to the replica only while

- the request is one of those reading pages (the site marks it with
  `replica_reads`, see `admin_app.site.read_routing`), not a write, an edit
  form (whose version token must be the row as it is now) or the page a user
  sees shortly after their own save (so nobody misses their own change), and
- the statement is a plain `SELECT` (the audit entry an export writes goes to
  the primary, as does any flush).

The replica may be down. Its engine then connects to the primary instead:
a request never fails because of it. The outage is logged once; the replica
is tried again `retry_after` seconds later, and used again once it answers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import CompoundSelect, Engine, Select, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

RETRY_AFTER = 10.0  # seconds between attempts to reach a replica that was down
CONNECT_TIMEOUT = 5  # seconds: an unreachable replica must not hang a request
_FALLBACK = "admin_replica_fallback"  # a pooled connection that is the primary's

_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


@contextmanager
def replica_reads(allowed: bool = True) -> Iterator[None]:
    """Inside this block (a request, and the threads it starts) reads may go
    to the replica. Outside it (the command line, scripts, writes) they never do."""
    token = _replica_reads.set(allowed)
    try:
        yield
    finally:
        _replica_reads.reset(token)


class ReadReplica:
    """A replica's engine whose connections are the primary's while the replica
    cannot be reached."""

    def __init__(
        self,
        engine: Engine,
        primary: Engine,
        *,
        retry_after: float = RETRY_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.primary = primary
        self.retry_after = retry_after
        self.clock = clock
        self._down_until: float | None = None
        self._lock = threading.Lock()
        event.listen(engine, "do_connect", self._connect)
        event.listen(engine, "checkout", self._checkout)

    @property
    def is_down(self) -> bool:
        """Whether the replica failed to answer and is not due for a retry."""
        down_until = self._down_until
        return down_until is not None and self.clock() < down_until

    def _connect(
        self, dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]
    ) -> Any:
        """A new connection: the replica's, or the primary's while it is down."""
        if not self.is_down:
            if dialect.name == "postgresql":
                cparams.setdefault("connect_timeout", CONNECT_TIMEOUT)
            try:
                connection = dialect.connect(*cargs, **cparams)
            except dialect.loaded_dbapi.Error as error:
                self._failed(error)
            else:
                self._answered()
                record.info[_FALLBACK] = False
                return connection
        record.info[_FALLBACK] = True
        borrowed = self.primary.raw_connection()
        borrowed.detach()  # now this pool's to keep and close
        return borrowed.dbapi_connection

    def _checkout(self, _dbapi: Any, record: Any, _proxy: Any) -> None:
        """A pooled connection to the primary is replaced (by a connection to
        the replica, if it answers) once the replica is due for a retry."""
        if record.info.get(_FALLBACK) and not self.is_down:
            raise DisconnectionError("retrying the read replica")

    def _failed(self, error: Exception) -> None:
        with self._lock:
            first = self._down_until is None
            self._down_until = self.clock() + self.retry_after
        if first:
            detail = str(error).strip().splitlines()[0] if str(error).strip() else ""
            logger.warning(
                "The read replica cannot be reached (%s); reading from the "
                "primary, trying the replica again every %g s.",
                detail or type(error).__name__,
                self.retry_after,
            )

    def _answered(self) -> None:
        with self._lock:
            was_down = self._down_until is not None
            self._down_until = None
        if was_down:
            logger.warning("The read replica answers again; reading from it.")

    def dispose(self) -> None:
        self.engine.dispose()


def _is_plain_read(clause: Any) -> bool:
    if isinstance(clause, CompoundSelect):
        return True
    return isinstance(clause, Select) and clause._for_update_arg is None


class RoutingSession(Session):
    """A session whose plain `SELECT`s go to the replica when the request
    allows it (`replica_reads`); flushes, other statements and everything
    outside such a request go to the session's own bind, the primary."""

    def __init__(self, *args: Any, replica: ReadReplica | None = None, **kw: Any):
        super().__init__(*args, **kw)
        self.replica = replica

    def bind_for_reads(self) -> Engine:
        """Where this request's reads go (the export streams from it)."""
        replica = self.replica
        if replica is not None and _replica_reads.get() and not replica.is_down:
            return replica.engine
        primary = super().get_bind()
        assert isinstance(primary, Engine)
        return primary

    def get_bind(self, mapper: Any = None, *, clause: Any = None, **kw: Any) -> Any:
        if (
            self.replica is not None
            and not self._flushing
            and kw.get("bind") is None
            and _is_plain_read(clause)
        ):
            return self.bind_for_reads()
        return super().get_bind(mapper, clause=clause, **kw)


def engine_for_reads(session_maker: Callable[[], Session]) -> Engine:
    """The engine reads of this request use: the replica where allowed."""
    with session_maker() as session:
        if isinstance(session, RoutingSession):
            return session.bind_for_reads()
        bind = session.get_bind()
        assert isinstance(bind, Engine)
        return bind
