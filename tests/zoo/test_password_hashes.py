"""A column that holds a password's hash (the full-stack template's
`hashed_password`) is typed as the password, asked twice, and stored as its
hash: once, what was typed was stored as it was, in the clear, and the
application's own login (which checks a hash) refused the user. On SQLite
and PostgreSQL."""

from collections.abc import Iterator

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.testclient import TestClient
from wtforms import Form

from admin_app.writing.secret_fields import PasswordHashField
from tests import hashing_zoo
from tests.conftest import serving, superuser_browser
from tests.pages import field_errors, form_values, post_form, text
from tests.zoo import fullstack
from tests.zoo.seeds import seed
from tests.zoo.test_unrecorded_columns import entries, users

# the template's own check of a password (`app.core.security.verify_password`)
TEMPLATE_HASHER = PasswordHash((Argon2Hasher(),))
TYPED = "correct horse battery"


def typed_in(page: str, **typed: str) -> list[tuple[str, str]]:
    """The form's fields as shown, with `typed` typed into their boxes."""
    pairs = [(n, v) for n, v in form_values(page) if n not in typed]
    return [*pairs, *typed.items()]


def created(client: TestClient, email: str, password: str, again: str | None = None):  # type: ignore[no-untyped-def]
    """A new user's form posted with `password` typed, and `again` (else
    the same) in the second box."""
    page = client.get("/admin/user/create").text
    typed = {
        "email": email,
        "hashed_password": password,
        "hashed_password_repeat": password if again is None else again,
    }
    return post_form(client, "/admin/user/create", typed_in(page, **typed))


def refused(app: Starlette, response, email: str, message: str) -> None:  # type: ignore[no-untyped-def]
    """The form shown again with `message` under a box, and no user saved."""
    assert response.status_code == 400
    assert field_errors(response.text) == [message]
    assert email not in users(app)


@pytest.fixture
def template_site(empty_database_url: str) -> Iterator[Starlette]:
    for app in serving(empty_database_url, fullstack.__name__):
        seed(app.state.engine, fullstack.__name__)
        yield app


@pytest.fixture
def keeper(template_site: Starlette) -> Iterator[TestClient]:
    yield from superuser_browser(template_site)


def test_a_new_users_password_is_stored_as_the_templates_login_checks_it(
    keeper, template_site
):
    page = text(keeper.get("/admin/user/create").text)
    assert "Password Stored as its hash, never as typed." in page
    assert "Password again" in page and "Hashed password" not in page
    differ = created(keeper, "ann@example.com", TYPED, again=TYPED.upper())
    refused(template_site, differ, "ann@example.com", "The two passwords differ.")
    saved = created(keeper, "ann@example.com", TYPED)
    assert saved.status_code == 302, text(saved.text)[:300]
    stored = users(template_site)["ann@example.com"].hashed_password
    assert stored.startswith("$argon2id$") and TYPED not in stored
    assert TEMPLATE_HASHER.verify(TYPED, stored)
    assert not TEMPLATE_HASHER.verify(TYPED.upper(), stored)
    (entry,) = entries(template_site)
    assert TYPED not in entry.summary + str(entry.change_data())
    assert stored not in entry.summary + str(entry.change_data())


def test_an_edit_keeps_the_password_left_empty_and_hashes_a_new_one(
    keeper, template_site
):
    alice = users(template_site)["alice@example.com"]
    url = f"/admin/user/edit/{alice.id}"
    page = keeper.get(url).text
    assert "Leave both boxes empty to keep the current password." in text(page)
    kept = post_form(keeper, url, typed_in(page, full_name="Alice Kept"))
    assert kept.status_code == 302, text(kept.text)[:300]
    after = users(template_site)["alice@example.com"]
    assert (after.full_name, after.hashed_password) == (
        "Alice Kept",
        alice.hashed_password,
    )
    alone = post_form(keeper, url, typed_in(page, hashed_password=TYPED))
    assert alone.status_code == 400
    assert field_errors(alone.text) == ["The two passwords differ."]
    assert users(template_site)["alice@example.com"].hashed_password == (
        alice.hashed_password
    )
    changed = post_form(
        keeper,
        url,
        typed_in(page, hashed_password=TYPED, hashed_password_repeat=TYPED),
        follow_redirects=True,
    )
    assert "saved (password changed)" in text(changed.text)
    stored = users(template_site)["alice@example.com"].hashed_password
    assert TEMPLATE_HASHER.verify(TYPED, stored)
    entry = entries(template_site)[-1]
    assert entry.summary == "Changed User “alice@example.com”: password"
    assert TYPED not in str(entry.change_data()) and stored not in entry.summary


@pytest.fixture
def project_site(empty_database_url: str) -> Iterator[Starlette]:
    for app in serving(empty_database_url, hashing_zoo.__name__):
        seed(app.state.engine, fullstack.__name__)
        yield app


def test_a_projects_own_hash_and_rules_are_used(project_site):
    for keeper in superuser_browser(project_site):
        short = created(keeper, "bo@example.com", "short")
        said = "A password has at least 8 characters."
        refused(project_site, short, "bo@example.com", said)
        saved = created(keeper, "bo@example.com", TYPED)
        assert saved.status_code == 302, text(saved.text)[:300]
    stored = users(project_site)["bo@example.com"].hashed_password
    assert stored == hashing_zoo.get_password_hash(TYPED)


def test_a_column_named_password_its_view_says_is_a_hash_is_hashed(project_site):
    for keeper in superuser_browser(project_site):
        page = keeper.get("/admin/account/create").text
        assert "Password again" in text(page)
        saved = post_form(
            keeper,
            "/admin/account/create",
            typed_in(page, username="cy", password=TYPED, password_repeat=TYPED),
        )
        assert saved.status_code == 302, text(saved.text)[:300]
    with Session(project_site.state.engine) as session:
        (account,) = session.exec(select(hashing_zoo.Account))
    assert TEMPLATE_HASHER.verify(TYPED, account.password)


def test_a_password_field_without_a_views_hasher_refuses_rather_than_stores():
    """Where no view gives the field its hasher (a link row's editor), a
    password typed is refused, never kept as typed."""
    form_class = type("F", (Form,), {"secret": PasswordHashField("Password")})
    form = form_class(FormData([("secret", TYPED)]))
    assert not form.validate()
    assert form.errors == {"secret": ["A password is set on its row's own form."]}
    assert form.secret.data is None
