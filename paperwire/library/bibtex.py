"""A small BibTeX reader and writer: enough for reference managers' exports (Zotero, JabRef, Google Scholar).

Reads ``@type{key, field = {braced} | "quoted" | 2024 | macro # "concatenated", ...}``, skips
``@comment``/``@preamble``, expands ``@string`` macros and the month abbreviations, and unescapes the
LaTeX that the writer produces (``\\&`` ``\\%`` ``\\_`` ``\\#`` ``\\$``), so a written file reads back to the same values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from paperwire.library.errors import LibraryError

MONTHS = {
    m: m.title() for m in ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
}
ESCAPED = re.compile(r"\\([&%_#$])")
SPECIAL = re.compile(r"([&%_#$])")
KEY_CHARS = re.compile(r"[^A-Za-z0-9]")


@dataclass
class Entry:
    type: str
    key: str
    fields: dict[str, str] = field(default_factory=dict)


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.macros = dict(MONTHS)

    def error(self, message: str) -> LibraryError:
        line = self.text.count("\n", 0, self.pos) + 1
        return LibraryError(f"BibTeX line {line}: {message}")

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def expect(self, chars: str) -> str:
        self.skip_space()
        if self.pos >= len(self.text) or self.text[self.pos] not in chars:
            found = self.text[self.pos] if self.pos < len(self.text) else "end of file"
            raise self.error(f"expected {' or '.join(repr(c) for c in chars)}, found {found!r}")
        self.pos += 1
        return self.text[self.pos - 1]

    def name(self) -> str:
        self.skip_space()
        start = self.pos
        while self.pos < len(self.text) and (
            self.text[self.pos].isalnum() or self.text[self.pos] in "_-:.+/'"
        ):
            self.pos += 1
        return self.text[start : self.pos]

    def braced(self) -> str:
        """The text between balanced braces; the opening brace was consumed."""
        return self._until("}", "unbalanced braces")

    def quoted(self) -> str:
        """The text up to the closing quote outside braces; the opening quote was consumed."""
        return self._until('"', "unterminated quoted value")

    def _until(self, closing: str, problem: str) -> str:
        """The text up to ``closing`` at brace depth 0 (a backslash escapes the next character)."""
        depth, start = 0, self.pos
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\":
                self.pos += 2
                continue
            if char == closing and depth == 0:
                self.pos += 1
                return self.text[start : self.pos - 1]
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
            self.pos += 1
        raise self.error(problem)

    def value(self) -> str:
        parts = []
        while True:
            self.skip_space()
            char = self.text[self.pos] if self.pos < len(self.text) else ""
            if char == "{":
                self.pos += 1
                parts.append(self.braced())
            elif char == '"':
                self.pos += 1
                parts.append(self.quoted())
            else:
                word = self.name()
                if not word:
                    raise self.error("expected a value")
                parts.append(word if word.isdigit() else self.macros.get(word.lower(), word))
            self.skip_space()
            if self.pos < len(self.text) and self.text[self.pos] == "#":
                self.pos += 1
                continue
            return "".join(parts)

    def entries(self) -> list[Entry]:
        out: list[Entry] = []
        while True:
            at = self.text.find("@", self.pos)
            if at < 0:
                return out
            self.pos = at + 1
            kind = self.name().lower()
            if kind in ("comment", "preamble"):
                self.skip_space()
                if self.pos < len(self.text) and self.text[self.pos] in "{(":
                    self.pos += 1
                    self.braced()
                continue
            close = "}" if self.expect("{(") == "{" else ")"
            if kind == "string":
                macro = self.name().lower()
                self.expect("=")
                self.macros[macro] = self.value()
                self.expect(close)
                continue
            key = self.name()
            entry = Entry(kind, key)
            self.skip_space()
            if self.pos < len(self.text) and self.text[self.pos] == close:
                self.pos += 1
                out.append(entry)
                continue
            self.expect(",")
            while True:
                self.skip_space()
                if self.pos < len(self.text) and self.text[self.pos] == close:
                    self.pos += 1
                    break
                field_name = self.name().lower()
                if not field_name:
                    raise self.error(f"expected a field name in entry {key!r}")
                self.expect("=")
                entry.fields[field_name] = clean_value(self.value())
                if self.expect(",}" if close == "}" else ",)") == close:
                    break
            out.append(entry)


def clean_value(raw: str) -> str:
    """Collapse whitespace, drop protective braces, unescape LaTeX specials."""
    text = ESCAPED.sub(r"\1", raw)
    text = text.replace("{", "").replace("}", "")
    return " ".join(text.split())


def parse(text: str) -> list[Entry]:
    """Every entry of a BibTeX file; raises LibraryError (with a line number) on malformed input."""
    return _Reader(text).entries()


def authors(value: str) -> list[str]:
    """``"Last, First and Other, A."`` -> ``["First Last", "A. Other"]``."""
    names = []
    for part in re.split(r"\s+and\s+", value):
        part = part.strip()
        if not part:
            continue
        if "," in part:
            last, _, first = part.partition(",")
            part = f"{first.strip()} {last.strip()}".strip()
        names.append(part)
    return names


def escape(value: str) -> str:
    value = value.replace("{", "(").replace("}", ")").replace("\\", "/")
    return SPECIAL.sub(r"\\\1", value)


def cite_key(first_author: str, year: int | None, title: str, taken: set[str]) -> str:
    last = KEY_CHARS.sub("", first_author.split()[-1]) if first_author.split() else "anon"
    word = next((KEY_CHARS.sub("", w) for w in title.split() if len(KEY_CHARS.sub("", w)) > 3), "paper")
    base = f"{last.lower() or 'anon'}{year or ''}{word.lower()}"
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}{n}"
    taken.add(key)
    return key


def dump(entries: list[Entry]) -> str:
    blocks = []
    for entry in entries:
        lines = [f"@{entry.type}{{{entry.key},"]
        lines += [f"  {name} = {{{escape(value)}}}," for name, value in entry.fields.items() if value]
        lines.append("}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")
