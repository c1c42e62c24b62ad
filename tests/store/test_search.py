"""The search index on a real SQLite file: kept in step by triggers, added by migration,
text found as typed in Arabic, Cyrillic, Turkish and Latin script."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from sqlite_utils import Database

from monitor.models import Item
from monitor.store import Store
from monitor.store.schema import migrations
from monitor.store.search import fts_query, search_text

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
TEXTS = {
    "ar": ("تركيا تتسلم الدفعة الثانية من منظومة إس-400", "أعلنت أنقرة وصول المنظومة الروسية للدفاع الجوي."),
    "ru": ("Турции поставят второй полк С-400", "Москва подтвердила поставки зенитных систем."),
    "tr": ("Türkiye'nin S-400'leri aktif edildi", "Ankara, Rus yapımı hava savunma sistemini çalıştırdı."),
    "en": ("Central bank holds rates", "The central bank kept its benchmark rate unchanged."),
    "fa": ("ترکیه سامانه اس ۴۰۰ را فعال کرد", "آنکارا سامانه پدافند روسی را روشن کرد."),
}


def add(store: Store, number: int, lang: str, fetched: datetime = NOW) -> int:
    title, text = TEXTS[lang]
    item = Item(guid=f"g{number}", url=f"https://news.example/{number}", title=title, text=text,
                published=fetched, lang=lang, content_hash=f"h{number}")
    with store.write():
        return store.add_item(1, item, fetched)


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "m.db") as opened:
        opened.add_feed("https://news.example/rss", "News")
        yield opened


def found(store: Store, query: str, **kw) -> set[int]:
    return {r["id"] for r in store.search_items(query, **kw)}


def test_words_are_found_however_they_are_typed(store):
    ids = {lang: add(store, n, lang) for n, lang in enumerate(TEXTS)}
    s400 = {ids["ar"], ids["ru"], ids["tr"], ids["fa"]}  # إس-400, С-400, S-400'leri, اس ۴۰۰
    assert found(store, "اس 400") == found(store, "S400") == found(store, "с-400") == s400
    assert found(store, "اس 400 أنقرة") == {ids["ar"]}  # أنقرة: hamza folded on both sides
    assert found(store, "С-400 Турция") == {ids["ru"]}  # Cyrillic С, another case of Турции
    assert found(store, "والمنظومة") == {ids["ar"]}  # the article and ta marbuta
    assert found(store, "منظومه") == {ids["ar"]}
    assert found(store, "TÜRKİYE") == {ids["tr"]}  # dotted capital İ, suffix 'nin
    assert found(store, "turkiye s-400") == {ids["tr"]}
    assert found(store, "bench*") == {ids["en"]}  # prefix
    assert found(store, "bank s400") == set()  # every word must occur
    with pytest.raises(ValueError, match="no word"):
        store.search_items(" - ")


def test_filters_and_result_rows(store):
    old = add(store, 1, "ar", NOW - timedelta(days=40))
    new = add(store, 2, "fa", NOW)
    with store.write():
        from monitor.models import MatchResult
        store.save_match(new, MatchResult("s400-f35", True, 5.0, 2.5), NOW, story_id=None)
    assert found(store, "s400") == {old, new}
    assert found(store, "s400", since=NOW - timedelta(days=1)) == {new}
    assert found(store, "s400", matched=True) == {new}
    assert found(store, "s400", topic="s400-f35") == {new}
    assert found(store, "s400", topic="other") == set()
    [row] = store.search_items("s400", matched=True)
    assert row["feed"] == "News" and row["topic"] == "s400-f35" and row["score"] == 5.0 and row["matched"] == 1
    assert row["title"] == TEXTS["fa"][0]  # the stored text, not the indexed form


def test_the_index_follows_inserts_updates_and_pruning(store):
    item_id = add(store, 1, "en", NOW - timedelta(days=200))
    assert found(store, "benchmark") == {item_id}
    with store.write():
        store.execute("UPDATE items SET text = 'Inflation eased in October.' WHERE id = ?", (item_id,))
    assert found(store, "benchmark") == set() and found(store, "inflation") == {item_id}
    assert store.prune_items(NOW) == 1
    assert found(store, "inflation") == set()
    assert store.query_one("SELECT COUNT(*) AS n FROM items_search")["n"] == 0


def test_an_existing_database_gets_the_index_by_migration(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(str(path), isolation_level=None)
    old = Database(conn)
    migrations.apply(old, stop_before="0004_item_search")  # the schema before search existed
    conn.execute("INSERT INTO feeds(url, added_at) VALUES ('https://news.example/rss', '2026-01-01T00:00:00Z')")
    conn.execute("INSERT INTO items(feed_id, guid, title, text, fetched_at, lang, content_hash) "
                 "VALUES (1, 'g', ?, ?, '2026-01-01T00:00:00Z', 'ar', 'h')", TEXTS["ar"])
    conn.close()
    with Store.open(path) as store:
        assert "0004_item_search" in {r["name"] for r in store.query("SELECT name FROM _sqlite_migrations")}
        assert found(store, "اس 400") == {1}


def test_a_word_in_the_headline_ranks_first(store):
    in_body = add(store, 1, "en")  # "benchmark" once, in a short text
    for number, lang in enumerate(("ar", "ru", "tr", "fa"), 2):
        add(store, number, lang)  # items without the word, as most are
    filler = " ".join(["The committee also discussed regional lending conditions and bond yields."] * 6)
    item = Item(guid="t", url="https://news.example/t", title="Benchmark rates unchanged", text=filler,
                published=NOW, lang="en", content_hash="t")
    with store.write():
        in_title = store.add_item(1, item, NOW)
    assert [r["id"] for r in store.search_items("benchmark")] == [in_title, in_body]


def test_query_building():
    assert fts_query("S-400") == '"s400"'
    assert fts_query("Турция") == '("турция" OR "турц")'
    assert fts_query("sanction*") == '"sanction"*'
    assert "s400" in search_text("إس-400").split()
    assert search_text("Турции") == "турции турц"


def test_storing_only_notes_the_item_and_indexing_catches_up_in_batches(store, tmp_path):
    first, second = add(store, 1, "ar"), add(store, 2, "ru")
    assert store.search_backlog() == 2
    assert store.query("SELECT item_id FROM items_search") == []  # nothing normalised on the poll's path
    assert store.update_search_index(batch=1, limit=1) == 1 and store.search_backlog() == 1
    assert store.update_search_index(batch=1) == 1 and store.search_backlog() == 0
    assert {r["item_id"] for r in store.query("SELECT item_id FROM items_search")} == {first, second}
    # Any connection may store items: the triggers are plain SQL.
    raw = sqlite3.connect(str(tmp_path / "m.db"), isolation_level=None)
    raw.execute("INSERT INTO items(feed_id, guid, title, text, fetched_at, lang, content_hash) "
                "VALUES (1, 'raw', 'Patriot batteries for Poland', '', '2026-01-01T00:00:00Z', 'en', 'raw')")
    raw.close()
    assert store.search_backlog() == 1
    assert len(store.search_items("patriot")) == 1 and store.search_backlog() == 0  # search catches up


def test_a_headline_hit_ranks_first_when_the_word_is_in_most_items(store):
    # In a topic's database the topic's own name is in most items; bm25 then gives it no
    # weight at all, so the headline weight alone cannot order the results.
    def put(number: int, title: str, text: str, fetched: datetime) -> int:
        item = Item(guid=f"m{number}", url=f"https://news.example/m{number}", title=title, text=text,
                    published=fetched, lang="en", content_hash=f"m{number}")
        with store.write():
            return store.add_item(1, item, fetched)

    in_title = put(1, "F-35 deliveries to Poland begin", "The first jets landed on Tuesday.", NOW - timedelta(days=3))
    in_body = [put(n, f"Defence ministers meet ({n})", "Talks covered the F-35 programme and air defence.",
                   NOW - timedelta(days=1, minutes=n)) for n in range(2, 6)]
    put(9, "Central bank holds rates", "The central bank kept its rate unchanged.", NOW)
    rows = store.search_items("F-35")
    assert rows[0]["id"] == in_title and rows[0]["headline"] == 1
    assert {r["id"] for r in rows[1:]} == set(in_body) and not any(r["headline"] for r in rows[1:])
    assert [r["id"] for r in store.search_items("F-35", limit=1)] == [in_title]  # ordered before the limit
    assert [r["id"] for r in store.search_items("f35 poland")] == [in_title]
