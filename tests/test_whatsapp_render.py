"""Replies as WhatsApp messages: every one accepted by the strict local Cloud API, and read as meant."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.adapters.whatsapp.api import CloudApi, Refused
from bot.adapters.whatsapp.render import (
    BUTTON_TITLE,
    PAGE_PREFIX,
    ROW_TITLE,
    Message,
    options_message,
    page_of,
    pages,
    shorten,
    to_messages,
)
from dialogs.i18n import Languages
from dialogs.messages import Block, Button, Reply, Span, bold
from tests.fake_whatsapp import FakeWhatsApp, formatted

WA_ID = "4917612345678"


@pytest.fixture
async def whatsapp() -> AsyncIterator[FakeWhatsApp]:
    server = FakeWhatsApp(throughput=1000, pair_limit=1000)
    await server.start()
    server.contact(WA_ID).last_message_at = 10**10  # a window that stays open
    yield server
    await server.stop()


@pytest.fixture
async def api(whatsapp: FakeWhatsApp) -> AsyncIterator[CloudApi]:
    client = CloudApi(whatsapp.api_url, whatsapp.phone_number_id, whatsapp.token)
    yield client
    await client.close()


def german(languages: Languages) -> Any:
    return languages.get("de").gettext


def reply(text: str, *labels: str) -> Reply:
    return Reply(
        blocks=(Block((Span(text),)),),
        buttons=tuple((Button(label, f"7.{n}"),) for n, label in enumerate(labels)),
    )


async def send_all(api: CloudApi, messages: list[Message]) -> None:
    for message in messages:
        await api.send(WA_ID, message)


async def test_three_options_are_reply_buttons(whatsapp: FakeWhatsApp, api: CloudApi, languages: Languages) -> None:
    await send_all(
        api, to_messages(reply("Wie geht es weiter?", "Weiter", "Tour überspringen", "Zurück"), german(languages))
    )
    shown = whatsapp.last(WA_ID)
    assert shown.kind == "button"
    assert shown.titles == ["Weiter", "Tour überspringen", "Zurück"]
    assert shown.option_id("Zurück") == "7.2"


async def test_four_to_ten_options_are_a_list(whatsapp: FakeWhatsApp, api: CloudApi, languages: Languages) -> None:
    labels = [f"Handlungsfeld {n}" for n in range(1, 11)]
    await send_all(api, to_messages(reply("Wählen Sie ein Thema.", *labels), german(languages)))
    shown = whatsapp.last(WA_ID)
    assert shown.kind == "list"
    assert shown.titles == labels
    assert shown.list_button == german(languages)("Choose")


async def test_more_than_ten_options_come_in_pages(whatsapp: FakeWhatsApp, api: CloudApi, languages: Languages) -> None:
    _ = german(languages)
    options = [Button(f"Idee {n}", f"3.{n}") for n in range(25)]
    seen: list[str] = []
    await send_all(api, to_messages(Reply(blocks=(Block((Span("Ideen"),)),), buttons=((*options,),)), _))
    page = whatsapp.last(WA_ID)
    for _turn in range(5):
        seen += [title for option_id, title in page.options if not option_id.startswith(PAGE_PREFIX)]
        forward = [option_id for option_id, title in page.options if title == _("More ▶")]
        if not forward:
            break
        number = page_of(forward[0])
        assert number is not None
        await api.send(WA_ID, options_message("", options, _, page=number))
        page = whatsapp.last(WA_ID)
        assert _("◀ Back") in page.titles
    assert seen == [f"Idee {n}" for n in range(25)], "every option once, in order, across the pages"
    assert all(len(p.options) + (p.back is not None) + (p.forward is not None) <= 10 for p in pages(options))


async def test_a_long_text_is_split_and_the_options_come_with_its_last_part(
    whatsapp: FakeWhatsApp, api: CloudApi, languages: Languages
) -> None:
    paragraphs = tuple(Block((Span(f"Absatz {n}: " + "Wort " * 150),)) for n in range(12))
    long = Reply(blocks=paragraphs, buttons=((Button("Weiter", "1.0"),),))
    await send_all(api, to_messages(long, german(languages)))
    chat = whatsapp.chats[WA_ID]
    assert [m.kind for m in chat[:-1]] == ["text"] * (len(chat) - 1) and chat[-1].kind == "button"
    assert len(chat[-1].body) <= 1024
    joined = "\n\n".join(m.text for m in chat)
    assert all(f"Absatz {n}:" in joined for n in range(12)), "nothing is lost between the parts"


async def test_one_huge_paragraph_is_cut_at_spaces(whatsapp: FakeWhatsApp, api: CloudApi, languages: Languages) -> None:
    await send_all(api, to_messages(Reply(blocks=(Block((Span("Wort " * 2000),)),)), german(languages)))
    chat = whatsapp.chats[WA_ID]
    assert len(chat) == 3 and all(m.kind == "text" for m in chat)
    assert all(m.text.split(" ")[-1] in ("Wort", "") for m in chat), "no word is cut in two"


async def test_resident_text_with_formatting_characters_stays_literal(
    whatsapp: FakeWhatsApp, api: CloudApi, languages: Languages
) -> None:
    title = "*Gratis* _Parken_ ~immer~ für `alle`"
    message = Reply(blocks=(Block((bold("Ihre Idee: "), Span(title))), Block((Span("> kein Zitat"),))))
    await send_all(api, to_messages(message, german(languages)))
    pieces = formatted(whatsapp.last(WA_ID).body)
    assert pieces[0] == ("bold", "Ihre Idee:")
    assert "".join(text for _style, text in pieces[1:]) == f" {title}\n\n> kein Zitat"
    assert all(style == "plain" for style, _text in pieces[1:]), "the resident's markers format nothing"


async def test_a_bold_title_with_asterisks_stays_one_bold_title(
    whatsapp: FakeWhatsApp, api: CloudApi, languages: Languages
) -> None:
    await send_all(api, to_messages(Reply(blocks=(Block((bold("Sterne * im * Titel"),)),)), german(languages)))
    assert formatted(whatsapp.last(WA_ID).body) == [("bold", "Sterne * im * Titel")]


async def test_long_labels_are_shortened_at_words_and_stay_readable(
    whatsapp: FakeWhatsApp, api: CloudApi, languages: Languages
) -> None:
    labels = ["Mehr Fahrradständer am Bahnhof Aalen (👍 12)", "Mehr Fahrradständer am Bahnhof Heidenheim (👍 3)"]
    await send_all(api, to_messages(reply("Ideen", *labels), german(languages)))
    shown = whatsapp.last(WA_ID)
    assert all(len(t) <= BUTTON_TITLE and "…" in t for t in shown.titles)
    assert len(set(shown.titles)) == 2
    assert all(label in shown.text for label in labels), "the full labels stay in the body"

    many = [*labels, "Ein Spielplatz im Stadtgarten (👍 1)", "Busse am Sonntag (👍 0)"]
    await send_all(api, to_messages(reply("Ideen", *many), german(languages)))
    listed = whatsapp.last(WA_ID)
    assert listed.titles[0].startswith("Mehr Fahrrad") and listed.titles[0].endswith("… (👍 12)")
    assert len(listed.titles[0]) <= ROW_TITLE
    assert listed.descriptions[0] == labels[0]
    assert listed.titles[3] == "Busse am Sonntag (👍 0)" and listed.descriptions[3] == ""


@pytest.mark.parametrize(
    ("label", "limit", "expected"),
    [
        ("Tour überspringen", 20, "Tour überspringen"),
        ("Eine Idee zu diesem Thema einreichen", 20, "Eine Idee zu diesem…"),
        ("Donaudampfschifffahrtsgesellschaft", 20, "Donaudampfschifffah…"),
        ("Mehr Bänke im Stadtpark (👍 1.234)", 20, "Mehr Bänk… (👍 1.234)"),
        ("Meine Daten exportieren", 20, "Meine Daten exporti…"),
    ],
)
def test_shortening_keeps_whole_words_and_counts(label: str, limit: int, expected: str) -> None:
    assert shorten(label, limit) == expected
    assert len(expected) <= limit


async def test_what_whatsapp_refuses_is_refused(whatsapp: FakeWhatsApp, api: CloudApi) -> None:
    """The local API is as strict as WhatsApp: each of these is our bug, refused with WhatsApp's code."""
    too_many = {"type": "reply", "reply": {"id": "x", "title": "x"}}
    refused: list[Message] = [
        {
            "type": "interactive",
            "interactive": {"type": "button", "body": {"text": "b"}, "action": {"buttons": [too_many] * 4}},
        },
        {
            "type": "interactive",
            "interactive": {
                "type": "button",
                "body": {"text": "b"},
                "action": {"buttons": [{"type": "reply", "reply": {"id": "x", "title": "x" * 21}}]},
            },
        },
        {
            "type": "interactive",
            "interactive": {
                "type": "list",
                "body": {"text": "b"},
                "action": {"button": "b", "sections": [{"rows": [{"id": str(n), "title": "t"} for n in range(11)]}]},
            },
        },
        {
            "type": "interactive",
            "interactive": {
                "type": "list",
                "body": {"text": "b"},
                "action": {"button": "b", "sections": [{"rows": [{"id": "1", "title": "t" * 25}]}]},
            },
        },
        {
            "type": "interactive",
            "interactive": {
                "type": "button",
                "body": {"text": "b" * 1025},
                "action": {"buttons": [{"type": "reply", "reply": {"id": "1", "title": "t"}}]},
            },
        },
        {"type": "text", "text": {"body": "b" * 4097}},
    ]
    for message in refused:
        with pytest.raises(Refused) as caught:
            await api.send(WA_ID, message)
        assert caught.value.code in (100, 131009)
    assert len(whatsapp.refusals) == len(refused)
    assert WA_ID not in whatsapp.chats


def test_row_ids_that_turn_pages_are_read_strictly() -> None:
    assert page_of(f"{PAGE_PREFIX}2") == 2
    for made_up in (f"{PAGE_PREFIX}-1", f"{PAGE_PREFIX}٣", f"{PAGE_PREFIX}99999", "7.2", PAGE_PREFIX):
        assert page_of(made_up) is None
