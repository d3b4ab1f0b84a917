"""Unique values where the database does not enforce them, on SQLite and
PostgreSQL: the full-stack template's `User.email` is `unique=True` in the
model, but a table made before that (or by hand) has no unique index. The
admin's own check is then all that stands between a staff user and two
users with one email: an import decides a batch of rows before it writes
them, and asks for the whole batch's emails at once, so it must catch an
email another row holds and one asked for twice in the same file.

A row already sharing its email with another (such a table's legacy) can
still be changed otherwise: the check asks only for the values a save sets,
as the database's own constraint would. A unique index over two columns
(the zoo's seats) is asked for as a pair."""

import csv
import io
from datetime import date
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from sqlalchemy import inspect, text
from sqlmodel import select

from tests.pages import field_errors, form_values
from tests.test_import import exported, preview, rows_of, write_csv
from tests.zoo import heroes, tracker
from tests.zoo.columns import ZooSeat
from tests.zoo.fullstack import User

pytestmark = pytest.mark.postgres

TAKEN = "Another row already has this email."


def _run(site, sql: str) -> None:  # type: ignore[no-untyped-def]
    """Change the database behind the admin's back, as another program would."""
    with site.engine.begin() as connection:
        connection.execute(text(sql))


def _without_unique_email(site) -> None:  # type: ignore[no-untyped-def]
    """Drop the unique index the migration made for `user.email`."""
    indexes = inspect(site.engine).get_indexes("user")
    (name,) = [i["name"] for i in indexes if i["column_names"] == ["email"]]
    _run(site, f"DROP INDEX {name}")


def _users(site) -> dict[str, SimpleNamespace]:  # type: ignore[no-untyped-def]
    """Each user's email and name as the database holds them, by key."""
    with site.session() as session:
        found = session.exec(select(User)).all()
        return {
            str(u.id): SimpleNamespace(email=u.email, full_name=u.full_name)
            for u in found
        }


def _form(shown: list[tuple[str, str]], **changed: str) -> dict[str, list[str]]:
    """The edit form as shown, with `changed` fields typed over."""
    data: dict[str, list[str]] = {}
    for name, value in shown:
        data.setdefault(name, []).append(value)
    return {**data, **{name: [value] for name, value in changed.items()}}


def _confirmed(site, table: str, token: str):  # type: ignore[no-untyped-def]
    return site.client.post(
        f"/admin/{table}/import/confirm",
        data={"token": token},
        headers={"Accept": "application/json"},
    )


def _by_email(rows: list[dict[str, str]], email: str) -> dict[str, str]:
    return next(row for row in rows if row["email"] == email)


def test_an_import_refuses_an_email_another_user_holds_or_the_file_asks_twice(
    fullstack_site,
):
    site = fullstack_site
    _without_unique_email(site)
    before = _users(site)
    rows = rows_of(exported(site.client, "user"))
    alice = _by_email(rows, "alice@example.com")
    bob = _by_email(rows, "bob@example.com")
    carol = _by_email(rows, "carol+ops@example.com")
    dave = _by_email(rows, "dave@example.org")
    alice["email"] = "bob@example.com"  # bob's, and bob keeps it
    carol["email"] = dave["email"] = "shared@example.com"  # asked twice
    bob["full_name"] = "Bob Builder"
    number = {row["id"]: n for n, row in enumerate(rows, start=2)}
    first, second = sorted([carol, dave], key=lambda row: number[row["id"]])
    found = preview(site.client, "user", write_csv(rows)).json()
    assert found["token"] is None
    assert sorted((e["row"], e["column"], e["message"]) for e in found["errors"]) == [
        *sorted(
            [
                (number[alice["id"]], "email", TAKEN),
                (number[second["id"]], "email", TAKEN),
            ]
        )
    ]
    assert found["changed"] == 2  # bob's name, the first shared email
    assert _users(site) == before

    # The file mended, the rest is confirmed.
    alice["email"] = "alice@example.com"
    second["email"] = before[second["id"]].email
    found = preview(site.client, "user", write_csv(rows)).json()
    assert (found["errors"], found["changed"]) == ([], 2)
    assert _confirmed(site, "user", found["token"]).status_code == 200
    after = _users(site)
    assert after[first["id"]].email == "shared@example.com"
    assert after[bob["id"]].full_name == "Bob Builder"
    assert after[second["id"]] == before[second["id"]]
    assert after[alice["id"]] == before[alice["id"]]


def test_a_user_sharing_an_email_already_can_be_changed_otherwise(fullstack_site):
    site = fullstack_site
    _without_unique_email(site)
    _run(
        site,
        "UPDATE \"user\" SET email = 'bob@example.com' "
        "WHERE email = 'dave@example.org'",
    )
    rows = rows_of(exported(site.client, "user"))
    dave = next(r for r in rows if r["full_name"] == "Dave Without Items")

    # The edit form saves a new name; a third user's email is still refused.
    url = f"/admin/user/edit/{dave['id']}"
    shown = form_values(site.client.get(url).text)
    saved = site.client.post(
        url, data=_form(shown, full_name="Dave Renamed"), follow_redirects=False
    )
    assert saved.status_code == 302, field_errors(saved.text)
    refused = site.client.post(
        url, data=_form(shown, email="alice@example.com"), follow_redirects=False
    )
    assert refused.status_code == 400
    assert TAKEN in field_errors(refused.text)

    # So does an import, in one batch with the other rows.
    dave["full_name"] = "Dave Imported"
    found = preview(site.client, "user", write_csv(rows)).json()
    assert (found["errors"], found["changed"]) == ([], 1)
    assert _confirmed(site, "user", found["token"]).status_code == 200
    after = _users(site)[dave["id"]]
    assert (after.email, after.full_name) == ("bob@example.com", "Dave Imported")


SEATS = ["hall", "number", "holder", "booked_on"]
PAIR_TAKEN = "Another row already has this holder and booked on."


@pytest.mark.parametrize("index", ["kept", "dropped"])
def test_a_pair_of_values_another_row_holds_is_refused_by_its_first_field(
    columns_site, index: str
):
    """A unique index over two columns (a holder books one seat a day): the
    pair is asked for, not each value alone; refused alike whether the
    database enforces it (the import's batch is refused by the database)
    or not (the import asks for the batch's pairs itself)."""
    site = columns_site
    if index == "dropped":
        _run(site, "DROP INDEX zoo_seat_holder_day")
    taken = [
        ["Hall A", "2", "Ada", "2026-05-02"],  # Ada's pair, held by Hall A 1
        ["Hall B", "10", "Ada", "2026-05-03"],  # Ada another day: free
    ]
    twice = [
        ["Hall C", "1", "Lin", "2026-05-02"],  # new, and asked twice
        ["Hall C", "2", "Lin", "2026-05-02"],
    ]
    for rows, refused_row, counts in ((taken, 2, (1, 0)), (twice, 3, (0, 1))):
        out = io.StringIO()
        csv.writer(out).writerows([SEATS, *rows])
        found = preview(site.client, "zoo-seat", out.getvalue().encode()).json()
        assert [(e["row"], e["column"], e["message"]) for e in found["errors"]] == [
            (refused_row, "holder", PAIR_TAKEN)
        ]
        assert (found["changed"], found["new"]) == counts

    url = "/admin/zoo-seat/edit/" + quote("Hall A;2")
    shown = form_values(site.client.get(url).text)
    refused = site.client.post(
        url, data=_form(shown, holder="Ada", booked_on="2026-05-02")
    )
    assert refused.status_code == 400
    assert PAIR_TAKEN in field_errors(refused.text)
    with site.session() as session:
        seat = session.get(ZooSeat, ("Hall A", 2))
        assert (seat.holder, seat.booked_on) == (None, date(2026, 5, 1))


def test_an_email_taken_since_the_preview_refuses_the_confirmation(fullstack_site):
    """The confirmation writes the preview's decisions: it asks again for the
    values the database would not refuse itself."""
    site = fullstack_site
    _without_unique_email(site)
    rows = rows_of(exported(site.client, "user"))
    alice = _by_email(rows, "alice@example.com")
    alice["email"] = "taken.meanwhile@example.com"
    found = preview(site.client, "user", write_csv([alice])).json()
    assert (found["errors"], found["changed"]) == ([], 1)
    _run(
        site,
        "UPDATE \"user\" SET email = 'taken.meanwhile@example.com' "
        "WHERE email = 'bob@example.com'",
    )
    before = _users(site)
    refused = _confirmed(site, "user", found["token"])
    assert refused.status_code == 409
    assert refused.json()["error"].startswith(
        "Nothing was imported: Row 2 of the file changed in the database since"
    )
    assert _users(site) == before


@pytest.mark.parametrize("index", ["kept", "dropped"])
def test_an_email_a_row_above_gives_up_is_confirmed(fullstack_site, index: str):
    """Bob's row gives his email up, and Alice's row below takes it: the
    preview writes them in that order, and so does the confirmation."""
    site = fullstack_site
    if index == "dropped":
        _without_unique_email(site)
    rows = rows_of(exported(site.client, "user"))
    bob = _by_email(rows, "bob@example.com")
    alice = _by_email(rows, "alice@example.com")
    bob["email"], alice["email"] = "robert@example.com", "bob@example.com"
    found = preview(site.client, "user", write_csv([bob, alice])).json()
    assert (found["errors"], found["changed"]) == ([], 2)
    done = _confirmed(site, "user", found["token"])
    assert done.status_code == 200, done.text
    after = _users(site)
    assert after[bob["id"]].email == "robert@example.com"
    assert after[alice["id"]].email == "bob@example.com"


def test_a_pair_taken_since_the_preview_refuses_a_new_seat(columns_site):
    site = columns_site
    _run(site, "DROP INDEX zoo_seat_holder_day")
    data = b"hall,number,holder,booked_on\nHall C,1,Lin,2026-05-09\n"
    found = preview(site.client, "zoo-seat", data).json()
    assert (found["errors"], found["new"]) == ([], 1)
    _run(
        site,
        "UPDATE zoo_seat SET holder = 'Lin', booked_on = '2026-05-09' "
        "WHERE hall = 'Hall B' AND number = 10",
    )
    refused = _confirmed(site, "zoo-seat", found["token"])
    assert refused.status_code == 409
    with site.session() as session:
        assert session.get(ZooSeat, ("Hall C", 1)) is None


def test_a_typed_key_another_row_has_is_refused_by_its_field(tracker_site):
    """A worker's handle is its primary key, typed on the form: a new worker
    or a renamed one with a handle another worker has is refused under the
    field, as a unique column is, not with the database's vague refusal."""
    client = tracker_site.client
    with tracker_site.session() as db:
        ada, idle = (db.get(tracker.TrackerWorker, h) for h in ("@ada", "@idle"))
        before = (ada.name, idle.name)
    added = client.post(
        "/admin/tracker-worker/create",
        data={"id": "@ada", "name": "Another Ada", "kind": "human"},
    )
    assert added.status_code == 400
    assert field_errors(added.text) == ["Another row already has this id."]
    url = f"/admin/tracker-worker/edit/{quote('@idle', safe='')}"
    form = form_values(client.get(url).text)
    renamed = client.post(
        url, data=dict([(k, "@ada" if k == "id" else v) for k, v in form])
    )
    assert renamed.status_code == 400
    assert field_errors(renamed.text) == ["Another row already has this id."]
    with tracker_site.session() as db:
        ada, idle = (db.get(tracker.TrackerWorker, h) for h in ("@ada", "@idle"))
        assert (ada.name, idle.name) == before


def test_a_link_row_twice_is_refused_by_its_fields(heroes_site):
    with heroes_site.session() as db:
        link = db.exec(select(heroes.HeroTeamLink)).first()
        pair = {"team": str(link.team_id), "hero": str(link.hero_id)}
    answer = heroes_site.client.post("/admin/hero-team-link/create", data=pair)
    assert answer.status_code == 400
    assert field_errors(answer.text) == ["Another row already has this team and hero."]


def test_a_key_other_rows_refer_to_cannot_change_under_them(tracker_site):
    """Ada's handle is what her assignments hold: renaming her is refused
    under the field, saying how many rows refer to it (the database refused
    it in words no one could read); a worker nobody refers to is renamed."""
    client = tracker_site.client

    def rename(handle: str, new: str):  # type: ignore[no-untyped-def]
        url = f"/admin/tracker-worker/edit/{quote(handle, safe='')}"
        form = dict(form_values(client.get(url).text))
        return client.post(url, data={**form, "id": new}, follow_redirects=False)

    with tracker_site.session() as db:
        held = len(
            db.exec(
                select(tracker.TrackerAssignment).where(
                    tracker.TrackerAssignment.worker_id == "@ada"
                )
            ).all()
        )
    refused = rename("@ada", "@ada-lovelace")
    assert refused.status_code == 400
    noun = "tracker assignment refers" if held == 1 else "tracker assignments refer"
    assert field_errors(refused.text) == [
        f"{held} {noun} to this id: it cannot change while "
        f"{'it does' if held == 1 else 'they do'}."
    ]
    assert rename("@idle", "@idle-hands").status_code == 302
    with tracker_site.session() as db:
        assert db.get(tracker.TrackerWorker, "@ada") is not None
        assert db.get(tracker.TrackerWorker, "@idle-hands") is not None
