"""A site's domain, the one form in which documents store it and filters name it.

Written here rather than taken from courlan (trafilatura's URL library, whose
``extract_domain`` gives the same lower-case, "www."-less host): courlan answers None for
a host that is an IP address or a single label (``127.0.0.1``, ``localhost``), and an
intranet's news pages are often served from such hosts.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def site_domain(value: str | None) -> str | None:
    """The domain of a URL or of a bare host name: lower case, without "www." or a port
    (``https://www.BBC.co.uk/news/1`` and ``bbc.co.uk`` both give ``bbc.co.uk``); None
    for None or text with no host."""
    if not value or not value.strip():
        return None
    text = value.strip()
    host = urlsplit(text if "//" in text else f"//{text}").hostname
    if not host:
        return None
    host = host.lower().rstrip(".")
    return host.removeprefix("www.") or None


def within_site(domain: str | None, site: str) -> bool:
    """Whether a document of ``domain`` belongs to ``site`` (a domain): the same domain or
    one of its subdomains (``news.bbc.co.uk`` is within ``bbc.co.uk``)."""
    return domain is not None and (domain == site or domain.endswith(f".{site}"))
