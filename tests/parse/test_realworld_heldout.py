"""More faults of each real-world kind, written here from other outlets' habits and
readers' bug reports (none is a copy of a shared fixture), served from a loopback HTTP
server and run through the daemon's calls (poll_once, a real SQLite file, Apprise to a
webhook). Each case checks what the analyst would see: the stored date, text, link and
identity, and whether the item matched and alerted."""
from __future__ import annotations

import codecs
import gzip
import json
import zlib
from xml.sax.saxutils import escape

import pytest

from monitor.demo.loopback import Route
from realworld_helpers import Monitor, sequence, hand_rss

RSS = "application/rss+xml; charset=utf-8"
CONTENT_NS = 'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:media="http://search.yahoo.com/mrss/"'

TR = ("Türkiye S-400 teslimatını tamamladı, ağır yaptırım çağrısı",
      "Rusya'dan alınan S-400 füze savunma sistemlerinin son parçaları Ankara'ya ulaştı; "
      "ABD'nin CAATSA kapsamında yaptırım uygulayacağı belirtiliyor. Dışişleri açıklama yaptı.")
RU = ("Турция получила последний дивизион С-400",
      "Поставка российских зенитных ракетных систем С-400 завершена, Вашингтон пригрозил санкциями CAATSA.")
EN = ("India inducts its second S-400 squadron near the border",
      "India received the second squadron of the Russian S-400 air defence system; Washington weighs CAATSA sanctions.")
EG = ("Pentagon halts F-35 parts shipments to Ankara over the S-400",
      "The Pentagon stopped F-35 parts deliveries to Turkey after Ankara took the Russian S-400 system.")


def rss(items: list[dict], encoding: str = "utf-8", declare: bool = True, namespaces: str = "") -> str:
    return hand_rss(items, encoding, declare, namespaces)


def one_feed(tmp_path, route, path="/desk.xml", **kwargs) -> Monitor:
    return Monitor(tmp_path, {path: route}, [path], **kwargs)


# --- 1. dates: read right, or left unknown; never another date -------------------------

DATES = [
    ("12 Temmuz 2019 10:00", "2019-07-12T10:00:00Z"),  # Turkish month
    ("Cum, 12 Tem 2019 10:00:00 +0300", "2019-07-12T07:00:00Z"),  # Turkish RFC 822 names
    ("12 июля 2019 г. 10:00", "2019-07-12T10:00:00Z"),  # Russian genitive month
    ("Пт, 12 июл 2019 10:00:00 +0300", "2019-07-12T07:00:00Z"),
    ("12 يوليو 2019", "2019-07-12T00:00:00Z"),  # Egyptian month name
    ("12 تموز 2019", "2019-07-12T00:00:00Z"),  # Levantine month name
    ("Fri, 12 Jul 2019 10:00:00 MSK", "2019-07-12T07:00:00Z"),
    ("2019-07-12 10:00:00 TRT", "2019-07-12T07:00:00Z"),  # the ISO reader used to drop the zone
    ("Fri Jul 12 10:00:00 EEST 2019", "2019-07-12T07:00:00Z"),  # asctime with a zone
    ("12 Jul 2019 10:00:00 GMT+3", "2019-07-12T07:00:00Z"),  # GMT+3 is ahead, not POSIX's behind
    ("Fri, 12 Jul 2019 10:00:00 AST", None),  # Atlantic or Arabia: hours apart
    ("12-07-2019", None),  # day-month or month-day
    ("Yesterday 10:00", None),
    ("10:00", None),  # a time without a day
    ("2019-W28-5", None),
    ("Fri, 12 Jul 2109 10:00:00 GMT", None),  # a year typo: the future is not "now"
    ("Fri, 12 Jul 2019 10:00:00 XYZ", None),
    ("12 июля 2019, 10:00 МСК", "2019-07-12T07:00:00Z"),  # zone names in other scripts
    ("12 Temmuz 2019 - 10:00 TSİ", "2019-07-12T07:00:00Z"),
    ("Freitag, 12. Juli 2019 10:00 MESZ", "2019-07-12T08:00:00Z"),
    ("2026-03-03T10:00:00+03:00[Europe/Istanbul]", "2026-03-03T07:00:00Z"),  # RFC 9557 suffix
    ("12 июля", None),  # no year
    ("Сегодня, 10:00", None),  # "today"
]


def test_dates_in_other_languages_zones_and_vague_forms(tmp_path):
    items = [{"title": f"{EN[0]} ({n})", "guid": f"d{n}", "pubDate": when, "description": EN[1]}
             for n, (when, _) in enumerate(DATES)]
    with one_feed(tmp_path, Route(rss(items).encode(), RSS)) as monitor:
        report = monitor.poll()
        got = {row["title"]: row["published"] for row in monitor.items()}
    assert report.new_items == len(DATES)
    assert [(when, got[f"{EN[0]} ({n})"]) for n, (when, _) in enumerate(DATES)] == DATES


def test_json_feed_dates_unreadable_are_none(tmp_path):
    document = {"version": "https://jsonfeed.org/version/1.1", "items": [
        {"id": "e1", "title": EN[0], "content_text": EN[1], "date_published": 1562925600},
        {"id": "e2", "title": TR[0], "content_text": TR[1], "date_published": "12 Temmuz 2019"},
        {"id": "e3", "title": RU[0], "content_text": RU[1], "date_published": "2019-07-12T10:00:00+03:00"}]}
    with one_feed(tmp_path, Route(json.dumps(document).encode(), "application/feed+json"), "/f.json") as monitor:
        monitor.poll()
        got = {row["guid"]: row["published"] for row in monitor.items()}
    assert got == {"e1": None, "e2": "2019-07-12T00:00:00Z", "e3": "2019-07-12T07:00:00Z"}


# --- 2. encoding: the right letters, or one replacement per bad byte ---------------------

def _tr_items():
    return [{"title": TR[0], "guid": "tr1", "description": TR[1]}]


def _ru_items():
    return [{"title": RU[0], "guid": "ru1", "description": RU[1]}]


ENCODINGS = {
    "windows-1254 labelled utf-8, undeclared": (lambda: rss(_tr_items(), declare=False).encode("cp1254"), RSS, TR),
    "windows-1254 declared iso-8859-1": (lambda: rss(_tr_items(), "iso-8859-1").encode("cp1254"), "text/xml", TR),
    "koi8-r declared utf-8": (lambda: rss(_ru_items(), "utf-8").encode("koi8_r"), "application/rss+xml", RU),
    "windows-1251 declared iso-8859-1": (lambda: rss(_ru_items(), "iso-8859-1").encode("cp1251"),
                                         "text/xml; charset=iso-8859-1", RU),
    "utf-8 BOM, declared windows-1252": (lambda: codecs.BOM_UTF8 + rss(_tr_items(), "windows-1252").encode(),
                                         "application/rss+xml", TR),
    "utf-16 BOM, declared utf-8": (lambda: rss(_ru_items(), "utf-8").encode("utf-16"), "application/rss+xml", RU),
    "utf-16 with its declaration": (lambda: rss(_tr_items(), "utf-16").encode("utf-16"), "application/xml", TR),
}


@pytest.mark.parametrize("case", sorted(ENCODINGS))
def test_encoding_mislabelled_feeds_keep_every_letter(tmp_path, case):
    make, content_type, (title, text) = ENCODINGS[case]
    with one_feed(tmp_path, Route(make(), content_type)) as monitor:
        report = monitor.poll()
        [row] = monitor.items()
        assert monitor.feed_row()["last_error"] is None
    assert (row["title"], row["text"]) == (title, text)
    assert (report.matched, report.alerts) == (1, 1)


def test_encoding_one_windows_1254_item_in_a_utf8_feed_costs_its_bad_bytes_only(tmp_path):
    pasted = "Rusya'dan ikinci S-400 alımı"
    items = [{"title": TR[0], "guid": "m1", "description": TR[1]},
             {"title": pasted, "guid": "m2", "description": "Ankara, S-400 için yeni bir anlaşma imzaladı."}]
    body = rss(items).encode().replace(pasted.encode(), pasted.encode("cp1254"))
    with one_feed(tmp_path, Route(body, RSS)) as monitor:
        monitor.poll()
        rows = monitor.items()
    assert (rows[0]["title"], rows[0]["text"]) == (TR[0], TR[1])
    assert rows[1]["title"] == "Rusya'dan ikinci S-400 al\ufffdm\ufffd"


# --- 3. content lost ---------------------------------------------------------------------

def test_content_in_other_places_and_escaped_twice_carries_the_topic(tmp_path):
    items = [
        {"title": "Morning brief", "guid": "c1",
         "raw": f"<content:encoded><![CDATA[<p>{EN[1]}</p>]]></content:encoded>"},
        {"title": "Video", "guid": "c2", "description": "",
         "raw": f"<media:group><media:description>{escape(TR[1])}</media:description></media:group>"},
        {"title": "Wire", "guid": "c3",
         "raw": f"<description>&amp;lt;p&amp;gt;{escape(escape(RU[1]))}&amp;lt;/p&amp;gt;</description>"},
        {"title": "Column", "guid": "c4",
         "raw": f"<description>&lt;![CDATA[{escape(EN[1])}]]&gt;</description>"},
    ]
    atom = ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
            '<entry><id>tag:desk.example,2026:a1</id><title>Note</title><updated>2026-03-03T08:00:00Z</updated>'
            f'<content type="html">&lt;![CDATA[&lt;p&gt;{escape(EN[1])}&lt;/p&gt;]]&gt;</content></entry></feed>')
    items += [
        # A picture (or a teaser) in the description, the article in content:encoded.
        {"title": "Photo of the day", "guid": "c5", "description": '<img src="https://desk.example/p.jpg"/>',
         "raw": f"<content:encoded><![CDATA[<p>{TR[1]}</p>]]></content:encoded>"},
        {"title": "Analysis", "guid": "c6", "description": "Read more…",
         "raw": f"<content:encoded><![CDATA[<p>{RU[1]}</p>]]></content:encoded>"},
    ]
    routes = {"/rss.xml": Route(rss(items, namespaces=CONTENT_NS).encode(), RSS),
              "/atom.xml": Route(atom.encode(), "application/atom+xml")}
    with Monitor(tmp_path, routes, list(routes)) as monitor:
        report = monitor.poll()
        texts = {row["title"]: row["text"] for row in monitor.items()}
    assert texts == {"Morning brief": EN[1], "Video": TR[1], "Wire": RU[1], "Column": EN[1], "Note": EN[1],
                     "Photo of the day": TR[1], "Analysis": RU[1]}
    assert report.matched == 7


# --- 4. identity -------------------------------------------------------------------------

def test_identity_numeric_guids_reused_and_tracking_variants(tmp_path):
    # A CMS migration restarts isPermaLink="false" numbers: the same GUID on two items.
    poll1 = [{"title": EN[0], "guid": "1001", "link": "https://desk.example/2026/india", "description": EN[1]},
             {"title": RU[0], "guid": "1001", "link": "https://desk.example/2026/turkey", "description": RU[1]}]
    # The next fetch: links gain utm_* and a fragment; nothing new.
    poll2 = [{**poll1[0], "link": poll1[0]["link"] + "?utm_source=rss&utm_medium=feed#comments"},
             {**poll1[1], "link": poll1[1]["link"] + "?fbclid=XYZ"}]
    route = sequence(Route(rss(poll1).encode(), RSS), Route(rss(poll2).encode(), RSS))
    with one_feed(tmp_path, route) as monitor:
        first = monitor.poll()
        second = monitor.poll()
        assert len(monitor.items()) == 2
    assert (first.new_items, first.alerts) == (2, 2)
    assert (second.new_items, second.alerts) == (0, 0)


def test_identity_guid_that_changes_on_every_fetch_with_a_stable_link(tmp_path):
    def fetch(n):
        return Route(rss([{"title": EN[0], "guid": f"urn:uuid:{n:08d}-0000", "link": "https://desk.example/a/7",
                           "description": EN[1]}]).encode(), RSS)
    with one_feed(tmp_path, sequence(fetch(1), fetch(2), fetch(3))) as monitor:
        reports = [monitor.poll() for _ in range(3)]
    assert [r.alerts for r in reports] == [1, 0, 0]


def test_identity_entries_without_guid_or_link_are_kept_apart_and_not_repeated(tmp_path):
    items = [{"title": EN[0], "description": EN[1]}, {"title": RU[0], "description": RU[1]},
             {"title": TR[0], "description": TR[1]}]
    route = sequence(Route(rss(items).encode(), RSS), Route(rss(items[::-1]).encode(), RSS))
    with one_feed(tmp_path, route) as monitor:
        first = monitor.poll()
        second = monitor.poll()
    assert (first.new_items, second.new_items, second.alerts) == (3, 0, 0)


# --- 5. JSON Feed ------------------------------------------------------------------------

def test_json_feed_variants(tmp_path):
    document = {"version": "https://jsonfeed.org/version/1.1", "title": "Micro", "items": [
        {"id": 9007199254740993, "url": "/p/1", "content_html": f"<p>{EN[1]}</p>", "authors": [{"name": "Ayşe"}]},
        {"url": "https://desk.example/p/2", "title": RU[0], "content_text": RU[1]},  # no id
        {"id": "3", "external_url": "https://other.example/x?utm_source=jf", "title": TR[0], "summary": TR[1]},
        "not an item", {"id": None, "title": ["odd"], "content_text": 5},
    ]}
    body = json.dumps(document).encode("utf-16")
    with one_feed(tmp_path, Route(body, "application/json"), "/f.json") as monitor:
        report = monitor.poll()
        rows = monitor.items()
        host = monitor.server.base_url
        assert monitor.feed_row()["last_error"] is None
    got = [(r["guid"], r["link"], r["author"]) for r in rows[:3]]
    assert got == [("9007199254740993", f"{host}/p/1", "Ayşe"),
                   ("https://desk.example/p/2", "https://desk.example/p/2", None),
                   ("3", "https://other.example/x?utm_source=jf", None)]
    assert report.matched == 3


def test_json_feed_beyond_the_entry_cap_keeps_the_newest(tmp_path):
    items = [{"id": str(i), "title": f"Item {i}", "content_text": "x",
              "date_published": f"2026-01-01T{i // 60 % 24:02d}:{i % 60:02d}:00Z"} for i in range(700)]
    document = {"version": "https://jsonfeed.org/version/1", "items": items}
    with one_feed(tmp_path, Route(json.dumps(document).encode(), "application/feed+json"), "/f.json") as monitor:
        report = monitor.poll()
        guids = {r["guid"] for r in monitor.items()}
        warning = monitor.feed_row()["last_warning"] if "last_warning" in monitor.feed_row() else None
    assert report.entries == 500 and "699" in guids and "0" not in guids
    assert warning is None or "700 entries" in warning


def test_json_items_not_a_list_is_a_clear_error(tmp_path):
    document = {"version": "https://jsonfeed.org/version/1.1", "items": {"1": {"id": "1"}}}
    with one_feed(tmp_path, Route(json.dumps(document).encode(), "application/feed+json"), "/f.json") as monitor:
        monitor.poll()
        error = monitor.feed_row()["last_error"]
    assert error and "not a feed" in error and "\n" not in error


# --- 6. transport ------------------------------------------------------------------------

def _body():
    return rss([{"title": EN[0], "guid": "x1", "description": EN[1]}]).encode()


TRANSPORTS = {
    "br label on plain bytes": lambda: Route(_body(), RSS, headers={"Content-Encoding": "br"}),
    "zstd label on plain bytes": lambda: Route(_body(), RSS, headers={"Content-Encoding": "zstd"}),
    "raw deflate labelled deflate": lambda: Route(zlib.compress(_body())[2:-4], RSS, headers={"Content-Encoding": "deflate"}),
    "zlib labelled gzip": lambda: Route(zlib.compress(_body()), RSS, headers={"Content-Encoding": "gzip"}),
    "gzip twice": lambda: Route(gzip.compress(gzip.compress(_body())), RSS, headers={"Content-Encoding": "gzip"}),
    "gzip labelled x-gzip": lambda: Route(gzip.compress(_body()), RSS, headers={"Content-Encoding": "x-gzip"}),
}


@pytest.mark.parametrize("case", sorted(TRANSPORTS))
def test_transport_labels_that_do_not_match_the_bytes(tmp_path, case):
    with one_feed(tmp_path, TRANSPORTS[case]()) as monitor:
        report = monitor.poll()
        assert monitor.feed_row()["last_error"] is None
    assert (report.new_items, report.matched) == (1, 1)


def test_transport_truncated_gzip_keeps_the_items_before_the_cut(tmp_path):
    items = [{"title": f"{EN[0]} {n}", "guid": f"g{n}", "description": EN[1] + " x" * 200} for n in range(20)]
    packed = gzip.compress(rss(items).encode())
    with one_feed(tmp_path, Route(packed[: len(packed) * 2 // 3], RSS, headers={"Content-Encoding": "gzip"})) as monitor:
        report = monitor.poll()
    assert 0 < report.new_items < 20


# --- 7. text for matching -----------------------------------------------------------------

MATCHING = [
    "Ankara S400lerin teslimatını tamamladı",
    "ABD, S-400'ü aldığı için Türkiye'yi F-35'ten çıkardı",
    "Россия поставит С-400х комплексов Индии",
    "الهند تتسلم منظومة إس400 الروسية",
    "Pentagon: the F-35A/B deliveries to Ankara are frozen over the S\u2011400",
    "India's S\u2010400 squadron goes live",
    "Turkey activates the S\u2212400 near Ankara",
    "Egypt weighs the S\u2013400 despite sanctions",
    "Algeria orders the Ｓ－４００ from Moscow",
    "ترکیه سامانه اس ۴۰۰ روسیه را فعال کرد",
    "Ankara S-400lar için yeni üs kuruyor",
]


def test_text_for_matching_designations_in_every_spelling(tmp_path):
    items = [{"title": text, "guid": f"t{n}", "description": ""} for n, text in enumerate(MATCHING)]
    with one_feed(tmp_path, Route(rss(items).encode(), RSS)) as monitor:
        monitor.poll()
        matched = {r["item_id"] for r in monitor.store.query("SELECT item_id FROM matches WHERE matched = 1")}
        ids = [r["id"] for r in monitor.items()]  # document order
    assert len(ids) == len(MATCHING)
    assert [text for text, item_id in zip(MATCHING, ids) if item_id not in matched] == []


# --- 8. links -----------------------------------------------------------------------------

def test_links_tracking_kept_in_the_shown_link_relative_resolved(tmp_path):
    atom = ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
            'xml:base="https://base.example/news/"><title>A</title>'
            '<entry><id>a1</id><title>' + escape(EN[0]) + '</title><updated>2026-03-03T08:00:00Z</updated>'
            '<link href="2026/s400?fbclid=abc&amp;id=3"/><summary>' + escape(EN[1]) + '</summary></entry></feed>')
    items = [{"title": RU[0], "guid": "l1", "link": "/2026/ru?gclid=1&p=2&utm_campaign=x", "description": RU[1]}]
    routes = {"/a.xml": Route(atom.encode(), "application/atom+xml"), "/r.xml": Route(rss(items).encode(), RSS)}
    with Monitor(tmp_path, routes, list(routes)) as monitor:
        monitor.poll()
        host = monitor.server.base_url
        rows = {r["title"]: (r["link"], r["url"]) for r in monitor.items()}
        messages = " ".join(a["message"] for a in monitor.alerts())
    assert rows[EN[0]] == ("https://base.example/news/2026/s400?fbclid=abc&id=3", "https://base.example/news/2026/s400?id=3")
    assert rows[RU[0]][0] == f"{host}/2026/ru?gclid=1&p=2&utm_campaign=x"
    assert rows[RU[0]][1] == f"{host}/2026/ru?p=2".replace("http://", "https://")  # identity: one scheme
    assert "https://base.example/news/2026/s400?fbclid=abc&id=3" in messages
    assert f"{host}/2026/ru?gclid=1&p=2&utm_campaign=x" in messages


def test_identity_a_guid_reused_after_a_cms_migration_is_a_new_item(tmp_path):
    poll1 = [{"title": EN[0], "guid": "1001", "link": "https://desk.example/2019/india", "description": EN[1]}]
    poll2 = [{"title": TR[0], "guid": "1001", "link": "https://desk.example/2026/turkey", "description": TR[1]}] + poll1
    route = sequence(Route(rss(poll1).encode(), RSS), Route(rss(poll2).encode(), RSS))
    with one_feed(tmp_path, route) as monitor:
        monitor.poll()
        second = monitor.poll()
        titles = sorted(r["title"] for r in monitor.items())
    assert (second.new_items, second.alerts) == (1, 1) and titles == sorted([EN[0], TR[0]])


def test_identity_one_guid_in_two_outlets_is_two_items_and_one_item_in_two_feeds_one_alert(tmp_path):
    shared = {"title": RU[0], "guid": "https://desk.example/?p=9", "link": "https://desk.example/2026/ru",
              "description": RU[1]}
    routes = {
        "/a.xml": Route(rss([{"title": EN[0], "guid": "42", "link": "https://a.example/x", "description": EN[1]},
                             shared]).encode(), RSS),
        "/b.xml": Route(rss([{"title": EG[0], "guid": "42", "link": "https://b.example/y", "description": EG[1]},
                             {**shared, "link": shared["link"] + "?utm_source=world"}]).encode(), RSS),
    }
    with Monitor(tmp_path, routes, list(routes)) as monitor:
        report = monitor.poll()
        rows = monitor.store.query("SELECT i.title, m.story_id FROM items i JOIN matches m ON m.item_id = i.id "
                                   "WHERE m.matched = 1")
        alerts = monitor.alerts()
    # Both GUID-42 items are kept (whether two items join one story is the story grouping's
    # call); the item in both feeds of the outlet is stored and alerted once.
    assert report.new_items == 3 and sorted(r["title"] for r in rows) == sorted([EN[0], EG[0], RU[0]])
    assert len(alerts) == report.alerts == len({r["story_id"] for r in rows})


def test_links_that_change_encoding_or_tracking_between_fetches_are_one_item(tmp_path):
    poll1 = [{"title": TR[0], "link": "https://haber.example/türkiye-s-400?_hsenc=p2ANqtz", "description": TR[1]}]
    poll2 = [{"title": TR[0] + " (güncellendi)", "link": "https://haber.example/t%C3%BCrkiye-s-400;jsessionid=A1",
              "description": TR[1] + " Bakanlık doğruladı."}]
    route = sequence(Route(rss(poll1).encode(), RSS), Route(rss(poll2).encode(), RSS))
    with one_feed(tmp_path, route) as monitor:
        first = monitor.poll()
        second = monitor.poll()
        [row] = monitor.items()
        [alert] = monitor.alerts()
    assert (first.new_items, second.new_items, second.alerts) == (1, 0, 0)
    assert "https://haber.example/türkiye-s-400?_hsenc=p2ANqtz" in alert["message"]  # as published


def test_json_feed_micro_post_without_a_title_alerts_with_its_opening_words(tmp_path):
    document = {"version": "https://jsonfeed.org/version/1.1", "items": [
        {"id": "m1", "url": "https://micro.example/m1", "content_html": f"<p>{EN[1]}</p>",
         "date_published": "2026-03-03T10:00:00Z"}]}
    with one_feed(tmp_path, Route(json.dumps(document).encode(), "application/feed+json"), "/f.json") as monitor:
        report = monitor.poll()
        [alert] = monitor.alerts()
    assert report.alerts == 1
    assert alert["title"].startswith("India received the second squadron")
