"""platform state and messages

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 16:25:49.361084
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401 - autogenerate writes sqlmodel column types
from alembic import op


revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "platform_message",
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "message_id"),
    )
    with op.batch_alter_table("platform_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_platform_message_created_at"), ["created_at"], unique=False)

    op.create_table(
        "platform_state",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("platform_state")
    with op.batch_alter_table("platform_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_platform_message_created_at"))

    op.drop_table("platform_message")
