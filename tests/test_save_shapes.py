"""Forms save on model shapes the shipped demo does not have.

Relationships named like a dict's methods (`items`, `keys`, `values`), a
required foreign key without a relationship, datetimes typed with an offset,
and a refused save that is one line in the log, not a traceback.
"""

import logging
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from tests.pages import field_errors, form_values, text
from tests.test_links import post_form
from tests.write_models import WrKey, WrNote, WrOwner, WrThing, WrValue, WrVisit


def save(client, url, data):
    return client.post(url, data={**data, "save": "Save"}, follow_redirects=False)


def owner(shapes, **values) -> WrOwner:
    with Session(shapes.state.engine, expire_on_commit=False) as session:
        row = WrOwner(**{"email": "ada@example.com", **values})
        session.add(row)
        session.commit()
        return row


def stored(shapes, model, key):
    with Session(shapes.state.engine) as session:
        return session.get(model, key)


def test_a_model_with_relationships_named_items_keys_and_values_saves(keeper, shapes):
    response = save(keeper, "/admin/wr-owner/create", {"email": "Ada@Example.com"})
    assert response.status_code == 302, text(response.text)
    with Session(shapes.state.engine) as session:
        row = session.exec(select(WrOwner)).one()
        assert row.email == "ada@example.com"  # the model's field validator ran
        session.add_all(
            [
                WrThing(title="Pen", owner_id=row.id),
                WrKey(code="K1", owner_id=row.id),
                WrValue(name="Kindness"),
            ]
        )
        session.commit()
        key = row.id
    url = f"/admin/wr-owner/edit/{key}"
    unchanged = post_form(keeper, url, form_values(keeper.get(url).text))
    assert unchanged.status_code == 302, text(unchanged.text)
    assert "No changes" in text(keeper.get(unchanged.headers["location"]).text)

    values = [
        *[(k, v) for k, v in form_values(keeper.get(url).text) if k != "values"],
        ("values", "1"),
        ("name", "Ada"),
    ]
    values = [(k, v) for k, v in values if not (k == "name" and v == "")]
    saved = post_form(keeper, url, values)
    assert saved.status_code == 302, text(saved.text)
    message = text(keeper.get(saved.headers["location"]).text)
    assert "saved (name, values changed)" in message
    with Session(shapes.state.engine) as session:
        row = session.get(WrOwner, key)
        assert (row.name, [v.name for v in row.values]) == ("Ada", ["Kindness"])
        assert [t.title for t in row.items] == ["Pen"]


@pytest.mark.parametrize(
    ("email", "name", "message"),
    [
        ("no-at-sign", "", "An email address has an @ in it."),
        ("x" * 30 + "@example.com", "", "longer than 40 characters"),
        (
            "ada@example.com",
            "ada@example.com",
            "The name must not be the email address.",
        ),
    ],
)
def test_the_models_own_validation_runs_whatever_the_relationships_are_called(
    keeper, shapes, email, name, message
):
    row = owner(shapes)
    response = save(
        keeper, f"/admin/wr-owner/edit/{row.id}", {"email": email, "name": name}
    )
    assert response.status_code == 400
    assert message in text(response.text)
    assert stored(shapes, WrOwner, row.id).email == "ada@example.com"


@pytest.mark.parametrize("empty", ["0", ""])
def test_a_required_foreign_key_left_empty_gets_one_clear_error(keeper, shapes, empty):
    owner(shapes)
    response = save(keeper, "/admin/wr-note/create", {"text": "Hi", "owner_id": empty})
    assert response.status_code == 400
    assert field_errors(response.text) == ["This field is required."]
    with Session(shapes.state.engine) as session:
        assert session.exec(select(WrNote)).all() == []


@pytest.mark.parametrize(
    "typed",
    [
        "2025-06-01T12:00:00+02:00",
        "2025-06-01T10:00:00Z",
        "2025-06-01T10:00",
        "2025-06-01 10:00:00",
        "2025-06-01 10:00",
        "2025-06-01 10:00:0",  # as the date picker sends seconds below ten
    ],
)
def test_datetimes_typed_with_an_offset_or_a_t_are_accepted(keeper, shapes, typed):
    row = owner(shapes)
    response = save(
        keeper,
        f"/admin/wr-owner/edit/{row.id}",
        {"email": "ada@example.com", "seen_at": typed, "due_at": typed},
    )
    assert response.status_code == 302, text(response.text)
    saved = stored(shapes, WrOwner, row.id)
    # the aware column keeps the instant (SQLite reads it back naive, in UTC);
    # the naive column holds it as naive UTC
    seen = saved.seen_at
    seen = seen.replace(tzinfo=UTC) if seen.tzinfo is None else seen.astimezone(UTC)
    assert seen == datetime(2025, 6, 1, 10, 0, tzinfo=UTC)
    assert saved.due_at == datetime(2025, 6, 1, 10, 0)


def test_a_datetime_that_is_not_one_is_a_field_error(keeper, shapes):
    row = owner(shapes)
    response = save(
        keeper,
        f"/admin/wr-owner/edit/{row.id}",
        {"email": "ada@example.com", "due_at": "next tuesday"},
    )
    assert response.status_code == 400
    assert "Not a valid datetime value." in field_errors(response.text)


def test_a_refused_save_is_one_line_in_the_log(keeper, shapes, caplog):
    row = owner(shapes)
    with caplog.at_level(logging.INFO):
        response = save(keeper, f"/admin/wr-owner/edit/{row.id}", {"email": "nope"})
    assert response.status_code == 400
    refusals = [r for r in caplog.records if r.name == "sqladmin.application"]
    assert refusals, "the refusal is logged"
    assert all(r.exc_info is None and r.levelno == logging.INFO for r in refusals)
    assert all("Traceback" not in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("sent", [{"at": ""}, {}], ids=["emptied", "left-out"])
def test_a_naive_default_time_is_read_as_utc(keeper, shapes, sent):
    """The create form's time box emptied (or not sent): the model's naive
    default (`datetime.utcnow`) is saved as UTC, as a typed time is, not
    refused by the database."""
    before = datetime.now(UTC)
    response = save(keeper, "/admin/wr-visit/create", {"page": "/home", **sent})
    assert response.status_code == 302, text(response.text)
    with Session(shapes.state.engine) as session:
        at = session.exec(select(WrVisit.at)).one()
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    assert before.replace(microsecond=0) <= at <= datetime.now(UTC)
