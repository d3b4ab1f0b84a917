"""Deleting many rows: a confirmation counting what goes with them; all or none."""

import html
import re

from sqlmodel import Session, select

from admin_app.writing.audit import AuditEntry
from models import Task, TaskAssignment, TaskTagLink
from models.seed import seed_demo
from tests.other_models import Author, Book
from tests.pages import text


def test_the_confirmation_counts_what_goes_with_the_rows(client, db, app):
    with Session(app.state.engine) as session:
        seed_demo(session, 80, seed=9)
        session.commit()
    chosen = db.exec(select(Task.id).where(Task.status == "blocked")).all()
    links = db.exec(
        select(TaskAssignment).where(TaskAssignment.task_id.in_(chosen))
    ).all()
    children = db.exec(select(Task).where(Task.parent_id.in_(chosen))).all()
    survivors = [c.id for c in children if c.id not in chosen]
    page = client.get("/admin/task/bulk-delete?status=blocked&select=all")
    words = text(page.text)
    assert f"This deletes {len(chosen)} Tasks" in words
    # the first 20 by title, in the list's order (newest first), each linked;
    # the rest counted
    first = db.exec(
        select(Task).where(Task.status == "blocked").order_by(Task.id.desc()).limit(20)
    ).all()
    named = re.findall(r'<li><a href="[^"]*/task/details/(\d+)">([^<]*)</a>', page.text)
    assert named == [(str(t.id), html.escape(t.title)) for t in first]
    assert len(named) == len(chosen) < 20 and " more." not in words
    every = text(client.get("/admin/task/bulk-delete?select=all").text)
    total = len(db.exec(select(Task.id)).all())
    assert total > 20 and f"… and {total - 20} more." in every
    assert f"{len(links)} task assignments will be deleted with them." in words
    if children:
        assert f"{len(children)} task" in words and "parent emptied." in words

    response = client.post(
        "/admin/task/bulk-delete?status=blocked&select=all", follow_redirects=False
    )
    assert response.status_code == 302
    db.expire_all()
    assert db.exec(select(Task).where(Task.id.in_(chosen))).all() == []
    assert (
        db.exec(select(TaskAssignment).where(TaskAssignment.task_id.in_(chosen))).all()
        == []
    )
    assert (
        db.exec(select(TaskTagLink).where(TaskTagLink.task_id.in_(chosen))).all() == []
    )
    remaining = db.exec(select(Task).where(Task.id.in_(survivors))).all()
    assert all(task.parent_id is None for task in remaining)
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "bulk_delete")).one()
    assert sorted(map(int, entry.keys())) == sorted(chosen)
    assert f"{len(chosen)} Tasks deleted." in text(
        client.get(response.headers["location"]).text
    )


def test_rows_still_referred_to_are_not_deleted(librarian, library):
    from tests.other_models import Contribution

    with Session(library.state.engine, expire_on_commit=False) as session:
        kept = Author(first_name="Ursula", last_name="Le Guin")
        alone = Author(first_name="No", last_name="Books")
        book = Book(title="Earthsea", isbn="1", author=kept)
        session.add_all([kept, alone, book])
        session.flush()
        session.add(Contribution(book_id=book.id, author_id=kept.id, role="author"))
        session.commit()
    page = librarian.get(f"/admin/author/bulk-delete?pks={kept.id},{alone.id}")
    words = text(page.text)
    assert "1 book will have its author emptied." in words
    assert "1 contribution refers to them, so they cannot be deleted." in words
    assert 'id="confirm-delete" disabled' in page.text
    refused = librarian.post(f"/admin/author/bulk-delete?pks={kept.id},{alone.id}")
    assert refused.status_code == 400
    # and the trash icon's route deletes all of a selection or none of it
    next_page = librarian.delete(f"/admin/author/delete?pks={alone.id},{kept.id}").text
    assert "Nothing was deleted" in text(librarian.get(next_page).text)
    with Session(library.state.engine) as session:
        assert len(session.exec(select(Author)).all()) == 2
        assert session.exec(select(Book)).one().author_id == kept.id


def test_a_selection_is_required(client):
    assert client.get("/admin/task/bulk-delete").status_code == 400
