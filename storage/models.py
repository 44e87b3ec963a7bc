"""Tables of the shared store. Every change to them comes with an Alembic migration."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class IdeaStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    HIDDEN = "hidden"
    MERGED = "merged"
    WITHDRAWN = "withdrawn"
    """Taken back by its author while it was pending."""


ALL_CITIES = "all"
"""The city value of an idea that concerns every city of the content file."""


class Resident(SQLModel, table=True):
    """One person on one platform. Holds only what the dialogue needs."""

    __tablename__ = "resident"
    __table_args__ = (UniqueConstraint("platform", "user_id", name="uq_resident_identity"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    user_id: str = Field(max_length=255)
    chat_id: str = Field(max_length=255)
    language: str | None = Field(default=None, max_length=8)
    city: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    unreachable_since: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    """Set when the platform says the resident blocked the bot; cleared when they write again."""
    barred_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    barred_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    """A moderator barred this resident from submitting ideas, with this reason."""


class Conversation(SQLModel, table=True):
    """Where a resident is in the dialogue, and the little it remembers."""

    __tablename__ = "conversation"

    resident_id: int = Field(sa_column=Column(Integer, ForeignKey("resident.id", ondelete="CASCADE"), primary_key=True))
    state: str = Field(max_length=40)
    context: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    version: int = Field(default=0)
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Idea(SQLModel, table=True):
    __tablename__ = "idea"
    __table_args__ = (
        Index("ix_idea_listing", "field_id", "status", "support_count"),
        Index("ix_idea_author", "author_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    description: str = Field(sa_column=Column(Text, nullable=False))
    field_id: str = Field(max_length=40)
    city: str = Field(max_length=40)
    status: str = Field(default=IdeaStatus.PENDING.value, max_length=16)
    author_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("resident.id", ondelete="SET NULL"), nullable=True),
    )
    source: str | None = Field(default=None, max_length=120)
    external_id: str | None = Field(default=None, sa_column=Column(String(120), unique=True, nullable=True))
    support_count: int = Field(default=0)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    decided_by: str | None = Field(default=None, max_length=300)
    decided_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    decision_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    merged_into: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("idea.id", name="fk_idea_merged_into"), nullable=True)
    )
    progress: str | None = Field(default=None, max_length=16)
    progress_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class Progress(StrEnum):
    """What became of an approved idea, set by the Smart-City offices."""

    REVIEWED = "reviewed"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    NOT_FEASIBLE = "not_feasible"


class Role(StrEnum):
    MODERATOR = "moderator"
    STAFF = "staff"
    ADMIN = "admin"


class RoleGrant(SQLModel, table=True):
    """A role for one platform identity, for one city (or all cities)."""

    __tablename__ = "role_grant"
    __table_args__ = (UniqueConstraint("platform", "user_id", "role", "city", name="uq_role_grant"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    user_id: str = Field(max_length=255)
    role: str = Field(max_length=16)
    city: str = Field(max_length=40)
    granted_by: str = Field(max_length=300)
    granted_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class AuditEntry(SQLModel, table=True):
    """Every privileged action, done or refused: who, what, on which object, when, why."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_actor", "actor"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    actor: str = Field(max_length=300)
    action: str = Field(max_length=40)
    object: str = Field(max_length=300)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    outcome: str = Field(max_length=16)


class ActionToken(SQLModel, table=True):
    """A button sent outside the conversation's menu (a notification to a moderator).

    The payload carries only the random token; the action stays here, bound to the one
    identity it was sent to, and is checked against that identity's role when pressed.
    """

    __tablename__ = "action_token"
    __table_args__ = (Index("ix_action_token_created_at", "created_at"),)
    """Expired tokens are pruned on every new idea: by this index, not by reading every token."""

    token: str = Field(sa_column=Column(String(24), primary_key=True))
    platform: str = Field(max_length=32)
    user_id: str = Field(max_length=255)
    action: str = Field(max_length=120)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class DashboardToken(SQLModel, table=True):
    """A one-time login link for the staff dashboard, or the session it opened.

    Only a hash of the token is stored; the token itself exists in the link or cookie.
    """

    __tablename__ = "dashboard_token"

    token_hash: str = Field(sa_column=Column(String(64), primary_key=True))
    kind: str = Field(max_length=8)
    platform: str = Field(max_length=32)
    user_id: str = Field(max_length=255)
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


class PlatformState(SQLModel, table=True):
    """Small values an adapter keeps between runs (a Matrix sync token, device id)."""

    __tablename__ = "platform_state"

    key: str = Field(sa_column=Column(String(200), primary_key=True))
    value: str = Field(sa_column=Column(Text, nullable=False))


class PlatformMessage(SQLModel, table=True):
    """What an adapter must remember about a message it sent or saw (reactions on Matrix)."""

    __tablename__ = "platform_message"

    platform: str = Field(sa_column=Column(String(32), primary_key=True))
    message_id: str = Field(sa_column=Column(String(255), primary_key=True))
    data: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))


class PendingNotice(SQLModel, table=True):
    """A notification for someone who cannot be reached right now (no web page open)."""

    __tablename__ = "pending_notice"
    __table_args__ = (Index("ix_pending_notice_recipient", "platform", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    user_id: str = Field(max_length=255)
    reply: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class PendingReply(SQLModel, table=True):
    """A reply the engine promised in the event's own transaction, kept until the platform took it.

    `due_at` is empty while the process that wrote it (`worker`) is sending it; it is set when
    another attempt is needed (a failed send, a page that closed before confirming, a worker
    that died), and whoever is due to try then sends it.
    """

    __tablename__ = "pending_reply"
    __table_args__ = (
        Index("ix_pending_reply_recipient", "platform", "user_id"),
        Index("ix_pending_reply_worker", "worker", "due_at"),
        Index("ix_pending_reply_token", "token", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=32)
    """A random id per reply: a platform that deduplicates by transaction id (Matrix) sees one send."""
    platform: str = Field(max_length=32)
    user_id: str = Field(max_length=255)
    chat_id: str = Field(max_length=255)
    reply: str = Field(sa_column=Column(Text, nullable=False))
    worker: str = Field(max_length=32)
    attempts: int = Field(default=0)
    due_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Subscription(SQLModel, table=True):
    """A resident's opt-in to news: ``city`` (news from their city) or ``field:<id>`` (a Handlungsfeld)."""

    __tablename__ = "subscription"
    __table_args__ = (Index("ix_subscription_topic", "topic"),)

    resident_id: int = Field(sa_column=Column(Integer, ForeignKey("resident.id", ondelete="CASCADE"), primary_key=True))
    topic: str = Field(sa_column=Column(String(60), primary_key=True))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class BroadcastStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    DONE = "done"


class Broadcast(SQLModel, table=True):
    """A message from the Smart-City offices to subscribers, and who wrote it."""

    __tablename__ = "broadcast"
    __table_args__ = (Index("ix_broadcast_status", "status", "send_at"),)

    id: int | None = Field(default=None, primary_key=True)
    author_platform: str = Field(max_length=32)
    author_user_id: str = Field(max_length=255)
    author_chat_id: str = Field(max_length=255)
    author_language: str = Field(max_length=8)
    text: str = Field(sa_column=Column(Text, nullable=False))
    audience_city: str | None = Field(default=None, max_length=40)
    audience_field: str | None = Field(default=None, max_length=40)
    idea_id: int | None = Field(default=None)
    button: str | None = Field(default=None, max_length=16)
    """The label of the button to the idea: ``open`` ("Zur Idee") or ``vote`` ("Jetzt abstimmen")."""
    status: str = Field(max_length=16)
    send_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    total: int = Field(default=0)
    progress_message: str | None = Field(default=None, max_length=255)
    """The author's progress message on their platform, edited as the broadcast goes."""
    progress_final: bool = Field(default=False)
    poll_id: int | None = Field(default=None)
    """A poll's question (with its answer buttons) or its result; None for a message (storage/polls.py)."""


class BroadcastTranslation(SQLModel, table=True):
    """The same broadcast in another language, written by staff (never translated by machine)."""

    __tablename__ = "broadcast_translation"

    broadcast_id: int = Field(
        sa_column=Column(Integer, ForeignKey("broadcast.id", ondelete="CASCADE"), primary_key=True)
    )
    language: str = Field(sa_column=Column(String(8), primary_key=True))
    text: str = Field(sa_column=Column(Text, nullable=False))


class LeitzielChoice(SQLModel, table=True):
    """How many residents of a city named a Leitziel the most important one: counts only, no names."""

    __tablename__ = "leitziel_choice"

    city: str = Field(sa_column=Column(String(40), primary_key=True))
    leitziel: str = Field(sa_column=Column(String(40), primary_key=True))
    count: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))


class OutboxStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    UNREACHABLE = "unreachable"
    FAILED = "failed"
    CANCELLED = "cancelled"
    NO_WINDOW = "no_window"
    """Not sent: the platform takes only approved templates this long after the person last wrote
    (WhatsApp's 24-hour window), and no template is configured."""


class OutboxMessage(SQLModel, table=True):
    """One recipient of one broadcast. All rows are written before the first message goes out."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "resident_id", name="uq_outbox_recipient"),
        Index("ix_outbox_due", "platform", "status", "next_attempt_at"),
        Index("ix_outbox_broadcast", "broadcast_id", "status"),
        Index("ix_outbox_claim", "claim"),
        Index("ix_outbox_message", "platform", "message_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    broadcast_id: int = Field(sa_column=Column(Integer, ForeignKey("broadcast.id", ondelete="CASCADE"), nullable=False))
    resident_id: int = Field(sa_column=Column(Integer, ForeignKey("resident.id", ondelete="CASCADE"), nullable=False))
    platform: str = Field(max_length=32)
    status: str = Field(max_length=12)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    claim: str | None = Field(default=None, max_length=32)
    """The batch a sender took this row in; cleared when the result is recorded."""
    sent_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    message_id: str | None = Field(default=None, max_length=255)
    """The platform's id of the message sent: a later status report of the platform (WhatsApp's
    failed delivery) finds its row by it."""


class Vote(SQLModel, table=True):
    """One resident's support for one idea: the primary key makes a second one impossible."""

    __tablename__ = "vote"
    __table_args__ = (Index("ix_vote_idea", "idea_id"), Index("ix_vote_created", "created_at"))

    resident_id: int = Field(sa_column=Column(Integer, ForeignKey("resident.id", ondelete="CASCADE"), primary_key=True))
    idea_id: int = Field(sa_column=Column(Integer, ForeignKey("idea.id", ondelete="CASCADE"), primary_key=True))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class PollStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Poll(SQLModel, table=True):
    """A quick poll from the Smart-City offices: a question and 2–6 options.

    Pushed polls go out as a broadcast (`broadcast_id`); a poll `in_menu` is only shown to
    residents who open „Aktuelle Umfragen". Its result is delivered as a broadcast too.
    """

    __tablename__ = "poll"
    __table_args__ = (Index("ix_poll_status", "status", "closes_at"),)

    id: int | None = Field(default=None, primary_key=True)
    author_platform: str = Field(max_length=32)
    author_user_id: str = Field(max_length=255)
    author_chat_id: str = Field(max_length=255)
    author_language: str = Field(max_length=8)
    question: str = Field(sa_column=Column(Text, nullable=False))
    options: str = Field(sa_column=Column(Text, nullable=False))
    """The answer options, a JSON list of 2–6 texts."""
    multiple: bool = Field(default=False)
    audience_city: str | None = Field(default=None, max_length=40)
    audience_field: str | None = Field(default=None, max_length=40)
    in_menu: bool = Field(default=False)
    """Only for residents who open it under „Aktuelle Umfragen": no message is pushed."""
    show_interim: bool = Field(default=False)
    tell_answerers: bool = Field(default=False)
    """Residents who answered get the result when the poll closes."""
    status: str = Field(max_length=8)
    opens_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    closes_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    broadcast_id: int | None = Field(default=None)
    result_broadcast_id: int | None = Field(default=None)


class PollTranslation(SQLModel, table=True):
    """The same poll in another language, written by staff (never translated by machine).

    Its options stand in the order of the poll's own, so an answer (an option's index) means the
    same option in every language.
    """

    __tablename__ = "poll_translation"

    poll_id: int = Field(sa_column=Column(Integer, ForeignKey("poll.id", ondelete="CASCADE"), primary_key=True))
    language: str = Field(sa_column=Column(String(8), primary_key=True))
    question: str = Field(sa_column=Column(Text, nullable=False))
    options: str = Field(sa_column=Column(Text, nullable=False))
    """The answer options in this language, a JSON list as long as the poll's."""


class PollAnswer(SQLModel, table=True):
    """One resident's answer to one poll: the primary key makes a second one impossible.

    `choices` is a bit set of the chosen options (bit 0 = the first option), so a multiple-choice
    answer is one row too. It goes with the resident's erasure; the counts (`PollTally`) stay.
    """

    __tablename__ = "poll_answer"

    poll_id: int = Field(sa_column=Column(Integer, ForeignKey("poll.id", ondelete="CASCADE"), primary_key=True))
    resident_id: int = Field(sa_column=Column(Integer, ForeignKey("resident.id", ondelete="CASCADE"), primary_key=True))
    choices: int
    city: str = Field(max_length=40)
    """The resident's city and platform when they answered: the cell of `PollTally` they count in."""
    platform: str = Field(max_length=32)
    answered_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class PollTally(SQLModel, table=True):
    """How many chose an option, per city and platform: counts only, never who.

    Option -1 counts the residents who answered at all (the base of the shares).
    """

    __tablename__ = "poll_tally"

    poll_id: int = Field(sa_column=Column(Integer, ForeignKey("poll.id", ondelete="CASCADE"), primary_key=True))
    option: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    city: str = Field(sa_column=Column(String(40), primary_key=True))
    platform: str = Field(sa_column=Column(String(32), primary_key=True))
    count: int = Field(default=0)


class ProcessedEvent(SQLModel, table=True):
    """Platform event ids already handled, so a redelivered event is answered at most once."""

    __tablename__ = "processed_event"

    platform: str = Field(sa_column=Column(String(32), primary_key=True))
    event_id: str = Field(sa_column=Column(String(128), primary_key=True))
    processed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))


metadata = SQLModel.metadata
resident_table = Resident.__table__  # type: ignore[attr-defined]
conversation_table = Conversation.__table__  # type: ignore[attr-defined]
idea_table = Idea.__table__  # type: ignore[attr-defined]
vote_table = Vote.__table__  # type: ignore[attr-defined]
processed_event_table = ProcessedEvent.__table__  # type: ignore[attr-defined]
role_grant_table = RoleGrant.__table__  # type: ignore[attr-defined]
audit_table = AuditEntry.__table__  # type: ignore[attr-defined]
action_token_table = ActionToken.__table__  # type: ignore[attr-defined]
dashboard_token_table = DashboardToken.__table__  # type: ignore[attr-defined]
platform_state_table = PlatformState.__table__  # type: ignore[attr-defined]
platform_message_table = PlatformMessage.__table__  # type: ignore[attr-defined]
pending_notice_table = PendingNotice.__table__  # type: ignore[attr-defined]
pending_reply_table = PendingReply.__table__  # type: ignore[attr-defined]
subscription_table = Subscription.__table__  # type: ignore[attr-defined]
broadcast_table = Broadcast.__table__  # type: ignore[attr-defined]
outbox_table = OutboxMessage.__table__  # type: ignore[attr-defined]
broadcast_translation_table = BroadcastTranslation.__table__  # type: ignore[attr-defined]
leitziel_choice_table = LeitzielChoice.__table__  # type: ignore[attr-defined]
poll_table = Poll.__table__  # type: ignore[attr-defined]
poll_answer_table = PollAnswer.__table__  # type: ignore[attr-defined]
poll_translation_table = PollTranslation.__table__  # type: ignore[attr-defined]
poll_tally_table = PollTally.__table__  # type: ignore[attr-defined]
