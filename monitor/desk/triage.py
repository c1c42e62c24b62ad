"""`monitor triage`: keyboard review of unreviewed matches, in a terminal (Textual).

One match at a time, newest story first: headline, outlet, language, score and the
matcher's reasons, and the story's other reports. Keys (also in the footer):

    r relevant   i irrelevant   s skip   o open the link   e full explanation
    / filter     q quit

A verdict is stored at once, as the same review `monitor review ID relevant|irrelevant`
writes, so quitting loses nothing. Fits 80x24 (an SSH session): long lines are wrapped
and cut to the screen. Terminals draw characters in the order they are stored, which
puts Arabic, Persian or Hebrew letters backwards; right-to-left lines are therefore
wrapped first and then put in display order with python-bidi (the Unicode
bidirectional algorithm), so they read right. `--no-bidi` leaves that to a terminal
that does it itself.
"""
from __future__ import annotations

import textwrap
import webbrowser
from dataclasses import dataclass, field
from typing import Callable

from bidi import get_base_level, get_display
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Input, Static

from monitor.alert.format import safe_link
from monitor.store import Store, utcnow
from monitor.topic.textnorm import normalize

RTL_RANGES = (("\u0590", "\u08ff"), ("\ufb1d", "\ufdff"), ("\ufe70", "\ufefc"))
OTHER_REPORTS = 6


def has_rtl(text: str) -> bool:
    return any(lo <= ch <= hi for ch in text for lo, hi in RTL_RANGES)


def wrap(text: str, width: int, max_lines: int | None = None, bidi: bool = True,
         align: bool = False) -> list[str]:
    """`text` wrapped to `width` columns, each line in display order when `bidi`, and
    with `align`, a right-to-left paragraph's lines set flush right as it is read.

    Wrapping comes first: reordering a whole paragraph and then wrapping it would put
    the end of a right-to-left sentence on its first line.
    """
    lines = textwrap.wrap(" ".join(text.split()), max(width, 10)) or [""]
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(width - 1, 1)].rstrip() + "…"
    if bidi and has_rtl(text):
        lines = [get_display(line) for line in lines]
        if align and get_base_level(text) == 1:
            lines = [line.rjust(width) for line in lines]
    return lines


@dataclass
class TriageQueue:
    """The matches to review and where the analyst is. Pure: the app does the I/O."""

    rows: list[dict]
    position: int = 0
    filter_text: str = ""
    reviewed: dict[int, str] = field(default_factory=dict)  # item id -> verdict, this session
    skipped: set[int] = field(default_factory=set)

    def visible(self) -> list[dict]:
        rows = [r for r in self.rows if r["id"] not in self.reviewed]
        if self.filter_text:
            wanted = normalize(self.filter_text).split()
            rows = [r for r in rows if all(w in normalize(" ".join(
                str(r.get(k) or "") for k in ("title", "feed", "lang", "topic", "story_title"))) for w in wanted)]
        return rows

    def current(self) -> dict | None:
        rows = self.visible()
        if not rows:
            return None
        self.position = min(self.position, len(rows) - 1)
        return rows[self.position]

    def advance(self) -> None:
        rows = self.visible()
        self.position = (self.position + 1) % len(rows) if rows else 0

    def decide(self, verdict: str) -> dict | None:
        row = self.current()
        if row is not None:
            self.reviewed[row["id"]] = verdict  # it leaves the list; position now shows the next
        return row


class TriageApp(App):
    """The triage screen. `store` is open for the app's lifetime; `opener(url) -> bool`
    opens a link (webbrowser.open by default)."""

    TITLE = "feed-monitor triage"
    ENABLE_COMMAND_PALETTE = False  # the footer has room for every key at 80 columns
    CSS = """
    #head { height: 1; background: $primary; color: $text; padding: 0 1; }
    #body { padding: 0 1; }
    #status { height: 1; padding: 0 1; color: $warning; }
    #filter { dock: bottom; display: none; }
    #filter.shown { display: block; }
    """
    BINDINGS = [
        Binding("r", "verdict('relevant')", "relevant"),
        Binding("i", "verdict('irrelevant')", "irrelevant"),
        Binding("s", "skip", "skip"),
        Binding("o", "open_link", "open"),
        Binding("e", "explain", "explain"),
        Binding("slash", "filter", "filter", key_display="/"),
        Binding("q", "quit", "quit"),
    ]

    def __init__(self, store: Store, *, topic: str | None = None, bidi: bool = True,
                 opener: Callable[[str], bool] = webbrowser.open):
        super().__init__()
        self.store, self.bidi, self.opener = store, bidi, opener
        self.queue = TriageQueue(store.triage_queue(topic))
        self.explaining = False
        self._reports_cache: dict[int, list[dict]] = {}

    def compose(self) -> ComposeResult:
        yield Static(id="head")
        with VerticalScroll():
            yield Static(id="body")
        yield Static(id="status")
        yield Input(placeholder="filter: words in headline, outlet, language or topic (Enter; empty clears)",
                    id="filter")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_view()

    def on_resize(self) -> None:
        self.refresh_view()

    # --- drawing ----------------------------------------------------------------------

    def refresh_view(self) -> None:
        row = self.queue.current()
        total = len(self.queue.visible())
        done = len(self.queue.reviewed)
        head = f"{self.queue.position + 1 if row else 0} of {total} to review · {done} reviewed"
        if self.queue.filter_text:
            head += f" · filter: {self.queue.filter_text}"
        self.query_one("#head", Static).update(head)
        self.query_one("#body", Static).update(self.body_text(row))

    def body_text(self, row: dict | None) -> str:
        from rich.markup import escape

        width = max(self.size.width - 4, 20)
        if row is None:
            return ("Nothing left to review." if not self.queue.filter_text
                    else "Nothing matches the filter (/ then Enter on an empty line clears it).")
        lines: list[str] = []
        if row["story"] is not None:
            langs = ", ".join(row["story_langs"])
            lines.append(f"[dim]story s{row['story']} · {row['story_items']} report{'' if row['story_items'] == 1 else 's'}"
                         + (f" · {escape(langs)}" if langs else "") + "[/]")
        lines += [f"[b]{escape(line)}[/b]" for line in wrap(row["title"] or "(untitled)", width, 3, self.bidi, align=True)]
        when = row["published"] or row["fetched_at"] or "?"
        lines.append(escape(f"{row['feed']} · {row['lang']} · {when} · #{row['id']}"))
        lines.append(escape(f"score {row['score']:.1f} (threshold {row['threshold']:.1f}) · topic {row['topic']}"))
        reasons = row["reasons"] if self.explaining else [
            r for r in row["reasons"] if r.startswith(("rule ", "no rule"))][:2]
        for reason in reasons:
            for number, line in enumerate(wrap(reason, width - 2, None if self.explaining else 2, self.bidi)):
                lines.append(escape(("· " if number == 0 else "  ") + line))
        if row["url"]:
            lines.append(escape(f"link: {row['url']}"))
        if self.explaining:
            lines.append("")
            lines += [escape(line) for line in wrap(row["text"] or "", width, None, self.bidi, align=True)]
        others = [r for r in self._reports(row["story"]) if r["id"] != row["id"]]
        if others:
            lines.append("")
            lines.append(f"[dim]other reports in this story ({len(others)}):[/]")
            for other in others[:OTHER_REPORTS]:
                mark = {"relevant": "✓ ", "irrelevant": "✗ "}.get(other["review"] or "", "")
                prefix = f"  {mark}[{other['lang']}] {other['feed']}: "
                title = wrap(other["title"] or "", max(width - len(prefix), 10), 1, self.bidi)[0]
                lines.append(escape(prefix + title))
            if len(others) > OTHER_REPORTS:
                lines.append(f"  … and {len(others) - OTHER_REPORTS} more (monitor show s{row['story']})")
        return "\n".join(lines)

    def _reports(self, story_id: int | None) -> list[dict]:
        if story_id is None:
            return []
        if story_id not in self._reports_cache:
            self._reports_cache[story_id] = self.store.story_reports(story_id)
        return self._reports_cache[story_id]

    def say(self, text: str) -> None:
        self.query_one("#status", Static).update(text)

    # --- actions ----------------------------------------------------------------------

    def action_verdict(self, verdict: str) -> None:
        row = self.queue.current()
        if row is None:
            return
        self.store.save_review(row["id"], row["topic"], verdict, utcnow())
        self.queue.decide(verdict)
        for report in self._reports_cache.get(row["story"], []):
            if report["id"] == row["id"]:
                report["review"] = verdict
        self.explaining = False
        self.say(f"#{row['id']} marked {verdict}")
        self.refresh_view()

    def action_skip(self) -> None:
        row = self.queue.current()
        if row is not None:
            self.queue.advance()
            self.explaining = False
            self.say(f"#{row['id']} skipped (still unreviewed)")
            self.refresh_view()

    def action_open_link(self) -> None:
        row = self.queue.current()
        link = safe_link(row["url"]) if row else None
        if link is None:  # none, or not http(s): feeds are untrusted (javascript:, file:)
            self.say("this item has no web link")
            return
        try:
            opened = self.opener(link)
        except Exception:  # no browser at all (a server over SSH)
            opened = False
        self.say("opened in the browser" if opened else f"no browser here; the link: {link}")

    def action_explain(self) -> None:
        self.explaining = not self.explaining
        self.refresh_view()

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.add_class("shown")
        box.value = ""  # a new filter replaces the old; Enter on an empty line clears it
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.queue.filter_text = event.value.strip()
        self.queue.position = 0
        event.input.remove_class("shown")
        self.set_focus(None)
        self.say(f"filter: {self.queue.filter_text}" if self.queue.filter_text else "filter cleared")
        self.refresh_view()
