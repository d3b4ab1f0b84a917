"""An app's models written over a database that came before them.

The tables and columns keep the names an older system gave them (mixed
case, a space, a prefix), which the attributes rename (`sa_column=Column(
"SupplierName", ...)`), the key's column too. The database fills columns
itself: a `server_default` count and creation time (which SQLite writes as a
whole second's text), an `onupdate` time of the last change, a generated
stock value no one may write. A product's status is an enum stored as the
older system's one-letter codes (`values_callable`); a supplier's `active`
flag may be unknown (a nullable boolean); a product's key to its supplier is
a column named like the supplier's own key.
"""

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    func,
)
from sqlmodel import Field, Relationship, SQLModel


class LegacyStatus(enum.Enum):
    """Stored as the older system's one-letter codes (`values_callable`)."""

    active = "A"
    discontinued = "D"


class LegacySupplier(SQLModel, table=True):
    __tablename__ = "tblSupplier"

    id: int | None = Field(
        default=None, sa_column=Column("SupplierID", Integer, primary_key=True)
    )
    name: str = Field(sa_column=Column("SupplierName", String(80), nullable=False))
    active: bool | None = Field(default=None, sa_column=Column("IsActive", Boolean))

    products: list["LegacyProduct"] = Relationship(back_populates="supplier")


class LegacyProduct(SQLModel, table=True):
    __tablename__ = "tblProduct"
    __table_args__ = (
        CheckConstraint('"UnitPrice" >= 0', name="ck_price_not_negative"),
    )

    id: int | None = Field(
        default=None, sa_column=Column("ProductID", Integer, primary_key=True)
    )
    code: str = Field(
        sa_column=Column("Product Code", String(20), unique=True, nullable=False)
    )
    description: str | None = Field(default=None, sa_column=Column("Descr", Text))
    unit_price: Decimal = Field(
        sa_column=Column("UnitPrice", Numeric(10, 2), nullable=False)
    )
    quantity: int | None = Field(
        default=None,
        sa_column=Column("Qty", Integer, nullable=False, server_default="0"),
    )
    stock_value: Decimal | None = Field(
        default=None,
        sa_column=Column(
            "StockValue",
            Numeric(12, 2),
            Computed('"UnitPrice" * "Qty"', persisted=True),
        ),
    )
    created: datetime | None = Field(
        default=None,
        sa_column=Column(
            "CreatedOn", DateTime(timezone=True), server_default=func.now()
        ),
    )
    updated: datetime | None = Field(
        default=None,
        sa_column=Column("UpdatedOn", DateTime(timezone=True), onupdate=func.now()),
    )
    status: LegacyStatus = Field(
        default=LegacyStatus.active,
        sa_column=Column(
            "Status",
            Enum(
                LegacyStatus,
                values_callable=lambda members: [m.value for m in members],
                name="legacy_status",
            ),
            nullable=False,
        ),
    )
    supplier_id: int | None = Field(
        default=None,
        sa_column=Column("SupplierID", Integer, ForeignKey("tblSupplier.SupplierID")),
    )

    supplier: LegacySupplier | None = Relationship(back_populates="products")
