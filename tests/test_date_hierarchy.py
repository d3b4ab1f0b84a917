"""Date drill-down: a staff user clicks a year, then a month, then a day above
the list, and the list narrows to exactly the rows the database holds for it."""

import calendar
import html as markup
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from admin_app import create_app
from admin_app.site.views import AdminView
from models import Task
from models.seed import seed_demo
from tests.conftest import SECRET_KEY, migrated
from tests.pages import text
from tests.test_large_lists import CAP, fill_tracker
from tests.zoo import fullstack, tracker
from tests.zoo.conftest import FULLSTACK, TRACKER, Site, serve

COUNT = re.compile(r'id="row-count">([^<]*)<')


def drill(html: str) -> tuple[tuple[str, str] | None, list[tuple[str, str]], str]:
    """The drill-down as the user sees it: the link up, the period links
    (text, address), and the current day's text if one is chosen."""
    found = re.search(r'<nav [^>]*id="date-drill"[^>]*>(.*?)</nav>', html, re.S)
    assert found, "no date drill-down above the list"
    links = [
        (text(label), markup.unescape(href))
        for href, label in re.findall(
            r'<a [^>]*href="([^"]+)"[^>]*>(.*?)</a>', found[1], re.S
        )
    ]
    up = None
    if links and links[0][0].startswith("\u2039"):
        up = (links[0][0].removeprefix("\u2039 "), links[0][1])
        links = links[1:]
    current = re.search(r'aria-current="true">([^<]*)<', found[1])
    return up, links, current[1] if current else ""


def rows_shown(html: str) -> int:
    return int(COUNT.search(html)[1].split()[0].replace(",", ""))


def open_link(client, links: list[tuple[str, str]], label: str) -> str:
    href = dict(links)[label]
    response = client.get(href)
    assert response.status_code == 200, text(response.text)[:300]
    return response.text


@pytest.fixture
def tasks(app) -> None:
    with Session(app.state.engine) as session:
        seed_demo(session, 300, seed=11)
        session.commit()


def dues(db: Session, *conditions) -> list[date]:
    return [
        d
        for d in db.exec(select(Task.due_date).where(*conditions)).all()
        if d is not None
    ]


def test_year_then_month_then_day_on_the_task_list(client, db, tasks):
    all_dues = dues(db)
    page = client.get("/admin/task/list").text
    up, links, _ = drill(page)
    assert up is None
    assert [label for label, _ in links] == [
        str(y) for y in sorted({d.year for d in all_dues})
    ]

    year = max(
        {d.year for d in all_dues}, key=lambda y: sum(d.year == y for d in all_dues)
    )
    page = open_link(client, links, str(year))
    in_year = [d for d in all_dues if d.year == year]
    assert rows_shown(page) == len(in_year)
    assert f"due_date__gte={year}-01-01" in dict(links)[str(year)]
    up, links, _ = drill(page)
    assert up[0] == "All dates"
    assert f'id="date-drill-title">{year}:<' in page
    months = sorted({d.month for d in in_year})
    assert [label for label, _ in links] == [
        f"{calendar.month_name[m]} {year}" for m in months
    ]

    month = max(months, key=lambda m: sum(d.month == m for d in in_year))
    page = open_link(client, links, f"{calendar.month_name[month]} {year}")
    in_month = [d for d in in_year if d.month == month]
    assert rows_shown(page) == len(in_month)
    last = calendar.monthrange(year, month)[1]
    assert f"Due date to {year}-{month:02d}-{last:02d}" in text(page)  # the chips
    up, links, _ = drill(page)
    assert up[0] == str(year)
    days = sorted({d.day for d in in_month})
    assert [label for label, _ in links] == [str(d) for d in days]

    page = open_link(client, links, str(days[0]))
    assert rows_shown(page) == sum(d.day == days[0] for d in in_month)
    up, links, current = drill(page)
    assert current == f"{days[0]} {calendar.month_name[month]} {year}"
    assert up[0] == f"{calendar.month_name[month]} {year}"
    page = client.get(up[1]).text
    assert rows_shown(page) == len(in_month)


def test_the_drill_down_keeps_the_other_filters(client, db, tasks):
    blocked = dues(db, Task.status == "blocked")
    page = client.get("/admin/task/list?status=blocked").text
    _, links, _ = drill(page)
    years = sorted({d.year for d in blocked})
    assert [label for label, _ in links] == [str(y) for y in years]
    page = open_link(client, links, str(years[-1]))
    assert rows_shown(page) == sum(d.year == years[-1] for d in blocked)
    assert "Status: Blocked" in text(page)
    # The export follows the drill-down's parameters for free.
    query = dict(links)[str(years[-1])].split("?", 1)[1]
    export = client.get(f"/admin/task/export/csv?{query}")
    assert export.status_code == 200
    assert len(export.text.strip().splitlines()) - 1 == rows_shown(page)


@pytest.fixture
def items(empty_database_url: str) -> Iterator[Site]:
    """Items whose aware `created_at` fall on both sides of midnight UTC."""
    for site in serve(empty_database_url, FULLSTACK, seeded=False):
        with site.session() as session:
            owner = fullstack.User(email="o@example.com", hashed_password="x")
            session.add(owner)
            two_hours_east = timezone(timedelta(hours=2))
            stamps = [
                datetime(2025, 12, 31, 23, 30, tzinfo=UTC),
                datetime(2026, 1, 1, 0, 30, tzinfo=two_hours_east),  # 22:30 UTC
                datetime(2026, 1, 1, 0, 30, tzinfo=UTC),
                datetime(2026, 3, 15, 12, 0, tzinfo=UTC),
                datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC),
            ]
            session.add_all(
                # SQLite keeps no offset: given in UTC, as the admin saves them.
                fullstack.Item(
                    title=f"Item {n}", owner=owner, created_at=stamp.astimezone(UTC)
                )
                for n, stamp in enumerate(stamps)
            )
            session.commit()
        if site.engine.dialect.name == "postgresql":
            # A server whose sessions are 14 hours ahead of UTC: its own
            # extract would put 23:30 UTC on the next day (and year).
            with site.engine.connect() as connection:
                name = connection.exec_driver_sql("SELECT current_database()").scalar()
                connection.exec_driver_sql(
                    f"ALTER DATABASE \"{name}\" SET timezone TO 'Pacific/Kiritimati'"
                )
                connection.commit()
            site.engine.dispose()
        yield site


def test_an_aware_datetime_drills_down_in_utc(items):
    client = items.client
    _, links, _ = drill(client.get("/admin/item/list").text)
    assert [label for label, _ in links] == ["2025", "2026"]
    page = open_link(client, links, "2025")
    assert rows_shown(page) == 2  # 00:30 at +02:00 is still 2025 in UTC
    _, links, _ = drill(page)
    assert [label for label, _ in links] == ["December 2025"]
    _, links, _ = drill(open_link(client, links, "December 2025"))
    assert [label for label, _ in links] == ["31"]

    _, links, _ = drill(client.get("/admin/item/list").text)
    page = open_link(client, links, "2026")
    assert rows_shown(page) == 3
    _, links, _ = drill(page)
    assert [label for label, _ in links] == ["January 2026", "March 2026"]
    page = open_link(client, links, "March 2026")
    assert rows_shown(page) == 2  # 23:59:59 on the 31st is in March
    _, links, _ = drill(page)
    assert [label for label, _ in links] == ["15", "31"]
    assert rows_shown(open_link(client, links, "31")) == 1


def test_a_large_list_is_bounded_by_its_first_and_last_date(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(AdminView, "count_cap", CAP)
    monkeypatch.setattr(AdminView, "estimate_above", CAP)
    for site in serve(empty_database_url, TRACKER):
        fill_tracker(site)
        task = tracker.TrackerTask
        with site.session() as db:
            dated = [d for d in db.exec(select(task.due_on)).all() if d]
        page = site.client.get("/admin/tracker-task/list").text
        words = COUNT.search(page)[1]  # a large list: "about N" or "50+"
        assert words.startswith("about") or words.split()[0].endswith("+")
        # Every period between the first and the last date is offered.
        first, last = min(dated), max(dated)
        _, links, _ = drill(page)
        assert [label for label, _ in links] == [
            str(y) for y in range(first.year, last.year + 1)
        ]
        year = max({d.year for d in dated}, key=[d.year for d in dated].count)
        in_year = [d for d in dated if d.year == year]
        page = open_link(site.client, links, str(year))
        _, links, _ = drill(page)
        months = range(min(in_year).month, max(in_year).month + 1)
        assert [label for label, _ in links] == [
            f"{calendar.month_name[m]} {year}" for m in months
        ]
        month = max({d.month for d in in_year}, key=[d.month for d in in_year].count)
        in_month = [d for d in in_year if d.month == month]
        page = open_link(site.client, links, f"{calendar.month_name[month]} {year}")
        _, links, _ = drill(page)
        assert [label for label, _ in links] == [
            str(d) for d in range(min(in_month).day, max(in_month).day + 1)
        ]
        shown = COUNT.search(page)[1].split()[0]
        assert shown == (f"{CAP}+" if len(in_month) > CAP else str(len(in_month)))


def test_a_view_without_it(empty_database_url: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(AdminView, "date_hierarchy", None)
    for site in serve(empty_database_url, FULLSTACK):
        page = site.client.get("/admin/item/list")
        assert page.status_code == 200
        assert 'id="date-drill"' not in page.text


def test_a_column_that_is_no_date_is_refused_at_start(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(AdminView, "date_hierarchy", "title")
    url = migrated(empty_database_url, (FULLSTACK,))
    with pytest.raises(ValueError, match="date_hierarchy: 'title'"):
        create_app(url, FULLSTACK, SECRET_KEY)


def test_counting_independently(db, tasks):
    """The test's own counts agree with a COUNT in the database."""
    year = dues(db)[0].year
    counted = db.exec(
        select(func.count()).where(
            Task.due_date >= date(year, 1, 1), Task.due_date <= date(year, 12, 31)
        )
    ).one()
    assert counted == sum(d.year == year for d in dues(db))


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("due_date__gte=2026-13-01", 400),
        ("due_date__gte=2026-02-30&due_date__lte=2026-02-28", 400),
        ("due_date__gte=9999-12-01&due_date__lte=9999-12-31", 200),
        ("due_date__gte=0001-01-01&due_date__lte=0001-12-31", 200),
        ("due_date__gte=2026-01-01&due_date__lte=2025-01-01", 200),
        ("due_date=2026-01-01&due_date__gte=2026-01-01&due_date__lte=2026-12-31", 200),
        ("created_at__gte=2026-01-01T00:00:00&created_at__lte=x", 400),
    ],
)
def test_odd_ranges_are_a_page_or_a_400_never_a_500(client, tasks, query, status):
    response = client.get(f"/admin/task/list?{query}")
    assert response.status_code == status, text(response.text)[:300]
