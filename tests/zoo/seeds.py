"""Rows for every zoo table, in the variety real data has: empty values, text
that looks like a formula, non-ASCII letters, microseconds, rows that other
rows refer to and rows nothing refers to."""

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlmodel import Session

from tests.zoo import columns, fullstack, heroes, legacy, loading, social, tracker

PRECISE = datetime(2026, 12, 1, 20, 37, 50, 298217)


def seed_heroes(session: Session) -> None:
    preventers = heroes.Team(name="Preventers", headquarters="Sharp Tower")
    z_force = heroes.Team(name="Z-Force", headquarters="Sister Margaret's Bar")
    formula = heroes.Team(name="=Formula Squad", headquarters="+1 Main Street")
    lonely = heroes.Team(name="Lonely Ones", headquarters="Nowhere")
    deadpond = heroes.Hero(name="Deadpond", secret_name="Dive Wilson", team=z_force)
    rusty = heroes.Hero(
        name="Rusty-Man", secret_name="Tommy Sharp", age=48, team=preventers
    )
    spider = heroes.Hero(
        name="Spider-Boy", secret_name="Pedro Parqueador", team=preventers
    )
    tarantula = heroes.Hero(name="Tarantula", secret_name="Natalia Roman-on", age=32)
    lion = heroes.Hero(name="Black Lion", secret_name="Trevor Challa", age=35)
    underdog = heroes.Hero(name="Ünderdog", secret_name="Ça Va", age=12, team=formula)
    session.add_all([preventers, z_force, formula, lonely, tarantula, lion, underdog])
    session.add_all(
        [
            heroes.HeroTeamLink(team=z_force, hero=deadpond),
            heroes.HeroTeamLink(team=preventers, hero=deadpond, is_training=True),
            heroes.HeroTeamLink(team=preventers, hero=spider, is_training=True),
            heroes.HeroTeamLink(team=preventers, hero=rusty),
            heroes.HeroTeamLink(team=formula, hero=underdog),
        ]
    )


def seed_fullstack(session: Session) -> None:
    def user(email: str, name: str | None, **kwargs) -> fullstack.User:
        return fullstack.User(
            email=email,
            full_name=name,
            hashed_password="$2b$12$" + uuid.uuid4().hex + "abcdefghijklmnopqrstuv",
            **kwargs,
        )

    alice = user(
        "alice@example.com",
        "Alice Admin",
        is_superuser=True,
        created_at=datetime(2025, 1, 2, 3, 4, 5, 600000, tzinfo=UTC),
    )
    bob = user("bob@example.com", None, is_active=False)
    carol = user(
        "carol+ops@example.com",
        "=Carol",
        created_at=PRECISE.replace(tzinfo=UTC),
    )
    dave = user("dave@example.org", "Dave Without Items", created_at=None)
    session.add_all([alice, bob, carol, dave])
    session.add_all(
        [
            fullstack.Item(title="Laptop", description="A 14-inch one", owner=alice),
            fullstack.Item(title="Phone", owner=alice),
            fullstack.Item(title="-Negative stock", description=None, owner=bob),
            fullstack.Item(title="Desk", description="Oak", owner=carol),
            fullstack.Item(
                title="Lamp",
                owner=carol,
                created_at=datetime(2024, 6, 1, 12, 0, tzinfo=UTC),
            ),
        ]
    )


def seed_tracker(session: Session) -> None:
    claude = tracker.TrackerWorker(id="@claude-code", name="Claude Code", kind="agent")
    ada = tracker.TrackerWorker(id="@ada", name="Ada Lovelace")
    zoe = tracker.TrackerWorker(id="@zoë", name="Zoë", kind="human")
    idle = tracker.TrackerWorker(id="@idle", name="Idle Hands")
    bug = tracker.TrackerLabel(name="bug")
    feature = tracker.TrackerLabel(name="feature")
    formula = tracker.TrackerLabel(name="=cmd|' /C calc'!A0")
    spare = tracker.TrackerLabel(name="spare")
    launch = tracker.TrackerTask(
        title="Launch the tracker",
        description="Everything for the launch.\nSecond line.",
        status="doing",
        priority=1,
        due_on=date(2026, 12, 24),
        labels=[feature],
    )
    docs = tracker.TrackerTask(
        title="Write the docs", status="todo", parent=launch, labels=[feature, bug]
    )
    fix = tracker.TrackerTask(
        title="Fix the login bug", status="review", priority=2, labels=[bug]
    )
    done = tracker.TrackerTask(
        title="Set up CI", status="done", priority=5, due_on=date(2026, 1, 31)
    )
    loose = tracker.TrackerTask(title="@mention someone", status="todo", priority=4)
    child = tracker.TrackerTask(title="Proofread", status="todo", parent=docs)
    session.add_all([claude, ada, zoe, idle, formula, spare, launch, fix, done, loose])
    session.add(child)
    session.add_all(
        [
            tracker.TrackerAssignment(
                task=launch,
                worker=claude,
                role="owner",
                assigned_at=PRECISE.replace(tzinfo=UTC),
            ),
            tracker.TrackerAssignment(task=launch, worker=ada, role="reviewer"),
            tracker.TrackerAssignment(task=docs, worker=zoe, role="helper"),
            tracker.TrackerAssignment(
                task=fix,
                worker=claude,
                role="owner",
                assigned_at=datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC),
            ),
        ]
    )
    session.flush()
    session.add_all(
        [
            tracker.TrackerStep(
                title=f"Step {n}",
                task_id=launch.id if n < 8 else docs.id,
                sort=n % 8,
                page=n // 4 + 1 if n % 3 else None,
                select=n % 5 == 0,
            )
            for n in range(12)
        ]
    )


def seed_columns(session: Session) -> None:
    top = columns.ZooShelf(name="Top shelf")
    bottom = columns.ZooShelf(name="Bottom shelf")
    unicode = columns.ZooShelf(name="Ünïcode shelf")
    empty = columns.ZooShelf(name="Empty shelf")
    session.add_all([top, bottom, unicode, empty])
    session.flush()
    session.add_all(
        [
            columns.ZooSample(
                level=columns.Level.high,
                colour=columns.Colour.deep_blue,
                size=columns.Size.large,
                price=Decimal("12.50"),
                ratio=0.25,
                payload={"tags": ["a", "b"], "count": 2},
                born_on=date(2020, 2, 29),
                opens_at=time(9, 30, 15),
                duration=timedelta(days=1, hours=2, seconds=5, microseconds=250),
                blob=b"\x00\x01zoo\xff",
                seen_naive=PRECISE,
                seen_aware=PRECISE.replace(tzinfo=UTC),
                notes="Long text\nover lines",
                flag=True,
                external_id=uuid.UUID("12345678-1234-5678-1234-567812345678"),
                shelf_id=top.id,
                tags=["red", "ünïcode", "with, comma", '"quoted"'],
                ratings=[5, 3, 5],
            ),
            columns.ZooSample(
                level=columns.Level.low,
                colour=columns.Colour.green,
                price=Decimal("0.99"),
                ratio=-1.5,
                payload=[1, 2, 3],
                born_on=date(1999, 12, 31),
                opens_at=time(23, 59),
                duration=-timedelta(days=1, seconds=1),  # a correction
                seen_naive=datetime(2026, 1, 2, 3, 4, 5),
                seen_aware=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
                shelf_id=bottom.id,
            ),
            columns.ZooSample(
                price=Decimal("100.00"), notes="=1+1", shelf_id=top.id, tags=["=1+1"]
            ),
            columns.ZooSample(
                level=columns.Level.middle,
                colour=columns.Colour.red,
                size=columns.Size.small,
                price=Decimal("7.00"),
                payload={"nested": {"deep": None}},
                duration=timedelta(minutes=90),
                flag=True,
                ratings=[],
            ),
        ]
    )
    session.add_all(
        [
            columns.ZooCode(code="50% off", title="Percent", shelf_id=top.id),
            columns.ZooCode(code="why?", title="Question", shelf_id=top.id),
            columns.ZooCode(code="#hash", title="Hash", shelf_id=bottom.id),
            columns.ZooCode(code="a/b", title="Slash", shelf_id=bottom.id),
            columns.ZooCode(code="with space", title="Space", shelf_id=unicode.id),
            columns.ZooCode(code="ünï-çødé", title="Non-ASCII", shelf_id=unicode.id),
            columns.ZooCode(code="plain", title="Plain", shelf_id=top.id),
        ]
    )
    session.add_all(
        [
            columns.ZooSeat(
                hall="Hall A", number=1, holder="Ada", booked_on=date(2026, 5, 2)
            ),
            columns.ZooSeat(hall="Hall A", number=2, booked_on=date(2026, 5, 1)),
            columns.ZooSeat(hall="Ba;lcony/2", number=1, holder="Grace"),
            columns.ZooSeat(hall="Ré %?#", number=3, holder="=Bob"),
            columns.ZooSeat(hall="Hall B", number=10),
        ]
    )
    session.add_all(
        [
            columns.ZooEvent(
                name="signup",
                data="ada@example.com",
                meta={"ip": "::1"},
                level="INF",
                took=Decimal("1.50"),
            ),
            columns.ZooEvent(name="retry", errors=3, level="WRN"),
            columns.ZooEvent(name="=export", data='a,b\n"c"'),
            columns.ZooEvent(name="logout", meta={"data": None, "meta": []}),
        ]
    )
    session.add_all(
        [
            columns.ZooProfile(
                display_name="Ada",
                homepage="https://ada.example.com/notes",
                address="10.0.0.7",
                folder="/srv/ada",
                api_key="ada-key-1",
            ),
            columns.ZooProfile(display_name="=Grace", homepage="https://example.org/"),
            columns.ZooProfile(display_name="Ünïcode", folder="/srv/ünï code"),
            columns.ZooProfile(
                display_name="Bob", address="192.168.1.20", plan="team_plan", tier="G"
            ),
        ]
    )


def seed_social(session: Session) -> None:
    ada = social.SocialMember(handle="ada", bio="=1+1", tags=["maths", "engines"])
    bob = social.SocialMember(handle="bob", mood=social.SocialMood.grumpy)
    cedille = social.SocialMember(handle="çé", bio="Ünïcode")
    quiet = social.SocialMember(
        handle="quiet", tags=[]
    )  # follows and is followed by none
    session.add_all([ada, bob, cedille, quiet])
    session.flush()
    session.add_all(
        [
            social.SocialFollow(
                follower_id=ada.id,
                followed_id=bob.id,
                since=PRECISE.replace(tzinfo=UTC),
            ),
            social.SocialFollow(follower_id=bob.id, followed_id=ada.id, muted=True),
            social.SocialFollow(follower_id=cedille.id, followed_id=ada.id),
            social.SocialMessage(body="Hello", sender=ada, recipient=bob),
            social.SocialMessage(body="To everyone", sender=bob, recipient=None),
            social.SocialMessage(
                body="+1 agreed", sender=cedille, recipient=ada, read=True
            ),
            social.SocialMessage(body="Notes to self", sender=ada, recipient=ada),
        ]
    )


def seed_legacy(session: Session) -> None:
    acme = legacy.LegacySupplier(name="Acme Tools", active=True)
    formula = legacy.LegacySupplier(name="=Formula Parts", active=False)
    unknown = legacy.LegacySupplier(name="Ünknown Supplies")  # active not known
    session.add_all([acme, formula, unknown])
    session.add_all(
        [
            legacy.LegacyProduct(
                code="HAM-01",
                description="Claw hammer",
                unit_price=Decimal("12.50"),
                quantity=4,
                supplier=acme,
            ),
            legacy.LegacyProduct(
                code="SAW 2", unit_price=Decimal("30.00"), supplier=acme
            ),  # quantity and creation time from the database
            legacy.LegacyProduct(
                code="-NEG",
                status=legacy.LegacyStatus.discontinued,
                description="+1 glue\nsecond line",
                unit_price=Decimal("0.99"),
                quantity=100,
                supplier=formula,
                created=PRECISE.replace(tzinfo=UTC),
            ),
            legacy.LegacyProduct(code="LOOSE", unit_price=Decimal("1.00")),
        ]
    )


def seed_loading(session: Session) -> None:
    ada = loading.LoadAuthor(name="Ada Lovelace")
    nobody = loading.LoadAuthor(name="=Anonymous")  # wrote none of them
    mary = loading.LoadAuthor(name="Mary Shelley")
    emily = loading.LoadAuthor(name="Émily Brontë")
    press = loading.LoadPublisher(name="Taylor & Francis")
    session.add_all(
        loading.LoadPublisher(name=name)
        for name in ("Penguin", "=Vanity Press", "Ölbaum Verlag")
    )
    fiction = loading.LoadShelf(name="Fiction")
    science = loading.LoadShelf(name="Science")
    session.add_all([ada, nobody, mary, emily, fiction, science])
    session.add_all(
        [
            loading.LoadBook(
                title="Notes",
                author=ada,
                publisher=press,
                shelves=[science],
                pages=66,
                published_on=date(1843, 9, 1),
            ),
            loading.LoadBook(title="Poems", author=ada, shelves=[fiction, science]),
            loading.LoadBook(title="Frankenstein", author=mary, shelves=[fiction]),
            loading.LoadBook(title="Poems", author=emily),
            loading.LoadBook(title="Ünsigned", shelves=[]),
        ]
    )
    session.add(loading.LoadShelf(name="Empty"))


SEEDS: dict[str, Callable[[Session], None]] = {
    heroes.__name__: seed_heroes,
    fullstack.__name__: seed_fullstack,
    tracker.__name__: seed_tracker,
    columns.__name__: seed_columns,
    social.__name__: seed_social,
    legacy.__name__: seed_legacy,
    loading.__name__: seed_loading,
}


def seed(engine, module_name: str) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        SEEDS[module_name](session)
        session.commit()
