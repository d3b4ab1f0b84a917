"""Links to rows with the row's key percent-encoded, so that every key round-trips.

SQLAdmin puts `get_object_identifier(obj)` into its links as it is: a key
holding `%`, `?`, `#` or a space gives a link to another page or none (a 404),
and a `pks=` list splits a key holding `,`. Its links are built in a few
methods (`_build_url_for`, `_url_for_delete`, `get_save_redirect_url`); these
overrides encode the key (see `admin_app.model.keys`) and change nothing else.
"""

from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from sqladmin.application import _save_button_clicked
from starlette.datastructures import URL, FormData
from starlette.requests import Request

from admin_app.model.keys import row_identifier, selection_text, url_key
from admin_app.model.labels import label_for

_KEY = "ADMINROWKEY"  # stands for the key in a route's URL (identities are lowercase)


def route_url(request: Request, name: str, identity: str, **keyed: str) -> str:
    """`request.url_for`, looked up once a request (a list page links every
    row two or three times): rows' links then differ only in their key."""
    made = request.state.__dict__.setdefault("_row_urls", {})
    found = made.get((name, identity))
    if found is None:
        found = made[(name, identity)] = str(
            request.url_for(name, identity=identity, **keyed)
        )
    return found


def row_url(request: Request, name: str, identity: str, obj: Any) -> URL:
    """The URL of route `name` (`admin:details`, `admin:edit`) for row `obj`."""
    template = route_url(request, name, identity, pk=_KEY)
    return URL(template.replace(_KEY, url_key(row_identifier(obj))))


def pks_query(identifiers: list[str]) -> str:
    """`pks=...` naming the rows, as a query string."""
    return urlencode({"pks": selection_text(identifiers)})


def plain_or_link(label: str, url: str | None) -> Markup:
    """A row's label: a link to its page, or plain text where it has none
    to open (`KeyedLinks.details_url`)."""
    if url is None:
        return Markup("{}").format(label)
    return Markup('<a href="{}">{}</a>').format(url, label)


class KeyedLinks:
    """A view's links to its rows (list icons, details buttons, related rows)."""

    def _identity_for_object(self, obj: Any) -> str:
        """The identity of the view serving `obj`'s table: SQLAdmin's slug of
        its class name is not it where two tables' names would share one
        (`registry._distinct_identities`)."""
        if isinstance(obj, self.model):
            return self.identity
        views = self._admin_ref.views
        found = next((v for v in views if type(obj) is v.model), None)
        return (
            found.identity if found is not None else super()._identity_for_object(obj)
        )

    def _build_url_for(self, name: str, request: Request, obj: Any) -> URL:
        return row_url(request, name, self._identity_for_object(obj), obj)

    def details_url(self, request: Request, obj: Any) -> str | None:
        """The address of `obj`'s details page, or None where this user has
        none to open: its table is not one they may view, or its view turns
        details pages off (`can_view_details = False`). Every link to a row's
        page asks here, so none ends on a refusal."""
        view = next(
            (v for v in self._admin_ref.views_for(request) if type(obj) is v.model),
            None,
        )
        if view is None or not view.can_view_details:
            return None
        return str(view._build_url_for("admin:details", request, obj))

    def labelled_link(self, request: Request, obj: Any) -> tuple[str, str | None]:
        """A row as a page names it: its label, and its details page's
        address (None: shown as plain text)."""
        return label_for(obj), self.details_url(request, obj)

    def _url_for_delete(self, request: Request, obj: Any) -> str:
        url = route_url(request, "admin:delete", self._identity_for_object(obj))
        return f"{url}?{pks_query([row_identifier(obj)])}"


class KeyedRedirects:
    """The site's redirect after a save: SQLAdmin's choice of page, with the
    edit URL's key percent-encoded and read by the key's attributes (SQLAdmin
    builds it with the key as it is, read by the columns' names, which a
    model over an older database may give other attributes)."""

    def get_save_redirect_url(
        self, request: Request, form: FormData, model_view: Any, obj: Any
    ) -> str | URL:
        identity = request.path_params["identity"]
        if _save_button_clicked(form, "Save and continue editing") or (
            _save_button_clicked(form, "Save as new") and model_view.save_as_continue
        ):
            return row_url(request, "admin:edit", identity, obj)
        if _save_button_clicked(form, "Save"):  # the list, its filters kept
            url = URL(str(request.url_for("admin:list", identity=identity)))
            return url.replace(query=request.url.query) if request.url.query else url
        return request.url_for("admin:create", identity=identity)
