"""The Cloud API client and the webhook reader against the strict local Cloud API: what each answer means."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator

import pytest

from bot.adapters.whatsapp.api import BadToken, CloudApi, Refused, Throttled, Unavailable, who
from bot.adapters.whatsapp.webhook import challenge, deep_link, parse, signed
from tests.fake_whatsapp import FakeWhatsApp

ANNA = "4917612345678"
TEXT = {"type": "text", "text": {"body": "Hallo", "preview_url": False}}


@pytest.fixture
async def whatsapp() -> AsyncIterator[FakeWhatsApp]:
    server = FakeWhatsApp(throughput=5, pair_limit=3, pair_period=6.0)
    server.send_statuses = False
    await server.start()
    server.contact(ANNA).last_message_at = time.time()
    yield server
    await server.stop()


@pytest.fixture
async def api(whatsapp: FakeWhatsApp) -> AsyncIterator[CloudApi]:
    client = CloudApi(whatsapp.api_url, whatsapp.phone_number_id, whatsapp.token)
    yield client
    await client.close()


async def test_a_message_is_sent_and_its_id_returned(whatsapp: FakeWhatsApp, api: CloudApi) -> None:
    message_id = await api.send(ANNA, TEXT)
    assert message_id.startswith("wamid.") and whatsapp.last(ANNA).text == "Hallo"


async def test_a_wrong_token_is_named_in_the_log(whatsapp: FakeWhatsApp, caplog: pytest.LogCaptureFixture) -> None:
    client = CloudApi(whatsapp.api_url, whatsapp.phone_number_id, "expired-token")
    with caplog.at_level(logging.ERROR), pytest.raises(BadToken):
        await client.send(ANNA, TEXT)
    await client.close()
    assert "WHATSAPP_TOKEN" in caplog.text
    assert ANNA not in caplog.text


async def test_too_many_in_all_and_to_one_person_means_wait(whatsapp: FakeWhatsApp, api: CloudApi) -> None:
    for _n in range(3):
        await api.send(ANNA, TEXT)
    with pytest.raises(Throttled) as pair:
        await api.send(ANNA, TEXT)
    assert pair.value.code == 131056 and pair.value.retry_after >= 6

    for n in range(2):
        number = f"49151000000{n}"
        whatsapp.contact(number).last_message_at = time.time()
        await api.send(number, TEXT)
    with pytest.raises(Throttled) as throughput:
        await api.send("4915100000009", TEXT)
    assert throughput.value.code == 130429 and throughput.value.retry_after > 0


async def test_a_refused_message_is_logged_by_its_shape_without_content(
    whatsapp: FakeWhatsApp, api: CloudApi, caplog: pytest.LogCaptureFixture
) -> None:
    rows = [{"id": str(n), "title": f"Geheimer Titel {n}"} for n in range(11)]
    message = {
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": "Vertraulich"},
            "action": {"button": "Wählen", "sections": [{"rows": rows}]},
        },
    }
    with caplog.at_level(logging.ERROR), pytest.raises(Refused) as refused:
        await api.send(ANNA, message)
    assert refused.value.code == 131009
    assert "interactive list" in caplog.text and "11 options" in caplog.text
    assert "Geheim" not in caplog.text and "Vertraulich" not in caplog.text and ANNA not in caplog.text
    assert who(ANNA) in caplog.text


async def test_server_errors_mean_try_later(whatsapp: FakeWhatsApp, api: CloudApi) -> None:
    whatsapp.fail_next = 1
    with pytest.raises(Unavailable):
        await api.send(ANNA, TEXT)
    await api.send(ANNA, TEXT)
    broken = CloudApi("http://127.0.0.1:9/v23.0", whatsapp.phone_number_id, whatsapp.token)
    with pytest.raises(Unavailable):
        await broken.send(ANNA, TEXT)
    await broken.close()


async def test_templates_go_outside_the_window_and_must_fit_their_approval(
    whatsapp: FakeWhatsApp, api: CloudApi
) -> None:
    whatsapp.send_statuses = True
    late = "4917600000001"
    whatsapp.contact(late).last_message_at = time.time() - 25 * 3600

    def template(*texts: str, name: str = "mitmach_news") -> dict[str, object]:
        parameters = [{"type": "text", "text": text} for text in texts]
        body = {"name": name, "language": {"code": "de"}, "components": [{"type": "body", "parameters": parameters}]}
        return {"type": "template", "template": body}

    await api.send(late, template("Neue Ideen für den Stadtgarten"))
    assert whatsapp.last(late).template == ("mitmach_news", "de", ["Neue Ideen für den Stadtgarten"])
    for wrong, code in (
        (template("Zeile\nZeile"), 132018),
        (template("a", "b"), 132000),
        (template("a", name="unbekannt"), 132001),
    ):
        with pytest.raises(Refused) as refused:
            await api.send(late, wrong)
        assert refused.value.code == code

    accepted = await api.send(late, TEXT)
    assert [m.kind for m in whatsapp.chats[late]] == ["template"], (
        "a free-form message outside the window is not delivered"
    )
    assert whatsapp.undelivered[-1][2] == 131047
    report = next(r for r in whatsapp.reports if r["id"] == accepted)
    assert report["status"] == "failed" and report["errors"][0]["code"] == 131047


async def test_a_read_receipt_and_an_upload(whatsapp: FakeWhatsApp, api: CloudApi) -> None:
    incoming = whatsapp.text(ANNA, "Hallo")
    await api.mark_read(incoming["id"])
    assert incoming["id"] in whatsapp.read
    media = await api.upload("daten.json", "application/json", b'{"a": 1}')
    await api.send(ANNA, {"type": "document", "document": {"id": media, "filename": "daten.json"}})
    assert whatsapp.last(ANNA).document == ("daten.json", b'{"a": 1}')


# -- the webhook ----------------------------------------------------------------------------------


def test_signatures_and_verification_in_constant_time(whatsapp: FakeWhatsApp) -> None:
    body = b'{"object": "whatsapp_business_account"}'
    assert signed(body, whatsapp.signature(body), whatsapp.app_secret)
    assert not signed(body, whatsapp.signature(body, "another secret"), whatsapp.app_secret)
    assert not signed(body + b" ", whatsapp.signature(body), whatsapp.app_secret)
    assert not signed(body, None, whatsapp.app_secret)
    assert not signed(body, "sha256=ü", whatsapp.app_secret)
    query = {"hub.mode": "subscribe", "hub.verify_token": "verify-token-0123456789", "hub.challenge": "1158201444"}
    assert challenge(query, "verify-token-0123456789") == "1158201444"
    assert challenge({**query, "hub.verify_token": "guess"}, "verify-token-0123456789") is None
    assert challenge({**query, "hub.mode": "unsubscribe"}, "verify-token-0123456789") is None
    assert challenge({**query, "hub.challenge": "<script>"}, "verify-token-0123456789") == "<script>"
    assert challenge({**query, "hub.challenge": "x" * 300}, "verify-token-0123456789") is None


def test_a_batched_call_is_read_into_messages_and_statuses(whatsapp: FakeWhatsApp) -> None:
    ben = "4915112345678"
    first = whatsapp.payload(
        whatsapp.text(ANNA, "Hallo"),
        whatsapp.button_reply(ANNA, "4.1", "Weiter"),
        whatsapp.list_reply(ben, "4.7", "Mobilität"),
    )
    second = whatsapp.payload(
        whatsapp.template_button(ben, "l.42", "Zur Idee"),
        *(whatsapp.other(ben, kind) for kind in ("image", "audio", "sticker", "location", "reaction", "unsupported")),
        whatsapp.captioned(ben, "image", "Kaputte Bank am Kocher"),
        whatsapp.captioned(ben, "document", " "),
        statuses=[whatsapp.status("wamid.X1", ANNA, "failed", 131047), whatsapp.status("wamid.X2", ben, "read")],
    )
    other_number = whatsapp.payload(whatsapp.text(ANNA, "an eine andere Nummer"))
    other_number["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999999"
    call = parse(json.dumps(whatsapp.batch(first, second, other_number)).encode(), whatsapp.phone_number_id)
    assert call is not None
    assert [(m.wa_id, m.kind, m.text) for m in call.messages] == [
        (ANNA, "text", "Hallo"),
        (ANNA, "choice", "4.1"),
        (ben, "choice", "4.7"),
        (ben, "choice", "l.42"),
        *[(ben, "other", "")] * 6,
        (ben, "text", "Kaputte Bank am Kocher"),
        (ben, "other", ""),
    ]
    assert [(s.message_id, s.status, s.codes) for s in call.statuses] == [
        ("wamid.X1", "failed", (131047,)),
        ("wamid.X2", "read", ()),
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'{"object": "page", "entry": []}',
        b'{"object": "whatsapp_business_account", "entry": "x"}',
        b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": []}]}]}',
        b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": '
        b'{"metadata": {"phone_number_id": "106540352242922"}, "messages": [{"from": "../../etc", "id": "w", '
        b'"type": "text"}, {"from": "4917612345678", "id": 5, "type": "text"}, {"from": "4917612345678", '
        b'"id": "w2", "type": "interactive", "interactive": {"type": "button_reply", "button_reply": 7}}], '
        b'"statuses": [{"id": null}, "x"]}}]}]}',
    ],
)
def test_odd_calls_are_read_without_error(body: bytes) -> None:
    call = parse(body, "106540352242922")
    messages = [] if call is None else call.messages
    assert all(m.kind == "other" for m in messages), "what cannot be read is answered with the menu, never raised"
    assert all(m.wa_id.isdigit() for m in messages)


def test_deep_links_open_an_idea() -> None:
    assert deep_link("idea_42") == "/start idea_42"
    assert deep_link(" idea_42 ") == "/start idea_42"
    assert deep_link("field_3") == "/start field_3"
    for text in ("idea_", "idea_42 bitte", "idea_1234567890", "idee_42"):
        assert deep_link(text) is None
