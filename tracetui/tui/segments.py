"""Text to Textual strips without Rich's general renderer.

The live screen redraws every row of the path several times a second. Rich's
``Text.render`` (and Textual's wrapping of a widget's ``render()``) is general:
it combines every overlapping span at every boundary, wraps and justifies. Our
lines are single lines whose spans do not overlap (a run of one style each),
so a strip is a direct walk over the spans. Lines with overlapping spans go
through Rich as before.
"""

from __future__ import annotations

from functools import lru_cache

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip


@lru_cache(maxsize=256)
def _parsed(name: str) -> Style:
    return Style.parse(name) if name else Style.null()


def _style(style: str | Style) -> Style:
    return style if isinstance(style, Style) else _parsed(style)


def text_segments(text: Text, console: Console, under: Style | None = None) -> list[Segment]:
    """The segments Rich would render for one line of ``text``, in one pass; ``under``
    is the style beneath the text (the widget's), as ``Strip.apply_style`` would add it."""
    plain = text.plain
    base = _style(text.style)
    if under is not None:
        base = under + base
    if not text.spans:
        return [Segment(plain, base)] if plain else []
    spans = sorted(text.spans, key=lambda span: span.start)
    segments: list[Segment] = []
    position = 0
    for span in spans:
        start, end = max(span.start, 0), min(span.end, len(plain))
        if start < position:
            # overlapping spans combine: Rich knows how
            rendered = list(text.render(console, end=""))
            return list(Segment.apply_style(rendered, under)) if under else rendered
        if start > position:
            segments.append(Segment(plain[position:start], base))
        if end > start:
            segments.append(Segment(plain[start:end], base + _style(span.style)))
            position = end
    if position < len(plain):
        segments.append(Segment(plain[position:], base))
    return segments


def text_strip(
    text: Text, console: Console, under: Style | None = None, width: int | None = None
) -> Strip:
    """One line of ``text`` as a strip; ``width`` (if known) saves measuring it."""
    return Strip(text_segments(text, console, under), width)
