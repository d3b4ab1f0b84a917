"""The clinic's own views: each changes one field's description only."""

from admin_app import AdminView
from tests.field_models import ClinicLocker, ClinicVisit, ClinicWard


class ClinicWardAdmin(AdminView, model=ClinicWard):
    field_overrides = {"access_code": {"kind": "secret"}}


class ClinicVisitAdmin(AdminView, model=ClinicVisit):
    field_overrides = {"summary": {"kind": "long_text", "label": "Visit summary"}}


class ClinicLockerAdmin(AdminView, model=ClinicLocker):
    field_overrides = {"door_code": {"kind": "secret"}}
