"""Random SQLModel tables, served untouched: list, create, edit, an unchanged
save and the export work on any mix of the supported column types and keys.

Each example writes a models module (source text, as a project would), with a
class and table name of its own so that all examples can share SQLModel's
registry, registers it in `sys.modules`, creates its table in a new database,
seeds it with drawn values and runs the zoo's staff story steps on it.
"""

import importlib.machinery
import itertools
import re
import sys
import tempfile
import types
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from pydantic import VERSION as PYDANTIC
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session
from starlette.testclient import TestClient

from admin_app import create_app
from tests.conftest import SECRET_KEY, add_staff, login, migrated
from tests.zoo.conftest import Site
from tests.zoo.story import Story

STEPS = ("list", "links", "create", "edit", "unchanged save", "export")
COUNTER = itertools.count(1)

# kind -> (annotation, Field arguments)
KINDS: dict[str, tuple[str, str]] = {
    "text": ("str", ""),
    "short_text": ("str", "max_length=40"),
    "long_text": ("str", "sa_type=Text"),
    "int": ("int", ""),
    "bool": ("bool", ""),
    "float": ("float", ""),
    "decimal": ("Decimal", "max_digits=10, decimal_places=2"),
    "date": ("date", ""),
    "time": ("time", ""),
    "naive": ("datetime", "sa_type=DateTime()"),
    "aware": ("datetime", "sa_type=DateTime(timezone=True)"),
    "uuid": ("uuid.UUID", ""),
    "str_enum": ("{prefix}Colour", ""),
    "int_enum": ("{prefix}Level", ""),
    "literal": ('Literal["low", "high", "very high"]', "sa_type=String"),
    "text_enum": ("{prefix}Tier", "sa_type=String"),  # an enum stored as its value
    "url": ("HttpUrl", "sa_type=AutoString"),  # validated into a URL, stored as text
    "json": ("dict[str, Any]", "sa_type=JSON"),
    "list": ("list[str]", 'sa_type=ARRAY(String).with_variant(JSON(), "sqlite")'),
}
KEYS = ("int", "str", "uuid", "composite")
# Before pydantic 2.8 an optional Decimal with `max_digits` cannot be declared
# at all (pydantic refuses the schema), so such projects give the column type.
OPTIONAL_DECIMAL = (
    "sa_type=Numeric(10, 2)"
    if tuple(map(int, PYDANTIC.split(".")[:2])) < (2, 8)
    else KINDS["decimal"][1]
)

words = (
    st.text(
        alphabet=st.characters(
            codec="utf-8", categories=("L", "N", "P", "Zs"), exclude_characters="\x00"
        ),
        min_size=1,
        max_size=12,
    )
    .map(lambda s: " ".join(s.split()))
    .filter(bool)
)
key_words = (
    st.text(alphabet=st.sampled_from("abcXYZ019 %?#/&=@éü-_."), min_size=1, max_size=10)
    .map(str.strip)
    # "." and ".." name no path; Starlette's TestClient decodes a path twice,
    # so a key holding an escape such as "%20" is tried on a real server in
    # tests/zoo/test_findings.py instead
    .filter(lambda k: k.strip(".") and not re.search("%[0-9A-Fa-f]{2}", k))
)


@dataclass(frozen=True)
class Spec:
    key: str
    columns: tuple[tuple[str, bool], ...]  # (kind, nullable)


specs = st.builds(
    Spec,
    key=st.sampled_from(KEYS),
    columns=st.lists(
        st.tuples(st.sampled_from(sorted(KINDS)), st.booleans()),
        min_size=1,
        max_size=6,
    ).map(tuple),
)


def source(spec: Spec, prefix: str) -> str:
    """The models module of one example, as a project writes one."""
    lines = [
        "import enum",
        "import uuid",
        "from datetime import date, datetime, time",
        "from decimal import Decimal",
        "from typing import Any, Literal",
        "from pydantic import HttpUrl",
        "from sqlalchemy import ARRAY, JSON, DateTime, Numeric, String, Text",
        "from sqlmodel import AutoString, Field, SQLModel",
        "",
        f"class {prefix}Colour(enum.StrEnum):",
        "    red = 'red'",
        "    deep_blue = 'deep_blue'",
        "",
        f"class {prefix}Level(enum.IntEnum):",
        "    low = 1",
        "    high = 2",
        "",
        f"class {prefix}Tier(str, enum.Enum):",
        "    bronze = 'B'",
        "    gold = 'G'",
        "",
        f"class {prefix}Thing(SQLModel, table=True):",
        f"    __tablename__ = '{prefix.lower()}_thing'",
    ]
    lines += {
        "int": ["    id: int | None = Field(default=None, primary_key=True)"],
        "str": ["    code: str = Field(primary_key=True)"],
        "uuid": [
            "    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)"
        ],
        "composite": [
            "    hall: str = Field(primary_key=True)",
            "    seat: int = Field(primary_key=True)",
        ],
    }[spec.key]
    for position, (kind, nullable) in enumerate(spec.columns):
        annotation, arguments = KINDS[kind]
        annotation = annotation.format(prefix=prefix)
        arguments = [a for a in (arguments,) if a]
        if nullable:
            annotation += " | None"
            if kind == "decimal":
                arguments = [OPTIONAL_DECIMAL]
            arguments.insert(0, "default=None")
        elif kind == "bool":
            arguments.insert(0, "default=False")
        lines.append(
            f"    c{position}_{kind}: {annotation} = Field({', '.join(arguments)})"
        )
    return "\n".join(lines) + "\n"


def values_for(kind: str, module: types.ModuleType, prefix: str) -> st.SearchStrategy:
    return {
        "text": words,
        "short_text": words,
        "long_text": st.lists(words, min_size=1, max_size=3).map("\n".join),
        "int": st.integers(-(2**31), 2**31 - 1),
        "bool": st.booleans(),
        "float": st.integers(-4000, 4000).map(lambda i: i / 4),
        "decimal": st.integers(-(10**8), 10**8).map(lambda i: Decimal(i) / 100),
        "date": st.dates(date(1900, 1, 1), date(2100, 12, 31)),
        "time": st.times().map(lambda t: t.replace(microsecond=0)),
        "naive": st.datetimes(datetime(1900, 1, 1), datetime(2100, 1, 1)),
        "aware": st.datetimes(datetime(1900, 1, 1), datetime(2100, 1, 1)).map(
            lambda d: d.replace(tzinfo=UTC)
        ),
        "uuid": st.uuids(),
        "str_enum": st.sampled_from(list(getattr(module, f"{prefix}Colour"))),
        "int_enum": st.sampled_from(list(getattr(module, f"{prefix}Level"))),
        "literal": st.sampled_from(["low", "high", "very high"]),
        "text_enum": st.sampled_from(["B", "G"]),
        "url": st.sampled_from(["https://example.com/a", "http://example.org/p?q=1"]),
        "json": st.dictionaries(
            st.sampled_from(["a", "b", "c"]), st.integers(-9, 9) | words, max_size=3
        ),
        "list": st.lists(words, max_size=3),
    }[kind]


@contextmanager
def database(backend: str, request: pytest.FixtureRequest) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'random.db'}"
        return
    server_url = make_url(request.getfixturevalue("postgres_server_url"))
    name = f"random_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def module_from(code: str, name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None)
    sys.modules[name] = module
    exec(compile(code, f"<{name}>", "exec"), module.__dict__)
    return module


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@settings(
    derandomize=True,
    max_examples=15,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),  # no slow shrinking
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=specs, data=st.data())
def test_any_table_of_supported_columns_is_served_without_loss(
    backend, request, spec, data
):
    prefix = f"Rand{next(COUNTER)}x{uuid.uuid4().hex[:6]}"
    code = source(spec, prefix)
    note(code)
    name = f"tests.zoo_random_{prefix.lower()}"
    module = module_from(code, name)
    model = getattr(module, f"{prefix}Thing")
    rows = data.draw(rows_for(spec, model, module, prefix), label="rows")
    with database(backend, request) as url:
        app = create_app(migrated(url, (name,)), name, SECRET_KEY)
        try:
            with Session(app.state.engine) as session:
                session.add_all(rows)
                session.commit()
            add_staff(app, "keeper", superuser=True)
            with TestClient(app) as client:
                assert login(client, "keeper").status_code == 302
                Story(Site(name, app, client), model).run(STEPS)
        finally:
            app.state.engine.dispose()


def rows_for(spec: Spec, model: type, module, prefix: str) -> st.SearchStrategy:  # type: ignore[no-untyped-def]
    """One to three rows with drawn values and distinct keys."""
    columns = {
        f"c{position}_{kind}": (
            st.none() | values_for(kind, module, prefix)
            if nullable
            else values_for(kind, module, prefix)
        )
        for position, (kind, nullable) in enumerate(spec.columns)
    }
    keys = {
        "int": st.just({}),
        "uuid": st.just({}),
        "str": key_words.map(lambda k: {"code": k}),
        "composite": st.tuples(key_words, st.integers(0, 99)).map(
            lambda k: {"hall": k[0], "seat": k[1]}
        ),
    }[spec.key]
    one = st.builds(
        lambda key, values: {**key, **values}, keys, st.fixed_dictionaries(columns)
    )
    return st.lists(
        one,
        min_size=1,
        max_size=3,
        unique_by=lambda r: (
            (r.get("code"), r.get("hall"), r.get("seat"))
            if spec.key in ("str", "composite")
            else id(r)
        ),
    ).map(lambda found: [model(**values) for values in found])
