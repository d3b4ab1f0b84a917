"""An app on PostgreSQL alone: its tables in a schema of their own
(`__table_args__`), with PostgreSQL's own types declared as such: arrays
(of text, numbers, UUIDs and dates), JSONB and INET, with the database's
defaults."""

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Column, Date, Integer, String, Uuid, text
from sqlalchemy.dialects.postgresql import ARRAY, INET, JSONB
from sqlmodel import Field, Relationship, SQLModel


class ContentArticle(SQLModel, table=True):
    __tablename__ = "article"
    __table_args__ = {"schema": "content"}

    id: int | None = Field(default=None, primary_key=True)
    title: str
    tags: list[str] = Field(
        default_factory=list,
        sa_column=Column(
            ARRAY(String), nullable=False, server_default=text("'{}'::varchar[]")
        ),
    )
    scores: list[int] | None = Field(default=None, sa_column=Column(ARRAY(Integer)))
    attrs: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    )
    client_ip: str | None = Field(default=None, sa_column=Column(INET))
    sources: list[uuid.UUID] | None = Field(default=None, sa_column=Column(ARRAY(Uuid)))
    issues: list[date] | None = Field(default=None, sa_column=Column(ARRAY(Date)))
    comments: list["ContentComment"] = Relationship(back_populates="article")


class ContentComment(SQLModel, table=True):
    __tablename__ = "comment"
    __table_args__ = {"schema": "content"}

    id: int | None = Field(default=None, primary_key=True)
    body: str
    article_id: int = Field(foreign_key="content.article.id")
    article: ContentArticle = Relationship(back_populates="comments")
