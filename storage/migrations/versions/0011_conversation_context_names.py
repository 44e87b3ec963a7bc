"""conversation context with names that explain themselves; broadcast states as nested states

The context of each conversation moves from one-letter and short keys (``g``, ``m``, ``l``,
``pressed``, ``bc`` …) to the names of dialogs/conversation.py, and the states of composing a
broadcast from ``bc_<step>`` to ``broadcast_<step>``. Buttons already sent keep working: the
menu's generation and actions move along. Downgrade restores the old shape.

The mapping is written out here, not imported, so this migration stays as it is when the
code moves on.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 00:10:00
"""

import json
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op


revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RENAMED = {
    "link": "deep_link",
    "tour": "tour_step",
    "field": "topic",
    "page": "page",
    "idea": "idea",
    "back": "back_to",
    "news_asked": "news_offered",
}
IDEA_DRAFT_KEYS = ("title", "description", "field", "city")
BROADCAST_RENAMED = {
    "text": "text",
    "audience": "audience_chosen",
    "city": "city",
    "field": "field",
    "idea": "idea",
    "button": "button",
    "at": "send_at",
}
OLD_STATE_PREFIX, NEW_STATE_PREFIX = "bc_", "broadcast_"

conversation = sa.table(
    "conversation",
    sa.column("resident_id", sa.Integer),
    sa.column("state", sa.String),
    sa.column("context", sa.Text),
)


def to_named(old: dict[str, Any]) -> dict[str, Any]:
    new: dict[str, Any] = {}
    if "g" in old or "m" in old:
        new["menu"] = {"generation": old.get("g", 0), "actions": old.get("m", []), "labels": old.get("l", [])}
    pressed = old.get("pressed")
    if isinstance(pressed, list) and len(pressed) == 2:
        new["last_press"] = {"payload": pressed[0], "at": pressed[1]}
    for key, name in RENAMED.items():
        if key in old:
            new[name] = old[key]
    if isinstance(old.get("draft"), dict):
        new["idea_draft"] = {k: v for k, v in old["draft"].items() if k in IDEA_DRAFT_KEYS}
    if old.get("editing"):
        new["editing_draft"] = True
    if isinstance(old.get("bc"), dict):
        new["broadcast_draft"] = {BROADCAST_RENAMED[k]: v for k, v in old["bc"].items() if k in BROADCAST_RENAMED}
    return new


def to_short(new: dict[str, Any]) -> dict[str, Any]:
    old: dict[str, Any] = {}
    menu = new.get("menu")
    if isinstance(menu, dict):
        old.update(g=menu.get("generation", 0), m=menu.get("actions", []), l=menu.get("labels", []))
    press = new.get("last_press")
    if isinstance(press, dict):
        old["pressed"] = [press.get("payload"), press.get("at")]
    for key, name in RENAMED.items():
        if name in new:
            old[key] = new[name]
    if isinstance(new.get("idea_draft"), dict):
        old["draft"] = dict(new["idea_draft"])
    if new.get("editing_draft"):
        old["editing"] = True
    if isinstance(new.get("broadcast_draft"), dict):
        back = {name: key for key, name in BROADCAST_RENAMED.items()}
        old["bc"] = {back[k]: v for k, v in new["broadcast_draft"].items() if k in back}
    return old


def _rename_state(state: str, old_prefix: str, new_prefix: str) -> str:
    return new_prefix + state.removeprefix(old_prefix) if state.startswith(old_prefix) else state


def _move(convert: Callable[[dict[str, Any]], dict[str, Any]], old_prefix: str, new_prefix: str) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(conversation.c.resident_id, conversation.c.state, conversation.c.context)).all()
    for resident_id, state, context in rows:
        try:
            data = json.loads(context or "{}")
        except ValueError:
            data = {}
        moved = convert(data) if isinstance(data, dict) else {}
        bind.execute(
            conversation.update()
            .where(conversation.c.resident_id == resident_id)
            .values(
                state=_rename_state(state, old_prefix, new_prefix),
                context=json.dumps(moved, ensure_ascii=False, separators=(",", ":")),
            )
        )


def upgrade() -> None:
    _move(to_named, OLD_STATE_PREFIX, NEW_STATE_PREFIX)


def downgrade() -> None:
    _move(to_short, NEW_STATE_PREFIX, OLD_STATE_PREFIX)
