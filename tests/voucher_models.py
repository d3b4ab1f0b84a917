"""A table whose unique code a default makes (an invite or voucher code), for
the import's confirmation: a new row's unique values are asked for as they
will be written."""

from sqlmodel import Field, SQLModel


class CodeSequence:
    """Codes in sequence (`V000001`, `V000002`, ...), so that a test knows the
    next one; a project would draw them at random."""

    def __init__(self) -> None:
        self.made = 0

    def __call__(self) -> str:
        self.made += 1
        return self.code(self.made)

    @staticmethod
    def code(number: int) -> str:
        return f"V{number:06d}"


next_code = CodeSequence()


class Voucher(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    code: str = Field(default_factory=next_code, unique=True, index=True, max_length=20)
