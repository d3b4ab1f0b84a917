"""Connection pool settings from the environment, as an operator sets them."""

import pytest
from click.testing import CliRunner

from admin_app import create_app
from admin_app.cli import main
from admin_app.settings import ImproperlyConfigured
from tests.conftest import SECRET_KEY

POOL_ENV = {
    "ADMIN_POOL_SIZE": "3",
    "ADMIN_MAX_OVERFLOW": "2",
    "ADMIN_POOL_RECYCLE": "600",
    "ADMIN_POOL_PRE_PING": "off",
}


@pytest.fixture
def pool_env(monkeypatch):
    for name, value in POOL_ENV.items():
        monkeypatch.setenv(name, value)


def test_pool_settings_apply_to_postgresql_and_its_replica(
    pool_env, database_url, backend
):
    # Any PostgreSQL URL does as the replica here: only its pool is looked at.
    app = create_app(database_url, "models", SECRET_KEY, read_database_url=database_url)
    try:
        engines = [app.state.engine, app.state.read_replica.engine]
        for engine in engines:
            pool = engine.pool
            if backend == "sqlite":
                # SQLite is a file in this process: the engine's own pool fits.
                assert pool._pre_ping is False and pool._recycle == -1
                continue
            assert pool.size() == 3
            assert pool._max_overflow == 2
            assert pool._recycle == 600
            assert pool._pre_ping is False
    finally:
        app.state.read_replica.dispose()
        app.state.engine.dispose()


def test_pre_ping_is_on_unless_turned_off(postgres_server_url, monkeypatch):
    monkeypatch.delenv("ADMIN_POOL_PRE_PING", raising=False)
    app = create_app(postgres_server_url, "models", SECRET_KEY)
    try:
        assert app.state.engine.pool._pre_ping is True
    finally:
        app.state.engine.dispose()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "ADMIN_POOL_SIZE",
            "ten",
            "ADMIN_POOL_SIZE must be a whole number, at least 1.",
        ),
        ("ADMIN_POOL_SIZE", "0", "ADMIN_POOL_SIZE must be a whole number, at least 1."),
        (
            "ADMIN_MAX_OVERFLOW",
            "-1",
            "ADMIN_MAX_OVERFLOW must be a whole number, at least 0.",
        ),
        (
            "ADMIN_POOL_RECYCLE",
            "1.5",
            "ADMIN_POOL_RECYCLE must be a whole number, at least 1.",
        ),
        (  # a digit to str.isdigit, not to int()
            "ADMIN_POOL_SIZE",
            "\u00b2",
            "ADMIN_POOL_SIZE must be a whole number, at least 1.",
        ),
        (
            "ADMIN_POOL_PRE_PING",
            "maybe",
            "ADMIN_POOL_PRE_PING must be on or off (true/false, 1/0, yes/no).",
        ),
    ],
)
def test_a_bad_pool_setting_is_one_line_at_startup(
    name, value, message, empty_database_url, monkeypatch, tmp_path
):
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured) as raised:
        create_app(empty_database_url, "models", SECRET_KEY)
    assert str(raised.value) == message
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    monkeypatch.chdir(tmp_path)
    for command in (["migrate"], ["serve", "--port", "0"]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 1
        assert result.output == f"Error: {message}\n"
