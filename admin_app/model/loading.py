"""Related rows read as the admin needs them, whatever a relationship's
`lazy=` says.

Async apps declare how relationships load, since an async session cannot
load one on first touch: `lazy="selectin"` or `lazy="joined"` to load them
with the row, `lazy="raise"` to forbid a load nobody asked for. The admin
reads related rows on purpose (a form's selections, a save's old values),
so it loads a relationship not yet loaded itself (`related`). And a
collection loaded by an outer join repeats its row once per related row,
which SQLAlchemy refuses to hand out as rows unless every reader
de-duplicates them: the admin's sessions read such a collection with a
second `SELECT ... IN` instead (`selectin_collections`), the same rows
without the repeats, for every list, page, export and import alike.
"""

from functools import cache
from typing import Any

from sqlalchemy import Select, event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, defaultload, selectinload
from sqlalchemy.orm.base import instance_state


def related(obj: Any, name: str) -> Any:
    """`obj`'s related row or rows `name`, loaded if they are not yet: also
    where the model declares the relationship `lazy="raise"`."""
    state = instance_state(obj)
    if name in state.unloaded and state.has_identity and state.session is not None:
        state.session.refresh(obj, attribute_names=[name])
    return getattr(obj, name)


@cache  # a model's relationships are fixed
def _joined_collections(
    model: type, path: Any = None, seen: frozenset = frozenset()
) -> tuple[Any, ...]:
    """Loader options reading each collection that `model` (or a row it
    joins in, `path`) loads by a join with a `SELECT ... IN` instead."""
    options: list[Any] = []
    for rel in inspect(model).relationships:
        if rel.lazy != "joined":
            continue
        attribute = getattr(model, rel.key)
        if rel.uselist:
            options.append(
                selectinload(attribute)
                if path is None
                else path.selectinload(attribute)
            )
        elif rel.mapper.class_ not in seen:
            step = (
                defaultload(attribute) if path is None else path.defaultload(attribute)
            )
            options += _joined_collections(rel.mapper.class_, step, seen | {model})
    return tuple(options)


def _selectin_collections(state: ORMExecuteState) -> None:
    if not state.is_select or not isinstance(state.statement, Select):
        return
    options = []
    for described in state.statement.column_descriptions:
        entity = described.get("entity")
        if entity is not None and described.get("expr") is entity:
            options += _joined_collections(entity)
    if options:
        state.statement = state.statement.options(*options)


def selectin_collections(session_class: type[Session]) -> None:
    """Have sessions of `session_class` read collections declared
    `lazy="joined"` with `SELECT ... IN` (see the module's words)."""
    if not event.contains(session_class, "do_orm_execute", _selectin_collections):
        event.listen(session_class, "do_orm_execute", _selectin_collections)
