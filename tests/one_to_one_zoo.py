"""A subscriber with at most one profile, as guides write a one-to-one: the
profile's key to its subscriber is unique, and the relationship is told it holds
one row (`uselist=False`)."""

from sqlmodel import Field, Relationship, SQLModel


class Subscriber(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, index=True)

    profile: "SubscriberProfile" = Relationship(
        back_populates="subscriber", sa_relationship_kwargs={"uselist": False}
    )


class SubscriberProfile(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    bio: str = ""
    subscriber_id: int | None = Field(
        default=None, foreign_key="subscriber.id", unique=True
    )

    subscriber: Subscriber | None = Relationship(back_populates="profile")
