"""The admin serves a models module that is not the shipped one."""

import subprocess
import sys
from decimal import Decimal

import pytest
from sqlalchemy import inspect, text
from sqlmodel import Session, select

from tests.other_models import Author, Book, Genre, Shelf
from tests.pages import list_rows
from tests.pages import text as page_text

OTHER = "tests.other_models"


def test_migrate_creates_the_admin_tables_and_the_projects_missing_tables(library):
    tables = set(inspect(library.state.engine).get_table_names())
    assert {"admin_staff_user", "admin_alembic_version"} <= tables
    assert {
        "library_author",
        "library_book",
        "library_genre",
        "library_shelf",
    } <= tables
    assert not {"task", "project", "worker"} & tables  # the shipped domain stays out
    with library.state.engine.connect() as connection:
        versions = connection.execute(
            text("SELECT version_num FROM admin_alembic_version")
        )
        assert [row[0] for row in versions] == ["0005_admin"]


def test_only_the_configured_tables_are_served(librarian):
    index = page_text(librarian.get("/admin/").text)
    for name in (
        "Authors",
        "Book genres",
        "Genres",
        "Publications",
        "Shelves",
        "Staff users",
    ):
        assert name in index
    assert librarian.get("/admin/task/list").status_code == 404


def test_book_story_with_a_project_override_and_custom_labels(librarian, library):
    with Session(library.state.engine, expire_on_commit=False) as session:
        author = Author(first_name="Ursula", last_name="Le Guin")
        session.add_all([author, Genre(code="sf", description="Science fiction")])
        session.commit()

    form = librarian.get("/admin/book/create")
    assert "Le Guin, Ursula" in form.text
    response = librarian.post(
        "/admin/book/create",
        data={
            "title": "The Dispossessed",
            "isbn": "978-0-06-051275-4",
            "price": "12.50",
            "published_at": "1974-05-01 12:00:00",
            "author": str(author.id),
            "genres": "sf",
            "save": "Save",
        },
        follow_redirects=False,
    )
    assert response.status_code == 302
    with Session(library.state.engine) as session:
        book = session.exec(select(Book)).one()
        assert book.price == Decimal("12.50")
        assert book.published_at is not None and book.published_at.year == 1974
        assert [genre.code for genre in book.genres] == ["sf"]

    page = librarian.get("/admin/book/list")
    assert list_rows(page.text) == [
        {
            "": "",
            "Title": "The Dispossessed",
            "Author": "Le Guin, Ursula",
            "Price": "12.50",
        }
    ]
    assert "Publication" in page_text(page.text)
    details = page_text(librarian.get(f"/admin/book/details/{book.id}").text)
    assert "1974-05-01 12:00:00 UTC" in details

    response = librarian.post(
        f"/admin/book/edit/{book.id}",
        data={
            "title": "The Dispossessed",
            "isbn": "978-0-06-051275-4",
            "price": "9.99",
            "author": str(author.id),
            "save": "Save",
        },
        follow_redirects=False,
    )
    assert response.status_code == 302
    with Session(library.state.engine) as session:
        assert session.get(Book, book.id).price == Decimal("9.99")

    assert librarian.delete(f"/admin/book/delete?pks={book.id}").status_code == 200
    with Session(library.state.engine) as session:
        assert session.exec(select(Book)).all() == []


def test_a_row_without_a_label_column_is_named_by_class_and_key(librarian, library):
    with Session(library.state.engine) as session:
        session.add(Shelf(floor=2))
        session.commit()
    librarian.post("/admin/genre/create", data={"code": "poetry", "save": "Save"})
    assert "Shelf #1" in librarian.get("/admin/shelf/details/1").text
    assert librarian.get("/admin/genre/details/poetry").status_code == 200


def test_create_app_imports_the_shipped_models_only_when_asked():
    script = (
        "import sys\n"
        "from admin_app import create_app\n"
        f"create_app('sqlite://', {OTHER!r}, 'k' * 40)\n"
        "assert 'models' not in sys.modules, 'shipped models imported'\n"
        "create_app('sqlite://', 'models', 'k' * 40)\n"
        "assert 'models' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)


@pytest.fixture
def shelves(library):
    """Books by two authors with genres, prices and publication times."""
    from datetime import UTC, datetime

    with Session(library.state.engine, expire_on_commit=False) as session:
        le_guin = Author(first_name="Ursula", last_name="Le Guin")
        lem = Author(first_name="Stanislaw", last_name="Lem")
        sf, poetry = Genre(code="sf"), Genre(code="poetry")
        books = [
            Book(
                title="The Dispossessed",
                isbn="1",
                price=Decimal("12.50"),
                author=le_guin,
                published_at=datetime(1974, 5, 1, tzinfo=UTC),
                genres=[sf],
            ),
            Book(
                title="Solaris",
                isbn="2",
                price=Decimal("9.99"),
                author=lem,
                published_at=datetime(1961, 6, 1, tzinfo=UTC),
                genres=[sf],
            ),
            Book(
                title="Wild Angels",
                isbn="3",
                price=Decimal("30.00"),
                author=le_guin,
                genres=[poetry],
            ),
            Book(title="Anonymous", isbn="4", price=Decimal("5.00")),
        ]
        session.add_all(books)
        session.commit()
        return {"le_guin": le_guin, "lem": lem}


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("author_id={le_guin}", ["The Dispossessed", "Wild Angels"]),
        ("author_id__isnull=true", ["Anonymous"]),
        ("genres=sf", ["Solaris", "The Dispossessed"]),
        ("genres=poetry", ["Wild Angels"]),
        ("price__gte=9.99&price__lte=12.50", ["Solaris", "The Dispossessed"]),
        ("published_at__gte=1970-01-01T00:00", ["The Dispossessed"]),
        ("published_at__isnull=true", ["Anonymous", "Wild Angels"]),
        ("search=solar", ["Solaris"]),
    ],
)
def test_filters_on_another_models_module(librarian, shelves, query, titles):
    query = query.format(le_guin=shelves["le_guin"].id)
    rows = list_rows(librarian.get(f"/admin/book/list?{query}").text)
    assert sorted(row["Title"] for row in rows) == titles


@pytest.mark.parametrize(
    "query", ["price__gte=cheap", "genres=", "published_at__lte=soon", "author_id=x"]
)
def test_malformed_filters_on_another_models_module(librarian, shelves, query):
    response = librarian.get(f"/admin/book/list?{query}")
    assert response.status_code == (200 if query == "genres=" else 400)


def test_link_rows_with_a_required_column_of_their_own(librarian, library):
    from tests.other_models import Contribution
    from tests.pages import field_errors, form_values
    from tests.test_links import post_form

    with Session(library.state.engine, expire_on_commit=False) as session:
        author = Author(first_name="Ursula", last_name="Le Guin")
        book = Book(title="Earthsea", isbn="9")
        session.add_all([author, book])
        session.commit()
    url = f"/admin/book/edit/{book.id}"
    shown = [
        (k, v)
        for k, v in form_values(librarian.get(url).text)
        if not k.startswith("contributions-0-")
    ]
    response = post_form(
        librarian, url, [*shown, ("contributions-0-other", str(author.id))]
    )
    assert response.status_code == 400  # a validation message, not a database error
    assert field_errors(response.text) == [  # in that row, and under the editor
        "This field is required.",
        "Please correct the rows below.",
    ]
    bad_position = [
        *shown,
        ("contributions-0-other", str(author.id)),
        ("contributions-0-role", "editor"),
        ("contributions-0-position", "0"),
    ]
    response = post_form(librarian, url, bad_position)
    assert response.status_code == 400
    assert "Row 1: Position: Input should be greater than or equal to 1" in page_text(
        response.text
    )
    # the link model's own rule over the whole row, named by no field
    ghost_first = [*bad_position[:-2], ("contributions-0-role", "ghostwriter")]
    response = post_form(librarian, url, ghost_first)
    assert response.status_code == 400
    assert "Row 1: A ghostwriter is not named first." in page_text(response.text)
    with Session(library.state.engine) as session:
        assert session.exec(select(Contribution)).all() == []

    response = post_form(
        librarian,
        url,
        [
            *shown,
            ("contributions-0-other", str(author.id)),
            ("contributions-0-role", "translator"),
        ],
    )
    assert response.status_code == 302, field_errors(response.text)
    with Session(library.state.engine) as session:
        link = session.exec(select(Contribution)).one()
        assert (link.author_id, link.role, link.position) == (
            author.id,
            "translator",
            1,
        )

    # the author's side shows the same link, and saving it unchanged keeps it
    author_url = f"/admin/author/edit/{author.id}"
    page = librarian.get(author_url).text
    assert "Earthsea" in page
    assert post_form(librarian, author_url, form_values(page)).status_code == 302
    with Session(library.state.engine) as session:
        link = session.exec(select(Contribution)).one()
        assert (link.role, link.position) == ("translator", 1)


def test_constraints_and_zero_keys_in_another_models_module(librarian, library):
    from tests.pages import field_errors

    base = {
        "title": "Solaris",
        "isbn": "2",
        "price": "9.99",
        "author": "0",
        "save": "Save",
    }
    assert librarian.post("/admin/book/create", data=base).status_code == 200
    with Session(library.state.engine) as session:
        assert session.exec(select(Book)).one().author_id is None  # 0 stored as NULL
    duplicate = librarian.post("/admin/book/create", data=base, follow_redirects=False)
    assert duplicate.status_code == 400
    assert "Another row already has this isbn." in field_errors(duplicate.text)
    negative = librarian.post(
        "/admin/book/create",
        data={**base, "isbn": "3", "price": "-1"},
        follow_redirects=False,
    )
    assert negative.status_code == 400
    assert "Input should be greater than or equal to 0" in field_errors(negative.text)
    with Session(library.state.engine) as session:
        assert len(session.exec(select(Book)).all()) == 1


def test_link_rows_are_changed_and_removed_from_the_other_side(librarian, library):
    from tests.other_models import Contribution
    from tests.pages import form_values
    from tests.test_links import post_form

    with Session(library.state.engine, expire_on_commit=False) as session:
        author = Author(first_name="Ursula", last_name="Le Guin")
        book = Book(title="Earthsea", isbn="9")
        session.add_all([author, book])
        session.flush()
        session.add(Contribution(book_id=book.id, author_id=author.id, role="author"))
        session.commit()
    url = f"/admin/author/edit/{author.id}"
    shown = form_values(librarian.get(url).text)
    changed = [(k, "editor" if k == "contributions-0-role" else v) for k, v in shown]
    assert post_form(librarian, url, changed).status_code == 302
    with Session(library.state.engine) as session:
        assert session.exec(select(Contribution)).one().role == "editor"
    removed = [*form_values(librarian.get(url).text), ("contributions-0-remove", "y")]
    assert post_form(librarian, url, removed).status_code == 302
    with Session(library.state.engine) as session:
        assert session.exec(select(Contribution)).all() == []
