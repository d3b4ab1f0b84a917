"""An account with at most one profile, as guides write a one-to-one: the
profile's key to its account is unique, and the relationship is told it holds
one row (`uselist=False`)."""

from sqlmodel import Field, Relationship, SQLModel


class Account(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, index=True)

    profile: "Profile" = Relationship(
        back_populates="account", sa_relationship_kwargs={"uselist": False}
    )


class Profile(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    bio: str = ""
    account_id: int | None = Field(default=None, foreign_key="account.id", unique=True)

    account: Account | None = Relationship(back_populates="profile")
