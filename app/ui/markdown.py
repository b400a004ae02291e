"""Safe Markdown to HTML for the chat view.

Raw HTML in a reply is shown as text, never interpreted; images become their
alt text plus address, so nothing is ever fetched; links are rendered but not
followed by the view.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.enable(["table", "strikethrough"])


def _image(_renderer: Any, tokens: Sequence[Token], idx: int, _options: Any, _env: Any) -> str:
    token = tokens[idx]
    alt = "".join(child.content for child in token.children or [])
    src = str(token.attrs.get("src", ""))
    return f"<span class='image'>[image: {html.escape(alt)} — {html.escape(src)}]</span>"


_md.add_render_rule("image", _image)


def render_markdown(text: str) -> str:
    """HTML for ``text``; safe to hand to a QTextBrowser."""
    return _md.render(text)
