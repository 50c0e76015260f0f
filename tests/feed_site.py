"""A news site the feed tests start on a real port: feeds, pages, robots.txt, faults.

Routes are plain data the test changes while the server runs (``site.routes[path] =
...``): a :class:`Page` (status, body, headers), :data:`HANG` (accept and never answer)
or a :class:`Flaky` page (503 for its first ``failures`` requests). Every request is
recorded with its time and User-Agent, so tests can assert what was (not) fetched.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Page:
    body: str | bytes
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Flaky:
    page: Page
    failures: int = 1


HANG = object()


@dataclass(frozen=True)
class Request:
    path: str
    at: float
    user_agent: str


def article(title: str, *paragraphs: str, date: str = "2020-01-01") -> Page:
    """A news page as sites serve them: chrome around one article, its own date."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return Page(
        "<html><head><meta charset='utf-8'><title>" + title + "</title>"
        f"<meta property='article:published_time' content='{date}T08:00:00Z'>"
        "</head><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{title}</h1>{body}</article>"
        "<footer>All rights reserved</footer></body></html>"
    )


def rss(*items: tuple[str, str, str]) -> Page:
    """An RSS 2.0 feed of (title, link, RFC 822 pubDate) items."""
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><pubDate>{d}</pubDate></item>"
        for t, link, d in items
    )
    return Page(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Test news</title>'
        f"<link>http://example.invalid/</link><description>d</description>{body}"
        "</channel></rss>",
        content_type="application/rss+xml",
    )


def redirect(to: str, status: int = 302) -> Page:
    return Page("", status=status, headers={"Location": to})


class Site:
    def __init__(self) -> None:
        self.routes: dict[str, Page | Flaky | object] = {}
        self.requests: list[Request] = []
        self._released = threading.Event()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append(
                    Request(self.path, time.monotonic(), self.headers.get("User-Agent", ""))
                )
                route = site.routes.get(self.path)
                if route is HANG:
                    site._released.wait(30)
                    return
                if isinstance(route, Flaky):
                    if route.failures > 0:
                        route.failures -= 1
                        route = Page("busy", status=503, content_type="text/plain")
                    else:
                        route = route.page
                if not isinstance(route, Page):
                    route = Page("not found", status=404, content_type="text/plain")
                body = route.body.encode() if isinstance(route.body, str) else route.body
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> Site:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self.server.shutdown()
        self.server.server_close()

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]
