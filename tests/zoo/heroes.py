"""The SQLModel tutorial's heroes and teams, as its many-to-many chapter ends.

From "Link Model with Extra Fields" (docs_src/tutorial/many_to_many/
tutorial003): plain `str` columns with no length, a link model with a column of
its own (`is_training`) and only the link's relationships (`Team.hero_links`,
`Hero.team_links`, `HeroTeamLink.team`, `HeroTeamLink.hero`), plus the one-to-
many chapter's `Hero.team_id` to-one.
"""

from sqlmodel import Field, Relationship, SQLModel


class HeroTeamLink(SQLModel, table=True):
    team_id: int | None = Field(default=None, foreign_key="team.id", primary_key=True)
    hero_id: int | None = Field(default=None, foreign_key="hero.id", primary_key=True)
    is_training: bool = False

    team: "Team" = Relationship(back_populates="hero_links")
    hero: "Hero" = Relationship(back_populates="team_links")


class Team(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    headquarters: str

    heroes: list["Hero"] = Relationship(back_populates="team")
    hero_links: list[HeroTeamLink] = Relationship(back_populates="team")


class Hero(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    secret_name: str
    age: int | None = Field(default=None, index=True)

    team_id: int | None = Field(default=None, foreign_key="team.id")
    team: Team | None = Relationship(back_populates="heroes")
    team_links: list[HeroTeamLink] = Relationship(back_populates="hero")
