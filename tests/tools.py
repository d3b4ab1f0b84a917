"""Programs the tests drive as a user would: a browser, a spreadsheet.

A story that needs one and cannot find it fails, saying what to install:
a skipped story would look like a passing one, here as under CI (`.ci/run`
installs both).
"""

import pytest


def require_program(path: str | None, what: str, tried: tuple[str, ...]) -> str:
    """`path`, or fail the test naming where `what` was looked for and the
    Debian package that brings it."""
    if path is None:
        pytest.fail(
            f"{what} is needed and is not at " + " or ".join(tried) + " (apt-get "
            f"install {PACKAGES[what]}; .ci/run does)"
        )
    return path


PACKAGES = {"Chromium": "chromium", "LibreOffice": "libreoffice-calc-nogui"}
