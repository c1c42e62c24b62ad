"""`monitor web`: Datasette's own test client over a real database polled from loopback
feeds: metadata, canned queries, facets, search with the matcher's normalisation,
links, and no way to write."""
from __future__ import annotations

import asyncio
import html
import logging
import re
import sqlite3

import pytest
from click.testing import CliRunner

from conftest import OFF_TOPIC, ON_TOPIC, rss
from monitor.cli import cli
from monitor.demo.loopback import FeedServer, Route
from monitor.desk.web import QUERIES, build_datasette
from monitor.store import Store

ARABIC = {"title": "تركيا تتسلم الدفعة الثانية من منظومة إس-400 الروسية",
          "summary": "أعلنت أنقرة وصول الدفعة الثانية من منظومة إس-400 إلى قاعدة قرب العاصمة.",
          "url": "https://news.example/ar/1"}


@pytest.fixture(scope="module")
def polled(tmp_path_factory):
    directory = tmp_path_factory.mktemp("web")
    from conftest import write_config

    with FeedServer({"/a.xml": Route(rss([ON_TOPIC, ARABIC, OFF_TOPIC], "Wire")),
                     "/gone.xml": Route(b"", status=404)}) as server:
        config = write_config(directory, [server.url("/a.xml"), server.url("/gone.xml")])
        result = CliRunner().invoke(cli, ["--config", str(config), "poll", "--json", "--no-send"])
        assert result.exit_code == 0, result.output
    return directory / "monitor.db"


def get(datasette, path: str):
    return asyncio.run(datasette.client.get(path))


def rows(datasette, path: str) -> list[dict]:
    response = get(datasette, path + ("&" if "?" in path else "?") + "_shape=array")
    assert response.status_code == 200, response.text[:300]
    return response.json()


def test_the_desk_has_titles_descriptions_and_canned_queries(polled):
    datasette = build_datasette(polled)
    home = get(datasette, "/monitor")
    assert home.status_code == 200
    assert "<h1" in home.text and "feed-monitor" in home.text
    for name, query in QUERIES.items():
        assert f'href="/monitor/{name}"' in home.text and html.escape(query["title"]) in home.text
    items_page = get(datasette, "/monitor/items")
    assert "Every stored entry" in items_page.text
    assert "items_search" not in re.findall(r'href="/monitor/([a-z_]+)"', home.text)  # internals hidden


def test_latest_matches_with_stories_and_links_that_open(polled):
    datasette = build_datasette(polled)
    latest = rows(datasette, "/monitor/latest_matches.json?topic=")
    assert {r["title"] for r in latest} == {ON_TOPIC["title"], ARABIC["title"]}
    arabic = next(r for r in latest if r["lang"] == "ar")
    assert arabic["outlet"] == "Wire"
    assert arabic["story"] is not None and arabic["url"] == ARABIC["url"]
    page = get(datasette, "/monitor/latest_matches?topic=").text
    assert f'<a href="/monitor/story_reports?story={arabic["story"]}">s{arabic["story"]}</a>' in page
    assert f'<a href="/monitor/items/{arabic["item"]}">#{arabic["item"]}</a>' in page
    assert f'<a href="{ARABIC["url"]}">' in page
    reports = rows(datasette, f"/monitor/story_reports.json?story={arabic['story']}")
    assert arabic["item"] in {r["item"] for r in reports}
    story_link = get(datasette, f"/monitor/story_reports?story={arabic['story']}")
    assert story_link.status_code == 200 and ARABIC["title"] in story_link.text


def test_failing_feeds_and_undelivered_alerts(polled):
    datasette = build_datasette(polled)
    [failing] = rows(datasette, "/monitor/failing_feeds.json")
    assert failing["url"].endswith("/gone.xml") and failing["last_status"] == 404
    undelivered = rows(datasette, "/monitor/undelivered_alerts.json")
    assert undelivered and {a["status"] for a in undelivered} == {"pending"}  # polled with --no-send
    assert all(a["topic"] == "s400-f35" and a["title"] for a in undelivered)


def test_search_normalises_what_is_typed_and_facets_count(polled):
    datasette = build_datasette(polled)
    found = rows(datasette, "/monitor/search.json?q=" + "اس 400 أنقرة".replace(" ", "+"))
    assert [r["title"] for r in found] == [ARABIC["title"]]
    assert rows(datasette, "/monitor/search.json?q=") == []
    table_search = rows(datasette, "/monitor/items.json?_search=s400")
    assert {r["title"] for r in table_search} == {ON_TOPIC["title"], ARABIC["title"]}
    facets = get(datasette, "/monitor/items.json").json()["facet_results"]
    langs = {f["value"]: f["count"] for f in facets["lang"]["results"]}
    assert langs.get("ar") == 1
    topics = get(datasette, "/monitor/matches.json").json()["facet_results"]["topic"]["results"]
    assert topics[0]["value"] == "s400-f35" and topics[0]["count"] == 2


def test_nothing_can_be_written(polled):
    datasette = build_datasette(polled)
    refused = get(datasette, "/monitor.json?sql=delete+from+items")
    assert refused.status_code == 400
    database = datasette.get_database("monitor")
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        asyncio.run(database.execute("insert into meta(key, value) values ('x', 'y')"))
    assert not any(q.get("write") for q in QUERIES.values())
    with Store.open(polled) as store:
        assert store.item_counts()["items"] == 3


def test_web_command_errors_are_one_line(tmp_path):
    from conftest import write_config

    config = write_config(tmp_path, [])
    result = CliRunner().invoke(cli, ["--config", str(config), "web"])
    assert result.exit_code == 1 and "does not exist yet" in result.output
    assert result.output.strip().count("\n") == 0


def test_a_port_in_use_is_one_line(polled, tmp_path):
    import socket

    from conftest import write_config

    config = write_config(tmp_path, [])
    config.write_text(config.read_text().replace('database = "monitor.db"', f'database = "{polled}"'))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["--config", str(config), "web", "--port", str(port)])
    assert result.exit_code == 1
    assert f"Error: cannot listen on 127.0.0.1:{port}:" in result.output


def test_a_refused_query_is_one_log_line_not_a_traceback(polled, capfd, caplog):
    datasette = build_datasette(polled)
    capfd.readouterr()
    with caplog.at_level(logging.WARNING, logger="monitor.web"):
        refused = get(datasette, "/monitor.json?sql=delete+from+reviews")
    assert refused.status_code == 400 and refused.json()["ok"] is False  # the answer is unchanged
    printed = capfd.readouterr()
    assert "Traceback" not in printed.out + printed.err and len((printed.out + printed.err).splitlines()) <= 1
    [line] = [r.getMessage() for r in caplog.records if r.name == "monitor.web"]
    assert line.startswith("web: GET /monitor.json -> 400 ") and "\n" not in line
