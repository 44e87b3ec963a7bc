"""The payload codec: every payload survives the round trip, fits Telegram, and junk is only "out of date"."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dialogs import payloads
from dialogs.messages import InboundKind
from dialogs.payloads import CALLBACK_LIMIT, LinkChoice, MenuChoice, ReactionChoice, TokenChoice, decode, encode

ideas = st.integers(min_value=0, max_value=999_999_999)
menu_choices = st.builds(
    MenuChoice, st.integers(min_value=0, max_value=payloads.MAX_GENERATION - 1), st.integers(0, 999)
)
token_choices = st.builds(
    TokenChoice, st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=32)
)
link_choices = st.builds(
    LinkChoice, st.builds(lambda kind, n: f"{kind}_{n}", st.sampled_from(["idea", "field"]), ideas)
)
reaction_choices = st.builds(ReactionChoice, st.sampled_from(["support", "withdraw"]), ideas)
buttons = st.one_of(menu_choices, token_choices, link_choices)


@given(buttons)
def test_a_button_payload_round_trips_and_fits_telegram(payload: payloads.Payload) -> None:
    text = encode(payload)
    assert len(text.encode("utf-8")) <= CALLBACK_LIMIT
    for platform in ("telegram", "matrix", "web", "console"):
        assert decode(text, InboundKind.BUTTON, platform) == payload


@given(reaction_choices)
def test_a_reaction_round_trips_from_matrix_only(payload: ReactionChoice) -> None:
    text = encode(payload)
    assert len(text.encode("utf-8")) <= CALLBACK_LIMIT
    assert decode(text, InboundKind.REACTION, "matrix") == payload
    for platform in ("telegram", "web", "console"):
        assert decode(text, InboundKind.REACTION, platform) is None, "no reactions come from there"
    assert decode(text, InboundKind.BUTTON, "matrix") is None, "a button cannot carry a reaction"


@given(buttons)
def test_a_button_payload_is_not_a_reaction(payload: payloads.Payload) -> None:
    assert decode(encode(payload), InboundKind.REACTION, "matrix") is None


@given(st.text(max_size=200), st.sampled_from(list(InboundKind)), st.sampled_from(["telegram", "matrix", "web"]))
def test_junk_decodes_to_nothing_or_a_valid_payload(text: str, kind: InboundKind, platform: str) -> None:
    decoded = decode(text, kind, platform)
    assert decoded is None or encode(decoded) == text


def test_payloads_in_buttons_already_sent_still_decode() -> None:
    """The forms residents have in their chats from before the codec: menu, notification, broadcast, reaction."""
    assert decode("7.2", InboundKind.BUTTON, "telegram") == MenuChoice(7, 2)
    assert decode("a.Zm9vYmFyYmF6cXV4cXV1", InboundKind.BUTTON, "telegram") == TokenChoice("Zm9vYmFyYmF6cXV4cXV1")
    assert decode("l.idea_42", InboundKind.BUTTON, "web") == LinkChoice("idea_42")
    assert decode("r.withdraw.42", InboundKind.REACTION, "matrix") == ReactionChoice("withdraw", 42)
    for stale in ("07.2", "7.", "l.idea_", "a.", "r.like.42", "mod:approve:42", "7.2" + "0" * 70):
        assert decode(stale, InboundKind.BUTTON, "telegram") is None
