"""What Slack does to a slash command's text before the app sees it (pure).

With "Escape channels, users, and links" on (manifest `should_escape: true`) a typed `@bob`
arrives as `<@U123|bob>`, `#general` as `<#C123|general>`, `@here` as `<!here>` and a URL as
`<https://…>`; `&`, `<` and `>` arrive as HTML entities either way. A name that matches nobody
stays text, as in Slack. Sequences already in Slack's own syntax (`<@U123|bob>`, `<!here>`)
pass unchanged: they stand for a mention the user picked from the autocomplete.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .models import Channel, User

BROADCASTS = frozenset({"here", "channel", "everyone"})
_TOKENS = re.compile(
    r"(?P<slack><(?:[@#!][^<>\s]+|https?://[^<>\s]+)>)"
    r"|(?<![\w@#/])(?P<sigil>[@#])(?P<name>[\w][\w.\-]*)"
    r"|(?P<url>https?://[^\s<>]+)"
    r"|(?P<special>[&<>])",
    re.IGNORECASE,
)
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape_command_text(
    text: str, users: Iterable[User], channels: Iterable[Channel], should_escape: bool
) -> str:
    """`text` as Slack delivers it to the app for a command with that `should_escape`."""
    by_name = {u.name: u.id for u in users if not u.deleted}
    chans = {c.name: c.id for c in channels if not c.is_im and c.name}

    def one(m: re.Match[str]) -> str:
        if m.group("slack"):
            return m.group("slack")
        if m.group("special"):
            return _ENTITIES[m.group("special")]
        if m.group("url"):
            url = m.group("url").replace("&", "&amp;")
            return f"<{url}>" if should_escape else url
        sigil, name = m.group("sigil"), m.group("name")
        # A trailing full stop ends the sentence, not the name.
        tail = ""
        while name.endswith((".", "-")):
            name, tail = name[:-1], name[-1] + tail
        if should_escape and sigil == "@" and name.lower() in BROADCASTS:
            return f"<!{name.lower()}>{tail}"
        if should_escape and sigil == "@" and name in by_name:
            return f"<@{by_name[name]}|{name}>{tail}"
        if should_escape and sigil == "#" and name in chans:
            return f"<#{chans[name]}|{name}>{tail}"
        return m.group(0)

    return _TOKENS.sub(one, text)
