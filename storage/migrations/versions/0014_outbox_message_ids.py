"""the platform's id of each broadcast message sent

WhatsApp reports afterwards, in a status webhook, that a message it took was not delivered
(the 24-hour window was closed, the number cannot be reached). The report names the
message by its id: with the id kept on the recipient's row, the broadcast's figures follow.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 23:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401 - autogenerate writes sqlmodel column types
from alembic import op


revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch_op.create_index("ix_outbox_message", ["platform", "message_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_message")
        batch_op.drop_column("message_id")
