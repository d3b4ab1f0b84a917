"""The way back to the list a row was opened from, with its filters.

SQLAdmin's edit links carry the list's query string (`edit/5?status=blocked`)
and its Save returns there; its details page, "Save and continue editing" and
"Save and add another" forget it, so a staff user working through a filtered
list lands on the whole table. Here the list's query string travels on: from
the page's own query, else from the list page that linked to it (Referer, on
this site and this view's list only).
"""

from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import URL, FormData
from starlette.requests import Request


def list_query_of(request: Request, identity: str) -> str:
    """The query string of the list of `identity` the request came from."""
    if request.url.query:
        return request.url.query
    list_path = request.url_for("admin:list", identity=identity).path
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc == request.url.netloc and referer.path == list_path:
        return referer.query
    return ""


class BackToList:
    """A view's "Back to list" link (details and edit pages)."""

    def back_to_list_url(self, request: Request) -> str:
        identity: str = self.identity  # type: ignore[attr-defined]
        url = request.url_for("admin:list", identity=identity)
        query = list_query_of(request, identity)
        return str(url.replace(query=query)) if query else str(url)


class ListQueryRedirects:
    """The site's redirects after "Save and continue editing" and "Save and
    add another" keep the list's query string, as SQLAdmin's Save does.

    A create form's query string is not a list's: it holds the form's first
    values (`create?team=3`, see `initial_values`). "Save and add another"
    opens the form with them again (the next hero of the same team); Save
    and "Save and continue editing" go where a plain create form's do."""

    def get_save_redirect_url(
        self, request: Request, form: FormData, model_view: Any, obj: Any
    ) -> str | URL:
        url = URL(str(super().get_save_redirect_url(request, form, model_view, obj)))  # type: ignore[misc]
        query = request.url.query
        if not query:
            return url
        if _is_create(request, model_view):  # first values, for the next row
            keeps = form.get("save") == "Save and add another"
        else:  # the list's filters, on every page after the save
            keeps = True
        return url.replace(query=query if keeps else "")


def _is_create(request: Request, view: Any) -> bool:
    create = request.url_for("admin:create", identity=view.identity)
    return request.url.path == create.path
