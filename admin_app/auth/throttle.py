"""Login throttling kept in the database, so every worker counts the same failures.

Five failed logins for one username, or twenty from one client address, within
fifteen minutes lock further attempts (the right password included) until
enough of those failures are older than the window. An attempt is counted as a
failure before its password is checked and kept as one unless it succeeds, so
attempts sent in parallel see each other. Throttled attempts are not counted,
so the lock ends on time however often a client retries. A successful login
clears its username's count. IPv6 clients are counted per /64 network, since
one client may hold all of its addresses.
"""

import ipaddress
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from admin_app.auth.models import LoginAttempt
from admin_app.clock import utcnow
from admin_app.writing.audit import record

WINDOW = timedelta(minutes=15)
USERNAME_LIMIT = 5
ADDRESS_LIMIT = 20


@dataclass(frozen=True)
class Throttle:
    window: timedelta = WINDOW
    username_limit: int = USERNAME_LIMIT
    address_limit: int = ADDRESS_LIMIT

    def counted(
        self,
        factory: sessionmaker[Session],
        username: str,
        address: str,
        check: Callable[[Session], bool],
        what: str,
        keys: tuple[str, ...] = (),
    ) -> int | None:
        """Try a password for `username` from `address` under the limits:
        `check(session)` tells whether it was right (and does what follows);
        while too many failed, the audit log records `what` ("Login",
        "Password change", of the staff user `keys`) as refused instead.
        Returns the seconds to wait, or None when `check` ran.

        Three short transactions (count the attempt, check the limits, then
        the password), so parallel attempts see each other and no
        transaction is open while a password hash is computed."""
        now = utcnow()
        with factory.begin() as session:
            attempt_id = self.start(session, username, address, now)
        with factory.begin() as session:
            wait = self.retry_after(session, username, address, now)
            if wait is not None:
                self.withdraw(session, attempt_id)
                record(
                    session,
                    None,
                    "login_throttled",
                    "staff-user",
                    keys,
                    summary=f"{what} refused for “{username}” from {address}: "
                    "too many failed attempts",
                    username=username,
                )
                return wait
        with factory.begin() as session:
            if check(session):
                self.clear(session, username)
        return None

    def start(
        self, session: Session, username: str, address: str, now: datetime
    ) -> int:
        """Count an attempt as a failure until it succeeds; return its id."""
        session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - self.window))
        attempt = LoginAttempt(
            at=now, username=_username_key(username), address=_address_key(address)
        )
        session.add(attempt)
        session.flush()
        assert attempt.id is not None
        return attempt.id

    def retry_after(
        self, session: Session, username: str, address: str, now: datetime
    ) -> int | None:
        """Seconds until a started attempt may go on, or None if it may now.

        The started attempt is one of the rows counted, so an attempt may go on
        while the window holds at most `limit` of them.
        """
        waits = [
            self._wait(
                session,
                LoginAttempt.username,
                _username_key(username),
                self.username_limit,
                now,
            ),
            self._wait(
                session,
                LoginAttempt.address,
                _address_key(address),
                self.address_limit,
                now,
            ),
        ]
        return max((wait for wait in waits if wait is not None), default=None)

    def _wait(
        self,
        session: Session,
        column: InstrumentedAttribute,
        value: str,
        limit: int,
        now: datetime,
    ) -> int | None:
        # The (limit+1)-th most recent attempt: while it is inside the window,
        # `limit` failures came before the one being made.
        oldest_counted = session.scalar(
            select(LoginAttempt.at)
            .where(column == value, LoginAttempt.at > now - self.window)
            .order_by(LoginAttempt.at.desc(), LoginAttempt.id.desc())
            .offset(limit)
            .limit(1)
        )
        if oldest_counted is None:
            return None
        return max(1, math.ceil((oldest_counted + self.window - now).total_seconds()))

    def withdraw(self, session: Session, attempt_id: int) -> None:
        """A throttled attempt was not tried, so it is no failure."""
        session.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt_id))

    def clear(self, session: Session, username: str) -> None:
        session.execute(
            delete(LoginAttempt).where(LoginAttempt.username == _username_key(username))
        )


def _username_key(username: str) -> str:
    return username.strip().casefold()[:150]


def _address_key(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
