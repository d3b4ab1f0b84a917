"""JSON columns holding pydantic models, as apps store nested settings and
lists of steps: a project's `TypeDecorator` around `JSON` that dumps the
model and reads it back, and a plain `JSON` column the model types as
`list[Step]` (the model's validation makes `Step`s, the database holds
objects)."""

from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, Column, TypeDecorator
from sqlmodel import Field, SQLModel


class Preferences(BaseModel):
    theme: str = "light"
    size: int = 12


class PreferencesType(TypeDecorator):
    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return value.model_dump() if isinstance(value, BaseModel) else value

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return None if value is None else Preferences.model_validate(value)


class Reader(SQLModel, table=True):
    __tablename__ = "doc_reader"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    preferences: Preferences | None = Field(default=None, sa_type=PreferencesType)


class Step(BaseModel):
    title: str
    done: bool = False


class Checklist(SQLModel, table=True):
    __tablename__ = "doc_checklist"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    steps: list[Step] = Field(default_factory=list, sa_column=Column(JSON))
