"""Clean titles and abstracts: one space between words, TeX text markup turned into characters.

Math between ``$...$`` (and ``\\(...\\)``) is left untouched so that it stays readable and can be
rendered by KaTeX in the web UI; only the text-mode TeX-isms that sources leak are rewritten.
"""

from __future__ import annotations

import re
import unicodedata

WHITESPACE = re.compile(r"\s+")
# Control characters (Unicode category Cc) that whitespace collapsing leaves: NUL, ESC, DEL, C1 codes.
CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
MATH = re.compile(r"(\$\$.+?\$\$|\$.+?\$|\\\(.+?\\\)|\\\[.+?\\\])", re.DOTALL)

# TeX accent command -> Unicode combining character.
ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
}
ACCENT = re.compile(r"\{?\\([`'^\"~=.]|[uvHckr](?=[\s{]))\s*\{?\\?([A-Za-z])\}?\}?")
LETTERS = {
    r"\ss": "ß",
    r"\o": "ø",
    r"\O": "Ø",
    r"\ae": "æ",
    r"\AE": "Æ",
    r"\oe": "œ",
    r"\OE": "Œ",
    r"\aa": "å",
    r"\AA": "Å",
    r"\l": "ł",
    r"\L": "Ł",
    r"\i": "ı",
}
_NAMES = "|".join(re.escape(k) for k in sorted(LETTERS, key=len, reverse=True))
# `{\o}` or `\o ` (TeX swallows the one space that ends a control word).
LETTER = re.compile(r"\{(" + _NAMES + r")\}|(" + _NAMES + r")(?![A-Za-z]) ?")
STYLE = re.compile(r"\\(?:emph|textit|textbf|textsc|texttt|textrm|textsf|underline|mbox|text)\s*\{([^{}]*)\}")
OLD_STYLE = re.compile(r"\{\\(?:em|it|bf|sc|tt|rm|sf)\s+([^{}]*)\}")
ESCAPES = {r"\&": "&", r"\%": "%", r"\_": "_", r"\#": "#", r"\$": "$", r"\{": "{", r"\}": "}"}
ESCAPE = re.compile(r"\\[&%_#${}]")
QUOTES = (("``", "\u201c"), ("''", "\u201d"), ("---", "\u2014"), ("--", "\u2013"))


def _accent(match: re.Match[str]) -> str:
    return unicodedata.normalize("NFC", match.group(2) + ACCENTS[match.group(1)])


def _text_mode(text: str) -> str:
    if "\\" in text:
        text = ACCENT.sub(_accent, text)
        text = LETTER.sub(lambda m: LETTERS[m.group(1) or m.group(2)], text)
        for _ in range(3):  # nested \textbf{\emph{x}}
            text = STYLE.sub(r"\1", OLD_STYLE.sub(r"\1", text))
        text = ESCAPE.sub(lambda m: ESCAPES[m.group(0)], text)
    if "`" in text or "--" in text or "''" in text:
        for tex, char in QUOTES:
            text = text.replace(tex, char)
    return text


def clean_text(text: str | None) -> str:
    """Drop control characters, collapse whitespace and rewrite text-mode TeX, leaving math as written."""
    if not text:
        return ""
    text = " ".join(text.split())
    if not text.isprintable():  # a fast test, true for nearly all text once whitespace is collapsed
        text = " ".join(CONTROLS.sub("", text).split())
    if "\\" not in text and "`" not in text and "--" not in text and "''" not in text:
        return text
    if "$" not in text and "\\(" not in text and "\\[" not in text:
        return _text_mode(text)
    parts = MATH.split(text)
    return "".join(part if i % 2 else _text_mode(part) for i, part in enumerate(parts))


def clean_name(name: str) -> str:
    return clean_text(name).strip(" ,;")


def split_authors(raw: str) -> list[str]:
    """Split arXiv's author string ("A, B, and C" / "A and B") into names, in order."""
    text = WHITESPACE.sub(" ", raw).strip()
    text = re.sub(r"\([^()]*\)", "", text)  # affiliations in parentheses
    parts = re.split(r",\s*(?:and\s+)?|\s+and\s+", text)
    return [name for name in (clean_name(p) for p in parts) if name]
