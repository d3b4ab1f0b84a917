"""Login throttling kept in the database, so every worker counts the same failures.

Five failed logins for one username, or twenty from one client address, within
fifteen minutes lock further attempts (the right password included) until
enough of those failures are older than the window. Throttled attempts are not
counted themselves, so the lock ends on time however often a client retries.
A successful login clears its username's count, never its address's: one good
account must not reset the count for guessing others from the same place.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from admin_app.auth.models import LoginAttempt

WINDOW = timedelta(minutes=15)
USERNAME_LIMIT = 5
ADDRESS_LIMIT = 20


@dataclass(frozen=True)
class Throttle:
    window: timedelta = WINDOW
    username_limit: int = USERNAME_LIMIT
    address_limit: int = ADDRESS_LIMIT

    def retry_after(
        self, session: Session, username: str, address: str, now: datetime
    ) -> int | None:
        """Seconds until this username and address may try again, or None."""
        waits = [
            wait
            for wait in (
                self._wait(
                    session,
                    LoginAttempt.username,
                    _key(username),
                    self.username_limit,
                    now,
                ),
                self._wait(
                    session, LoginAttempt.address, address, self.address_limit, now
                ),
            )
            if wait is not None
        ]
        return max(waits, default=None)

    def _wait(
        self,
        session: Session,
        column: InstrumentedAttribute,
        value: str,
        limit: int,
        now: datetime,
    ) -> int | None:
        # The limit-th most recent failure: while it is inside the window, the
        # window holds `limit` failures.
        oldest_counted = session.scalar(
            select(LoginAttempt.at)
            .where(column == value, LoginAttempt.at > now - self.window)
            .order_by(LoginAttempt.at.desc())
            .offset(limit - 1)
            .limit(1)
        )
        if oldest_counted is None:
            return None
        return max(1, math.ceil((oldest_counted + self.window - now).total_seconds()))

    def record_failure(
        self, session: Session, username: str, address: str, now: datetime
    ) -> None:
        session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - self.window))
        session.add(LoginAttempt(at=now, username=_key(username), address=address))

    def clear(self, session: Session, username: str) -> None:
        session.execute(
            delete(LoginAttempt).where(LoginAttempt.username == _key(username))
        )


def _key(username: str) -> str:
    return username.strip().casefold()[:150]
