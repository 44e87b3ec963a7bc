"""The chat page: HTML from Jinja2 templates in the resident's language; chat.js does the rest.

Every value reaches the HTML through the templates' autoescape, so no text a resident, the
content file or a catalog holds can become markup. A town restyles the pages with its own
templates in `WEB_TEMPLATE_DIR` (see `setup_templates`).
"""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.web.site import footer_labels
from dialogs.content import Content
from dialogs.i18n import Language, Languages

TEMPLATES = Path(__file__).parent / "templates"
MAX_TEXT = 4000
TOWN_STATIC = "static"
"""The folder inside WEB_TEMPLATE_DIR whose files are served under /static/town/ (e.g. town.css)."""


def setup_templates(app: web.Application, template_dir: Path | None = None) -> jinja2.Environment:
    """The templates of `template_dir` first, then the bot's own (also reachable as ``default/<name>``).

    Autoescape is on for every template, whatever its file name.
    """
    own = jinja2.FileSystemLoader(TEMPLATES)
    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(template_dir)] if template_dir else []
    loaders += [own, jinja2.PrefixLoader({"default": own})]
    environment = aiohttp_jinja2.setup(
        app,
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        default_helpers=False,
    )
    environment.globals["town_css"] = bool(template_dir and (template_dir / TOWN_STATIC / "town.css").is_file())
    return environment


def town_static(template_dir: Path | None) -> Path | None:
    """The town's own static files (its stylesheet, logo), when WEB_TEMPLATE_DIR has a static/ folder."""
    folder = template_dir / TOWN_STATIC if template_dir else None
    return folder if folder is not None and folder.is_dir() else None


def _intro(lang: Language) -> str:
    return lang.gettext(
        "Chat with the Mitmach-Bot: discover the smart-city strategy, browse and support ideas, submit your own."
    )


def ui_strings(lang: Language, content: Content) -> dict[str, str]:
    """Texts the page itself shows; sent again when the resident changes language."""
    _ = lang.gettext
    heading = _heading(content, lang)
    return {
        "title": heading["title"],
        "name": heading["name"],
        "intro": _intro(lang),
        "noscript": _("This chat needs JavaScript. You can also use the bot on Telegram or Matrix."),
        "log": _("Conversation"),
        "you": _("You:"),
        "bot": _("Mitmach-Bot:"),
        "options": _("Options"),
        "input": _("Your message"),
        "send": _("Send"),
        "download": _("Download {filename}"),
        "offline": _("The connection was lost. Reconnecting …"),
        "online": _("Connected."),
        "restart": _("Start again"),
        "nocookie": _("Your browser refused this chat's cookie. Please allow cookies for this page and reload it."),
        "nocookieframed": _("Your browser does not let this embedded chat keep a cookie, so it cannot start here."),
        "newwindow": _("Open the chat in a window of its own"),
        "save": _("Save the conversation"),
        "transcript": _("Conversation with the Mitmach-Bot, saved on {date}"),
        "count": _("{count} of {limit} characters"),
        "toolong": _("{count} of {limit} characters: please shorten your text by {over} characters."),
        **footer_labels(_),
        **({"logo": heading["logo_alt"]} if heading["logo_alt"] else {}),
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


def _heading(content: Content, lang: Language) -> dict[str, str]:
    """The head and heading every page shares: the chat and the page that refuses one."""
    name = content.text(content.name, lang.code)
    title = lang.gettext("Mitmach-Bot – {name}").format(name=name)
    alt = content.site.logo_alt
    logo_alt = content.text(alt, lang.code) if content.site.logo and alt else ""
    return {"lang": lang.tag, "dir": lang.direction, "name": name, "title": title, "logo_alt": logo_alt}


def render_page(templates: jinja2.Environment, content: Content, lang: Language) -> str:
    _ = lang.gettext
    return templates.get_template("chat.html").render(
        **_heading(content, lang),
        intro=_intro(lang),
        ui=ui_strings(lang, content),
        max_text=MAX_TEXT,
    )


def render_limited(templates: jinja2.Environment, content: Content, lang: Language) -> str:
    """Instead of the chat, when too many new chats came from one address: no script, no cookie."""
    _ = lang.gettext
    return templates.get_template("limited.html").render(
        **_heading(content, lang),
        intro=None,
        text=_(
            "Too many new chats were started from this connection in the last hour. "
            "Please try again later, or continue in the browser where you have already chatted with the bot."
        ),
        other=_("You can also use the bot on Telegram or Matrix."),
    )
