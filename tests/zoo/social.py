"""A small social network as an app's models often have it.

Members follow members: a self-referential many-to-many whose link row
carries data of its own (`since`, `muted`), which SQLAlchemy needs told which
key is which (`primaryjoin`/`secondaryjoin`) on both sides. A message has two
foreign keys to the same table (its sender and its recipient), each with a
relationship told its own key (`foreign_keys`). Members are named by a unique
`handle`, none of the usual label columns; their tags are a JSON list, their
mood a `str` enum.
"""

from datetime import UTC, datetime
from enum import Enum

from sqlalchemy import JSON, Column
from sqlmodel import Field, Relationship, SQLModel


def now() -> datetime:
    return datetime.now(UTC)


class SocialMood(str, Enum):  # noqa: UP042 (as most apps still write it)
    happy = "happy"
    grumpy = "grumpy"


class SocialFollow(SQLModel, table=True):
    __tablename__ = "social_follow"

    follower_id: int = Field(foreign_key="social_member.id", primary_key=True)
    followed_id: int = Field(foreign_key="social_member.id", primary_key=True)
    since: datetime = Field(default_factory=now)
    muted: bool = False


class SocialMember(SQLModel, table=True):
    __tablename__ = "social_member"

    id: int | None = Field(default=None, primary_key=True)
    handle: str = Field(unique=True, index=True)
    bio: str | None = None
    mood: SocialMood = SocialMood.happy
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON))

    following: list["SocialMember"] = Relationship(
        back_populates="followers",
        link_model=SocialFollow,
        sa_relationship_kwargs={
            "primaryjoin": "SocialMember.id == SocialFollow.follower_id",
            "secondaryjoin": "SocialMember.id == SocialFollow.followed_id",
        },
    )
    followers: list["SocialMember"] = Relationship(
        back_populates="following",
        link_model=SocialFollow,
        sa_relationship_kwargs={
            "primaryjoin": "SocialMember.id == SocialFollow.followed_id",
            "secondaryjoin": "SocialMember.id == SocialFollow.follower_id",
        },
    )
    sent: list["SocialMessage"] = Relationship(
        back_populates="sender",
        sa_relationship_kwargs={"foreign_keys": "SocialMessage.sender_id"},
    )
    received: list["SocialMessage"] = Relationship(
        back_populates="recipient",
        sa_relationship_kwargs={"foreign_keys": "SocialMessage.recipient_id"},
    )


class SocialMessage(SQLModel, table=True):
    __tablename__ = "social_message"

    id: int | None = Field(default=None, primary_key=True)
    body: str
    sent_at: datetime = Field(default_factory=now)
    read: bool = False
    sender_id: int = Field(foreign_key="social_member.id")
    recipient_id: int | None = Field(default=None, foreign_key="social_member.id")

    sender: SocialMember = Relationship(
        back_populates="sent",
        sa_relationship_kwargs={"foreign_keys": "SocialMessage.sender_id"},
    )
    recipient: SocialMember | None = Relationship(
        back_populates="received",
        sa_relationship_kwargs={"foreign_keys": "SocialMessage.recipient_id"},
    )
