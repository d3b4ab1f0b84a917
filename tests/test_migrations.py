"""The Alembic history builds the schema the models describe, up and down."""

import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from admin_app.db import make_engine
from admin_app.migrate import alembic_config, upgrade

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_TABLES = {
    "project",
    "worker",
    "tag",
    "task",
    "task_assignment",
    "task_tag_link",
}


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    return names


def test_upgrade_matches_the_models_and_goes_down_and_up_again(empty_database_url):
    config = alembic_config(empty_database_url)
    command.upgrade(config, "heads")
    assert SHIPPED_TABLES | {"admin_staff_user"} <= tables(empty_database_url)
    command.check(config)  # raises if the models and the database differ
    command.downgrade(config, "base")
    assert tables(empty_database_url) == {"admin_alembic_version"}
    command.upgrade(config, "heads")
    command.check(config)


def test_the_admin_branch_stands_alone(empty_database_url):
    engine = make_engine(empty_database_url)
    upgrade(engine, ("tests.other_models",))
    engine.dispose()
    names = tables(empty_database_url)
    assert "admin_staff_user" in names
    assert not SHIPPED_TABLES & names


def test_upgrade_twice_changes_nothing(empty_database_url):
    engine = make_engine(empty_database_url)
    upgrade(engine, ("models",))
    assert upgrade(engine, ("models",)) == []
    engine.dispose()


def test_the_two_heads_are_the_admin_and_demo_branches():
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    heads = {
        script.get_revision(head).branch_labels.pop() for head in script.get_heads()
    }
    assert heads == {"admin", "demo"}


def test_alembic_check_from_the_repo_root(tmp_path):
    """`alembic upgrade heads` then `alembic check`, as a developer runs them."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'dev.db'}", "PATH": ""}
    alembic = [sys.executable, "-m", "alembic"]
    for args in (
        ["upgrade", "heads"],
        ["check"],
        ["downgrade", "base"],
        ["upgrade", "heads"],
    ):
        result = subprocess.run(
            [*alembic, *args], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
    assert (
        "No new upgrade operations detected" in result.stderr or result.returncode == 0
    )
