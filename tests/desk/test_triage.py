"""`monitor triage` driven headless with Textual's pilot at 80x24 over a real database:
keys pressed, reviews stored as `monitor review` stores them, screen text asserted."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from bidi import get_display

from monitor.desk.triage import TriageApp, TriageQueue, wrap
from monitor.models import Item, MatchResult
from monitor.store import Store

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
ARABIC_TITLE = "تركيا تتسلم منظومة إس-400"


def add_match(store: Store, number: int, title: str, lang: str, story_id: int, feed_id: int,
              when: datetime, url: str | None = "https://news.example/{n}") -> int:
    item = Item(guid=f"g{number}", url=url.format(n=number) if url else "", title=title,
                text=f"Body of report {number}.", published=when, lang=lang, content_hash=f"h{number}")
    result = MatchResult("s400-f35", True, 6.5, 2.5, reasons=[
        "rule s400-named holds: names the S-400 with a party to the trade",
        'S-400 Triumf air-defence system: "S-400" in the title (+6.00)', "score 6.50 reaches the threshold 2.50 [en]"])
    with store.write():
        item_id = store.add_item(feed_id, item, when)
        store.save_match(item_id, result, when, story_id=story_id, relation="same event")
    return item_id


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "monitor.db") as opened:
        wire = opened.add_feed("https://wire.example/rss", "Wire")
        arab = opened.add_feed("https://arab.example/rss", "Arab Daily")
        with opened.write():
            old = opened.create_story("s400-f35", "Old story", NOW - timedelta(days=2), "{}", ["en"], ["Wire"])
            new = opened.create_story("s400-f35", "New story", NOW, "{}", ["en", "ar"], ["Wire", "Arab Daily"])
        add_match(opened, 1, "Older story report about Turkey and the S-400", "en", old, wire, NOW - timedelta(days=2))
        add_match(opened, 2, "Turkey takes delivery of second S-400 batch", "en", new, wire, NOW - timedelta(hours=1))
        add_match(opened, 3, ARABIC_TITLE, "ar", new, arab, NOW)
        yield opened


def screen(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def run(app: TriageApp, steps):
    async def drive():
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await steps(pilot)
    asyncio.run(drive())


def test_keys_store_verdicts_newest_story_first_and_the_screen_shows_why(store):
    opened: list[str] = []
    app = TriageApp(store, opener=lambda url: opened.append(url) or False)
    seen: dict[str, str] = {}

    async def steps(pilot):
        seen["first"] = screen(app)
        await pilot.press("r")
        seen["second"] = screen(app)
        await pilot.press("o")
        seen["opened"] = screen(app)
        await pilot.press("s")
        seen["skipped"] = screen(app)
        await pilot.press("i")
        seen["third"] = screen(app)
        await pilot.press("r")
        seen["done"] = screen(app)
        await pilot.press("q")

    run(app, steps)
    first = seen["first"]
    assert len(first.splitlines()) == 24 and all(len(line) <= 80 for line in first.splitlines())
    assert "1 of 3 to review" in first
    assert get_display(ARABIC_TITLE) in first  # the newest story's newest report, in display order
    assert "Arab Daily · ar" in first and "score 6.5 (threshold 2.5)" in first
    assert "rule s400-named holds" in first
    assert "other reports in this story (1)" in first and "[en] Wire: Turkey takes delivery" in first
    assert "relevant" in first and "irrelevant" in first and "filter" in first  # the footer's keys
    assert "#3 marked relevant" in seen["second"] and "Turkey takes delivery of second S-400 batch" in seen["second"]
    assert "✓ [ar] Arab Daily" in seen["second"]  # the verdict shows beside the story's other report
    assert opened == ["https://news.example/2"]
    assert "no browser here; the link: https://news.example/2" in seen["opened"]
    assert "#2 skipped" in seen["skipped"] and "Older story report" in seen["skipped"]
    assert "#1 marked irrelevant" in seen["third"] and "Turkey takes delivery" in seen["third"]
    assert "Nothing left to review." in seen["done"]
    reviews = {r["item_id"]: r["verdict"] for r in store.query("SELECT item_id, topic, verdict FROM reviews")}
    assert reviews == {3: "relevant", 1: "irrelevant", 2: "relevant"}
    assert store.reviewed_items()[0]["topic"] == "s400-f35"  # what `topic eval --reviewed` reads
    assert store.triage_queue() == []


def test_only_web_links_are_opened(store):
    with store.write():
        store.execute("UPDATE items SET url = 'javascript:alert(1)' WHERE id = 3")
    opened: list[str] = []
    app = TriageApp(store, opener=lambda url: opened.append(url) or True)
    seen = {}

    async def steps(pilot):
        await pilot.press("o")
        seen["bad"] = screen(app)
        await pilot.press("s", "o")
        seen["good"] = screen(app)

    run(app, steps)
    assert "this item has no web link" in seen["bad"]
    assert opened == ["https://news.example/2"] and "opened in the browser" in seen["good"]


def test_filter_and_full_explanation(store):
    app = TriageApp(store)
    seen: dict[str, str] = {}

    async def steps(pilot):
        await pilot.press("slash")
        await pilot.press(*"wire")
        await pilot.press("enter")
        seen["filtered"] = screen(app)
        await pilot.press("e")
        seen["explained"] = screen(app)
        await pilot.press("e", "slash", "enter")
        seen["cleared"] = screen(app)

    run(app, steps)
    assert "1 of 2 to review" in seen["filtered"] and "filter: wire" in seen["filtered"]
    assert "Turkey takes delivery" in seen["filtered"]
    assert 'S-400 Triumf air-defence system: "S-400" in the title' in seen["explained"]
    assert "Body of report 2." in seen["explained"]
    assert "1 of 3 to review" in seen["cleared"] and "filter cleared" in seen["cleared"]
    assert store.query("SELECT * FROM reviews") == []  # filtering and explaining decide nothing


def test_right_to_left_lines_are_wrapped_then_put_in_display_order():
    text = "أعلنت وزارة الدفاع التركية وصول الدفعة الثانية من منظومة إس-400 إلى قاعدة قرب أنقرة"
    lines = wrap(text, 30)
    assert len(lines) > 1
    # The first visual line holds the sentence's first words (reading right to left).
    assert get_display("أعلنت") in lines[0] and get_display("أنقرة") in lines[-1]
    assert wrap(text, 30, bidi=False)[0].startswith("أعلنت")
    assert wrap("Plain English stays as it is", 80, align=True) == ["Plain English stays as it is"]
    assert wrap("تركيا تتسلم", 20, align=True) == [get_display("تركيا تتسلم").rjust(20)]


def test_the_queue_keeps_unreviewed_items_and_filters_by_normalised_words():
    rows = [{"id": 1, "title": "إس-400 تصل", "feed": "A", "lang": "ar", "topic": "t", "story_title": ""},
            {"id": 2, "title": "Second", "feed": "B", "lang": "en", "topic": "t", "story_title": ""}]
    queue = TriageQueue(rows)
    queue.filter_text = "اس 400"
    assert [r["id"] for r in queue.visible()] == [1]
    queue.filter_text = ""
    queue.advance()
    assert queue.decide("relevant")["id"] == 2 and queue.current()["id"] == 1
