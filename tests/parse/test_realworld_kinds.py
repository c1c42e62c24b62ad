"""Each kind of real-world fault on feeds written here (not the shared fixtures), through
the daemon's path: a loopback HTTP server, poll_once, a real SQLite file, Apprise to a
webhook. The shared cases are in test_realworld.py; these hold the same kinds on other
text, other scripts and other formats."""
from __future__ import annotations

import gzip
import json
from xml.sax.saxutils import escape

from click.testing import CliRunner

from monitor.cli import cli
from monitor.demo.loopback import Route
from realworld_helpers import Monitor, plain, sequence, hand_rss

RSS = "application/rss+xml; charset=utf-8"


def rss(items: list[dict], encoding: str = "utf-8", declare: bool = True) -> str:
    return hand_rss(items, encoding, declare, channel=("Kinds desk", "https://kinds.example/"),
                    escape_description=False)


INDIA = ("India inducts its second S-400 squadron near the border",
         "India received the second squadron of the Russian S-400 air defence system; Washington weighs CAATSA sanctions.")
TURKEY = ("Turkey's F-35 exit confirmed after the S-400 purchase",
          "The Pentagon removed Turkey from the F-35 programme because Ankara bought the Russian S-400 system.")


def feed_monitor(tmp_path, route, **kwargs) -> Monitor:
    return Monitor(tmp_path, {"/kinds.xml": route}, ["/kinds.xml"], **kwargs)


def test_dates_hand_written_forms_are_read_and_vague_ones_left_unknown(tmp_path):
    items = [
        {"title": INDIA[0], "guid": "d1", "pubDate": "3/17/2026 3:30:00 PM", "description": INDIA[1]},
        {"title": TURKEY[0], "guid": "d2", "pubDate": "2026/3/4 10:00:00", "description": TURKEY[1]},
        {"title": "Egypt weighs the S-400 against CAATSA sanctions", "guid": "d3", "pubDate": "Spring 2026",
         "description": "Cairo is considering the Russian S-400 system despite the risk of US CAATSA sanctions."},
    ]
    with feed_monitor(tmp_path, Route(rss(items).encode(), RSS)) as monitor:
        report = monitor.poll()
        dates = {row["title"]: row["published"] for row in monitor.items()}
    assert dates == {items[0]["title"]: "2026-03-17T15:30:00Z", items[1]["title"]: "2026-03-04T10:00:00Z",
                     items[2]["title"]: None}
    assert report.new_items == 3


def test_encoding_one_stray_byte_in_a_russian_feed(tmp_path):
    items = [{"title": "Турция получила первый дивизион С-400", "guid": "r1",
              "description": "Поставка российских С-400 завершена, Вашингтон пригрозил санкциями CAATSA."},
             {"title": "США исключили Турцию из программы F-35 из-за С-400", "guid": "r2",
              "description": "Пентагон объявил об исключении Турции из программы F-35 после покупки С-400."}]
    body = rss(items).encode("utf-8").replace("завершена".encode(), "завершена".encode() + b"\x96")
    with feed_monitor(tmp_path, Route(body, RSS)) as monitor:
        report = monitor.poll()
        rows = monitor.items()
    assert [r["title"] for r in rows] == [i["title"] for i in items]
    assert "Поставка российских С-400 завершена\ufffd, Вашингтон" in rows[0]["text"]
    assert report.matched == 2 and {r["lang"] for r in rows} == {"ru"}


def test_encoding_undeclared_windows_1251_labelled_utf8(tmp_path):
    items = [{"title": "Турция получила первый дивизион С-400", "guid": "r1",
              "description": "Поставка российских зенитных ракетных систем С-400 в Турцию завершена."}] * 1
    body = rss(items, declare=False).encode("cp1251")
    with feed_monitor(tmp_path, Route(body, RSS)) as monitor:
        monitor.poll()
        [row] = monitor.items()
        assert monitor.feed_row()["last_error"] is None
    assert row["title"] == items[0]["title"] and row["text"] == items[0]["description"]


def test_escaped_cdata_in_an_atom_summary_carries_the_topic(tmp_path):
    atom = ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Wire</title>'
            '<entry><id>tag:kinds.example,2026:1</id><title>Morning bulletin</title>'
            '<link href="https://kinds.example/bulletin/1"/><updated>2026-03-03T08:00:00Z</updated>'
            f'<summary type="html">&lt;![CDATA[&lt;p&gt;{escape(INDIA[1])}&lt;/p&gt;]]&gt;</summary></entry></feed>')
    with feed_monitor(tmp_path, Route(atom.encode(), "application/atom+xml")) as monitor:
        report = monitor.poll()
        [row] = monitor.items()
    assert row["text"] == INDIA[1]
    assert (report.matched, report.alerts) == (1, 1)


def test_identity_a_link_shared_by_different_items_keeps_both(tmp_path):
    items = [{"title": INDIA[0], "link": "https://kinds.example/live", "guid": "live-1", "description": INDIA[1]},
             {"title": TURKEY[0], "link": "https://kinds.example/live", "guid": "live-2", "description": TURKEY[1]}]
    with feed_monitor(tmp_path, Route(rss(items).encode(), RSS)) as monitor:
        first = monitor.poll()
        monitor.store.execute("UPDATE feeds SET etag = NULL, body_hash = NULL")
        second = monitor.poll()
        assert (first.new_items, first.matched) == (2, 2)
        assert second.new_items == 0 and len(monitor.items()) == 2


def test_identity_flipped_scheme_and_slash_with_edited_text_is_the_same_item(tmp_path):
    # The text changes too, so only the identity keys (not the content hash) can tell.
    poll1 = [{"title": INDIA[0], "link": "http://kinds.example/2026/s400-india/", "guid": "http://kinds.example/?p=41",
              "description": INDIA[1]}]
    poll2 = [{"title": INDIA[0] + " (updated)", "link": "https://kinds.example/2026/s400-india",
              "guid": "https://kinds.example/?p=41", "description": INDIA[1] + " Officials confirmed it."}]
    route = sequence(Route(rss(poll1).encode(), RSS), Route(rss(poll2).encode(), RSS))
    with feed_monitor(tmp_path, route) as monitor:
        first = monitor.poll()
        second = monitor.poll()
    assert (first.new_items, first.alerts) == (1, 1)
    assert (second.entries, second.new_items, second.alerts) == (1, 0, 0)


def test_identity_entries_without_ids_survive_reordering(tmp_path):
    items = [{"title": INDIA[0], "link": "https://kinds.example/a", "description": INDIA[1]},
             {"title": TURKEY[0], "link": "https://kinds.example/b", "description": TURKEY[1]}]
    route = sequence(Route(rss(items).encode(), RSS), Route(rss(items[::-1]).encode(), RSS))
    with feed_monitor(tmp_path, route) as monitor:
        first = monitor.poll()
        second = monitor.poll()
    assert first.new_items == 2 and (second.new_items, second.alerts) == (0, 0)


def test_json_feed_1_0_with_conditional_get_and_identity(tmp_path):
    document = {"version": "https://jsonfeed.org/version/1", "title": "Kinds JSON",
                "items": [{"id": 41, "url": "/2026/india", "title": INDIA[0], "content_text": INDIA[1],
                           "date_published": "2026-03-03T10:00:00+05:30"},
                          {"id": "42", "url": "/2026/turkey", "title": TURKEY[0], "content_html": f"<p>{TURKEY[1]}</p>",
                           "date_modified": "2026-03-04T10:00:00Z"}]}
    route = Route(json.dumps(document).encode(), "application/json")
    with Monitor(tmp_path, {"/f.json": route}, ["/f.json"]) as monitor:
        first = monitor.poll()
        rows = monitor.items()
        host = monitor.server.base_url
        assert [(r["guid"], r["link"], r["published"]) for r in rows] == [
            ("41", f"{host}/2026/india", "2026-03-03T04:30:00Z"), ("42", f"{host}/2026/turkey", "2026-03-04T10:00:00Z")]
        assert (first.matched, first.alerts) == (2, len(monitor.alerts()))
        second = monitor.poll()
        assert monitor.server.requests[-1][1].get("if-none-match")
        assert (second.not_modified, second.new_items) == (1, 0)


def test_transport_gzip_body_without_a_content_encoding_header(tmp_path):
    items = [{"title": INDIA[0], "guid": "z1", "description": INDIA[1]}]
    with feed_monitor(tmp_path, Route(gzip.compress(rss(items).encode()), RSS)) as monitor:
        report = monitor.poll()
        assert monitor.feed_row()["last_error"] is None
    assert (report.new_items, report.matched) == (1, 1)


def test_text_for_matching_designations_glued_to_punctuation(tmp_path):
    items = [{"title": "Pentagon makes the #F35_exit final for Ankara", "guid": "t1",
              "description": "Turkey's S400_delivery ended its F35_program role, officials said."}]
    with feed_monitor(tmp_path, Route(rss(items).encode(), RSS)) as monitor:
        report = monitor.poll()
    assert (report.matched, report.alerts) == (1, 1)


def test_links_are_shown_as_published_in_alert_matches_and_show(tmp_path):
    link = "https://kinds.example/2026/s400_india?ref=rss&id=7"
    items = [{"title": INDIA[0], "guid": "l1", "link": link, "description": INDIA[1]}]
    with feed_monitor(tmp_path, Route(rss(items).encode(), RSS)) as monitor:
        monitor.poll()
        [row] = monitor.items()
        [alert] = monitor.alerts()
        config = str(monitor.directory / "monitor.toml")
        runner = CliRunner()
        listed = runner.invoke(cli, ["--config", config, "matches", "--json"])
        shown = runner.invoke(cli, ["--config", config, "show", str(row["id"])])
    assert row["link"] == link and row["url"] == "https://kinds.example/2026/s400_india?id=7"  # identity
    assert link in alert["message"]
    assert json.loads(listed.output.splitlines()[0])["url"] == link
    assert link in shown.output and shown.exit_code == 0
    assert plain(alert["title"]) == INDIA[0]
