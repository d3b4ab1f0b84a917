"""A staff user's day on one table of a zoo module, every step driven by HTTP
and checked against what the model's metadata promises (see `facts`).

Each step is checked on its own: a failing step is recorded and the story goes
on, so one run names every shortcoming of the admin on that table.
"""

import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.zoo.steps_deleting import DeletingSteps
from tests.zoo.steps_reading import ReadingSteps
from tests.zoo.steps_writing import WritingSteps

HERE = str(Path(__file__).parent)
STEPS = (
    "list",
    "links",
    "search",
    "secrets",
    "sort",
    "filters",
    "details",
    "create",
    "edit",
    "unchanged save",
    "export",
    "bulk edit and revert",
    "delete",
)


class Story(ReadingSteps, WritingSteps, DeletingSteps):
    """One table's story: run every step, then fail naming each that failed."""

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        try:
            yield
        except Exception as error:  # record and go on with the next step
            frames = traceback.extract_tb(error.__traceback__)
            ours = [f for f in frames if f.filename.startswith(HERE)]
            where = (
                f"{ours[-1].filename.rsplit('/', 1)[1]}:{ours[-1].lineno}"
                if ours
                else "?"
            )
            if frames[-1] not in ours:  # raised inside the admin: a 500
                where += f", raised in {frames[-1].filename.rsplit('/', 2)[-2:]}"
                where += f" {frames[-1].name}"
            message = str(error).strip().splitlines()
            first = message[0][:400] if message else type(error).__name__
            self.failures.append(f"[{name}] {type(error).__name__}: {first} ({where})")

    def run(self, steps: tuple[str, ...] = STEPS) -> None:
        for name in steps:
            with self.step(name):
                getattr(self, "step_" + name.replace(" ", "_"))()
        if self.failures:
            pytest.fail(
                f"{self.identity}: {len(self.failures)} step(s) failed:\n"
                + "\n".join(self.failures),
                pytrace=False,
            )
