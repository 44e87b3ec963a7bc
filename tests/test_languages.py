"""Six languages: each one's plurals, dates and numbers, the choice on first contact, and a whole
journey in each, read through the catalogs so that a corrected translation breaks no test."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from babel import Locale

from bot.adapters.console.adapter import ConsoleAdapter
from bot.adapters.markup import FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE, isolate_reply, isolate_runs
from bot.adapters.matrix.adapter import likely_language
from bot.adapters.matrix.render import notice
from bot.adapters.protocol import context_for
from bot.adapters.telegram.render import to_messages
from bot.adapters.whatsapp.adapter import likely_language as whatsapp_language
from dialogs.content import Content
from dialogs.engine import Engine
from dialogs.flows.news import broadcast_reply
from dialogs.i18n import EASY_GERMAN, Languages
from dialogs.messages import Block, Button, Reply, Span
from tests.chat import Chat
from tests.test_console import number_of
from tests.texts import CITY_QUESTION, de

SIX = ["de", "en", "tr", "uk", "ar", EASY_GERMAN]
SUPPORTERS = ("{count} person supports it.", "{count} people support it.")


def test_every_language_is_offered_by_the_content(languages: Languages) -> None:
    assert languages.codes == SIX
    assert [lang.name for lang in languages.all()] == [
        "Deutsch",
        "English",
        "Türkçe",
        "Українська",
        "العربية",
        "Leichte Sprache",
    ]


def test_the_leichte_sprache_code_is_a_locale_babel_accepts() -> None:
    locale = Locale.parse(EASY_GERMAN)
    assert (locale.language, locale.modifier) == ("de", "ls")


def test_arabic_has_six_plural_forms(languages: Languages) -> None:
    arabic = languages.get("ar")
    assert Locale.parse("ar").plural_form.tags == {"zero", "one", "two", "few", "many"}  # and "other"
    forms = [arabic.ngettext(*SUPPORTERS, n) for n in (0, 1, 2, 3, 11, 100)]
    assert len(set(forms)) == 6, forms
    assert arabic.ngettext(*SUPPORTERS, 7) == forms[3]  # few: 3 to 10
    assert arabic.ngettext(*SUPPORTERS, 99) == forms[4]  # many: 11 to 99
    assert arabic.ngettext(*SUPPORTERS, 102) == forms[2 + 3]  # 102: other


def test_ukrainian_counts_one_few_many(languages: Languages) -> None:
    ukrainian = languages.get("uk")
    one, few, many = (ukrainian.ngettext(*SUPPORTERS, n) for n in (1, 3, 5))
    assert len({one, few, many}) == 3
    assert ukrainian.ngettext(*SUPPORTERS, 21) == one
    assert ukrainian.ngettext(*SUPPORTERS, 24) == few
    assert ukrainian.ngettext(*SUPPORTERS, 11) == many


@pytest.mark.parametrize("code", ["tr", EASY_GERMAN])
def test_one_and_many_in_turkish_and_leichte_sprache(languages: Languages, code: str) -> None:
    lang = languages.get(code)
    assert lang.ngettext(*SUPPORTERS, 1).format(count=1).startswith("1 ")
    assert lang.ngettext(*SUPPORTERS, 2).format(count=2).startswith("2 ")


@pytest.mark.parametrize(
    ("code", "number", "date", "time"),
    [
        ("de", "12.345", "05.03.2026", "05.03.26, 18:00"),
        ("en", "12,345", "Mar 5, 2026", "3/5/26, 6:00\u202fPM"),
        ("tr", "12.345", "5 Mar 2026", "5.03.2026 18:00"),
        ("uk", "12\u00a0345", "5 бер. 2026\u202fр.", "05.03.26, 18:00"),
        ("ar", "12,345", "05\u200f/03\u200f/2026", "5\u200f/3\u200f/2026، 6:00 م"),
        (EASY_GERMAN, "12.345", "05.03.2026", "05.03.26, 18:00"),
    ],
)
def test_numbers_and_dates_follow_each_language(
    languages: Languages, code: str, number: str, date: str, time: str
) -> None:
    lang = languages.get(code)
    assert lang.number(12345) == number
    assert lang.date(datetime(2026, 3, 5, 12, tzinfo=UTC)) == date
    assert lang.datetime(datetime(2026, 3, 5, 17, tzinfo=UTC), ZoneInfo("Europe/Berlin")) == time


def test_only_arabic_is_written_right_to_left(languages: Languages) -> None:
    assert [lang.code for lang in languages.all() if lang.rtl] == ["ar"]
    assert languages.get("ar").direction == "rtl" and languages.get("uk").direction == "ltr"
    assert languages.get(EASY_GERMAN).tag == "de-x-ls"


@pytest.mark.parametrize(
    ("hint", "code"), [("tr", "tr"), ("uk-UA", "uk"), ("ar_SY", "ar"), ("AR", "ar"), ("pt-BR", None)]
)
def test_a_platform_hint_names_a_language(languages: Languages, hint: str, code: str | None) -> None:
    found = languages.match(hint)
    assert (found.code if found else None) == code


@pytest.mark.parametrize(
    ("hint", "first"), [("uk", "Українська"), ("ar", "العربية"), ("tr-TR", "Türkçe"), (None, "Deutsch")]
)
async def test_first_contact_offers_the_hinted_language_first(engine: Engine, hint: str | None, first: str) -> None:
    resident = Chat(engine, f"hinted-{hint}", language_hint=hint)
    await resident.says("/start")
    assert resident.labels()[0] == first
    assert set(resident.labels()) == {lang.name for lang in engine.languages.all()}
    hinted = engine.languages.match(hint) or engine.languages.get(None)
    assert resident.reply.blocks[0].text == hinted.gettext("Welcome to the Mitmach-Bot! Please choose your language.")


async def test_the_residents_choice_wins_over_the_hint(engine: Engine) -> None:
    resident = Chat(engine, "choice", language_hint="ar")
    await resident.says("/start")
    await resident.presses("Deutsch")
    assert resident.sees(de(CITY_QUESTION))


@pytest.mark.parametrize("command", ["/sprache", "/language"])
async def test_the_language_can_be_changed_at_any_time(engine: Engine, command: str) -> None:
    resident = Chat(engine, f"changer{command}")
    await resident.onboard()
    await resident.says(command)
    assert resident.sees_button("Leichte Sprache") and resident.labels()[0] == "Deutsch"
    await resident.presses("Leichte Sprache")
    assert resident.sees(engine.languages.get(EASY_GERMAN).gettext("Done: I will speak English with you from now on."))
    await resident.says("/sprache")
    await resident.presses("Türkçe")
    turkish = engine.languages.get("tr")
    assert resident.sees(turkish.gettext("Done: I will speak English with you from now on."))
    assert resident.sees(turkish.gettext("What would you like to do?"))


def test_a_latin_title_in_arabic_text_is_isolated() -> None:
    text = "نُشرت فكرتك «Bessere Bushaltestellen 2026!». يمكن للآخرين الآن دعمها."
    isolated = isolate_runs(text, rtl=True)
    assert f"«{FIRST_STRONG_ISOLATE}Bessere Bushaltestellen 2026!{POP_DIRECTIONAL_ISOLATE}»" in isolated
    assert isolated.replace(FIRST_STRONG_ISOLATE, "").replace(POP_DIRECTIONAL_ISOLATE, "") == text
    assert isolate_runs("Nur deutscher Text, Nr. 42.", rtl=False) == "Nur deutscher Text, Nr. 42."
    assert isolate_runs("Idee „مقاعد في الحديقة“ ist neu.", rtl=False) == (
        f"Idee „{FIRST_STRONG_ISOLATE}مقاعد في الحديقة{POP_DIRECTIONAL_ISOLATE}“ ist neu."
    )


def test_telegram_and_matrix_isolate_mixed_text_in_the_same_way() -> None:
    reply = Reply(
        blocks=(Block((Span("الفكرة رقم 42: "), Span("Mehr Bänke im Park", "bold"))),),
        buttons=((Button("Park 2", "1.0"),),),
        language="ar",
    )
    isolated_title = f"{FIRST_STRONG_ISOLATE}Mehr Bänke im Park{POP_DIRECTIONAL_ISOLATE}"
    assert isolated_title in to_messages(reply)[0]
    assert isolated_title in notice(reply)["formatted_body"] and isolated_title in notice(reply)["body"]
    assert isolate_reply(reply).buttons[0][0].label == f"{FIRST_STRONG_ISOLATE}Park 2{POP_DIRECTIONAL_ISOLATE}"
    german = Reply(blocks=(Block((Span("Idee Nr. 42: Mehr Bänke im Park"),)),), language="de")
    assert isolate_reply(german) is german


TITLES = {"ar": "مقاعد أكثر في حديقة المدينة"}


@pytest.mark.parametrize("code", SIX)
async def test_console_journey_in_each_language(engine: Engine, content: Content, code: str) -> None:
    """First contact to a submitted idea, every screen in the chosen language."""
    lang = engine.languages.get(code)
    _ = lang.gettext
    resident = ConsoleAdapter(context_for(engine), f"resident-{code}", write=lambda _text: None)
    out = await resident.say("/start")
    out = await resident.say(number_of(out, lang.name))
    assert _("Which city do you live in, or which one do you care about most?") in out
    out = await resident.say(number_of(out, content.text(content.cities[0].name, code)))
    assert content.text(content.name, code) in out and _("What would you like to do?") in out
    out = await resident.say(number_of(out, _("Discover the vision")))
    assert content.text(content.vision.short, code) in out
    out = await resident.say(number_of(out, _("Next: the goals")))
    assert _("Goal {number} of {total}").format(number=1, total=len(content.leitziele)) in out
    assert content.text(content.leitziele[0].title, code) in out
    out = await resident.say(number_of(out, _("Skip the tour")))
    out = await resident.say(number_of(out, _("Ideas by topic")))
    assert _("Choose a topic to see its ideas or to add your own.") in out
    topic = content.handlungsfelder[1]
    out = await resident.say(number_of(out, content.text(topic.title, code)))
    out = await resident.say(number_of(out, _("Submit an idea on this topic")))
    out = await resident.say(number_of(out, _("I agree, let's start")))
    out = await resident.say(TITLES.get(code, "Luftsensoren an Schulen"))
    out = await resident.say("Sensoren messen die Luft an jeder Schule und zeigen sie auf einer Karte. 12345")
    both = _("{names} and {last}").format(
        names=content.text(content.cities[0].name, code), last=content.text(content.cities[1].name, code)
    )
    out = await resident.say(number_of(out, both))
    assert _("Please check your idea:") in out
    out = await resident.say(number_of(out, _("✅ Submit")))
    assert _("Thank you! Your idea has been received (no. {number}).").split("{number}")[0] in out
    out = await resident.say(number_of(out, _("My ideas")))
    assert _("being reviewed") in out


@pytest.mark.parametrize(("code", "german"), [("ar", "الألمانية"), ("tr", "Almanca"), ("uk", "німецька")])
def test_a_broadcast_in_german_tells_other_readers_in_their_language(
    languages: Languages, code: str, german: str
) -> None:
    lang = languages.get(code)
    reply = broadcast_reply("Neue Radwege in Aalen.", None, None, lang, written_in="de")
    note = lang.gettext("This message is only available in {language}; there is no translation of it.")
    assert reply.blocks[0].text == note.format(language=german)
    assert reply.blocks[1].text == "Neue Radwege in Aalen."
    same = broadcast_reply("Neue Radwege in Aalen.", None, None, languages.get("de"), written_in="de")
    assert same.blocks[0].text == "Neue Radwege in Aalen."


@pytest.mark.parametrize(
    ("user_id", "code"),
    [
        ("@olena:matrix.kyiv.ua", "uk"),
        ("@ayse:chat.example.tr", "tr"),
        ("@omar:matrix.example.sy", "ar"),
        ("@anna:aalen.de", "de"),
        ("@tom:example.uk", "en"),
        ("@anna:example.org", None),
    ],
)
def test_a_matrix_homeservers_country_hints_the_language(user_id: str, code: str | None) -> None:
    assert likely_language(user_id) == code


@pytest.mark.parametrize(
    ("wa_id", "code"),
    [
        ("905321234567", "tr"),
        ("380501234567", "uk"),
        ("963912345678", "ar"),
        ("4917612345678", "de"),
        ("33612345678", None),
    ],
)
def test_a_whatsapp_numbers_country_is_a_weak_hint(wa_id: str, code: str | None) -> None:
    assert whatsapp_language(wa_id) == code
