"""Driving the widget from a test: it lives in an open shadow root on one host element."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"

XSS_SOURCE = "zz_harbour_museum.txt"
XSS_COPY = "zz_harbour_museum_reprint.txt"  # a re-published copy of it: one story
# Two outlets' reports of one fire with conflicting figures: the answer is disputed.
FIRE_QUESTION = "How many people were killed in the fire at the Tarvik ferry terminal?"
FIRE_REPORTS = {
    "zz_fire_coast_daily.txt": "Tarvik ferry terminal fire\n\nAt least 12 people were killed "
    "when a fire swept through the Tarvik ferry terminal on Sunday night. Firefighters "
    "fought the blaze for six hours.\n",
    "zz_fire_north_post.txt": "Fire at the ferry terminal\n\nNine people died in the fire at "
    "the Tarvik ferry terminal, the regional police said. Investigators are looking at an "
    "electrical fault.\n",
}
# The other kinds of conflict, one question each: a union's claim and the company's
# denial, and a mayor's arrest that another outlet reports two days later as a release
# (dated by their header lines: a superseded report needs its documents' days).
DENIAL_QUESTION = "Did the port company cut the night shift pay of its crane operators?"
SUPERSEDED_QUESTION = "Was Ana Kos, the mayor of Velmora, arrested?"
DISPUTE_REPORTS = {
    "zz_dock_strike.txt": "date 2025-03-12 Dock strike\n\nThe dockers' union said the port "
    "company had cut the night shift pay of its crane operators by a fifth. The company "
    "denied that it had cut the night shift pay of its crane operators. Talks between the "
    "two sides resume on Friday.\n",
    "zz_velmora_post.txt": "date 2025-04-01 Mayor arrested\n\nPolice arrested Ana Kos, the "
    "mayor of Velmora, on Tuesday over missing council funds. The council's auditors found "
    "that 2 million euros had left its accounts. Her deputy will run the town hall in the "
    "meantime.\n",
    "zz_north_courier.txt": "date 2025-04-03 Kos released\n\nAna Kos, the mayor of Velmora, "
    "was released without charge on Thursday, police said. Prosecutors said the "
    "investigation into the council's accounts continues. She thanked her supporters "
    "outside the police station.\n",
}
XSS_MARKUP = '<img src=x onerror="window.__xss=1">'
XSS_DOCUMENT = f"""Harbour museum label misprinted

The harbour museum curator Marta Lindqvist said the new exhibit label reads {XSS_MARKUP} \
because of a printing error.
Lindqvist said the misprinted exhibit label will be replaced before the museum reopens.
The harbour museum will reopen on Friday after the repairs, Lindqvist said.
"""

# The news site's article (conftest ``news_site``): a page as sites print it, with the
# article below a tall header, so that opening it at the cited sentence means scrolling.
NEWS_PATH = "/news/kestrel-bridge"
NEWS_QUESTION = "Why will the Kestrel Bridge close?"
NEWS_PAGE = (
    "<html><head><meta charset='utf-8'><title>Kestrel Bridge closes for repairs</title>"
    "<meta property='article:published_time' content='2026-11-30T08:00:00Z'></head><body>"
    "<nav><a href='/'>Home</a> <a href='/city'>City</a></nav>"
    "<div style='height:1600px;background:#dde'></div>"
    "<article><h1>Kestrel Bridge closes for repairs</h1>"
    "<p>The Kestrel Bridge in Tarvik will close on Monday for three weeks of repairs, the "
    "city engineer Henrik Soll said.</p>"
    "<p>Soll said the steel joints of the bridge had worn faster than expected after "
    "the harsh winter.</p>"
    "<p>Ferries will carry commuters across the harbour while the bridge is closed.</p>"
    "</article><div style='height:1600px'></div>"
    "<footer>All rights reserved</footer></body></html>"
)

HOST = "[data-newsqa-widget]"

# Evaluated in the page: the widget's shadow root (or null).
ROOT_JS = "document.querySelector('[data-newsqa-widget]')?.shadowRoot"


def marker_text(answer: str, citation_ids: set[int]) -> str:
    """What the user sees of an answer: each known [n] becomes the marker's label n."""
    return re.sub(
        r"\[(\d+)\]",
        lambda m: m.group(1) if int(m.group(1)) in citation_ids else m.group(0),
        answer,
    )


def intranet_page(api_url: str, key: str) -> str:
    """A page on another origin that embeds the widget as a customer would."""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Team wiki</title>"
        "</head><body><h1>Team wiki</h1><p>Questions? Ask the news desk.</p>"
        f'<script src="{api_url}/widget.js" data-api-url="{api_url}" data-api-key="{key}"'
        ' data-title="Ask the news desk" defer></script></body></html>'
    )


class Widget:
    """The widget on one page, with the few actions and readings the tests need."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.host = page.locator(HOST)

    def q(self, selector: str) -> Any:
        return self.host.locator(selector)

    def open(self) -> None:
        self.q(".launcher").click()
        panel = self.q(".panel")
        panel.wait_for(state="visible")
        panel.evaluate("e => Promise.all(e.getAnimations().map(a => a.finished))")

    def active_class(self) -> str | None:
        """Class of the element focused inside the shadow root (None: focus is elsewhere)."""
        return self.page.evaluate(
            "() => { const r = " + ROOT_JS + "; const a = r && r.activeElement;"
            " return a ? a.className || a.tagName.toLowerCase() : null; }"
        )

    def bot_count(self) -> int:
        return self.q(".msg.bot").count()

    def ask(self, question: str, expect: str = "answer") -> Any:
        """Type and send a question; wait until its reply settles; return the reply."""
        before = self.bot_count()
        box = self.q("textarea")
        box.fill(question)
        box.press("Enter")
        return self.wait_reply(before, expect)

    def wait_reply(self, before: int, expect: str = "answer") -> Any:
        self.page.wait_for_function(
            "(n) => { const r = " + ROOT_JS + "; const m = r.querySelectorAll('.msg.bot');"
            " return m.length > n && /\\b(answer|error)\\b/.test(m[m.length - 1].className); }",
            arg=before,
            timeout=60_000,
        )
        # nth, not .last: a locator is re-resolved on use and .last moves on with the chat
        reply = self.q(".msg.bot").nth(self.bot_count() - 1)
        cls = reply.get_attribute("class") or ""
        if expect not in cls.split():
            raise AssertionError(
                f"expected a reply of kind {expect!r}, got {cls!r}: {reply.inner_text()!r}"
            )
        return reply

    def wait_titles(self, reply: Any, titled: set[str]) -> None:
        """Wait until every source of ``reply`` that has a title (``titled``, from GET
        /sources) shows it: the widget loads titles after the answer, so a reading taken
        before they arrive sees shorter source lists and cards."""
        self.page.wait_for_function(
            "([el, titled]) => [...el.querySelectorAll('.src')].every((li) =>"
            " !titled.includes(li.dataset.source) || !li.querySelector('.src-name').hidden)",
            arg=[reply.element_handle(), sorted(titled)],
            timeout=30_000,
        )

    def answer_text(self, reply: Any) -> str:
        """The visible answer text of a reply (markers included as their labels)."""
        return reply.locator(".text").evaluate("e => e.textContent")

    def card(self) -> dict[str, str | None]:
        return self.page.evaluate(
            "() => { const c = " + ROOT_JS + ".querySelector('.card');"
            " const t = (s) => { const e = c.querySelector(s); return e ? e.textContent : null; };"
            " return {hidden: String(c.hidden || getComputedStyle(c).display === 'none'),"
            " file: t('.card-file'), title: t('.card-title'), meta: t('.card-meta'),"
            " text: t('.card-text')}; }"
        )


def save_artifact(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    print(f"screenshot: {path.relative_to(ROOT)}")
    return path
