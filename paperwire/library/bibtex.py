"""BibTeX, read and written in one place: the paper page's citation, a tag's export and a library import.

Writes the ``@misc`` + ``eprint`` form arXiv itself suggests (``@article`` with a journal reference), keyed
``lastname2024firstword`` like Google Scholar, TeX math (``$...$``) kept and the characters LaTeX would
misread escaped. Reads ``@type{key, field = {braced} | "quoted" | 2024 | macro # "concatenated", ...}``
(enough for Zotero, JabRef and Google Scholar exports), skips ``@comment``/``@preamble``, expands
``@string`` macros and the month abbreviations, and undoes the writer's escaping, so a written file reads
back to the same values.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from paperwire.db.models import Paper
from paperwire.library.errors import LibraryError

MONTHS = {
    m: m.title() for m in ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
}
# The writer's escapes, undone by the reader; unescaped braces only protect case and are dropped.
UNESCAPE = re.compile(r"\\textbackslash\{\}|\\~\{\}|\\([&%_#${}])|[{}]")
SPECIAL = {
    **{"\\": r"\textbackslash{}", "~": r"\~{}"},
    **{char: "\\" + char for char in "&%#_{}"},
}
MATH = re.compile(r"(\$[^$]*\$)")
VERBATIM = {"url", "doi", "eprint"}  # identifiers, written as they are
STOPWORDS = {"a", "an", "the", "on", "of", "in", "for", "and", "to", "with", "towards", "toward"}


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

    def unescape(match: re.Match[str]) -> str:
        special = match.group(0)
        if special.startswith("\\textbackslash"):
            return "\\"
        if special.startswith("\\~"):
            return "~"
        return match.group(1) or ""

    return " ".join(UNESCAPE.sub(unescape, raw).split())


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
    """Keep TeX math ($...$) as is; escape the characters BibTeX/LaTeX would misread elsewhere."""
    out = []
    for part in MATH.split(" ".join(value.split())):
        if len(part) > 1 and part.startswith("$") and part.endswith("$"):
            out.append(part)
        else:
            out.append("".join(SPECIAL.get(char, char) for char in part))
    return "".join(out)


def _ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]", "", folded).lower()


def citation_key(paper: Paper) -> str:
    """``lastname2024firstword``, like Google Scholar, falling back to the arXiv id."""
    last = _ascii_word(paper.authors[0].split()[-1]) if paper.authors and paper.authors[0].split() else ""
    year = str(paper.published.year) if paper.published else ""
    words = [_ascii_word(w) for w in paper.title.split()]
    first = next((w for w in words if w and w not in STOPWORDS), "")
    return f"{last}{year}{first}" if last else "arxiv" + re.sub(r"[^0-9A-Za-z]", "", paper.arxiv_id)


def paper_entry(paper: Paper, key: str, keyword: str | None = None) -> Entry:
    """One ``@misc`` (arXiv preprint) or ``@article`` (with a journal reference) for a paper."""
    fields = {
        "title": paper.title,
        "author": " and ".join(paper.authors) or "Anonymous",
        "year": str(paper.published.year) if paper.published else "",
        "eprint": paper.arxiv_id,
        "archivePrefix": "arXiv",
        "primaryClass": paper.primary_category or "",
        "doi": paper.doi or "",
        "journal": paper.journal_ref or "",
        "url": f"https://arxiv.org/abs/{paper.arxiv_id}",
        "keywords": keyword or "",
    }
    return Entry("article" if paper.journal_ref else "misc", key, fields)


def bibtex(paper: Paper) -> str:
    """A paper's citation, as its page shows and downloads it."""
    return dump([paper_entry(paper, citation_key(paper))])


def bibtex_for_papers(papers: Iterable[Paper], keyword: str | None = None) -> str:
    """One entry per paper (a tag's export), keys made unique with a number where two papers share one."""
    taken: set[str] = set()
    entries = []
    for paper in papers:
        base = key = citation_key(paper)
        n = 1
        while key in taken:
            n += 1
            key = f"{base}{n}"
        taken.add(key)
        entries.append(paper_entry(paper, key, keyword))
    return dump(entries)


def _value(name: str, value: str) -> str:
    if name in VERBATIM:
        return value
    return "{" + escape(value) + "}" if name == "title" else escape(value)  # braces keep the title's case


def dump(entries: list[Entry]) -> str:
    blocks = []
    for entry in entries:
        lines = [f"@{entry.type}{{{entry.key},"]
        lines += [f"  {name} = {{{_value(name, value)}}}," for name, value in entry.fields.items() if value]
        lines.append("}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")
