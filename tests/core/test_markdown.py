from __future__ import annotations

from app.ui.markdown import render_markdown


def test_code_blocks_and_lists_render() -> None:
    html = render_markdown("Steps:\n\n1. one\n2. two\n\n```python\nprint('hi')\n```\n")
    assert "<ol>" in html and "<li>one</li>" in html
    assert '<pre><code class="language-python">' in html


def test_raw_html_is_escaped_not_interpreted() -> None:
    html = render_markdown("<script>alert(1)</script> <img src='http://evil/x.png'>")
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


def test_images_never_become_img_tags() -> None:
    html = render_markdown("![tracker](https://example.com/pixel.gif)")
    assert "<img" not in html
    assert "[image: tracker — https://example.com/pixel.gif]" in html
