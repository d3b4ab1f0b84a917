"""A new row's unique value made by a default (a voucher's code), where the
database does not enforce it: the confirmation asks for the value it writes,
on SQLite and PostgreSQL."""

from collections.abc import Iterator

import pytest
from sqlalchemy import inspect, text
from sqlmodel import Session, func, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.conftest import serving, superuser_browser
from tests.test_import import preview
from tests.voucher_models import Voucher, next_code

pytestmark = pytest.mark.postgres


@pytest.fixture
def vouchers(empty_database_url: str) -> Iterator[Starlette]:
    yield from serving(empty_database_url, "tests.voucher_models")


@pytest.fixture
def keeper(vouchers: Starlette) -> Iterator[TestClient]:
    yield from superuser_browser(vouchers)


def test_a_default_unique_code_is_asked_for_as_written(vouchers, keeper):
    engine = vouchers.state.engine
    (index,) = [
        i["name"] for i in inspect(engine).get_indexes("voucher") if i["unique"]
    ]
    with engine.begin() as connection:  # a table made before the code was unique
        connection.execute(text(f"DROP INDEX {index}"))
    found = preview(keeper, "voucher", b"name\nNew customer\n").json()
    assert (found["new"], found["errors"]) == (1, [])
    # Since the preview, another program gave out the code after the one the
    # confirmation makes next.
    with Session(engine) as db:
        db.add(Voucher(name="Meanwhile", code=next_code.code(next_code.made + 2)))
        db.commit()
    confirmed = keeper.post(
        "/admin/voucher/import/confirm", data={"token": found["token"]}
    )
    assert confirmed.status_code == 200, confirmed.text
    with Session(engine) as db:
        codes = db.exec(select(Voucher.code, func.count()).group_by(Voucher.code))
        assert {code: n for code, n in codes if n > 1} == {}
        assert db.exec(select(func.count()).select_from(Voucher)).one() == 2
