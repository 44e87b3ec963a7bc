"""an index for pruning expired notification buttons

Every new idea prunes expired action tokens (DELETE … WHERE created_at <= ?); without an
index that read every token of the last ACTION_TOKEN_DAYS on each submission.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 21:40:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_action_token_created_at", "action_token", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_action_token_created_at", table_name="action_token")
