"""The light model the shared state machine works on, one per event."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from dialogs.content import Content
from dialogs.conversation import Conversation
from dialogs.i18n import Language, Languages
from dialogs.invitations import Invitations
from dialogs.messages import Attachment, Block, Identity, Inbound, Outbound, Span
from dialogs.screen import Screen
from dialogs.similar import SimilarIdea, SimilarIdeas
from storage.stats import Overview
from storage.store import ResidentRecord, Tx


@dataclass(slots=True)
class Turn:
    """One resident event being handled: the resident, the open transaction, what to say.

    The `transitions` machine reads and writes `state`; conditions and effects read the
    rest. Nothing here outlives the event but `conversation`, which the engine saves.
    """

    resident: ResidentRecord
    tx: Tx
    content: Content
    languages: Languages
    inbound: Inbound
    now: datetime
    conversation: Conversation = field(default_factory=Conversation)
    notes: list[Block] = field(default_factory=list)
    attachment: Attachment | None = None
    deleted: bool = False
    others: list[Outbound] = field(default_factory=list)
    admins: frozenset[Identity] = frozenset()
    screen_override: Screen | None = None
    """A reply of its own (a moderation command) instead of the state's screen."""
    submitted_idea: int | None = None
    changed_idea: int | None = None
    """A pending idea its author changed: the moderators hear of it again."""
    similar: SimilarIdeas | None = None
    """The engine's index of published and pending ideas (dialogs/similar.py); None: no suggestions."""
    similar_found: list[SimilarIdea] | None = None
    """Ideas like the draft, found while this event's conditions were checked."""
    quiet: bool = False
    """Nothing to say and nothing to change (a button pressed twice)."""
    submission_limit: int = 5
    """Ideas one resident may submit in 24 hours."""
    web_base_url: str = "http://127.0.0.1:8080"
    """Where the bot's web server is reached, for links such as the dashboard login."""
    action_token_days: int = 14
    """How long the buttons in a moderator's notification work (unless the idea is decided first)."""
    figures: Overview | None = None
    """The staff figures, read before the event's transaction (dialogs/flows/staff.py, `read_figures`)."""
    invitations: Invitations = field(default_factory=Invitations)
    """How each platform opens an idea from a link (dialogs/invitations.py)."""

    @property
    def state(self) -> str:
        return self.resident.state

    @state.setter
    def state(self, value: str) -> None:
        self.resident.state = value

    @property
    def lang(self) -> Language:
        if self.resident.language is None:
            hinted = self.languages.match(self.inbound.language_hint)
            if hinted is not None:
                return hinted
        return self.languages.get(self.resident.language)

    def note(self, *spans: Span | str) -> None:
        """Say something before the screen of the state the resident ends up in."""
        self.notes.append(Block(tuple(s if isinstance(s, Span) else Span(s) for s in spans)))

    @property
    def onboarded(self) -> bool:
        return self.resident.language is not None and self.resident.city is not None
