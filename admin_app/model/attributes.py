"""The Python name of a mapped column.

A model over a database that came before it may name a column apart from
its attribute (`name: str = Field(sa_column=Column("SupplierName", ...))`):
`Column.key` is then the database's name, the attribute the model's. Rows,
forms, URLs, files and audit entries speak of attributes, SQL of columns:
whatever reads a column's value off a row, or names the column to a user,
asks here.
"""

from sqlalchemy import Column, Table, inspect

from admin_app.model.relations import mapped_class

_NAMES: dict[Table, dict[Column, str]] = {}


def attribute_name(column: Column) -> str:
    """The attribute that holds `column`'s value on a row of its model (its
    key when no model maps its table)."""
    table = column.table
    names = _NAMES.get(table)
    if names is None:
        model = mapped_class(table)
        if model is None:
            return column.key
        names = {prop.columns[0]: prop.key for prop in inspect(model).column_attrs}
        _NAMES[table] = names
    return names.get(column, column.key)
