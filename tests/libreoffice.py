"""LibreOffice Calc, run headless as a staff user's spreadsheet.

One converter for every spreadsheet test: a file in, the file Calc saves out.
Without `soffice` the tests that need it fail, naming Debian's
`libreoffice-calc-nogui` (which `.ci/run` installs).
"""

import os
import shutil
import subprocess
from itertools import count
from pathlib import Path

from tests.tools import require_program

SOFFICE_PATHS = ("/usr/bin/soffice", "/usr/lib/libreoffice/program/soffice")


def soffice_path() -> str | None:
    """LibreOffice's `soffice` (`SOFFICE` overrides)."""
    candidates = [os.environ.get("SOFFICE", ""), shutil.which("soffice") or ""]
    candidates += SOFFICE_PATHS
    return next((p for p in candidates if p and os.access(p, os.X_OK)), None)


def require_soffice() -> str:
    """`soffice`, or the test fails saying what to install."""
    return require_program(soffice_path(), "LibreOffice", SOFFICE_PATHS)


class Calc:
    """Calc with its own home and profile under `home`: LibreOffice fails
    under a read-only or shared home, and two instances may not share a
    profile (parallel test workers). `locale` (`de_DE.UTF-8`) is the staff
    user's: LibreOffice reads and writes numbers, dates and true or false
    as that locale does, from its own locale data (the system needs none).
    `calc(data, source_suffix, target, infilter=None)`: the bytes Calc saves;
    `calc.all([...], ...)` converts many files in one start of Calc (most of
    a conversion's second)."""

    def __init__(self, home: Path, locale: str | None = None) -> None:
        self.soffice = require_soffice()
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        self.profile = (home / "profile").as_uri()
        self.locale = locale
        self.runs = count()

    def __call__(
        self, data: bytes, source_suffix: str, target: str, infilter: str | None = None
    ) -> bytes:
        return self.all([data], source_suffix, target, infilter)[0]

    def all(
        self,
        sources: list[bytes],
        source_suffix: str,
        target: str,
        infilter: str | None = None,
    ) -> list[bytes]:
        """The bytes Calc saves for each of `sources`, in their order."""
        if not sources:
            return []
        folder = self.home / f"run-{next(self.runs)}"
        folder.mkdir()
        paths = [folder / f"file{n}.{source_suffix}" for n in range(len(sources))]
        for path, data in zip(paths, sources, strict=True):
            path.write_bytes(data)
        command = [self.soffice, f"-env:UserInstallation={self.profile}"]
        command += ["--headless", "--norestore"]
        if infilter:
            command.append(f"--infilter={infilter}")
        # a folder of its own: a CSV saved as CSV into the source's folder
        # would be the source itself, left as it was
        saved = folder / "saved"
        command += ["--convert-to", target, "--outdir", str(saved)]
        subprocess.run(
            [*command, *map(str, paths)],
            check=True,
            capture_output=True,
            timeout=300,
            env={
                **os.environ,
                "HOME": str(self.home),
                **_locale_variables(self.locale),
            },
        )
        extension = target.split(":", 1)[0]
        return [(saved / f"{p.stem}.{extension}").read_bytes() for p in paths]


def _locale_variables(locale: str | None) -> dict[str, str]:
    return {} if locale is None else {"LC_ALL": locale, "LANG": locale}
