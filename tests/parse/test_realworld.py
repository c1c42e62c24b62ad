"""Every case of ../shared/fixtures/realworld/ (see its README): the exact bytes and
headers served from a loopback HTTP server, polled and delivered the way the daemon does
it, with the expected values checked on the stored items and the received alerts.

The alert-format cases (br22, br23) are in tests/alert/test_realworld_alerts.py.
"""
from __future__ import annotations

import pytest

from monitor.demo.loopback import Route
from realworld_helpers import REALWORLD, Monitor, fixture, plain, sequence

pytestmark = pytest.mark.skipif(not REALWORLD.is_dir(), reason=f"{REALWORLD} is absent")

RSS = "application/rss+xml; charset=utf-8"
ATOM = "application/atom+xml"


def one_feed(tmp_path, body_or_route, path="/feed.xml", **kwargs) -> Monitor:
    route = body_or_route if not isinstance(body_or_route, bytes) else Route(body_or_route, RSS)
    return Monitor(tmp_path, {path: route}, [path], **kwargs)


def published(monitor: Monitor) -> dict[str, str | None]:
    return {guid: row["published"] for guid, row in monitor.by_guid().items()}


def alert_titles(monitor: Monitor) -> list[str]:
    return [plain(a.get("title")) for a in monitor.alerts()]


def test_br01_non_rfc822_dates_are_read_or_left_unknown_never_invented(tmp_path):
    with one_feed(tmp_path, fixture("br01-nonstandard-dates.xml")) as monitor:
        report = monitor.poll()
        assert published(monitor) == {
            "br01-item-1": "2019-07-12T10:00:00Z",
            "br01-item-2": "2019-07-17T15:30:00Z",
            "br01-item-3": "2019-07-15T09:01:00Z",
        }
        # All three kept and matched.
        assert (report.new_items, report.matched) == (3, 3)
        stories = monitor.store.query("SELECT m.story_id, s.alerted_at FROM matches m "
                                      "JOIN stories s ON s.id = m.story_id WHERE m.matched = 1")
        assert len(stories) == 3 and all(row["alerted_at"] for row in stories)
        # Three developments (activation, removal, sanctions push): three stories, three alerts.
        assert len({row["story_id"] for row in stories}) == 3
        assert len(monitor.alerts()) == report.alerts == 3


def test_br02_two_digit_years_are_2019(tmp_path):
    with one_feed(tmp_path, fixture("br02-two-digit-year.xml")) as monitor:
        monitor.poll()
        assert sorted(published(monitor).values()) == ["2019-07-12T10:00:00Z", "2019-07-17T18:30:00Z"]


def test_br03_named_zones_shift_the_clock_right(tmp_path):
    with one_feed(tmp_path, fixture("br03-tz-abbreviations.xml")) as monitor:
        monitor.poll()
        dates = published(monitor)
    assert len(dates) == 4
    values = [dates[g] for g in sorted(dates)]
    assert values[0] in ("2019-07-12T10:00:00Z", None)  # MEST: right, or unknown
    assert values[1:] == ["2019-07-12T11:30:00Z", "2019-07-12T12:15:00Z", "2019-07-12T13:00:00Z"]


BR04_TITLES = ["تركيا تفعّل أول بطارية إس-400 قرب أنقرة", "واشنطن تستبعد أنقرة رسمياً من برنامج مقاتلات إف-35"]


@pytest.mark.parametrize("content_type", ["application/rss+xml", "application/rss+xml; charset=utf-8"],
                         ids=["A-no-charset", "B-wrong-charset"])
def test_br04_windows_1256_arabic_feed(tmp_path, content_type):
    route = Route(fixture("br04-windows-1256.xml"), content_type)
    with one_feed(tmp_path, route) as monitor:
        report = monitor.poll()
        items = monitor.items()
    assert [plain(i["title"]) for i in items] == BR04_TITLES
    for item in items:
        for text in (item["title"], item["text"]):
            assert "\ufffd" not in text
            assert not any("a" <= ch.lower() <= "z" for ch in text), text
        assert item["lang"] == "ar"
    assert report.alerts == 2 and len(monitor.alerts()) == 2


def test_br05_one_stray_byte_costs_one_character_not_the_feed(tmp_path):
    route = Route(fixture("br05-utf8-stray-byte.xml"), RSS)
    with one_feed(tmp_path, route) as monitor:
        report = monitor.poll()
        items = monitor.items()
    assert report.matched == 3  # language is detected on matched items
    assert [plain(i["title"]) for i in items] == [
        "Türkiye ilk S-400 bataryasını Ankara yakınında aktif hale getirdi",
        "ABD, Türkiye'yi F-35 programından çıkardı",
        "S-400 teslimatı ikinci aşamaya geçti",
    ]
    texts = [plain(i["text"]) for i in items]
    assert "Mürted Hava Üssü'nde çalıştırıldı" in texts[0]
    assert "imkânsız kıldığını" in texts[1]
    assert any(f"2019 {x}2020 dönemini kapsıyor".replace("  ", " ") in texts[2] for x in ("\ufffd ", "", "– "))
    for item in items:
        for field in ("title", "text"):
            assert not any(bad in item[field] for bad in ("Ã", "Ä±", "Å", "Ã¼")), item[field]
        assert item["lang"] == "tr"


@pytest.mark.parametrize("content_type", ["text/xml", "application/xml", None], ids=["A", "B", "C-none"])
def test_br06_utf8_body_without_a_charset_header(tmp_path, content_type):
    route = Route(fixture("br06-no-charset-header.xml"), content_type)
    with one_feed(tmp_path, route) as monitor:
        report = monitor.poll()
        items = monitor.items()
        assert monitor.feed_row()["last_error"] is None
    assert [plain(i["title"]) for i in items] == [
        "Erdoğan: S-400’ler “tamamen bizim kontrolümüzde”",
        "Ankara’s S-400 choice costs it the F-35 — analysts",
    ]
    assert not any("â€" in i["title"] + i["text"] for i in items)
    assert report.alerts == 2 and len(monitor.alerts()) == 2


def test_br07_escaped_cdata_keeps_the_summary(tmp_path):
    with one_feed(tmp_path, fixture("br07-escaped-cdata.xml")) as monitor:
        report = monitor.poll()
        texts = [plain(i["text"]) for i in monitor.items()]
    assert texts == [
        "Turkey switched on the first S-400 battery at an air base near Ankara on Friday.",
        "Washington has formally removed Turkey from the F-35 programme.",
    ]
    assert report.matched == 2 and report.alerts == 2


def test_br08_text_around_cdata_sections_is_kept(tmp_path):
    with one_feed(tmp_path, fixture("br08-mixed-cdata.xml")) as monitor:
        monitor.poll()
        items = monitor.items()
    assert [plain(i["title"]) for i in items] == [
        "S-400 delivery: second shipment lands at Mürted air base",
        "F-35: Turkey out of the programme after S-400 buy",
    ]
    assert [plain(i["text"]) for i in items] == [
        "Ankara, 13 July: More S-400 components arrived according to the ministry.",
        "Washington confirmed the decision on Wednesday.",
    ]


def test_br09_double_escaped_titles_read_as_published(tmp_path):
    with one_feed(tmp_path, fixture("br09-double-escaped-title.xml")) as monitor:
        monitor.poll()
        items = monitor.items()
        alerts = monitor.alerts()
    titles = [plain(i["title"]) for i in items]
    assert titles == [
        "Erdoğan's S-400 gamble: \"no going back\"",
        "S-400 & F-35: Ankara's dilemma",
        "S-400 & F-35: what Ankara loses",
    ]
    assert plain(items[0]["text"]) == "Thread about Turkey's decision to take delivery of the S-400."
    alert_text = [plain(a.get("title")) + " " + plain(a.get("message")) for a in alerts]
    for text in [*titles, *(plain(i["text"]) for i in items), *alert_text]:
        assert not any(entity in text for entity in ("&#x27;", "&#39;", "&quot;", "&amp;")), text
    for alert in alerts:
        assert plain(alert["title"]) in titles


def test_br10_xml_base_resolves_entry_links(tmp_path):
    with one_feed(tmp_path, Route(fixture("br10-xml-base.xml"), ATOM)) as monitor:
        monitor.poll()
        items = monitor.items()
    assert [i["link"] for i in items] == [
        "https://example.org/news/2019/07/12/turkey-activates-s400",
        "https://example.org/world/f35-exclusion",
        "https://example.com/archive/caatsa/ssb-sanctions",
    ]
    assert [i["published"] for i in items] == [
        "2019-07-12T10:00:00Z", "2019-07-17T20:00:00Z", "2019-07-15T09:00:00Z"]


def test_br11_one_guid_on_every_item_is_not_one_item(tmp_path):
    with one_feed(tmp_path, fixture("br11-duplicate-guid.xml")) as monitor:
        first = monitor.poll()
        assert (first.new_items, first.alerts, len(monitor.alerts())) == (3, 3, 3)
        monitor.store.execute("UPDATE feeds SET etag = NULL, last_modified = NULL, body_hash = NULL")
        second = monitor.poll()
        assert (second.new_items, second.alerts, len(monitor.alerts())) == (0, 0, 3)
        assert len(monitor.items()) == 3


def test_br14_scheme_and_trailing_slash_flips_are_the_same_items(tmp_path):
    route = sequence(Route(fixture("br14-scheme-flip.poll1.xml"), RSS), Route(fixture("br14-scheme-flip.poll2.xml"), RSS))
    with one_feed(tmp_path, route) as monitor:
        first = monitor.poll()
        second = monitor.poll()
        assert (first.new_items, first.alerts) == (2, 2)
        assert (second.entries, second.new_items, second.alerts) == (2, 0, 0)
        assert len(monitor.alerts()) == 2 and len(monitor.items()) == 2


def test_br15_rss10_items_keep_rdf_about_identity_and_dc_date(tmp_path):
    route = sequence(Route(fixture("br15-rss10-rdf.poll1.xml"), RSS), Route(fixture("br15-rss10-rdf.poll2.xml"), RSS))
    with one_feed(tmp_path, route) as monitor:
        first = monitor.poll()
        items = sorted(monitor.items(), key=lambda i: i["guid"])
        assert first.new_items == 2
        assert [(i["guid"], i["link"], i["published"]) for i in items] == [
            ("https://example.net/defence/2019/07/12/s400-ankara",
             "https://example.net/defence/2019/07/12/s400-ankara", "2019-07-12T10:00:00Z"),
            ("https://example.net/defence/2019/07/17/f35-exit",
             "https://example.net/defence/2019/07/17/f35-exit", "2019-07-17T18:00:00Z"),
        ]
        second = monitor.poll()
        assert (second.entries, second.new_items, second.alerts) == (2, 0, 0)


def test_br17_json_feed_with_every_guarantee(tmp_path):
    route = Route(fixture("br17-json-feed.json"), "application/feed+json")
    with one_feed(tmp_path, route, path="/feed.json") as monitor:
        first = monitor.poll()
        assert monitor.feed_row()["last_error"] is None
        items = monitor.items()
        assert [(i["guid"], i["link"], i["published"]) for i in items] == [
            ("1001", "https://example.com/s400/1001", "2019-07-12T10:00:00Z"),
            ("1002", "https://example.com/f35/1002", "2019-07-17T22:30:00Z"),
        ]
        assert "first S-400 batteries into service near Ankara" in plain(items[0]["text"])
        assert (first.new_items, first.alerts) == (2, 2)
        second = monitor.poll()  # conditional GET: the ETag is echoed, the server says 304
        assert monitor.server.requests[-1][1].get("if-none-match", "").startswith('"')
        assert (second.not_modified, second.new_items, second.alerts) == (1, 0, 0)
        monitor.store.execute("UPDATE feeds SET etag = NULL, last_modified = NULL, body_hash = NULL")
        third = monitor.poll()  # parsed again: same items, nothing new
        assert (third.entries, third.new_items, third.alerts) == (2, 0, 0)


def test_br19_challenge_page_with_2xx_is_a_failed_fetch_not_news(tmp_path):
    feed = fixture("br19-html-200.feed.xml")
    challenge = fixture("br19-html-200.challenge.html")
    route = sequence(
        Route(feed, RSS),
        Route(challenge, "text/html; charset=UTF-8", headers={"Cache-Control": "private, max-age=0, no-store",
                                                               "Server": "example-edge"}),
        Route(challenge, "text/html; charset=UTF-8", status=202),
        Route(feed, RSS),
    )
    with one_feed(tmp_path, route) as monitor:
        first = monitor.poll()
        assert (first.new_items, first.alerts) == (2, 2)
        for status in (200, 202):
            outage = monitor.poll()
            assert (outage.failed, outage.new_items, outage.alerts) == (1, 0, 0)
            row = monitor.feed_row()
            assert row["last_status"] == status and "not a feed" in row["last_error"]
            assert row["enabled"] == 1 and row["gone"] == 0
        back = monitor.poll()
        assert (back.failed, back.new_items, back.alerts) == (0, 0, 0)
        assert len(monitor.alerts()) == 2 and len(monitor.items()) == 2


def test_br21_relative_links_resolve_against_the_url_after_the_redirect(tmp_path):
    body = fixture("br21-redirect-relative.xml")
    with Monitor(tmp_path, {}, ["/old/br21.xml"]) as monitor:
        monitor.server.routes["/old/br21.xml"] = Route(
            b"", status=301, headers={"Location": monitor.server.url("/moved/feeds/br21.xml")})
        monitor.server.routes["/moved/feeds/br21.xml"] = Route(body, RSS)
        first = monitor.poll()
        host = monitor.server.base_url
        assert [i["link"] for i in monitor.items()] == [
            f"{host}/moved/feeds/items/s400-ankara", f"{host}/world/f35-exit"]
        assert first.new_items == 2
        second = monitor.poll()
        assert (second.new_items, second.alerts) == (0, 0)
        monitor.store.execute("UPDATE feeds SET etag = NULL, last_modified = NULL, body_hash = NULL")
        third = monitor.poll()
        assert (third.entries, third.new_items, third.alerts) == (2, 0, 0)
