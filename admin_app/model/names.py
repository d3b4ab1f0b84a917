"""What tables and rows are called on pages and in messages, as a person writes it.

Class names become words in sentence case (`HeroTeamLink` -> "Hero team link",
`URLRecord` -> "URL record") and plurals come from `inflect` ("Heroes",
"Categories", "People"), where SQLAdmin would say "Heros" and name a table by
its SQL name (`heroteamlink`).
"""

import re
from collections.abc import Iterable
from functools import cache

import inflect
from sqlalchemy import Table

from admin_app.model.mapped import mapper_of

_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b)|[A-Z]?[a-z]+|\d+")


@cache
def _inflect() -> inflect.engine:
    return inflect.engine()


def model_words(class_name: str) -> str:
    """`HeroTeamLink` -> "Hero team link"; acronyms stay as they are."""
    words = _WORDS.findall(class_name) or [class_name]
    shown = [w if w.isupper() and len(w) > 1 else w.lower() for w in words]
    first = shown[0]
    return " ".join([first[:1].upper() + first[1:], *shown[1:]])


def plural(name: str) -> str:
    """The plural of a name in words: its last word made plural."""
    head, _, last = name.rpartition(" ")
    if not last.isalpha():
        return name
    lowered = last.lower()
    many = _inflect().plural_noun(lowered) or lowered + "s"
    if last.isupper() and len(last) > 1:
        many = last + "s"
    elif last[:1].isupper():
        many = many[:1].upper() + many[1:]
    return f"{head} {many}" if head else many


def listed(words: Iterable[str], conjunction: str = "and") -> str:
    """`'A' and 'B'`, `'A', 'B' and 'C'` (or `or`): words in a sentence."""
    return _inflect().join(list(words), final_sep="", conj=conjunction)


def count_words(count: int, name: str, name_plural: str) -> str:
    """`1 Hero`, `2,500 Heroes`."""
    return f"{count:,} {name if count == 1 else name_plural}"


def table_words(table: Table) -> tuple[str, str]:
    """(singular, plural) for a table named in a message: the mapped class's
    words when a SQLModel class maps it, else its SQL name in words."""
    mapper = mapper_of(table)
    if mapper is not None:
        singular = model_words(mapper.class_.__name__)
        return singular, plural(singular)
    singular = table.name.replace("_", " ")
    return singular, plural(singular)
