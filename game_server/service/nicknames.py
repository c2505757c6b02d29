"""Nicknames: the only personal data the game asks for, cleaned before it is stored.

Control and format characters (including right-to-left overrides, which can make a name display
as something else) are removed, white space is folded, the length is capped. Markup is *not*
removed: it is stored as typed and every page shows it as text, never as HTML.
"""

from __future__ import annotations

import secrets
import unicodedata

MAX_NICKNAME = 24
_FRIENDLY = ("小蜜蜂", "追风者", "向日葵", "小骑手", "老司机", "星星", "小燕子", "大树")


def clean_nickname(raw: str | None) -> str:
    """The nickname as it will be stored, or a friendly default when nothing is left."""
    if raw:
        text = unicodedata.normalize("NFC", raw)
        # White space of any kind (newline, tab, the ideographic space) becomes one space;
        # other control and format characters (direction overrides among them) go.
        kept = "".join(
            " " if ch.isspace() else ch
            for ch in text
            if ch.isspace() or unicodedata.category(ch)[0] not in ("C", "Z")
        )
        folded = " ".join(kept.split())[:MAX_NICKNAME].strip()
        if folded:
            return folded
    return friendly_default()


def friendly_default() -> str:
    """A name like 向日葵37 offered to players who do not want to type one."""
    return f"{secrets.choice(_FRIENDLY)}{secrets.randbelow(90) + 10}"
