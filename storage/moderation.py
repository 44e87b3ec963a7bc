"""Queries for roles, the audit log, moderation decisions and notification buttons."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, literal, or_, select, update

from storage.models import (
    ALL_CITIES,
    IdeaStatus,
    Progress,
    Role,
    action_token_table,
    audit_table,
    idea_table,
    resident_table,
    role_grant_table,
    vote_table,
)
from storage.store import IDEA_COLUMNS, IdeaRecord, Tx

G = role_grant_table.c
A = audit_table.c
I = idea_table.c  # noqa: E741 - reads like the table it stands for
R = resident_table.c


@dataclass(frozen=True)
class Grant:
    role: Role
    city: str


@dataclass(frozen=True)
class Contact:
    """Where to reach someone, and in which language."""

    platform: str
    user_id: str
    chat_id: str
    language: str | None


def roles_of(tx: Tx, platform: str, user_id: str) -> list[Grant]:
    rows = tx.rows(select(G.role, G.city).where(G.platform == platform, G.user_id == user_id).order_by(G.id))
    return [Grant(Role(role), city) for role, city in rows]


def grant(tx: Tx, platform: str, user_id: str, role: Role, city: str, by: str, now: datetime) -> bool:
    if Grant(role, city) in roles_of(tx, platform, user_id):
        return False
    values = {
        "platform": platform,
        "user_id": user_id,
        "role": role.value,
        "city": city,
        "granted_by": by,
        "granted_at": now,
    }
    tx.execute(insert(role_grant_table).values(values))
    return True


def revoke(tx: Tx, platform: str, user_id: str, role: Role, city: str) -> bool:
    stmt = delete(role_grant_table).where(
        G.platform == platform, G.user_id == user_id, G.role == role.value, G.city == city
    )
    return tx.execute(stmt) > 0


def audit(tx: Tx, actor: str, action: str, obj: str, outcome: str, now: datetime, reason: str | None = None) -> None:
    values = {"at": now, "actor": actor, "action": action, "object": obj, "reason": reason, "outcome": outcome}
    tx.execute(insert(audit_table).values(values))


def audit_entries(tx: Tx, actor: str | None = None) -> list[dict[str, object]]:
    query = select(A.at, A.actor, A.action, A.object, A.reason, A.outcome).order_by(A.id)
    if actor is not None:
        query = query.where(A.actor == actor)
    return tx.mappings(query)


def pending_ideas(tx: Tx, cities: list[str], limit: int = 10) -> list[IdeaRecord]:
    """Oldest first; `cities` are those a moderator covers (ALL_CITIES covers every one)."""
    query = select(*IDEA_COLUMNS).where(_pending_in(cities)).order_by(I.created_at, I.id)
    return [IdeaRecord(*row) for row in tx.rows(query.limit(limit))]


def edit_pending(tx: Tx, idea_id: int, author_id: int, title: str, description: str, now: datetime) -> bool:
    """The author changes a pending idea; False once it was decided (or it is not theirs).

    The idea stays in the queue; its write time after its creation time marks it as changed."""
    stmt = (
        update(idea_table)
        .where(I.id == idea_id, I.author_id == author_id, I.status == IdeaStatus.PENDING.value)
        .values(title=title, description=description, updated_at=now)
    )
    return bool(tx.execute(stmt))


def withdraw_pending(tx: Tx, idea_id: int, author_id: int, now: datetime) -> bool:
    """The author takes a pending idea back; False once it was decided (or it is not theirs)."""
    stmt = (
        update(idea_table)
        .where(I.id == idea_id, I.author_id == author_id, I.status == IdeaStatus.PENDING.value)
        .values(status=IdeaStatus.WITHDRAWN.value, updated_at=now)
    )
    return bool(tx.execute(stmt))


def count_pending(tx: Tx, cities: list[str]) -> int:
    """How many ideas wait for a decision in `cities` (the queue shows the oldest ten)."""
    return int(tx.rows(select(func.count()).select_from(idea_table).where(_pending_in(cities)))[0][0])


def _pending_in(cities: list[str]) -> Any:
    pending = I.status == IdeaStatus.PENDING.value
    if ALL_CITIES in cities:
        return pending
    # Equalities rather than IN: the statement runs through storage/prepared.py.
    return and_(pending, or_(I.city == ALL_CITIES, *(I.city == city for city in cities)))


def decide(
    tx: Tx,
    idea_id: int,
    status: IdeaStatus,
    actor: str,
    reason: str | None,
    now: datetime,
    *,
    pending_only: bool = False,
) -> bool:
    """Record a decision; False if someone decided first.

    Approving and rejecting need a pending idea; hiding works on a published one too,
    unless `pending_only`.
    """
    allowed = [IdeaStatus.PENDING.value]
    if status is IdeaStatus.HIDDEN and not pending_only:
        allowed.append(IdeaStatus.APPROVED.value)
    stmt = (
        update(idea_table)
        .where(I.id == idea_id, or_(*(I.status == value for value in allowed)))
        .values(status=status.value, decided_by=actor, decided_at=now, decision_reason=reason, updated_at=now)
    )
    return tx.execute(stmt) == 1


def decision_of(tx: Tx, idea_id: int) -> tuple[str | None, datetime | None]:
    rows = tx.rows(select(I.decided_by, I.decided_at).where(I.id == idea_id))
    return (rows[0][0], rows[0][1]) if rows else (None, None)


_MODERATORS = (
    select(R.platform, R.user_id, R.chat_id, R.language)
    .join(role_grant_table, and_(G.platform == R.platform, G.user_id == R.user_id))
    .where(G.role == Role.MODERATOR.value, R.unreachable_since.is_(None))
    .distinct()
)
_MODERATORS_OF_CITY = _MODERATORS.where(or_(G.city == ALL_CITIES, G.city == bindparam("city")))


def moderators_for(tx: Tx, city: str) -> list[Contact]:
    """Moderators who cover `city` and have talked to the bot (so there is a chat to reach)."""
    if city == ALL_CITIES:
        return [Contact(*row) for row in tx.all(_MODERATORS, {})]
    return [Contact(*row) for row in tx.all(_MODERATORS_OF_CITY, {"city": city})]


def author_of(tx: Tx, idea: IdeaRecord) -> Contact | None:
    if idea.author_id is None:
        return None
    rows = tx.rows(
        select(R.platform, R.user_id, R.chat_id, R.language).where(
            R.id == idea.author_id, R.unreachable_since.is_(None)
        )
    )
    return Contact(*rows[0]) if rows else None


def supporters_of(tx: Tx, idea_id: int) -> list[Contact]:
    query = (
        select(R.platform, R.user_id, R.chat_id, R.language)
        .join(vote_table, vote_table.c.resident_id == R.id)
        .where(vote_table.c.idea_id == idea_id, R.unreachable_since.is_(None))
    )
    return [Contact(*row) for row in tx.rows(query)]


_INSERT_TOKEN = insert(action_token_table).values(
    {column: bindparam(column) for column in ("token", "platform", "user_id", "action", "created_at")}
)


def new_action_token(tx: Tx, platform: str, user_id: str, action: str, now: datetime) -> str:
    token = secrets.token_urlsafe(12)
    values = {"token": token, "platform": platform, "user_id": user_id, "action": action, "created_at": now}
    tx.count(_INSERT_TOKEN, values)
    return token


def action_for_token(tx: Tx, token: str, platform: str, user_id: str, issued_after: datetime) -> str | None:
    """The action behind a notification button, only for the identity it was sent to, while it is valid."""
    T = action_token_table.c
    rows = tx.rows(
        select(T.action).where(
            T.token == token, T.platform == platform, T.user_id == user_id, T.created_at > issued_after
        )
    )
    return str(rows[0][0]) if rows else None


def prune_action_tokens(tx: Tx, issued_before: datetime) -> None:
    """Forget notification buttons that have expired."""
    tx.execute(delete(action_token_table).where(action_token_table.c.created_at <= issued_before))


class MergeResult(Enum):
    DONE = "done"
    DECIDED = "decided"
    """The duplicate was no longer pending or published: someone decided first."""
    TARGET_CLOSED = "target_closed"
    """The target is missing or not published."""


def lock_ideas(tx: Tx, *idea_ids: int) -> dict[int, IdeaRecord]:
    """Read ideas and hold their rows until the transaction ends, one by one, lowest id first.

    Every path that locks two idea rows goes through here, so two such transactions never
    wait for each other in a circle; a vote locks only its one row (`Tx.lock_idea`).
    """
    found = {}
    for idea_id in sorted(set(idea_ids)):
        idea = tx.lock_idea(idea_id)
        if idea is not None:
            found[idea_id] = idea
    return found


def merge(tx: Tx, duplicate: int, target: int, actor: str, now: datetime) -> MergeResult:
    """Move the duplicate's supporters to the target, counting each person once.

    Both rows are locked first and the statuses checked under the locks. A vote locks its
    idea's row too, so none lands on the duplicate after its votes moved, and none on the
    target goes uncounted: both tallies are then set from the vote rows.
    """
    V = vote_table.c
    ideas = lock_ideas(tx, duplicate, target)
    if target not in ideas or ideas[target].status != IdeaStatus.APPROVED:
        return MergeResult.TARGET_CLOSED
    if duplicate not in ideas or ideas[duplicate].status not in (IdeaStatus.PENDING, IdeaStatus.APPROVED):
        return MergeResult.DECIDED
    tx.execute(
        update(idea_table)
        .where(I.id == duplicate)
        .values(status=IdeaStatus.MERGED.value, merged_into=target, decided_by=actor, decided_at=now, updated_at=now)
    )
    already = select(V.resident_id).where(V.idea_id == target)
    moved = select(V.resident_id, literal(target), V.created_at).where(
        V.idea_id == duplicate, V.resident_id.not_in(already)
    )
    tx.execute(insert(vote_table).from_select(["resident_id", "idea_id", "created_at"], moved))
    tx.execute(delete(vote_table).where(V.idea_id == duplicate))
    counted = select(func.count()).select_from(vote_table).where(V.idea_id == I.id).scalar_subquery()
    tx.execute(
        update(idea_table).where(or_(I.id == duplicate, I.id == target)).values(support_count=counted, updated_at=now)
    )
    return MergeResult.DONE


def set_progress(tx: Tx, idea_id: int, progress: Progress, reason: str | None, now: datetime) -> bool:
    stmt = (
        update(idea_table)
        .where(I.id == idea_id, I.status == IdeaStatus.APPROVED.value)
        .values(progress=progress.value, progress_reason=reason, updated_at=now)
    )
    return tx.execute(stmt) == 1


_SUBMISSIONS_SINCE = select(func.count()).where(I.author_id == bindparam("rid"), I.created_at >= bindparam("since"))
_BARRED = select(R.barred_at, R.barred_reason).where(R.id == bindparam("rid"))


def submissions_since(tx: Tx, resident_id: int, since: datetime) -> int:
    row = tx.first(_SUBMISSIONS_SINCE, {"rid": resident_id, "since": since})
    return int(row[0]) if row else 0


def set_barred(tx: Tx, platform: str, user_id: str, reason: str | None, now: datetime | None) -> bool:
    stmt = (
        update(resident_table)
        .where(R.platform == platform, R.user_id == user_id)
        .values(barred_at=now, barred_reason=reason)
    )
    return tx.execute(stmt) == 1


def barred_reason(tx: Tx, resident_id: int) -> str | None:
    row = tx.first(_BARRED, {"rid": resident_id})
    return str(row[1] or "") if row and row[0] is not None else None


def role_holders(tx: Tx, platform: str) -> list[tuple[Contact, Role]]:
    """Everyone on a platform with a role, with the chat where they talk to the bot."""
    query = (
        select(R.platform, R.user_id, R.chat_id, R.language, G.role)
        .join(role_grant_table, and_(G.platform == R.platform, G.user_id == R.user_id))
        .where(R.platform == platform)
        .order_by(R.id)
    )
    return [(Contact(*row[:4]), Role(row[4])) for row in tx.rows(query)]


def contact_of(tx: Tx, platform: str, user_id: str, *, reachable_only: bool = False) -> Contact | None:
    query = select(R.platform, R.user_id, R.chat_id, R.language).where(R.platform == platform, R.user_id == user_id)
    if reachable_only:
        query = query.where(R.unreachable_since.is_(None))
    rows = tx.rows(query)
    return Contact(*rows[0]) if rows else None
