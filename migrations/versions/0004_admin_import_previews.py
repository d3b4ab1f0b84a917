"""import previews

Revision ID: 0004_admin
Revises: 0003_admin
Create Date: 2026-12-02 16:45:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (AutoString in generated columns)


# revision identifiers, used by Alembic.
revision: str = '0004_admin'
down_revision: Union[str, Sequence[str], None] = '0003_admin'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('admin_import_preview',
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=150), nullable=False),
    sa.Column('table', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('token')
    )
    with op.batch_alter_table('admin_import_preview', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admin_import_preview_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('admin_import_preview', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_admin_import_preview_created_at'))

    op.drop_table('admin_import_preview')
