"""vote creation index: the staff figures count supports per week in SQL

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 09:00:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_vote_created", "vote", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_vote_created", table_name="vote")
