"""Stories served as feeds: one event from several outlets and languages gives one alert and
one update that names the new reports; two developments of one actor on one day give two."""
from __future__ import annotations

import time

from conftest import rss
from monitor.alert.sender import send_due_alerts
from monitor.alert.targets import build_targets
from monitor.config import load_config
from monitor.demo.loopback import FeedServer, Route, WebhookReceiver
from monitor.pipeline import build_runtime, poll_once
from monitor.store import Store

EVENT = {
    "wire": ("Turkey test-fires Russian S-400 missile system near Sinop",
             "Turkey's military tested the Russian-made S-400 air defence system on Friday near the Black Sea "
             "city of Sinop, local media reported, a move that drew criticism from the Pentagon, which warned "
             "of CAATSA sanctions."),
    "daily": ("Turkey tests S-400 air defence system in Sinop, defying US",
              "Turkey tested its Russian S-400 air defence system near Sinop on the Black Sea coast on Friday, "
              "footage showed, despite repeated US warnings that Ankara could face sanctions under CAATSA."),
    "arabic": ("تركيا تختبر منظومة إس-400 الروسية في سينوب",
               "أجرى الجيش التركي الجمعة اختبارا لمنظومة الدفاع الجوي الروسية إس-400 قرب مدينة سينوب المطلة "
               "على البحر الأسود، فيما حذرت واشنطن من عقوبات بموجب قانون كاتسا."),
    "russian": ("Турция испытала С-400 в районе Синопа",
                "Турецкие военные в пятницу провели испытания российского зенитного ракетного комплекса С-400 "
                "у города Синоп на побережье Черного моря. В Пентагоне предупредили о санкциях CAATSA."),
    "turkish": ("Türkiye, S-400'leri Sinop'ta test etti",
                "Türk Silahlı Kuvvetleri cuma günü Karadeniz kıyısındaki Sinop'ta Rusya'dan alınan S-400 hava "
                "savunma sistemini test etti. ABD, CAATSA yaptırımları konusunda uyardı."),
}
UPDATE_INTERVAL_S = 2


def test_one_event_across_outlets_and_languages_gives_one_alert_then_one_update(monitor_setup):
    published: dict[str, list] = {name: [] for name in EVENT}

    def route(name: str):
        return lambda: Route(rss([{"title": t, "summary": s, "guid": f"{name}-1"} for t, s in published[name]], name))

    with FeedServer({f"/{name}.xml": route(name) for name in EVENT}) as server, WebhookReceiver() as hook:
        setup = monitor_setup([server.url(f"/{name}.xml") for name in EVENT], [hook.apprise_url()])
        with setup.config_path.open("a") as config_file:  # [alerts] is the file's last table
            config_file.write(f'update_interval = "{UPDATE_INTERVAL_S}s"\n')
        config = load_config(setup.config_path, environ={})
        store = Store.open(config.database)
        store.sync_feeds(config.feeds)
        runtime = build_runtime(config)
        targets = build_targets(config.alerts)
        try:
            # First: a wire story, a rewrite and an Arabic report, all in one poll.
            for name in ("wire", "daily", "arabic"):
                published[name].append(EVENT[name])
            first = poll_once(store, runtime, everything=True)
            send_due_alerts(store, targets, config.alerts)
            assert (first.new_items, first.matched, first.alerts) == (3, 3, 1)
            assert len(hook.received) == 1 and not hook.received[0]["title"].startswith("Update: ")
            # Later: Russian and Turkish outlets carry it too; one update, not two alerts.
            time.sleep(UPDATE_INTERVAL_S + 0.5)
            for name in ("russian", "turkish"):
                published[name].append(EVENT[name])
            second = poll_once(store, runtime, everything=True)
            send_due_alerts(store, targets, config.alerts)
            # And a poll with nothing new says nothing.
            third = poll_once(store, runtime, everything=True)
            send_due_alerts(store, targets, config.alerts)
        finally:
            runtime.close()
    assert (second.new_items, second.matched, second.alerts) == (2, 2, 1)
    assert (third.new_items, third.alerts) == (0, 0)
    assert len(hook.received) == 2
    update = hook.received[1]
    assert "Update" in update["title"] and "now also in" in update["message"]
    # The update says what is new: each report since the first alert by headline and language.
    grew = next(line for line in update["message"].splitlines() if line.startswith("Story grew:"))
    assert "new reports" in grew
    first = hook.received[0]["title"]
    named = [name for name in ("wire", "daily", "arabic", "russian", "turkish") if EVENT[name][0] in grew]
    languages = {"wire": "English", "daily": "English", "arabic": "Arabic", "russian": "Russian",
                 "turkish": "Turkish"}
    # The three reports after the first alert, up to the one that triggered the update
    # (feeds are polled concurrently, so which report came first varies).
    alerted = next(name for name in ("wire", "daily", "arabic") if EVENT[name][0] in first)
    assert set(named) - {"russian", "turkish"} == {"wire", "daily", "arabic"} - {alerted}, grew
    assert len(named) == 3 and len({"russian", "turkish"} & set(named)) == 1, grew
    for name in named:
        assert f"{EVENT[name][0]}\u2069” ({languages[name]}, " in grew or \
            f"{EVENT[name][0]}” ({languages[name]}, " in grew, grew
    stories = store.list_stories()
    assert len(stories) == 1
    assert stories[0]["item_count"] == 5 and set(stories[0]["langs"]) == {"en", "ar", "ru", "tr"}
    store.close()


def _fresh_state(store: Store, story_id: int):
    """The story folded from its members alone, ignoring any stored state."""
    from monitor.story.book import _fold

    row = dict(store.query_one("SELECT * FROM stories WHERE id = ?", (story_id,)), state_seq=0)
    members = store.query("SELECT * FROM story_members WHERE story_id = ? ORDER BY seq", (story_id,))
    return _fold(row, members)


def test_a_story_is_stored_as_its_members_and_reads_back_as_it_was_in_memory(monitor_setup):
    from datetime import datetime, timezone

    from monitor.parse.prepare import prepare_feed
    from monitor.story.book import StoryBook, process_new_items

    names = list(EVENT)
    with FeedServer({f"/{n}.xml": Route(rss([{"title": EVENT[n][0], "summary": EVENT[n][1], "guid": n}], n))
                     for n in names}) as server:
        setup = monitor_setup([server.url(f"/{n}.xml") for n in names])
        config = load_config(setup.config_path, environ={})
        store = Store.open(config.database)
        store.sync_feeds(config.feeds)
        runtime = build_runtime(config)
        try:
            poll_once(store, runtime, everything=True)  # five reports of one event
        finally:
            runtime.close()
    [story] = store.list_stories()
    assert story["item_count"] == 5
    assert store.query_one("SELECT COUNT(*) AS n FROM story_members")["n"] == 5
    assert store.pending_stories() == []  # the poll's checkpoint folded every member
    stored = StoryBook(store, config.story_window).of("s400-f35", datetime.now(timezone.utc))[story["id"]].state
    assert stored == _fresh_state(store, story["id"])

    # A feed whose transaction fails leaves the book as it was before the feed.
    book = StoryBook(store, config.story_window)
    now = datetime.now(timezone.utc)
    before = book.of("s400-f35", now)[story["id"]]
    feed = store.list_feeds()[0]
    body = rss([{"title": EVENT["wire"][0] + " again", "summary": EVENT["wire"][1] + " More.", "guid": "x"}])
    entries = prepare_feed(body, {}, feed["url"], runtime.topics, now).entries
    try:
        with book.feed(), store.write():
            process_new_items(store, config, runtime.topics, feed, entries, now, first_poll=False, book=book)
            assert book.of("s400-f35", now)[story["id"]].state.item_count == 6
            raise RuntimeError("fault after the items")
    except RuntimeError:
        pass
    assert book.of("s400-f35", now)[story["id"]] is before
    assert store.query_one("SELECT COUNT(*) AS n FROM story_members")["n"] == 5

    # Committed but not checkpointed (a poll that stopped): the next start folds it in.
    with book.feed(), store.write():
        process_new_items(store, config, runtime.topics, feed, entries, now, first_poll=False, book=book)
    in_memory = book.of("s400-f35", now)[story["id"]].state
    assert [p["id"] for p in store.pending_stories()] == [story["id"]]
    assert store.list_stories()[0]["item_count"] == 5  # the summary waits for the checkpoint
    assert StoryBook(store, config.story_window).recover() == 1
    assert store.pending_stories() == [] and store.list_stories()[0]["item_count"] == 6
    reread = StoryBook(store, config.story_window).of("s400-f35", now)[story["id"]].state
    assert reread == in_memory == _fresh_state(store, story["id"])
    store.close()


DEVELOPMENTS = {
    "wire": ("Turkey test-fires Russian S-400 missile system near Sinop",
             "Turkey's military tested the Russian-made S-400 air defence system on Friday near the Black Sea "
             "city of Sinop, local media reported."),
    "daily": ("Russia and Turkey sign deal for a second S-400 regiment",
              "Rosoboronexport and Ankara signed a contract for a second regiment of S-400 air defence systems, "
              "the Russian arms exporter said."),
}


def test_two_developments_of_one_actor_on_one_day_give_two_new_alerts(monitor_setup):
    # Both Turkey's, both about its S-400s, served the same hour: a test and a new deal.
    routes = {f"/{name}.xml": Route(rss([{"title": t, "summary": s, "guid": f"{name}-1"}], name))
              for name, (t, s) in DEVELOPMENTS.items()}
    with FeedServer(routes) as server, WebhookReceiver() as hook:
        setup = monitor_setup([server.url(f"/{name}.xml") for name in DEVELOPMENTS], [hook.apprise_url()])
        config = load_config(setup.config_path, environ={})
        store = Store.open(config.database)
        store.sync_feeds(config.feeds)
        runtime = build_runtime(config)
        targets = build_targets(config.alerts)
        try:
            report = poll_once(store, runtime, everything=True)
            send_due_alerts(store, targets, config.alerts)
        finally:
            runtime.close()
    assert (report.new_items, report.matched, report.alerts) == (2, 2, 2)
    titles = sorted(message["title"] for message in hook.received)
    # Two new alerts, each titled as its feed titled the item (updates would say "Update: ").
    assert titles == sorted(title for title, _ in DEVELOPMENTS.values()), titles
    stories = sorted(store.list_stories(), key=lambda row: row["id"])
    assert [row["item_count"] for row in stories] == [1, 1]
    # The later development is linked to the earlier one.
    assert stories[1]["related_to"] == stories[0]["id"]
    store.close()


def test_two_polls_at_once_never_lose_or_fold_a_member_twice(monitor_setup):
    from datetime import datetime, timezone

    import pytest

    from monitor.parse.prepare import prepare_feed
    from monitor.story.book import StoryBook, StoryConflict, process_new_items

    names = list(EVENT)
    with FeedServer({f"/{n}.xml": Route(rss([{"title": EVENT[n][0], "summary": EVENT[n][1], "guid": n}], n))
                     for n in names}) as server:
        setup = monitor_setup([server.url(f"/{n}.xml") for n in names])
        config = load_config(setup.config_path, environ={})
        first, second = Store.open(config.database), Store.open(config.database)
        first.sync_feeds(config.feeds)
        runtime = build_runtime(config)
        try:
            poll_once(first, runtime, everything=True)
        finally:
            runtime.close()
    [story] = first.list_stories()
    now = datetime.now(timezone.utc)
    feeds = first.list_feeds()

    def entries(tag: str):
        body = rss([{"title": f"{EVENT['wire'][0]} ({tag})", "summary": f"{EVENT['wire'][1]} {tag}.", "guid": tag}])
        return prepare_feed(body, {}, feeds[0]["url"], runtime.topics, now).entries

    def add(store, book, feed, tag):
        with book.feed(), store.write():
            process_new_items(store, config, runtime.topics, feed, entries(tag), now, first_poll=False, book=book)

    book_a, book_b = StoryBook(first, config.story_window), StoryBook(second, config.story_window)
    assert book_a.of("s400-f35", now)[story["id"]].state.item_count == 5
    assert book_b.of("s400-f35", now)[story["id"]].state.item_count == 5
    add(first, book_a, feeds[0], "a1")  # member 6, by the first poll
    with pytest.raises(StoryConflict):
        add(second, book_b, feeds[1], "b1")  # the second poll's view is stale: its feed rolls back
    add(second, book_b, feeds[1], "b1")  # read again: member 7
    assert book_b.of("s400-f35", now)[story["id"]].state.item_count == 7
    book_b.checkpoint()
    book_a.checkpoint()  # older: must not overwrite the later state
    row = first.query_one("SELECT item_count, state_seq FROM stories WHERE id = ?", (story["id"],))
    assert (row["item_count"], row["state_seq"]) == (7, 7)
    reread = StoryBook(first, config.story_window).of("s400-f35", now)[story["id"]].state
    assert reread == _fresh_state(first, story["id"]) and reread.item_count == 7
    first.close()
    second.close()
