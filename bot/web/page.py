"""The chat page: static HTML in the resident's language; chat.js does the rest."""

from __future__ import annotations

from html import escape

from dialogs.content import Content
from dialogs.i18n import Language, Languages


def ui_strings(lang: Language) -> dict[str, str]:
    """Texts the page itself shows; sent again when the resident changes language."""
    _ = lang.gettext
    return {
        "log": _("Conversation"),
        "you": _("You:"),
        "bot": _("Mitmach-Bot:"),
        "options": _("Options"),
        "input": _("Your message"),
        "send": _("Send"),
        "download": _("Download {filename}"),
        "offline": _("The connection was lost. Reconnecting …"),
        "online": _("Connected."),
    }


def negotiate(accept_language: str, languages: Languages) -> Language:
    """The first language of the browser's Accept-Language that the bot speaks."""
    weighted = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        weighted.append((-quality, position, tag.strip()[:2].lower()))
    for _quality, _position, code in sorted(weighted):
        if languages.supports(code):
            return languages.get(code)
    return languages.get(None)


CHAT_JS = "/static/chat.js"


def _top(content: Content, lang: Language, *, script: bool) -> str:
    """The page's head and its heading: the same for the chat and for the page that refuses one."""
    name = content.text(content.name, lang.code)
    title = escape(lang.gettext("Mitmach-Bot – {name}").format(name=name))
    chat_js = f'<script src="{CHAT_JS}" defer></script>\n' if script else ""
    return f"""<!doctype html>
<html lang="{lang.tag}" dir="{lang.direction}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/static/chat.css">
{chat_js}</head>
<body>
<header>
<h1>{escape(name)}</h1>
"""


def render_page(content: Content, lang: Language) -> str:
    _ = lang.gettext
    ui = ui_strings(lang)
    data = " ".join(f'data-{key}="{escape(value)}"' for key, value in ui.items())
    intro = escape(
        _("Chat with the Mitmach-Bot: discover the smart-city strategy, browse and support ideas, submit your own.")
    )
    return (
        _top(content, lang, script=True)
        + f"""<p>{intro}</p>
</header>
<main id="chat" {data}>
<h2 class="visually-hidden" id="log-heading">{escape(ui["log"])}</h2>
<div id="log" role="log" aria-live="polite" aria-labelledby="log-heading" tabindex="-1"></div>
<div id="menu" role="group" aria-label="{escape(ui["options"])}"></div>
<p id="status" role="status" class="status"></p>
<form id="composer" autocomplete="off">
<label for="message" id="message-label">{escape(ui["input"])}</label>
<div class="row">
<textarea id="message" name="message" rows="2" maxlength="4000" required></textarea>
<button type="submit" id="send">{escape(ui["send"])}</button>
</div>
</form>
<noscript><p>{escape(_("This chat needs JavaScript. You can also use the bot on Telegram or Matrix."))}</p></noscript>
</main>
</body>
</html>
"""
    )


def render_limited(content: Content, lang: Language) -> str:
    """Instead of the chat, when too many new chats came from one address: no script, no cookie."""
    _ = lang.gettext
    text = escape(
        _(
            "Too many new chats were started from this connection in the last hour. "
            "Please try again later, or continue in the browser where you have already chatted with the bot."
        )
    )
    other = escape(_("You can also use the bot on Telegram or Matrix."))
    return (
        _top(content, lang, script=False)
        + f"""</header>
<main>
<p role="alert">{text}</p>
<p>{other}</p>
</main>
</body>
</html>
"""
    )
