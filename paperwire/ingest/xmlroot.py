"""The XML answers of remote sources (arXiv's Atom API, OAI-PMH): parsed, and their root element checked."""

from __future__ import annotations

from lxml import etree

from paperwire.ingest.inputs import InputError


def xml_root(
    body: bytes, parser: etree.XMLParser, tag: str, where: str, what: str, error: type[InputError]
) -> etree._Element:
    """The root of ``body``, which must be ``tag``; otherwise ``error`` says that ``where`` is not ``what``."""
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise error(f"{where}: not {what}: {exc}") from None
    if root.tag != tag:
        raise error(f"{where}: not {what} (root element {root.tag!r})")
    return root
