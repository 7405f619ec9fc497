"""Quantitative claims in abstracts: "2x faster", "-61% memory", "84.8% top-1"."""

from paperwire.claims.extract import DIRECTIONS, KINDS, UNITS, Claim, extract_claims

__all__ = ["DIRECTIONS", "KINDS", "UNITS", "Claim", "extract_claims"]
