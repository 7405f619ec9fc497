"""A comparison of papers by their claims: one row per paper, one column per kind, sortable, as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from paperwire.claims.compare import signed_factor, signed_percent, strength
from paperwire.claims.extract import KINDS, Claim
from paperwire.claims.labels import label


@dataclass(frozen=True)
class Cell:
    """A paper's claims of one kind; ``best`` (the strongest) decides the sort and the CSV's numbers."""

    claims: tuple[Claim, ...]

    @property
    def best(self) -> Claim:
        return max(self.claims, key=strength)

    @property
    def labels(self) -> list[str]:
        return [label(c) for c in self.claims]


@dataclass(frozen=True)
class PaperRef:
    paper_id: int
    arxiv_id: str
    title: str


@dataclass(frozen=True)
class Row:
    paper: PaperRef
    cells: dict[str, Cell]


@dataclass(frozen=True)
class Comparison:
    rows: list[Row]
    kinds: list[str]  # the kinds some row has, in the fixed order of KINDS

    def sorted_by(self, kind: str | None) -> Comparison:
        """Rows by the strongest claim of ``kind`` (rows without one last, in their order); None: as given."""
        if kind is None or kind not in KINDS:
            return self
        keyed = sorted(
            enumerate(self.rows),
            key=lambda item: (kind not in item[1].cells, -_strength(item[1], kind), item[0]),
        )
        return Comparison([row for _, row in keyed], self.kinds)

    def csv(self, base_url: str) -> str:
        """Every kind as three columns (labels, signed factor, signed percent of the strongest claim), so the
        header is the same whatever the papers claim."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        header = ["arxiv_id", "title", "url"]
        for kind in KINDS:
            header += [kind, f"{kind}_factor", f"{kind}_percent"]
        writer.writerow(header)
        for row in self.rows:
            line: list[object] = [
                row.paper.arxiv_id,
                row.paper.title,
                f"{base_url}/papers/{row.paper.arxiv_id}",
            ]
            for kind in KINDS:
                cell = row.cells.get(kind)
                if cell is None:
                    line += ["", "", ""]
                    continue
                line += [
                    "; ".join(cell.labels),
                    _number(signed_factor(cell.best)),
                    _number(signed_percent(cell.best)),
                ]
            writer.writerow(line)
        return out.getvalue()


def _strength(row: Row, kind: str) -> float:
    cell = row.cells.get(kind)
    return strength(cell.best) if cell is not None else 0.0


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def comparison(papers: Sequence[PaperRef], claims: Mapping[int, Sequence[Claim]]) -> Comparison:
    rows = []
    seen: set[str] = set()
    for paper in papers:
        by_kind: dict[str, list[Claim]] = {}
        for claim in claims.get(paper.paper_id, ()):
            by_kind.setdefault(claim.kind, []).append(claim)
        seen.update(by_kind)
        rows.append(Row(paper, {kind: Cell(tuple(found)) for kind, found in by_kind.items()}))
    return Comparison(rows, [kind for kind in KINDS if kind in seen])
