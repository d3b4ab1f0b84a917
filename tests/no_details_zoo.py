"""The tutorial's heroes served with a project's view that turns the heroes'
details pages off (`can_view_details = False`, a SQLAdmin setting): no page
links to one."""

from admin_app import AdminView
from tests.zoo.heroes import Hero, HeroTeamLink, Team

__all__ = ["HeroTeamLink", "Team"]


class HeroAdmin(AdminView, model=Hero):
    can_view_details = False
