"""Running a coroutine from a synchronous test.

Playwright's sync API keeps an event loop running in the pytest worker's
thread once a browser story has run there, and `asyncio.run` refuses to start
a second loop in that thread; a thread of its own always has none.
"""

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(coroutine)` in a fresh thread; its result or its error."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
