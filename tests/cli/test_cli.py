"""The CLI driven as a user would: real config, real loopback feeds, real database."""
from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from conftest import OFF_TOPIC, ON_TOPIC, rss
from monitor.cli import cli
from monitor.demo.loopback import FeedServer, Route

COMMANDS = [[], ["run"], ["poll"], ["feeds"], ["feeds", "add"], ["feeds", "remove"], ["feeds", "import"],
            ["feeds", "export"], ["matches"], ["match"], ["show"], ["review"], ["alerts"], ["alerts", "retry"],
            ["alerts", "test"], ["status"], ["stories"], ["demo"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "monitor")
def test_every_command_teaches_with_help(command):
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output and len(result.output.splitlines()) > 4


@pytest.fixture
def polled(monitor_setup):
    with FeedServer({"/a.xml": Route(rss([ON_TOPIC, OFF_TOPIC], "Feed A"))}) as server:
        setup = monitor_setup([server.url("/a.xml")])
        runner = CliRunner()

        def invoke(*args, input=None):
            return runner.invoke(cli, ["--config", str(setup.config_path), *args], input=input)

        result = invoke("poll", "--json")
        assert result.exit_code == 0, result.output
        yield invoke, json.loads(result.output.strip().splitlines()[-1])


def test_poll_summary_and_matches_json(polled):
    invoke, summary = polled
    assert summary["new_items"] == 2 and summary["matched"] == 1 and summary["alerts_sent"] == 1
    rows = [json.loads(line) for line in invoke("matches", "--json").output.splitlines()]
    assert len(rows) == 1
    for key in ("id", "title", "url", "feed", "lang", "topic", "score", "story", "published"):
        assert key in rows[0]
    assert rows[0]["title"] == ON_TOPIC["title"] and rows[0]["lang"] == "en"
    table = invoke("matches").output
    assert "TITLE" in table and "Turkey activates" in table


def test_show_explains_and_review_is_stored(polled):
    invoke, _ = polled
    item_id = json.loads(invoke("matches", "--json").output.splitlines()[0])["id"]
    shown = invoke("show", str(item_id))
    assert shown.exit_code == 0 and "MATCHED" in shown.output and "threshold" in shown.output
    assert invoke("review", str(item_id), "irrelevant").exit_code == 0
    assert "reviewed irrelevant" in invoke("show", str(item_id)).output
    story = json.loads(invoke("matches", "--json").output.splitlines()[0])["story"]
    assert "Story" in invoke("show", f"s{story}").output
    unmatched = invoke("show", str(3 - item_id))  # the off-topic item: scored again to say why not
    assert unmatched.exit_code == 0, unmatched.output
    assert "matched no topic" in unmatched.output
    assert "no match: score" in unmatched.output and "below threshold 2.50" in unmatched.output
    assert "language en" in unmatched.output  # not stored for unmatched items; detected for display


NO_RULE = {  # scores well above the threshold, yet names no party to the trade: no rule holds
    "title": "Norway receives more F-35 stealth fighters",
    "summary": "Three F-35A jets landed at Orland air base on Tuesday.",
}


def test_show_says_no_rule_holds_when_the_score_is_above_the_threshold(monitor_setup):
    with FeedServer({"/a.xml": Route(rss([NO_RULE], "Feed A"))}) as server:
        setup = monitor_setup([server.url("/a.xml")])
        runner = CliRunner()
        assert runner.invoke(cli, ["--config", str(setup.config_path), "poll"]).exit_code == 0
        shown = runner.invoke(cli, ["--config", str(setup.config_path), "show", "1"])
    assert shown.exit_code == 0, shown.output
    line = next(x for x in shown.output.splitlines() if x.startswith("  topic s400-f35:"))
    assert line.startswith("  topic s400-f35: no match: no rule holds (score ")
    assert "below threshold" not in shown.output and line.endswith(", threshold 2.50)")


@pytest.mark.parametrize("args,message", [
    (["show", "999"], "Error: no item with ID 999"),
    (["show", "s999"], "Error: no story with ID 999"),
    (["show", "abc"], "is not an item ID"),
    (["review", "999", "relevant"], "Error: no item with ID 999"),
    (["alerts", "retry", "999"], "Error: no alert with ID 999"),
    (["feeds", "remove", "999"], "Error: no feed '999'"),
])
def test_unknown_ids_and_bad_input_give_one_line_and_exit_1(polled, args, message):
    invoke, _ = polled
    result = invoke(*args)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("url,message", [
    ("ftp://x", "is not an http(s) URL"),
    ("https://exa mple.org/rss", "'exa mple.org' is not a valid host name"),
    ("https://example.org:99999/rss", "out of range"),
    ("https://[::1/rss", "is not a valid URL"),
    ("https://-bad-.example/rss", "'-bad-.example' is not a valid host name"),
    ("https:///rss", "names no host"),
])
def test_feeds_add_refuses_a_malformed_url_in_one_line_with_exit_2(polled, url, message):
    invoke, _ = polled
    result = invoke("feeds", "add", url)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("Error: ") and message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert url not in invoke("feeds", "--json").output


def test_feeds_add_says_already_present_for_a_duplicate(polled):
    invoke, _ = polled
    for url in ("https://пример.рф/rss", "http://127.0.0.1:8080/feed", "https://[::1]:8443/rss"):
        assert invoke("feeds", "add", url).exit_code == 0  # IDN and IP hosts are fine
    first = invoke("feeds", "add", "https://example.org/rss", "--name", "Example")
    assert first.exit_code == 0 and first.output.startswith("Feed ") and " added: " in first.output
    again = invoke("feeds", "add", "https://example.org/rss")
    assert again.exit_code == 0 and "already present" in again.output and "added" not in again.output
    rows = [json.loads(line) for line in invoke("feeds", "--json").output.splitlines()]
    assert [r["url"] for r in rows].count("https://example.org/rss") == 1
    configured = rows[0]["url"]  # a configured feed is present too
    assert "already present" in invoke("feeds", "add", configured).output


def test_usage_errors_exit_2(polled):
    invoke, _ = polled
    assert invoke("review", "1", "maybe").exit_code == 2
    assert invoke("alerts", "retry").exit_code == 2


def test_alerts_and_status_and_stories(polled):
    invoke, _ = polled
    alerts = [json.loads(line) for line in invoke("alerts", "--json").output.splitlines()]
    assert len(alerts) == 1
    assert {"id", "story", "status", "attempts", "targets"} <= set(alerts[0])
    assert alerts[0]["status"] == "sent" and alerts[0]["targets"][0]["status"] == "sent"
    status = json.loads(invoke("status", "--json").output)
    assert status["alerts"]["sent"] == 1 and status["counts"]["items"] == 2 and status["last_poll"]
    assert "Last poll" in invoke("status").output
    stories = [json.loads(line) for line in invoke("stories", "--json").output.splitlines()]
    assert len(stories) == 1 and stories[0]["item_count"] == 1


def test_feeds_add_remove_import_export(polled, tmp_path):
    invoke, _ = polled
    assert invoke("feeds", "add", "https://news.example/rss", "--name", "News").exit_code == 0
    opml = tmp_path / "subs.opml"
    opml.write_text('<opml version="2.0"><body><outline text="X" xmlUrl="https://x.example/feed"/>'
                    '<outline text="bad" xmlUrl="file:///etc/passwd"/></body></opml>')
    imported = invoke("feeds", "import", str(opml))
    assert imported.exit_code == 0 and "Imported 1" in imported.output and "skipped 1" in imported.output
    feeds = [json.loads(line) for line in invoke("feeds", "--json").output.splitlines()]
    assert {"https://news.example/rss", "https://x.example/feed"} <= {f["url"] for f in feeds}
    exported = invoke("feeds", "export").output
    assert 'xmlUrl="https://x.example/feed"' in exported
    assert invoke("feeds", "remove", "https://x.example/feed").exit_code == 0
    assert "x.example" not in invoke("feeds").output
    bad = tmp_path / "bad.opml"
    bad.write_text("<html>")
    result = invoke("feeds", "import", str(bad))
    assert result.exit_code == 1 and "not valid OPML" in result.output


def test_match_scores_json_lines_without_storing(polled):
    invoke, _ = polled
    lines = "\n".join(json.dumps(dict(row, id=str(n))) for n, row in enumerate([ON_TOPIC, OFF_TOPIC, ON_TOPIC]))
    result = invoke("match", input=lines)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["matched"] for r in rows] == [True, False, True]
    for key in ("id", "matched", "topic", "score", "lang", "concepts", "story"):
        assert key in rows[0]
    assert rows[0]["story"] == rows[2]["story"] is not None
    bad = invoke("match", input="not json\n")
    assert bad.exit_code == 1 and "line 1" in bad.output


def test_bad_config_is_one_line_error(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('[monitor]\npoll_interval = "soon"\n')
    result = CliRunner().invoke(cli, ["--config", str(path), "status"])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0 and "poll_interval" in result.output


TURKISH_HEADLINE = {"title": "S-400 bataryaları başkentin yakınına yerleştirilecek", "summary": ""}
FEED_HEADLINE = {"title": "Second S-400 battery to be stationed near the capital",
                 "summary": "The battery arrives next month, officials said."}


def test_implied_parties_in_the_poll_and_in_show(monitor_setup):
    """A Turkish headline (no language in the feed) and an English one from a feed
    configured to imply Turkey both match; `show` says which party was implied and why."""
    with FeedServer({"/tr.xml": Route(rss([TURKISH_HEADLINE], "Haber")),
                     "/en.xml": Route(rss([FEED_HEADLINE], "Capital Daily"))}) as server:
        setup = monitor_setup([server.url("/tr.xml")])
        text = setup.config_path.read_text(encoding="utf-8")
        text = text.replace("[[topic]]", f'[[feed]]\nurl = "{server.url("/en.xml")}"\nname = "Capital Daily"\n'
                                          'implies = ["turkey"]\n\n[[topic]]', 1)
        setup.config_path.write_text(text, encoding="utf-8")
        runner = CliRunner()

        def invoke(*args):
            return runner.invoke(cli, ["--config", str(setup.config_path), *args])

        assert invoke("poll", "--json").exit_code == 0
        rows = [json.loads(line) for line in invoke("matches", "--json").output.splitlines()]
        by_title = {r["title"]: r for r in rows}
        assert set(by_title) == {TURKISH_HEADLINE["title"], FEED_HEADLINE["title"]}
        assert by_title[TURKISH_HEADLINE["title"]]["lang"] == "tr"
        shown = invoke("show", str(by_title[TURKISH_HEADLINE["title"]]["id"])).output
        assert "implied party Turkey: the item is in tr" in shown
        shown = invoke("show", str(by_title[FEED_HEADLINE["title"]]["id"])).output
        assert "implied party Turkey: the feed Capital Daily implies it" in shown


def test_match_detects_the_language_only_where_needed(polled):
    invoke, _ = polled
    lines = "\n".join(json.dumps(dict(row, id=str(n))) for n, row in enumerate([ON_TOPIC, OFF_TOPIC, TURKISH_HEADLINE]))
    rows = [json.loads(line) for line in invoke("match", input=lines).output.splitlines()]
    assert [r["lang"] for r in rows] == ["en", None, "tr"]  # matched, not needed, needed by a rule
    assert rows[2]["matched"] and any("implied party Turkey" in r for r in rows[2]["reasons"])
    rows = [json.loads(line) for line in invoke("match", "--detect-all", input=lines).output.splitlines()]
    assert [r["lang"] for r in rows] == ["en", "en", "tr"]


def test_match_reads_compressed_json_lines(polled, tmp_path):
    import lzma

    invoke, _ = polled
    path = tmp_path / "items.jsonl.xz"
    with lzma.open(path, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps(dict(ON_TOPIC, id="a")) + "\n" + json.dumps(dict(OFF_TOPIC, id="b")) + "\n")
    result = invoke("match", str(path))
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["matched"] for line in result.output.splitlines()] == [True, False]
    broken = tmp_path / "broken.jsonl.xz"
    broken.write_bytes(b"plain bytes")
    result = invoke("match", str(broken))
    assert result.exit_code == 1 and result.output.startswith(f"Error: cannot read {broken}")


def _commands_with_topic_option(command, path=()):
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _commands_with_topic_option(sub, (*path, name))
    elif any("--topic" in getattr(p, "opts", ()) for p in command.params):
        yield path


ARGUMENTS = {("review",): ["1", "relevant"], ("search",): ["s400"], ("explain",): ["S-400 for Turkey"],
             ("topic", "eval"): ["{jsonl}"]}


def test_every_command_taking_topic_refuses_an_unknown_one(polled, tmp_path):
    invoke, _ = polled
    jsonl = tmp_path / "items.jsonl"
    jsonl.write_text(json.dumps({"id": "1", "title": "S-400", "summary": "", "label": 1}) + "\n")
    commands = list(_commands_with_topic_option(cli))
    assert {("matches",), ("search",), ("triage",), ("explain",), ("stories",)} <= set(commands)
    for path in commands:
        args = [a.format(jsonl=jsonl) for a in ARGUMENTS.get(path, [])]
        result = invoke(*path, *args, "--topic", "nope")
        assert result.exit_code == 1, (path, result.output)
        assert result.output.strip().splitlines()[-1] == "Error: no topic named 'nope' (configured: s400-f35)", path
    assert invoke("matches", "--topic", "s400-f35").exit_code == 0  # a configured one is fine


def test_a_removed_configured_feed_is_gone_from_status_metrics_feeds_and_polls(monitor_setup):
    routes = {"/a.xml": Route(rss([ON_TOPIC], "Feed A")), "/b.xml": Route(rss([OFF_TOPIC], "Feed B"))}
    with FeedServer(routes) as server:
        setup = monitor_setup([server.url("/a.xml"), server.url("/b.xml")])
        runner = CliRunner()

        def invoke(*args):
            result = runner.invoke(cli, ["--config", str(setup.config_path), *args])
            assert result.exit_code == 0, result.output
            return result.output

        invoke("poll")
        removed = invoke("feeds", "remove", server.url("/b.xml"))
        assert "still in the configuration file" in removed
        server.requests.clear()
        invoke("poll", "--all")
        assert [path for path, _ in server.requests] == ["/a.xml"]  # not polled, though configured
        listed = [json.loads(line) for line in invoke("feeds", "--json").splitlines()]
        status = json.loads(invoke("status", "--json"))
        samples = [json.loads(line) for line in invoke("metrics", "--json").splitlines()]
    states = {s["labels"]["state"]: s["value"] for s in samples if s["name"] == "monitor_feeds"}
    enabled_in_metrics = sum(v for k, v in states.items() if k != "disabled")
    assert len(listed) == status["feeds"]["enabled"] == enabled_in_metrics == 1
    assert [r["url"] for r in status["removed_configured_feeds"]] == [server.url("/b.xml")]
    assert "removed feed" in invoke("status") and "not polled" in invoke("status")


def test_a_bad_alert_url_is_named_by_its_source(monitor_setup):
    setup = monitor_setup([], ["json://127.0.0.1:9/hook", "notaurl://bar"])
    runner = CliRunner()

    def invoke(*args, env=None):
        return runner.invoke(cli, ["--config", str(setup.config_path), *args], env=env or {})

    from_file = invoke("alerts", "test")
    assert from_file.exit_code == 1
    assert f"Error: {setup.config_path}: [alerts] urls #2: Apprise does not understand this notaurl:// URL" \
        in from_file.output
    status = invoke("status")  # lenient, but says what poll and run refuse
    assert status.exit_code == 0 and "Alert URLs: " in status.output and "refuse to start" in status.output
    assert "[alerts] urls #2" in json.loads(invoke("status", "--json").output)["alert_urls_error"]
    clean = monitor_setup([])  # urls = [] in the file
    from_env = runner.invoke(cli, ["--config", str(clean.config_path), "alerts", "test"],
                             env={"MONITOR_ALERT_URLS": "json://127.0.0.1:9/hook notaurl://foo"})
    assert from_env.exit_code == 1
    assert "Error: MONITOR_ALERT_URLS #2: Apprise does not understand this notaurl:// URL" in from_env.output
    assert "[alerts]" not in from_env.output


def _first_line_then_close(args: list[str]) -> tuple[bytes, int, bytes]:
    """Run `monitor ARGS` as `... | head -1` would: read one line, close the pipe."""
    import fcntl
    import os
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-m", "monitor", *args], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "NO_COLOR": "1"})
    fcntl.fcntl(process.stdout.fileno(), fcntl.F_SETPIPE_SZ, 4096)  # smaller than the output: the writer must wait
    first = process.stdout.readline()
    process.stdout.close()
    errors = process.stderr.read()
    return first, process.wait(timeout=60), errors


def test_a_reader_closing_stdout_early_is_no_error(tmp_path):
    rows = b"".join(json.dumps({"id": str(n), "title": ON_TOPIC["title"], "summary": ON_TOPIC["summary"]}).encode()
                    + b"\n" for n in range(400))
    path = tmp_path / "rows.jsonl"
    path.write_bytes(rows)
    first, code, errors = _first_line_then_close(["match", str(path)])
    assert json.loads(first)["matched"] is True
    assert (code, errors) == (141, b"")  # as a tool killed by SIGPIPE; no "Broken pipe" message
    first, code, errors = _first_line_then_close(["topic", "show"])
    assert first and (code, errors) == (141, b"")


def test_the_program_ends_with_its_output_complete_and_its_exit_code(tmp_path):
    """`python -m monitor` ends without the interpreter's teardown (monitor.cli.main): what
    it wrote to a file or pipe is all there, and the exit codes are the documented ones."""
    import os
    import subprocess
    import sys

    rows = b"".join(json.dumps({"id": str(n), "title": ON_TOPIC["title"], "summary": ON_TOPIC["summary"]}).encode()
                    + b"\n" for n in range(400))
    (tmp_path / "rows.jsonl").write_bytes(rows)

    def run(*args: str) -> tuple[int, bytes, bytes]:
        with open(tmp_path / "out", "wb") as out:  # a file: block-buffered, flushed only at the end
            done = subprocess.run([sys.executable, "-m", "monitor", *args], stdout=out, stderr=subprocess.PIPE,
                                  stdin=subprocess.DEVNULL, timeout=120,
                                  env={k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"})
        return done.returncode, (tmp_path / "out").read_bytes(), done.stderr

    code, out, err = run("match", str(tmp_path / "rows.jsonl"))
    assert code == 0 and err == b""
    assert [json.loads(line)["matched"] for line in out.splitlines()] == [True] * 400
    code, out, err = run("--config", str(tmp_path / "missing.toml"), "feeds")
    assert code == 1 and b"configuration file not found" in err
    code, out, err = run("no-such-command")
    assert code == 2 and b"No such command" in err


def test_counts_read_in_the_right_number(polled):
    from monitor.cli.common import counted

    assert [counted(n, "alert") for n in (0, 1, 2)] == ["0 alerts", "1 alert", "2 alerts"]
    assert counted(1, "new item") == "1 new item" and counted(3, "story", "stories") == "3 stories"
    invoke, _ = polled
    polled_again = invoke("poll", "--all").output
    assert "Polled 1 feed in " in polled_again and "0 new items" in polled_again and "0 alerts queued" in polled_again
