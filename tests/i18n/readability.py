"""How hard a page is to read: the words a reader takes in from its <main>, and their
Flesch-Kincaid grade (textstat). The claimant's words must be at GRADE or lower."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import textstat

GRADE = 6.0
BLOCKS = {
    "p",
    "li",
    "dt",
    "dd",
    "h1",
    "h2",
    "h3",
    "label",
    "legend",
    "button",
    "summary",
    "a",
    "strong",
    "div",
}


class _MainText(HTMLParser):
    """The words inside <main>, one line per block, as a reader takes them in."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.hidden = 0
        self.lines: list[str] = [""]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "main":
            self.depth += 1
        classes = dict(attrs).get("class") or ""
        if self.hidden or "govuk-visually-hidden" in classes or tag in ("script", "style"):
            self.hidden += 1
        if tag in BLOCKS:
            self.lines.append("")

    def handle_endtag(self, tag: str) -> None:
        if self.hidden:
            self.hidden -= 1
        if tag == "main":
            self.depth -= 1
        if tag in BLOCKS:
            self.lines.append("")

    def handle_data(self, data: str) -> None:
        if self.depth and not self.hidden:
            self.lines[-1] += data

    def sentences(self) -> str:
        lines = [re.sub(r"\s+", " ", line).strip() for line in self.lines]
        return " ".join(
            line if line.endswith((".", "?", "!", ":")) else f"{line}."
            for line in lines
            if re.search(r"[A-Za-z]", line)
        )


def readable_text(html: str) -> str:
    parser = _MainText()
    parser.feed(html)
    return parser.sentences()


def grade(text: str) -> float:
    return textstat.flesch_kincaid_grade(text)
