"""pending replies

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 20:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401 - autogenerate writes sqlmodel column types
from alembic import op


revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("chat_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("worker", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pending_reply", schema=None) as batch_op:
        batch_op.create_index("ix_pending_reply_recipient", ["platform", "user_id"], unique=False)
        batch_op.create_index("ix_pending_reply_worker", ["worker", "due_at"], unique=False)
        batch_op.create_index("ix_pending_reply_token", ["token"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("pending_reply", schema=None) as batch_op:
        batch_op.drop_index("ix_pending_reply_token")
        batch_op.drop_index("ix_pending_reply_worker")
        batch_op.drop_index("ix_pending_reply_recipient")

    op.drop_table("pending_reply")
