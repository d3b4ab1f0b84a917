"""The tests' temporary files in memory, where the machine has room for them.

Every test writes a database: a SQLite file, or a PostgreSQL database the
throwaway server makes with `CREATE DATABASE`, which writes its 8 MB
catalogue as files. On a virtual disk a SQLite commit's sync took a
millisecond and a `CREATE DATABASE` from 0.05 to 0.4 s (on a memory
filesystem, 0.08 ms and 0.015 s): most of a PostgreSQL test's setup. The
servers and files are the same real ones; only where their bytes live
changes. A `TMPDIR` the user set is kept, and so is the disk where the memory
filesystem is small (a container's 64 MB `/dev/shm`).
"""

import os
import shutil
import tempfile
from pathlib import Path

MEMORY_FILESYSTEM = Path("/dev/shm")
# room for the suite's files (about 0.3 GB a run, kept for the last runs as
# pytest keeps them) and both workers' PostgreSQL servers with their WAL
LEAST_ROOM = 4 * 1024**3


def keep_temporary_files_in_memory() -> None:
    """Point `tempfile` and the processes the tests start (the servers,
    Chromium, LibreOffice) at the memory filesystem when there is room."""
    if "TMPDIR" in os.environ or not _has_room(MEMORY_FILESYSTEM):
        return
    os.environ["TMPDIR"] = str(MEMORY_FILESYSTEM)
    tempfile.tempdir = None  # found again, from TMPDIR, at the next use


def _has_room(folder: Path) -> bool:
    if not (folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)):
        return False
    return shutil.disk_usage(folder).free >= LEAST_ROOM
