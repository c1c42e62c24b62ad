"""The desk commands as a user runs them: loopback feeds polled into a real database,
then `monitor search`, `monitor topic backtest`, `monitor metrics`."""
from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from conftest import LEXICON, OFF_TOPIC, ON_TOPIC, SEEDS, rss
from monitor.cli import cli
from monitor.demo.loopback import FeedServer, Route
from monitor.store import Store

ARABIC = {"title": "تركيا تتسلم الدفعة الثانية من منظومة إس-400 الروسية",
          "summary": "أعلنت وزارة الدفاع التركية وصول الدفعة الثانية من منظومة إس-400 إلى قاعدة قرب أنقرة.",
          "url": "http://feeds.test/ar-1"}
NICKNAME = {"title": "Turkey receives the second batch of Zircon-9 batteries from Russia",
            "summary": "The Zircon-9 systems were unloaded at an air base near Ankara, officials said."}


@pytest.fixture
def desk(tmp_path):
    """A database polled from one feed; the topic's lexicon is a copy the test may edit."""
    lexicon = tmp_path / "topic.toml"
    shutil.copy(LEXICON, lexicon)
    items = [ON_TOPIC, ARABIC, OFF_TOPIC, NICKNAME]
    with FeedServer({"/a.xml": Route(rss(items, "Wire"))}) as server:
        config = tmp_path / "monitor.toml"
        config.write_text(
            f'[monitor]\ndatabase = "monitor.db"\nallow_private_networks = true\nbackfill = "3650d"\n\n'
            f'[[feed]]\nurl = "{server.url("/a.xml")}"\nname = "Wire"\n\n'
            f'[[topic]]\nname = "s400-f35"\nseeds = ["{SEEDS}/*.txt"]\nlexicon = "{lexicon}"\n', encoding="utf-8")
        runner = CliRunner()

        def invoke(*args):
            return runner.invoke(cli, ["--config", str(config), *args])

        polled = invoke("poll", "--json", "--no-send")
        assert polled.exit_code == 0, polled.output
        assert json.loads(polled.output.splitlines()[-1])["matched"] == 2
        yield invoke, lexicon, tmp_path / "monitor.db"


def lines(result) -> list[dict]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


@pytest.mark.parametrize("command", [["search"], ["metrics"], ["topic", "backtest"], ["triage"], ["web"]],
                         ids=" ".join)
def test_desk_commands_teach_with_help(command):
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0 and "Examples:" in result.output


def test_search_finds_arabic_as_typed_and_filters(desk):
    invoke, _, _ = desk
    [row] = lines(invoke("search", "اس 400 أنقرة", "--json"))
    assert row["title"] == ARABIC["title"] and row["matched"] == 1 and row["topic"] == "s400-f35"
    assert row["feed"] == "Wire" and row["url"] == ARABIC["url"]
    every = lines(invoke("search", "S400", "--json"))
    assert {r["title"] for r in every} == {ON_TOPIC["title"], ARABIC["title"]}
    assert [r["title"] for r in lines(invoke("search", "zircon", "--json"))] == [NICKNAME["title"]]
    assert lines(invoke("search", "zircon", "--matched", "--json")) == []
    assert lines(invoke("search", "central bank", "--since", "1d", "--json"))[0]["matched"] == 0
    table = invoke("search", "S-400")
    assert "TITLE" in table.output and "s400-f35" in table.output


def test_search_errors_are_one_line(desk):
    invoke, _, _ = desk
    empty = invoke("search", "?! «»")
    assert empty.exit_code == 1 and empty.output.strip().count("\n") == 0 and "no word" in empty.output
    bad = invoke("search", "x", "--since", "soon")
    assert bad.exit_code == 2


def test_backtest_lists_new_and_dropped_matches_with_reasons_and_applies_without_alerts(desk):
    invoke, lexicon, db = desk
    assert lines(invoke("topic", "backtest", "--json")) == []  # same lexicon, same result
    text = lexicon.read_text(encoding="utf-8")
    lexicon.write_text(text.replace('en = ["S-400", "S-400 Triumf",', 'en = ["Zircon-9", "S-400", "S-400 Triumf",', 1),
                       encoding="utf-8")
    [new] = lines(invoke("topic", "backtest", "--since", "1d", "--json"))
    assert new["change"] == "new" and new["title"] == NICKNAME["title"] and new["score_then"] is None
    assert any(r.startswith("rule s400-named holds") for r in new["reasons"])
    assert any('"Zircon-9"' in r for r in new["reasons"])
    with Store.open(db) as store:
        alerts_before = store.alert_counts()
    applied = invoke("topic", "backtest", "--apply")
    assert applied.exit_code == 0 and "1 new" in applied.output and "recorded without alerts" in applied.output
    with Store.open(db) as store:
        assert store.alert_counts() == alerts_before  # the past raises no alert
        [match] = [m for m in store.list_matches(limit=10) if m["title"] == NICKNAME["title"]]
        assert match["story"] is not None and match["alerted"] == 0 and "backtest" in match["quiet_reason"]
    assert lines(invoke("topic", "backtest", "--json")) == []  # recorded: nothing new any more
    lexicon.write_text(lexicon.read_text(encoding="utf-8").replace("threshold = 2.5", "threshold = 60", 1),
                       encoding="utf-8")
    dropped = lines(invoke("topic", "backtest", "--json"))
    assert {d["change"] for d in dropped} == {"dropped"} and len(dropped) == 3
    assert all(d["score_then"] is not None and any("below the threshold 60.00" in r for r in d["reasons"])
               for d in dropped)
    table = invoke("topic", "backtest")
    assert "dropped" in table.output and "3 dropped" in table.output


def test_backtest_refuses_apply_with_a_trial_lexicon(desk, tmp_path):
    invoke, lexicon, _ = desk
    result = invoke("topic", "backtest", "--apply", "--lexicon", str(lexicon))
    assert result.exit_code == 2
    missing = invoke("topic", "backtest", "--lexicon", str(tmp_path / "none.toml"))
    assert missing.exit_code == 1 and "does not exist" in missing.output


def test_triage_outside_a_terminal_is_one_line(desk):
    invoke, _, _ = desk
    result = invoke("triage")  # CliRunner's streams are not terminals
    assert result.exit_code == 1 and "needs a terminal" in result.output
    assert result.output.strip().count("\n") == 0
