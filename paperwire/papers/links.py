"""Find code repositories and project pages mentioned in abstracts and comments."""

from __future__ import annotations

import re

# Starts at the host (scheme and www. are implied): a leading optional group would make the regex
# engine try every position of a long abstract.
CODE = re.compile(
    r"(github\.com|gitlab\.com|huggingface\.co)/"
    r"((?:datasets/|spaces/)?[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)",
    re.IGNORECASE,
)
PROJECT = re.compile(r"(?:https?://)?([A-Za-z0-9-]+\.github\.io(?:/[A-Za-z0-9_.~/-]*)?)", re.IGNORECASE)
HOSTS = ("github.com", "gitlab.com", "huggingface.co")
NOT_REPOS = {"github.com": {"features", "about", "orgs", "sponsors", "topics", "marketplace"}}


def _clean(path: str) -> str:
    path = path.rstrip(".,;:)]}'\"")
    return path.removesuffix(".git")


def code_links(*texts: str | None) -> list[str]:
    """Canonical https URLs of repositories (GitHub, GitLab, Hugging Face), first mention first."""
    found: list[str] = []
    for text in texts:
        # The cheap substring test skips the regex for the nine in ten abstracts that link nothing.
        if not text:
            continue
        low = text.lower()
        if not any(host in low for host in HOSTS):
            continue
        for host, path in CODE.findall(text.replace("\\_", "_")):
            host = host.lower()
            path = _clean(path)
            if path.split("/")[0].lower() in NOT_REPOS.get(host, set()) or path.count("/") < 1:
                continue
            url = f"https://{host}/{path}"
            if url.lower() not in (f.lower() for f in found):
                found.append(url)
    return found


def project_page(*texts: str | None) -> str | None:
    for text in texts:
        if text and ".github.io" in text.lower():
            match = PROJECT.search(text)
            if match:
                return "https://" + _clean(match.group(1)).rstrip("/")
    return None


# Anything a browser would strip or skip inside a URL (ASCII controls, whitespace) makes it unsafe to link.
HTTP_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f/?#\\][^\s\x00-\x1f\x7f\\]*", re.IGNORECASE)


def http_url(value: object) -> str | None:
    """``value`` when it is a plain http(s) URL with a host, else None: only such URLs become links.

    Browsers drop tabs and newlines inside a scheme and ignore leading spaces, so ``java<TAB>script:`` or
    `` JaVaScRiPt:`` run script when used as an href; a strict whole-string match refuses them all.
    """
    if isinstance(value, str) and len(value) <= 2048 and HTTP_URL.fullmatch(value):
        return value
    return None
