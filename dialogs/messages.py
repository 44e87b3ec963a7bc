"""The contracts between adapters and the engine: what comes in, what goes out.

Adapters translate platform events into `Inbound` and render `Outbound` for their
platform. Nothing here knows about a platform library.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal


@dataclass(frozen=True, slots=True)
class Identity:
    """A resident's identity on one platform, e.g. ``telegram:12345``."""

    platform: str
    user_id: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.user_id}"

    @classmethod
    def parse(cls, text: str) -> Identity:
        platform, sep, user_id = text.strip().partition(":")
        if not sep or not platform or not user_id:
            raise ValueError(f"not a platform identity (expected 'platform:user'): {text!r}")
        return cls(platform, user_id)


class InboundKind(StrEnum):
    TEXT = "text"
    COMMAND = "command"
    BUTTON = "button"
    RESUME = "resume"
    """The resident came back (a reloaded page): show where they are, change nothing."""
    REACTION = "reaction"
    """A reaction added or taken back, with the payload of the `Reaction` on the message.
    Only adapters of platforms with reactions make these; a button cannot carry one."""


@dataclass(frozen=True, slots=True)
class Inbound:
    """One event from a resident: a text, a command (``/start idea_42``) or a button press."""

    identity: Identity
    chat_id: str
    event_id: str
    kind: InboundKind
    text: str = ""
    language_hint: str | None = None


SpanStyle = Literal["plain", "bold", "italic", "link"]


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    style: SpanStyle = "plain"
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph, or one item of a bulleted list."""

    spans: tuple[Span, ...]
    item: bool = False
    language: str | None = None
    """The block's language where it is not the reply's (the first screen greets in every language)."""

    @property
    def text(self) -> str:
        return "".join(span.text for span in self.spans)


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    payload: str


@dataclass(frozen=True, slots=True)
class Reaction:
    """An emoji on a message: `add` is the payload when it is added, `remove` when taken back."""

    key: str
    add: str
    remove: str


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    mime_type: str
    content: bytes


@dataclass(frozen=True, slots=True)
class Reply:
    """What the resident sees: text blocks in a small markup subset, plus buttons.

    Resident-provided strings only ever appear inside a span's text, so each adapter
    can escape them for its platform.
    """

    blocks: tuple[Block, ...]
    buttons: tuple[tuple[Button, ...], ...] = ()
    replaces_menu: bool = False
    attachment: Attachment | None = None
    language: str | None = None
    expects_text: bool = False
    """The resident is asked to type (a title, a description), not to choose."""
    text_limit: int | None = None
    """With `expects_text`: the most characters the answer may have, where there is a limit."""
    reactions: tuple[Reaction, ...] = ()
    """Where a platform has reactions: what adding or removing one on this message means."""
    roles_changed: bool = False
    """The recipient was granted or lost a role: platforms with per-person command menus update theirs."""

    @property
    def plain_text(self) -> str:
        lines = [("• " if block.item else "") + block.text for block in self.blocks]
        return "\n".join(lines)

    def all_buttons(self) -> list[Button]:
        return [button for row in self.buttons for button in row]


@dataclass(frozen=True, slots=True)
class Outbound:
    """A reply addressed to one identity in one chat."""

    recipient: Identity
    chat_id: str
    reply: Reply
    receipt: Receipt | None = None
    """Where the store keeps this reply until the platform took it (see bot/reply_outbox.py)."""


@dataclass(frozen=True, slots=True)
class Receipt:
    """A kept reply: its row in the store, and a random token a platform may deduplicate by."""

    id: int
    token: str


@dataclass(slots=True)
class ReplyBuilder:
    """Collects blocks for a reply; screens and effects use it to compose text."""

    blocks: list[Block] = field(default_factory=list)

    def para(self, *spans: Span | str, language: str | None = None) -> ReplyBuilder:
        self.blocks.append(Block(tuple(_span(s) for s in spans), language=language))
        return self

    def item(self, *spans: Span | str) -> ReplyBuilder:
        self.blocks.append(Block(tuple(_span(s) for s in spans), item=True))
        return self


def _span(value: Span | str) -> Span:
    return value if isinstance(value, Span) else Span(value)


def bold(text: str) -> Span:
    return Span(text, "bold")


def italic(text: str) -> Span:
    return Span(text, "italic")


def reply_to_data(reply: Reply) -> dict[str, object]:
    """A reply as JSON-ready data, to keep it until it can be delivered."""
    data: dict[str, object] = {
        "blocks": [_block_to_data(b) for b in reply.blocks],
        "buttons": [[[b.label, b.payload] for b in row] for row in reply.buttons],
        "language": reply.language,
    }
    if reply.expects_text:
        data["expects_text"] = True
    if reply.text_limit is not None:
        data["text_limit"] = reply.text_limit
    if reply.reactions:
        data["reactions"] = [[r.key, r.add, r.remove] for r in reply.reactions]
    if reply.roles_changed:
        data["roles_changed"] = True
    if reply.attachment is not None:
        attachment = reply.attachment
        content = base64.b64encode(attachment.content).decode("ascii")
        data["attachment"] = [attachment.filename, attachment.mime_type, content]
    return data


def _block_to_data(block: Block) -> dict[str, object]:
    data: dict[str, object] = {"item": block.item, "spans": [[s.text, s.style, s.url] for s in block.spans]}
    if block.language is not None:
        data["lang"] = block.language
    return data


def reply_from_data(data: dict[str, Any]) -> Reply:
    return Reply(
        blocks=tuple(
            Block(
                tuple(Span(text, style, url) for text, style, url in block["spans"]),
                item=block["item"],
                language=block.get("lang"),
            )
            for block in data["blocks"]
        ),
        buttons=tuple(tuple(Button(label, payload) for label, payload in row) for row in data["buttons"]),
        language=data.get("language"),
        expects_text=bool(data.get("expects_text", False)),
        text_limit=data.get("text_limit"),
        reactions=tuple(Reaction(key, add, remove) for key, add, remove in data.get("reactions", ())),
        roles_changed=bool(data.get("roles_changed", False)),
        attachment=_attachment_from_data(data.get("attachment")),
    )


def _attachment_from_data(value: Any) -> Attachment | None:
    if not value:
        return None
    filename, mime_type, content = value
    return Attachment(str(filename), str(mime_type), base64.b64decode(content))
