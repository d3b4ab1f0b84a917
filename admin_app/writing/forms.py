"""The base form class of generated views."""

from typing import Any, ClassVar

from starlette.datastructures import FormData
from wtforms import Form


class AdminForm(Form):
    """Reads a submitted `0` for a related row as "none".

    Scripts and browsers send `0` for an empty foreign key; SQLAdmin's select
    would reject it as "Not a valid choice". The write path then stores NULL,
    or reports "required" where the key may not be empty.
    """

    zero_means_none: ClassVar[frozenset[str]] = frozenset()

    def process(self, formdata: Any = None, *args: Any, **kwargs: Any) -> None:
        if formdata is not None and self.zero_means_none:
            formdata = FormData(
                [
                    (key, "" if key in self.zero_means_none and value == "0" else value)
                    for key, value in formdata.multi_items()
                ]
            )
        super().process(formdata, *args, **kwargs)
