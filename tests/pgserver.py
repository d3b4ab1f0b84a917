"""A throwaway PostgreSQL server for the tests, from the machine's binaries.

PostgreSQL refuses to run as root, so when the tests run as root (as in CI)
the server runs as the `postgres` user through `runuser`. It listens on a free
port on 127.0.0.1 with its socket in its own temporary directory.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PG_BIN_DIRS = [Path(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin"))]


def find_pg_bin() -> Path | None:
    for directory in reversed(PG_BIN_DIRS):
        if (directory / "initdb").exists():
            return directory
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    bin_dir: Path
    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 120) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(
            command,
            cwd=self.directory,
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def start(self) -> None:
        # initdb's defaults already let a standby stream from this server:
        # wal_level=replica, max_wal_senders=10, and `replication` entries
        # for 127.0.0.1 in pg_hba.conf (trust, as everything here).
        self._run(
            "initdb", "-A", "trust", "-U", "postgres", "--no-sync", "-D", str(self.data)
        )
        self.run_server()

    def run_server(self) -> None:
        """Start the server on its data directory, waiting until it answers."""
        # a test's CREATE DATABASE writes its catalogue through the WAL:
        # recycled at 256 MB, the data folder stays small (it may be in memory)
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_wal_size=256MB"
        )
        self._run(
            "pg_ctl",
            "-w",
            "-t",
            "60",
            "-D",
            str(self.data),
            "-l",
            str(self.directory / "log"),
            "-o",
            options,
            "start",
        )

    def stop_server(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-t", "60", "stop")

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():  # a test may have stopped it
                self.stop_server()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


@dataclass
class StandbyServer(PostgresServer):
    """A hot standby streaming from a primary: `pg_basebackup -R` of it, which
    writes `standby.signal` and the primary's address into the copy."""

    primary: PostgresServer | None = None

    def start(self) -> None:
        assert self.primary is not None
        self._run(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.primary.port),
            "-U",
            "postgres",
            "-D",
            str(self.data),
            "-R",
            "-X",
            "stream",
            "--no-sync",
            timeout=120,
        )
        self.run_server()


def _directory(prefix: str) -> Path:
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    directory.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    return directory


def _started(server: PostgresServer) -> PostgresServer:
    try:
        server.start()
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        log = server.directory / "log"
        detail = log.read_text() if log.exists() else error.stderr
        if log.exists():
            with contextlib.suppress(
                subprocess.CalledProcessError, subprocess.TimeoutExpired
            ):
                server.stop_server()
        shutil.rmtree(server.directory, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {detail}") from error
    return server


def start_postgres() -> PostgresServer:
    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise FileNotFoundError(
            "PostgreSQL binaries (initdb, pg_ctl) are not installed"
        )
    return _started(PostgresServer(bin_dir, _directory("admin-test-pg-"), _free_port()))


def start_standby(primary: PostgresServer) -> StandbyServer:
    """A hot standby of `primary` on a port of its own; stop it first."""
    standby = StandbyServer(
        primary.bin_dir, _directory("admin-test-standby-"), _free_port(), primary
    )
    _started(standby)
    return standby
