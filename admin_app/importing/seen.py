"""The rows an import has written, by key: to refuse a later row of the file
that names one of them again ("This row is the same row as row 12"), and to
tell which rows it added (a later row naming one names a row whose key the
confirmation makes anew).

Kept in memory, a file of a million rows would hold a million keys with their
row numbers (about 150 bytes each). They are kept in a private temporary
SQLite database on disk instead, whose page cache holds at most a few
megabytes of it; only the rows of the batch being written are in memory, as a
batch that is run again row by row forgets them.
"""

import sqlite3
from collections.abc import Iterable

RECALLED_AT_ONCE = 500  # keys a query asks for (SQLite's old limit: 999)


class SeenRows:
    """Each written row's key, the number of the file's row that wrote it,
    and whether that row added it."""

    def __init__(self) -> None:
        # "": a private database in a temporary file, deleted when closed
        self._db = sqlite3.connect("", check_same_thread=False)
        self._db.execute(
            "CREATE TABLE seen (key TEXT PRIMARY KEY, row INTEGER, added INTEGER)"
            " WITHOUT ROWID"
        )
        self._batch: dict[str, tuple[int, bool]] = {}
        self._asked: frozenset[str] = frozenset()  # by `recall`
        self._recalled: dict[str, tuple[int, bool]] = {}

    def recall(self, keys: Iterable[str]) -> None:
        """Look up the keys a batch's rows have before the batch runs, a few
        queries for the batch rather than one a row."""
        self._asked = frozenset(keys)
        self._recalled = {}
        asked = list(self._asked)
        for start in range(0, len(asked), RECALLED_AT_ONCE):
            chunk = asked[start : start + RECALLED_AT_ONCE]
            marks = ",".join("?" * len(chunk))
            found = self._db.execute(
                f"SELECT key, row, added FROM seen WHERE key IN ({marks})", chunk
            )
            self._recalled.update((k, (row, bool(added))) for k, row, added in found)

    def earlier(self, key: str) -> int | None:
        """The number of the row that wrote the row `key` names, if one did."""
        found = self._written(key)
        return None if found is None else found[0]

    def added_earlier(self, key: str) -> int | None:
        """The number of the row that added the row `key` names, if one did."""
        found = self._written(key)
        return found[0] if found is not None and found[1] else None

    def _written(self, key: str) -> tuple[int, bool] | None:
        found = self._batch.get(key)
        if found is None:
            if key in self._asked:
                return self._recalled.get(key)
            hit = self._db.execute("SELECT row, added FROM seen WHERE key = ?", (key,))
            found = next(((row, bool(added)) for row, added in hit), None)
        return found

    def saw(self, key: str, number: int, added: bool = False) -> None:
        self._batch[key] = (number, added)

    def forget_batch(self) -> None:
        """Forget the rows of a batch that is run again."""
        self._batch = {}

    def keep_batch(self) -> None:
        """Keep the batch's rows (on disk) and start the next batch."""
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO seen VALUES (?, ?, ?)",
                ((key, row, added) for key, (row, added) in self._batch.items()),
            )
        self._batch = {}
        self._asked, self._recalled = frozenset(), {}

    def close(self) -> None:
        self._db.close()
