"""`admin-app serve` in a subprocess, as an operator runs it: real workers,
real sockets, the configuration from the environment."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served(
    database_url: str, directory: Path, *options: str, **environment: str
) -> Iterator[str]:
    """Run `admin-app serve` on `database_url` (its secret key file in
    `directory`) until the block ends; yield the admin's base URL once it
    answers."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "ADMIN_SECRET_KEY"}
    env.pop("ADMIN_MODELS", None)
    env.update(DATABASE_URL=database_url, PYTHONUNBUFFERED="1", **environment)
    log = (directory / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "admin_app", "serve", "--port", str(port), *options],
        cwd=directory,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/admin"
    try:
        _wait_until_answering(base, process, directory / "server.log")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_until_answering(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server stopped:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/login", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the server did not answer:\n{log.read_text()}")
