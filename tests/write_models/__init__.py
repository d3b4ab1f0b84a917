"""Model shapes the write path must handle, unlike the shipped demo's.

- `WrOwner` has relationships named `items`, `keys` and `values` (names a dict
  also has), a field validator, a model validator and a length constraint,
  an aware and a naive datetime column.
- `WrThing` rows go with their owner (`cascade_delete=True`); `WrKey` rows are
  emptied (a nullable key and a relationship without cascade); `WrNote` has a
  required foreign key without a relationship (it blocks a delete).
- `WrCrewJob` is a link with a `role`, declared both ways: `link_model=`
  relationships on both sides and the link's own relationships;
  `WrSquadMember` a link with data reached only through `link_model=`.
- `WrVisit` is stamped as older guides stamp rows (`datetime.utcnow`: naive)
  on a column SQLModel 0.0.50 on types as aware, which refuses naive values.
"""

from datetime import UTC, datetime

from pydantic import NaiveDatetime, field_validator, model_validator
from sqlalchemy import DateTime
from sqlmodel import Field, Relationship, SQLModel


class WrOwnerValue(SQLModel, table=True):
    __tablename__ = "wr_owner_value"

    owner_id: int = Field(foreign_key="wr_owner.id", primary_key=True)
    value_id: int = Field(foreign_key="wr_value.id", primary_key=True)


class WrValue(SQLModel, table=True):
    __tablename__ = "wr_value"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=40)

    owners: list["WrOwner"] = Relationship(
        back_populates="values", link_model=WrOwnerValue
    )


class WrOwner(SQLModel, table=True):
    __tablename__ = "wr_owner"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=40)
    name: str = Field(default="", max_length=40)
    seen_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    due_at: NaiveDatetime | None = Field(default=None, sa_type=DateTime)  # no zone

    items: list["WrThing"] = Relationship(back_populates="owner", cascade_delete=True)
    keys: list["WrKey"] = Relationship(back_populates="owner")
    values: list[WrValue] = Relationship(
        back_populates="owners", link_model=WrOwnerValue
    )

    @field_validator("email")
    @classmethod
    def email_has_an_at(cls, value: str) -> str:
        if "@" not in value:
            raise ValueError("An email address has an @ in it.")
        return value.lower()

    @model_validator(mode="after")
    def name_is_not_the_email(self) -> "WrOwner":
        if self.name and self.name.lower() == self.email:
            raise ValueError("The name must not be the email address.")
        return self


def naive_utc_now() -> datetime:
    """`datetime.utcnow()`, which Python 3.12 deprecates, without the warning."""
    return datetime.now(UTC).replace(tzinfo=None)


class WrVisit(SQLModel, table=True):
    __tablename__ = "wr_visit"

    id: int | None = Field(default=None, primary_key=True)
    page: str = Field(max_length=40)
    at: datetime = Field(default_factory=naive_utc_now)


class WrThing(SQLModel, table=True):
    __tablename__ = "wr_thing"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=40)
    owner_id: int = Field(foreign_key="wr_owner.id", ondelete="CASCADE")

    owner: WrOwner = Relationship(back_populates="items")


class WrKey(SQLModel, table=True):
    __tablename__ = "wr_key"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40)
    owner_id: int | None = Field(default=None, foreign_key="wr_owner.id")

    owner: WrOwner | None = Relationship(back_populates="keys")


class WrNote(SQLModel, table=True):
    """A required foreign key without a relationship."""

    __tablename__ = "wr_note"

    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(max_length=100)
    owner_id: int = Field(foreign_key="wr_owner.id")


class WrCrewJob(SQLModel, table=True):
    __tablename__ = "wr_crew_job"

    job_id: int = Field(foreign_key="wr_job.id", primary_key=True)
    crew_id: str = Field(foreign_key="wr_crew.id", primary_key=True)
    role: str = Field(default="helper", max_length=20)

    job: "WrJob" = Relationship(
        back_populates="assignments", sa_relationship_kwargs={"overlaps": "crews"}
    )
    crew: "WrCrew" = Relationship(
        back_populates="assignments", sa_relationship_kwargs={"overlaps": "jobs"}
    )


class WrCrew(SQLModel, table=True):
    __tablename__ = "wr_crew"

    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=40)

    jobs: list["WrJob"] = Relationship(
        back_populates="crews",
        link_model=WrCrewJob,
        sa_relationship_kwargs={"overlaps": "assignments,job,crew"},
    )
    assignments: list[WrCrewJob] = Relationship(
        back_populates="crew", sa_relationship_kwargs={"overlaps": "jobs"}
    )


class WrJob(SQLModel, table=True):
    __tablename__ = "wr_job"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=40)

    crews: list[WrCrew] = Relationship(
        back_populates="jobs",
        link_model=WrCrewJob,
        sa_relationship_kwargs={"overlaps": "assignments,job,crew"},
    )
    assignments: list[WrCrewJob] = Relationship(
        back_populates="job", sa_relationship_kwargs={"overlaps": "crews"}
    )


class WrSquadMember(SQLModel, table=True):
    """A link with data of its own, reached only through `link_model=`."""

    __tablename__ = "wr_squad_member"

    squad_id: int = Field(foreign_key="wr_squad.id", primary_key=True)
    member_id: int = Field(foreign_key="wr_member.id", primary_key=True)
    is_training: bool = False


class WrMember(SQLModel, table=True):
    __tablename__ = "wr_member"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=40)

    squads: list["WrSquad"] = Relationship(
        back_populates="members", link_model=WrSquadMember
    )


class WrSquad(SQLModel, table=True):
    __tablename__ = "wr_squad"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=40)

    members: list[WrMember] = Relationship(
        back_populates="squads", link_model=WrSquadMember
    )
