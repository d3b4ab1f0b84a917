"""LibreOffice Calc, run headless as a staff user's spreadsheet.

One converter for every spreadsheet test: a file in, the file Calc saves out.
Without `soffice` the tests that need it fail, naming Debian's
`libreoffice-calc-nogui` (which `.ci/run` installs).
"""

import os
import shutil
import subprocess
from collections.abc import Callable
from itertools import count
from pathlib import Path

from tests.tools import require_program

SOFFICE_PATHS = ("/usr/bin/soffice", "/usr/lib/libreoffice/program/soffice")

Calc = Callable[..., bytes]
"""`calc(data, source_suffix, target, infilter=None)`: the bytes Calc saves."""


def soffice_path() -> str | None:
    """LibreOffice's `soffice` (`SOFFICE` overrides)."""
    candidates = [os.environ.get("SOFFICE", ""), shutil.which("soffice") or ""]
    candidates += SOFFICE_PATHS
    return next((p for p in candidates if p and os.access(p, os.X_OK)), None)


def require_soffice() -> str:
    """`soffice`, or the test fails saying what to install."""
    return require_program(soffice_path(), "LibreOffice", SOFFICE_PATHS)


def calc_converter(home: Path, locale: str | None = None) -> Calc:
    """A converter with its own home and profile under `home`: LibreOffice
    fails under a read-only or shared home, and two instances may not share a
    profile (parallel test workers). `locale` (`de_DE.UTF-8`) is the staff
    user's: LibreOffice reads and writes numbers, dates and true or false
    as that locale does, from its own locale data (the system needs none)."""
    soffice = require_soffice()
    profile = (home / "profile").as_uri()
    runs = count()

    def convert(
        data: bytes, source_suffix: str, target: str, infilter: str | None = None
    ) -> bytes:
        folder = home / f"run-{next(runs)}"
        folder.mkdir()
        source = folder / f"file.{source_suffix}"
        source.write_bytes(data)
        command = [soffice, f"-env:UserInstallation={profile}", "--headless"]
        command += ["--norestore"]
        if infilter:
            command.append(f"--infilter={infilter}")
        # a folder of its own: a CSV saved as CSV into the source's folder
        # would be the source itself, left as it was
        saved = folder / "saved"
        command += ["--convert-to", target, "--outdir", str(saved), str(source)]
        subprocess.run(
            command,
            check=True,
            capture_output=True,
            timeout=300,
            env={**os.environ, "HOME": str(home), **_locale_variables(locale)},
        )
        extension = target.split(":", 1)[0]
        return (saved / f"file.{extension}").read_bytes()

    return convert


def _locale_variables(locale: str | None) -> dict[str, str]:
    return {} if locale is None else {"LC_ALL": locale, "LANG": locale}
