"""A one-to-one (an account's profile, `tests.one_to_one_zoo`) on SQLite and
PostgreSQL: an account's page shows its profile, and offers *Add Profile*
only to an account that has none (a second would be refused); a second
profile for an account is refused under its field, and nothing is saved."""

import pytest
from sqlmodel import select

from tests.one_to_one_zoo import Account, Profile
from tests.pages import field_errors, referring_sections
from tests.zoo.conftest import serve

pytestmark = pytest.mark.postgres

SECTION = "profile-account_id"


@pytest.fixture
def site(empty_database_url: str):  # type: ignore[no-untyped-def]
    for served in serve(empty_database_url, "tests.one_to_one_zoo", seeded=False):
        with served.session() as session:
            ada, bob = (
                Account(email="ada@example.org"),
                Account(email="bob@example.org"),
            )
            session.add_all([ada, bob])
            session.flush()
            session.add(Profile(bio="Engines", account_id=ada.id))
            session.commit()
        yield served, ada.id, bob.id


def test_an_account_with_its_profile_offers_no_second(site):
    served, ada, _bob = site
    page = served.client.get(f"/admin/account/details/{ada}")
    section = referring_sections(page.text)[SECTION]
    assert [label for label, _link in section["rows"]] == ["Profile #1"]
    assert section["add"] is None


def test_an_account_without_a_profile_offers_one_for_it(site):
    served, _ada, bob = site
    section = referring_sections(
        served.client.get(f"/admin/account/details/{bob}").text
    )
    assert section[SECTION]["add"].endswith(f"/admin/profile/create?account={bob}")
    form = served.client.get(section[SECTION]["add"])
    assert f'<option selected value="{bob}">bob@example.org</option>' in form.text


def test_a_second_profile_for_an_account_is_refused_under_its_field(site):
    served, ada, _bob = site
    response = served.client.post(
        "/admin/profile/create", data={"bio": "Again", "account": str(ada)}
    )
    assert response.status_code == 400
    assert field_errors(response.text) == ["Another row already has this account."]
    with served.session() as session:
        assert session.exec(select(Profile.bio)).all() == ["Engines"]
