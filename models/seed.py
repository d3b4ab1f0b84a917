"""Realistic demo data for the shipped domain, written at the database's speed.

Millions of demo tasks must not take an evening: tasks, assignments and tag
links are generated as plain tuples (their keys chosen here, so no row has to
be read back) and written in large batches the fastest way each database
takes them: PostgreSQL's `COPY ... FROM STDIN` through psycopg, SQLite one
`executemany` per batch, anything else SQLAlchemy's multi-row insert. It all
runs in the caller's transaction. Names stay unique when seeding a database
that has data.
"""

import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session

from models.project import Project
from models.tag import Tag, TaskTagLink
from models.task import AssignmentRole, Task, TaskAssignment, TaskPriority, TaskStatus
from models.validation import utcnow
from models.worker import Worker

BATCH = 20_000
FIRST_NAMES = [
    "Ada",
    "Alan",
    "Barbara",
    "Claude",
    "Dennis",
    "Edsger",
    "Frances",
    "Grace",
    "Hedy",
    "Ken",
    "Linus",
    "Margaret",
    "Niklaus",
    "Radia",
    "Tim",
    "Yukihiro",
]
LAST_NAMES = [
    "Lovelace",
    "Turing",
    "Liskov",
    "Shannon",
    "Ritchie",
    "Dijkstra",
    "Allen",
    "Hopper",
    "Lamarr",
    "Thompson",
    "Torvalds",
    "Hamilton",
    "Wirth",
    "Perlman",
    "Berners-Lee",
    "Matsumoto",
]
PROJECT_WORDS = [
    "Apollo",
    "Borealis",
    "Cobalt",
    "Delta",
    "Ember",
    "Falcon",
    "Granite",
    "Harbor",
    "Indigo",
    "Juniper",
    "Keystone",
    "Lumen",
    "Meridian",
    "Nimbus",
    "Orion",
    "Polaris",
]
VERBS = [
    "Design",
    "Review",
    "Fix",
    "Migrate",
    "Document",
    "Test",
    "Deploy",
    "Refactor",
    "Measure",
    "Plan",
    "Audit",
    "Profile",
]
OBJECTS = [
    "login page",
    "CSV export",
    "billing report",
    "search index",
    "audit log",
    "API client",
    "onboarding flow",
    "backup job",
    "invoice template",
    "dashboard",
    "mobile layout",
    "data import",
]
TAGS = {
    "backend": "#1f77b4",
    "frontend": "#ff7f0e",
    "bug": "#d62728",
    "feature": "#2ca02c",
    "docs": "#9467bd",
    "ops": "#8c564b",
    "security": "#e377c2",
    "performance": "#7f7f7f",
    "design": "#bcbd22",
    "research": "#17becf",
    "customer": "#aec7e8",
    "chore": "#ffbb78",
}
PROGRESS = {
    TaskStatus.todo: (0, 0),
    TaskStatus.in_progress: (5, 95),
    TaskStatus.blocked: (0, 80),
    TaskStatus.done: (100, 100),
}


def _batches(total: int) -> Iterator[int]:
    done = 0
    while done < total:
        size = min(BATCH, total - done)
        yield size
        done += size


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _insert_returning_ids(session: Session, model: type, rows: list[dict]) -> list[int]:
    stmt = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(session.scalars(stmt, rows))


Writer = Callable[[Table, Sequence[str], Iterable[tuple]], int]


def _writer(session: Session) -> Writer:
    """Writes rows (tuples in the order of the named columns) into a table, in
    the session's transaction, the fastest way its database takes them, and
    says how many. On PostgreSQL rows go out as they are made, so the server
    files them while Python makes the next."""
    connection = session.connection()
    dialect = connection.dialect
    raw = connection.connection.driver_connection
    if dialect.name == "postgresql" and dialect.driver == "psycopg":

        def copy(table: Table, names: Sequence[str], rows: Iterable[tuple]) -> int:
            columns = ", ".join(f'"{name}"' for name in names)
            written = 0
            with (
                raw.cursor() as cursor,
                cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as out,
            ):
                write_row = out.write_row
                for row in rows:
                    write_row(row)
                    written += 1
            return written

        return copy
    if dialect.name == "sqlite":

        def executemany(
            table: Table, names: Sequence[str], rows: Iterable[tuple]
        ) -> int:
            # The text SQLAlchemy itself stores for dates, datetimes, enums.
            processors = [
                table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
                for name in names
            ]
            converted = [(i, p) for i, p in enumerate(processors) if p is not None]
            values = [_processed(row, converted) for row in rows]
            columns = ", ".join(f'"{name}"' for name in names)
            marks = ", ".join("?" * len(names))
            insert_sql = f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})'
            raw.executemany(insert_sql, values)
            return len(values)

        return executemany

    def multirow(table: Table, names: Sequence[str], rows: Iterable[tuple]) -> int:
        values = [dict(zip(names, row, strict=True)) for row in rows]
        if values:  # an insert of no rows would be one row of defaults
            connection.execute(insert(table), values)
        return len(values)

    return multirow


def _processed(row: tuple, converted: list[tuple[int, Callable[[Any], Any]]]) -> tuple:
    if not converted:
        return row
    values = list(row)
    for position, process in converted:
        if values[position] is not None:
            values[position] = process(values[position])
    return tuple(values)


def _next_task_id(session: Session) -> int:
    """The first of the keys this seeding gives its tasks. On PostgreSQL the
    table is locked against other writers until the transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE task IN SHARE ROW EXCLUSIVE MODE"))
    return (session.scalar(select(func.max(Task.id))) or 0) + 1


def _move_task_sequence(session: Session) -> None:
    """PostgreSQL's key sequence past the keys given here (SQLite's rowid
    follows by itself)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('task', 'id'),"
                " (SELECT max(id) FROM task))"
            )
        )


TASK_COLUMNS = (
    "id",
    "title",
    "description",
    "status",
    "priority",
    "progress",
    "due_date",
    "project_id",
    "assignee_id",
    "parent_id",
    "created_at",
)
ASSIGNMENT_COLUMNS = ("task_id", "worker_id", "role", "assigned_at")
LINK_COLUMNS = ("task_id", "tag_id")


def _tasks(
    rng: random.Random,
    ids: range,
    first_id: int,
    project_ids: list[int],
    worker_ids: list[int],
    today: date,
    now: Any,
) -> Iterator[tuple]:
    """One batch of task rows; a fifth are subtasks of a task seeded before."""
    titles = [f"{verb} {thing}" for verb in VERBS for thing in OBJECTS]
    statuses = [(status.name, *PROGRESS[status]) for status in TaskStatus]
    priorities = [priority.name for priority in TaskPriority]
    random_ = rng.random
    choice = rng.choice
    randint = rng.randint
    for task_id in ids:
        status, low, high = choice(statuses)
        yield (
            task_id,
            choice(titles),
            "Generated for the demo." if random_() < 0.5 else None,
            status,
            choice(priorities),
            low if low == high else randint(low, high),
            today + timedelta(days=randint(-60, 120)) if random_() < 0.8 else None,
            choice(project_ids) if random_() < 0.95 else None,
            choice(worker_ids) if random_() < 0.8 else None,
            randint(first_id, task_id - 1)
            if task_id > first_id and random_() < 0.2
            else None,
            now - timedelta(minutes=randint(0, 500_000)),
        )


def _assignments(
    rng: random.Random, ids: range, worker_ids: list[int], now: Any
) -> Iterator[tuple]:
    """Up to two workers per task, each with a role."""
    roles = [role.name for role in AssignmentRole]
    for task_id in ids:
        for worker_id in rng.sample(worker_ids, rng.randint(0, 2)):
            when = now - timedelta(minutes=rng.randint(0, 500_000))
            yield (task_id, worker_id, rng.choice(roles), when)


def _links(rng: random.Random, ids: range, tag_ids: list[int]) -> Iterator[tuple]:
    """Up to three tags per task."""
    for task_id in ids:
        for tag_id in rng.sample(tag_ids, rng.randint(0, 3)):
            yield (task_id, tag_id)


def seed_demo(
    session: Session,
    tasks: int = 1000,
    *,
    seed: int = 7,
    progress: Callable[[int], None] = lambda _n: None,
) -> dict[str, int]:
    """Insert `tasks` tasks with projects, workers, tags, assignments and links.

    `progress` is called with the number of tasks inserted by each batch.
    Returns how many rows of each kind were added.
    """
    rng = random.Random(seed)
    today = date.today()
    now = utcnow()
    offset = _count(session, Project) + _count(session, Worker)

    project_ids = _insert_returning_ids(
        session,
        Project,
        [
            {
                "name": f"{rng.choice(PROJECT_WORDS)} {offset + n + 1}",
                "description": f"Demo project number {offset + n + 1}.",
                "archived": rng.random() < 0.1,
                "created_at": now - timedelta(days=rng.randint(30, 900)),
            }
            for n in range(max(3, tasks // 200))
        ],
    )
    worker_ids = []
    for n in range(max(5, tasks // 50)):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        worker_ids.append(
            {
                "name": f"{first} {last}",
                "email": f"{first}.{last}.{offset + n + 1}@example.com".lower(),
                "active": rng.random() < 0.9,
                "hired_on": today - timedelta(days=rng.randint(0, 3650)),
            }
        )
    worker_ids = _insert_returning_ids(session, Worker, worker_ids)
    existing_tags = set(session.scalars(select(Tag.name)))
    new_tags = [
        {"name": name, "color": color}
        for name, color in TAGS.items()
        if name not in existing_tags
    ]
    if new_tags:
        session.execute(insert(Tag), new_tags)
    tag_ids = list(session.scalars(select(Tag.id)))

    write = _writer(session)
    first_id = next_id = _next_task_id(session)
    assignments = links = 0
    for size in _batches(tasks):
        ids = range(next_id, next_id + size)
        next_id += size
        rows = _tasks(rng, ids, first_id, project_ids, worker_ids, today, now)
        write(Task.__table__, TASK_COLUMNS, rows)
        assignment_rows = _assignments(rng, ids, worker_ids, now)
        assignments += write(
            TaskAssignment.__table__, ASSIGNMENT_COLUMNS, assignment_rows
        )
        links += write(TaskTagLink.__table__, LINK_COLUMNS, _links(rng, ids, tag_ids))
        progress(size)
    _move_task_sequence(session)
    return {
        "projects": len(project_ids),
        "workers": len(worker_ids),
        "tags": len(new_tags),
        "tasks": next_id - first_id,
        "assignments": assignments,
        "tag links": links,
    }
