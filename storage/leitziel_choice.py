"""The tour's question "Which Leitziel matters most to you?": anonymous counts per city.

Only the numbers are stored here. Which Leitziel a resident chose stays in their own
conversation (so that choosing again moves their one vote), and goes with it when they
delete their data; the count stays, since it names nobody.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.models import leitziel_choice_table
from storage.store import Tx

L = leitziel_choice_table.c


def choose(tx: Tx, city: str, leitziel: str, before: str | None) -> None:
    """Count one resident's choice; `before` is the Leitziel they had chosen earlier (taken back)."""
    if before == leitziel:
        return
    if before is not None:
        tx.execute(
            update(leitziel_choice_table)
            .where(L.city == city, L.leitziel == before, L.count > 0)
            .values(count=L.count - 1)
        )
    module = postgresql if tx.dialect == "postgresql" else sqlite
    insert = module.insert(leitziel_choice_table).values(city=city, leitziel=leitziel, count=1)
    tx.execute(insert.on_conflict_do_update(index_elements=[L.city, L.leitziel], set_={"count": L.count + 1}))


def counts(tx: Tx, city: str) -> dict[str, int]:
    """How often each Leitziel was chosen in `city` so far."""
    rows = tx.rows(select(L.leitziel, L.count).where(L.city == city))
    return {str(leitziel): int(count) for leitziel, count in rows}
