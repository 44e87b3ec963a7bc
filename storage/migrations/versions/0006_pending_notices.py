"""pending notices

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 16:35:05.438969
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401 - autogenerate writes sqlmodel column types
from alembic import op


revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pending_notice", schema=None) as batch_op:
        batch_op.create_index("ix_pending_notice_recipient", ["platform", "user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pending_notice", schema=None) as batch_op:
        batch_op.drop_index("ix_pending_notice_recipient")

    op.drop_table("pending_notice")
