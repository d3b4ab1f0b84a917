"""Small rules the pages rely on, checked directly."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import BigInteger, Column, DateTime, Integer, SmallInteger, String

from admin_app.model.keys import BadKey, parse_key
from admin_app.model.labels import label_for
from admin_app.model.limits import integer_bits
from admin_app.model.text_search import escape_like
from admin_app.model.values import normalise_datetime, unchanged
from models import Project, TaskAssignment, TaskCreate
from tests.other_models import Author, Genre, Shelf

NAIVE = Column("at", DateTime())
AWARE = Column("at", DateTime(timezone=True))
PARIS = timezone(timedelta(hours=1))


def test_aware_input_is_stored_as_naive_utc_in_a_naive_column():
    assert normalise_datetime(
        NAIVE, datetime(2026, 1, 1, 10, tzinfo=PARIS)
    ) == datetime(2026, 1, 1, 9)


def test_naive_input_is_read_as_utc_in_an_aware_column():
    assert normalise_datetime(AWARE, datetime(2026, 1, 1, 9)) == datetime(
        2026, 1, 1, 9, tzinfo=UTC
    )


def test_the_shipped_schemas_store_aware_datetimes_as_naive_utc_and_zero_keys_as_none():
    task = TaskCreate(title="x", project_id=0, assignee_id="0", parent_id="")
    assert (task.project_id, task.assignee_id, task.parent_id) == (None, None, None)
    from models import TaskAssignmentCreate

    link = TaskAssignmentCreate(
        task_id=1, worker_id=2, assigned_at="2026-01-01T10:00:00+01:00"
    )
    assert link.assigned_at == datetime(2026, 1, 1, 9)


def test_labels_follow_the_documented_order():
    assert label_for(Project(id=1, name="Apollo")) == "Apollo"
    assert label_for(Author(id=1, first_name="Ursula", last_name="Le Guin")) == (
        "Le Guin, Ursula"
    )
    assert label_for(Shelf(id=7)) == "Shelf #7"
    assert label_for(TaskAssignment(task_id=1, worker_id=2)) == "Task assignment #1,2"
    assert label_for(Genre(code="sf")) == "Genre #sf"


def test_form_round_trips_are_not_changes():
    stored = datetime(2026, 1, 1, 9, 30, 15, 123456)
    assert unchanged(stored, datetime(2026, 1, 1, 9, 30, 15))
    assert not unchanged(stored, datetime(2026, 1, 1, 9, 30, 16))
    assert unchanged("a\nb", "a\r\nb")


def test_like_wildcards_are_escaped():
    assert escape_like("50%_off\\") == "50\\%\\_off\\\\"


@pytest.mark.parametrize("text", ["abc", "1;2;3", "", "1.5"])
def test_malformed_keys_are_refused(text):
    with pytest.raises(BadKey):
        parse_key(TaskAssignment if ";" in text else Project, text)


def test_keys_parse_by_column_type():
    assert parse_key(TaskAssignment, "3;4") == (3, 4)
    assert parse_key(Genre, "sf") == ("sf",)


def test_identifiers_round_trip_through_parse_key():
    from admin_app.model.keys import identifier
    from tests.other_models import BookGenre

    for values in [(3, 4), (1, "a;b\\c"), (7, "plain")]:
        assert (
            parse_key(
                BookGenre if isinstance(values[1], str) else TaskAssignment,
                identifier(values),
            )
            == values
        )


def test_a_search_term_is_narrowed_to_the_words_few_rows_hold():
    from admin_app.model.text_search import narrowed_term

    sample = [f"task {n}" for n in range(10)] + ["release notes", "task list"]
    assert narrowed_term("Task 123", sample) == " 123"
    assert narrowed_term("123 task", sample) == "123 "
    assert narrowed_term("TASK  12 notes TASK", sample) == " 12 notes "
    assert narrowed_term("as 7", sample) == " 7"  # a part of a common word
    assert narrowed_term("Task", sample) is None  # nothing rarer to ask for
    assert narrowed_term("123", sample) is None  # nothing to drop
    assert narrowed_term("notes 9", sample) is None  # both ends are rare
    assert narrowed_term("Task 50%_", sample) == " 50%_"  # escaped when asked
    assert narrowed_term("Task 123", []) is None  # no statistics


def test_a_search_of_several_columns_finds_the_rows_each_column_would():
    """`any_contains` asks `(indexed OR ...) AND (whole OR ...)`: the rows are
    those where some column contains the whole term, whatever was narrowed
    (a real SQLite database; PostgreSQL's trigram index is the zoo's)."""
    from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine
    from sqlalchemy import select as select_

    from admin_app.model.text_search import any_contains, contains_parts

    table = Table(
        "note",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("title", String),
        Column("body", String),
        Column("kind", String),
    )
    rows = [
        (1, "Task 123", None, "todo"),
        (2, "Task 1234", "see task 123", "done"),
        (3, "Other 123", "nothing", "todo"),
        (4, None, "Task 123 too", "Task 123"),
        (5, "task 12", "Task 1 23", "todo"),
        (6, "TASK 123!", "", "blocked"),
        (7, "Task 50%_", "Task 50%", "todo"),
    ]
    engine = create_engine("sqlite://")
    table.metadata.create_all(engine)
    sample = [f"task {n}" for n in range(10)]
    with engine.begin() as connection:
        connection.execute(
            table.insert(),
            [dict(zip(("id", "title", "body", "kind"), r, strict=True)) for r in rows],
        )
        for term in ("Task 123", "task 12", "123", "Task", "Task 50%_", "Task 1 23"):
            for narrowed_sample in (sample, []):
                parts = [
                    contains_parts(table.c.title, term, narrowed_sample),
                    contains_parts(table.c.body, term, narrowed_sample),
                    (None, table.c.kind == term),
                ]
                found = connection.scalars(
                    select_(table.c.id).where(any_contains(parts)).order_by("id")
                ).all()
                expected = [
                    key
                    for key, title, body, kind in rows
                    if any(
                        term.casefold() in (v or "").casefold() for v in (title, body)
                    )
                    or kind == term
                ]
                assert found == expected, (term, narrowed_sample)


def test_validated_values_are_the_models_own_validation():
    """The write path's validation gives what `model_validate` gives: field
    validators' results, the model validator's refusal, length limits, the
    relationship-named fields (`items`, `keys`, `values`) left alone."""
    from pydantic import ValidationError

    from admin_app.writing.validation import validate_row, validated_values
    from tests.write_models import WrOwner

    given = {"id": 3, "email": "Ann@Example.COM", "name": "Ann", "seen_at": None}
    full, fast = validate_row(WrOwner, given), validated_values(WrOwner, given)
    for name in ("id", "email", "name", "seen_at", "due_at"):
        assert getattr(fast, name) == getattr(full, name)
    assert fast.email == "ann@example.com"
    for refused in (
        {"email": "no at sign"},
        {"email": "a@b.c", "name": "A@B.C"},
        {"email": "a@b.c", "name": "x" * 41},
    ):
        with pytest.raises(ValidationError) as fast_error:
            validated_values(WrOwner, refused)
        with pytest.raises(ValidationError) as full_error:
            validate_row(WrOwner, refused)
        assert [(e["loc"], e["msg"]) for e in fast_error.value.errors()] == [
            (e["loc"], e["msg"]) for e in full_error.value.errors()
        ]


def test_a_batchs_new_row_holds_what_the_models_constructor_gives():
    """New rows of a batched import are made without SQLModel's constructor:
    the same defaults, each its own from a default factory (a UUID key)."""
    from sqlalchemy import inspect

    from admin_app.importing.batch_writes import BatchWrites
    from admin_app.writing.writes import column_values
    from tests.zoo.fullstack import Item

    writes = BatchWrites(Item)
    first, second, made = writes.new_row(), writes.new_row(), Item()
    assert inspect(first).transient
    assert set(column_values(first)) == set(column_values(made))
    made_at = {
        k: v for k, v in column_values(made).items() if k in ("id", "created_at")
    }
    assert {k: v for k, v in column_values(first).items() if k not in made_at} == {
        k: v for k, v in column_values(made).items() if k not in made_at
    }
    for name in made_at:  # made by a factory, for each row
        assert type(getattr(first, name)) is type(getattr(made, name))
    assert first.id != second.id


def test_a_new_rows_defaults_are_made_as_pydantic_makes_them():
    """`default_makers` (worked out once a model) gives each optional field's
    default as pydantic's constructor does: a fixed value, a factory's value
    made for each row, a mutable default copied (never one list shared by
    every new row). A factory that wants the other fields' values (pydantic
    2.10+) leaves new rows to the model's constructor."""
    from itertools import count

    from pydantic import BaseModel, Field
    from pydantic.fields import FieldInfo

    from admin_app.importing.batch_writes import default_makers

    serials = count(1)

    class Made(BaseModel):
        name: str
        size: int = 3
        tags: list[str] = ["a"]
        serial: int = Field(default_factory=lambda: next(serials))

    makers = default_makers(Made)
    assert makers is not None
    first, second = ({name: make() for name, make in makers} for _ in range(2))
    made = Made(name="x")
    assert set(first) == {"size", "tags", "serial"}
    assert (first["size"], first["tags"]) == (made.size, made.tags) == (3, ["a"])
    assert first["tags"] is not second["tags"]
    first["tags"].append("b")
    assert second["tags"] == Made(name="y").tags == ["a"]
    assert (first["serial"], second["serial"], made.serial) == (1, 2, 3)
    if hasattr(FieldInfo, "default_factory_takes_validated_data"):

        class Derived(BaseModel):
            name: str
            slug: str = Field(default_factory=lambda data: data["name"].lower())

        assert default_makers(Derived) is None
        assert Derived(name="Ann").slug == "ann"


def test_a_choice_is_read_by_its_value_or_its_name_the_first_choice_winning():
    """A choice's text is its value or its member's name; where one member's
    name is another's value, the earlier choice is read, as the choices are
    listed (the lookup is made once a field). In another case, a text naming
    one choice reads it, and one naming two is refused."""
    import enum

    from admin_app.model.fields import FieldSpec, Kind
    from admin_app.model.parsing import BadValue

    class Shade(enum.Enum):
        dark = "light"
        light = "pale"
        grey = 7

    spec = FieldSpec(
        name="shade",
        kind=Kind.CHOICE,
        label="Shade",
        model=object,
        choices=tuple((member, member.name) for member in Shade),
    )
    assert spec.parse("light") is Shade.dark  # its value, before a name
    assert spec.parse("dark") is Shade.dark
    assert spec.parse("pale") is Shade.light
    assert spec.parse("7") is spec.parse("grey") is Shade.grey
    assert spec.parse("") is None
    assert spec.parse("Pale") is Shade.light  # case ignored where only one is named
    with pytest.raises(BadValue, match=r"^'LIGHT' may be light or pale: write"):
        spec.parse("LIGHT")  # one's value and the other's name
    with pytest.raises(BadValue, match=r"'Dim' is not one of light, pale, 7\."):
        spec.parse("Dim")


@pytest.mark.parametrize("largest_taken", [False, True])
def test_a_batchs_new_rows_are_read_back_each_with_its_own_values(
    tmp_path, largest_taken
):
    """On SQLite a batch's new rows go in with one INSERT, and the rows it
    returns are matched to the rows sent by their keys, each larger than the
    one before. Once the largest key is taken SQLite picks keys at random:
    then the batch refuses (`UnorderedInsert`) and is run again row by row,
    rather than give a row another row's key."""
    from sqlalchemy import create_engine, insert
    from sqlmodel import Session, SQLModel

    from admin_app.importing.batch_writes import BatchWrites, UnorderedInsert
    from models import Worker

    engine = create_engine(f"sqlite:///{tmp_path / 'batch.db'}")
    SQLModel.metadata.create_all(engine, tables=[Worker.__table__])
    with Session(engine) as session, session.begin():
        if largest_taken:
            session.execute(
                insert(Worker.__table__),
                [{"id": 2**63 - 1, "name": "Last", "email": "last@example.com"}],
            )
        writes = BatchWrites(Worker)
        sent = [
            {"name": f"Worker {n}", "email": f"w{n}@example.com", "active": True}
            for n in range(50)
        ]
        stored = [writes.insert(values) for values in sent]
        if largest_taken:
            with pytest.raises(UnorderedInsert):
                writes.write(session)
            return
        writes.write(session)
    assert [(row["name"], row["email"]) for row in stored] == [
        (values["name"], values["email"]) for values in sent
    ]
    assert [row["id"] for row in stored] == list(range(1, 51))


@pytest.mark.parametrize(
    ("type_", "postgresql", "sqlite"),
    [
        (SmallInteger(), 16, 64),
        (Integer(), 32, 64),
        (BigInteger(), 64, 64),
        (String(20), None, None),
    ],
)
def test_an_integer_column_holds_as_many_bits_as_its_database_gives_it(
    type_, postgresql, sqlite
):
    """PostgreSQL's SMALLINT, INTEGER and BIGINT; every SQLite integer is 8 bytes."""
    assert integer_bits(type_, "postgresql") == postgresql
    assert integer_bits(type_, "sqlite") == sqlite


def test_a_table_added_to_the_metadata_later_is_among_those_that_refer():
    """The referring foreign keys are kept while the metadata holds the same
    tables; a table defined later (a module imported after the first save)
    is found too."""
    from sqlalchemy import ForeignKey, MetaData, Table

    from admin_app.model.relations import referring_constraints

    metadata = MetaData()
    shelf = Table("shelf", metadata, Column("id", Integer, primary_key=True))
    book = Table("book", metadata, Column("shelf_id", Integer, ForeignKey("shelf.id")))
    assert [c.table for c in referring_constraints(shelf)] == [book]
    loan = Table("loan", metadata, Column("shelf_id", Integer, ForeignKey("shelf.id")))
    assert [c.table for c in referring_constraints(shelf)] == [book, loan]
