"""Realistic demo data for the shipped domain, inserted in batches.

Set-based inserts (one executemany per batch) keep 100k tasks well under a
minute on SQLite. Names stay unique when seeding a database that has data.
"""

import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from models.project import Project
from models.tag import Tag, TaskTagLink
from models.task import AssignmentRole, Task, TaskAssignment, TaskPriority, TaskStatus
from models.validation import utcnow
from models.worker import Worker

BATCH = 2000
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

    task_ids: list[int] = []
    assignments = links = 0
    for size in _batches(tasks):
        rows = []
        for _ in range(size):
            status = rng.choice(list(TaskStatus))
            low, high = PROGRESS[status]
            rows.append(
                {
                    "title": f"{rng.choice(VERBS)} {rng.choice(OBJECTS)}",
                    "description": "Generated for the demo."
                    if rng.random() < 0.5
                    else None,
                    "status": status,
                    "priority": rng.choice(list(TaskPriority)),
                    "progress": rng.randint(low, high),
                    "due_date": today + timedelta(days=rng.randint(-60, 120))
                    if rng.random() < 0.8
                    else None,
                    "project_id": rng.choice(project_ids)
                    if rng.random() < 0.95
                    else None,
                    "assignee_id": rng.choice(worker_ids)
                    if rng.random() < 0.8
                    else None,
                    "created_at": now - timedelta(minutes=rng.randint(0, 500_000)),
                }
            )
        ids = _insert_returning_ids(session, Task, rows)
        parents = [
            {"id": task_id, "parent_id": rng.choice(task_ids + ids[:n])}
            for n, task_id in enumerate(ids)
            if (task_ids or n) and rng.random() < 0.2
        ]
        if parents:
            session.execute(update(Task), parents)  # bulk update by primary key
        task_ids.extend(ids)
        assignment_rows = [
            {
                "task_id": task_id,
                "worker_id": worker_id,
                "role": rng.choice(list(AssignmentRole)),
                "assigned_at": now - timedelta(minutes=rng.randint(0, 500_000)),
            }
            for task_id in ids
            for worker_id in rng.sample(worker_ids, rng.randint(0, 2))
        ]
        link_rows = [
            {"task_id": task_id, "tag_id": tag_id}
            for task_id in ids
            for tag_id in rng.sample(tag_ids, rng.randint(0, 3))
        ]
        if assignment_rows:
            session.execute(insert(TaskAssignment), assignment_rows)
        if link_rows:
            session.execute(insert(TaskTagLink), link_rows)
        assignments += len(assignment_rows)
        links += len(link_rows)
        progress(size)
    return {
        "projects": len(project_ids),
        "workers": len(worker_ids),
        "tags": len(new_tags),
        "tasks": len(task_ids),
        "assignments": assignments,
        "tag links": links,
    }
