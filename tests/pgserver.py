"""A throwaway PostgreSQL server for the tests, from the machine's binaries.

PostgreSQL refuses to run as root, so when the tests run as root (as in CI)
the server runs as the `postgres` user through `runuser`. It listens on a free
port on 127.0.0.1 with its socket in its own temporary directory.
"""

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

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(
            command, cwd=self.directory, check=True, capture_output=True, text=True
        )

    def start(self) -> None:
        data = self.directory / "data"
        self._run(
            "initdb", "-A", "trust", "-U", "postgres", "--no-sync", "-D", str(data)
        )
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl",
            "-w",
            "-D",
            str(data),
            "-l",
            str(self.directory / "log"),
            "-o",
            options,
            "start",
        )

    def stop(self) -> None:
        try:
            self._run(
                "pg_ctl", "-D", str(self.directory / "data"), "-m", "fast", "stop"
            )
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


def start_postgres() -> PostgresServer:
    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise FileNotFoundError(
            "PostgreSQL binaries (initdb, pg_ctl) are not installed"
        )
    directory = Path(tempfile.mkdtemp(prefix="admin-test-pg-"))
    directory.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    server = PostgresServer(bin_dir, directory, _free_port())
    try:
        server.start()
    except subprocess.CalledProcessError as error:
        log = directory / "log"
        detail = log.read_text() if log.exists() else error.stderr
        shutil.rmtree(directory, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {detail}") from error
    return server
