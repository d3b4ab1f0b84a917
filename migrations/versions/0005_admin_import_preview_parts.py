"""import preview parts: a preview's rows stored a quarter megabyte at a time

Revision ID: 0005_admin
Revises: 0004_admin
Create Date: 2026-12-03 12:30:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (AutoString in generated columns)


# revision identifiers, used by Alembic.
revision: str = '0005_admin'
down_revision: Union[str, Sequence[str], None] = '0004_admin'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('admin_import_preview_part',
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('token', 'seq')
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('admin_import_preview_part')
