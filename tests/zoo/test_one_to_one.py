"""A one-to-one (a subscriber's profile, `tests.one_to_one_zoo`) on SQLite and
PostgreSQL: a subscriber's page shows its profile, and offers *Add Subscriber
profile* only to a subscriber who has none (a second would be refused); a
second profile for a subscriber is refused under its field, and nothing is
saved; deleting a subscriber empties its profile's subscriber, as the deletion
page says first."""

import pytest
from sqlmodel import select

from tests.one_to_one_zoo import Subscriber, SubscriberProfile
from tests.pages import field_errors, referring_sections
from tests.zoo.conftest import serve

pytestmark = pytest.mark.postgres

SECTION = "subscriberprofile-subscriber_id"


@pytest.fixture
def site(empty_database_url: str):  # type: ignore[no-untyped-def]
    for served in serve(empty_database_url, "tests.one_to_one_zoo", seeded=False):
        with served.session() as session:
            ada, bob = (
                Subscriber(email="ada@example.org"),
                Subscriber(email="bob@example.org"),
            )
            session.add_all([ada, bob])
            session.flush()
            session.add(SubscriberProfile(bio="Engines", subscriber_id=ada.id))
            session.commit()
        yield served, ada.id, bob.id


def test_a_subscriber_with_a_profile_is_offered_no_second(site):
    served, ada, _bob = site
    page = served.client.get(f"/admin/subscriber/details/{ada}")
    section = referring_sections(page.text)[SECTION]
    assert [label for label, _link in section["rows"]] == ["Subscriber profile #1"]
    assert section["add"] is None


def test_a_subscriber_without_a_profile_is_offered_one(site):
    served, _ada, bob = site
    section = referring_sections(
        served.client.get(f"/admin/subscriber/details/{bob}").text
    )
    assert section[SECTION]["add"].endswith(
        f"/admin/subscriber-profile/create?subscriber={bob}"
    )
    form = served.client.get(section[SECTION]["add"])
    assert f'<option selected value="{bob}">bob@example.org</option>' in form.text


def test_a_second_profile_for_a_subscriber_is_refused_under_its_field(site):
    served, ada, _bob = site
    response = served.client.post(
        "/admin/subscriber-profile/create",
        data={"bio": "Again", "subscriber": str(ada)},
    )
    assert response.status_code == 400
    assert field_errors(response.text) == ["Another row already has this subscriber."]
    with served.session() as session:
        assert session.exec(select(SubscriberProfile.bio)).all() == ["Engines"]


def test_deleting_a_subscriber_says_its_profile_keeps_no_subscriber(site):
    """The profile's key is nullable and nothing cascades: the deletion
    page says the profile loses its subscriber, and the delete does that."""
    served, ada, _bob = site
    asked = served.client.get(
        f"/admin/subscriber/bulk-delete?pks={ada}",
        headers={"Accept": "application/json"},
    ).json()
    assert not asked["blocked"]
    assert [e["sentence"] for e in asked["effects"]] == [
        "1 subscriber profile will have its subscriber emptied."
    ]
    assert (
        served.client.delete(f"/admin/subscriber/delete?pks={ada}").status_code == 200
    )
    with served.session() as session:
        assert session.get(Subscriber, ada) is None
        profile = session.exec(select(SubscriberProfile)).one()
        assert (profile.bio, profile.subscriber_id) == ("Engines", None)
