"""A BibTeX entry for a paper, in the ``@misc`` + ``eprint`` form arXiv itself suggests."""

from __future__ import annotations

import re
import unicodedata

from paperwire.db.models import Paper

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_", "~": r"\~{}"}
_STOPWORDS = {"a", "an", "the", "on", "of", "in", "for", "and", "to", "with", "towards", "toward"}


def _escape(text: str) -> str:
    """Keep TeX math ($...$) as is; escape characters BibTeX/LaTeX would misread elsewhere."""
    parts = re.split(r"(\$[^$]*\$)", " ".join(text.split()))
    out = []
    for part in parts:
        if part.startswith("$") and part.endswith("$") and len(part) > 1:
            out.append(part)
        else:
            out.append("".join(_SPECIAL.get(ch, ch) for ch in part).replace("{", r"\{").replace("}", r"\}"))
    return "".join(out)


def _ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]", "", folded).lower()


def citation_key(paper: Paper) -> str:
    """``lastname2024firstword``, like Google Scholar, falling back to the arXiv id."""
    last = _ascii_word(paper.authors[0].split()[-1]) if paper.authors and paper.authors[0].split() else ""
    year = str(paper.published.year) if paper.published else ""
    words = [_ascii_word(w) for w in paper.title.split()]
    first = next((w for w in words if w and w not in _STOPWORDS), "")
    key = f"{last}{year}{first}"
    return key if last else "arxiv" + re.sub(r"[^0-9A-Za-z]", "", paper.arxiv_id)


def bibtex(paper: Paper) -> str:
    fields = [
        ("title", "{" + _escape(paper.title) + "}"),
        ("author", " and ".join(_escape(a) for a in paper.authors) or "Anonymous"),
        ("year", str(paper.published.year) if paper.published else ""),
        ("eprint", paper.arxiv_id),
        ("archivePrefix", "arXiv"),
        ("primaryClass", paper.primary_category or ""),
        ("doi", paper.doi or ""),
        ("url", f"https://arxiv.org/abs/{paper.arxiv_id}"),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{citation_key(paper)},\n{body}\n}}\n"
