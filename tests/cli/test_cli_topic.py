"""`monitor topic show|suggest|eval` and `monitor explain` through click's CliRunner."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
LEXICON = ROOT / "config" / "topics" / "s400-f35.toml"
SEEDS = f"{ROOT}/seeds/*.txt"
FILES = ["--lexicon", str(LEXICON), "--seeds", SEEDS]

ROWS = [
    {"id": "r1", "lang": "en", "label": "relevant", "title": "Turkey tests S-400", "summary": "Near Sinop."},
    {"id": "r2", "lang": "ru", "label": "relevant", "title": "Россия до конца года поставит в Индию системы ПВО С-400",
     "summary": ""},
    {"id": "n1", "lang": "en", "label": "hard_negative", "title": "Poland buys F-35", "summary": "32 jets."},
    {"id": "n2", "lang": "en", "label": "negative", "title": "",
     "summary": "Turkish officials say the S-400 batteries will stay in storage."},  # labelled wrong on purpose
]


def run(*args, input=None):
    return CliRunner().invoke(cli, ["--config", "/nonexistent/monitor.toml", *args], input=input)


@pytest.fixture
def labelled(tmp_path):
    path = tmp_path / "labelled.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS) + "\n", encoding="utf-8")
    return path


def test_topic_show_lists_rules_concepts_and_forms():
    result = run("topic", "show", *FILES)
    assert result.exit_code == 0, result.output
    assert "s400-named: s400 &" in result.output
    assert "s400 (+4) [system]: S-400 Triumf air-defence system" in result.output
    assert "ru: С-400" in result.output
    assert "patriot (-1)" in result.output
    assert "implied parties (count for the rules as if named):" in result.output
    assert "  turkey: in tr; unless s400_buyer" in result.output
    assert "subject: caatsa, f35, s400" in result.output


def test_topic_show_json_one_object_a_line():
    result = run("topic", "show", "--json", *FILES)
    assert result.exit_code == 0, result.output
    objects = [json.loads(line) for line in result.output.splitlines()]
    concepts = {o["id"]: o for o in objects if o["kind"] == "concept"}
    assert "إس-400" in concepts["s400"]["forms"]["ar"]
    assert concepts["thaad"]["lookalike"] is True
    assert any(o["kind"] == "rule" and o["id"] == "f35-turkey" for o in objects)
    (context,) = [o for o in objects if o["kind"] == "context"]
    assert context["party"] == "turkey" and context["langs"] == ["tr"] and "Akar" in context["names"]["tr"]


def test_topic_eval_table_misses_and_false_alarms(labelled):
    result = run("topic", "eval", str(labelled), *FILES)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    overall = next(line.split() for line in lines if line.startswith("overall"))
    assert overall[:6] == ["overall", "2", "3", "2", "1", "0"]
    assert "false alarms: 1" in result.output and "- n2 [en, negative]" in result.output
    assert "rule s400-named holds" in result.output


def test_topic_eval_json(labelled):
    result = run("topic", "eval", str(labelled), "--json", *FILES)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["by_lang"]["ru"] == {"tp": 1, "fp": 0, "fn": 0, "tn": 0, "precision": 1.0, "recall": 1.0}
    assert [o["id"] for o in data["false_alarms"]] == ["n2"]


def test_topic_eval_on_a_folder_of_compressed_streams_with_labels(tmp_path):
    """The wild layout: .jsonl.xz files and a labels.jsonl beside them; rows without a
    label count as off the topic and a match on one is listed as a false alarm."""
    import lzma

    streams = [
        {"id": "t1", "lang": "tr", "title": "Meclis'te S-400 tartışması büyüyor", "summary": ""},
        {"id": "t2", "lang": "tr", "title": "Belediye yeni otobüs hatlarını açıkladı", "summary": ""},
        {"id": "t3", "lang": "tr", "title": "Ankara ve Moskova yeni S-400 anlaşması imzaladı", "summary": ""},
        {"id": "e1", "lang": "en", "title": "Turkey tests the S-400 near Sinop", "summary": ""},
        {"id": "e2", "lang": "en", "title": "Cruiser back in port", "summary": "A long tour ended."},
    ]
    with lzma.open(tmp_path / "tr_x.jsonl.xz", "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in streams[:3])
    with lzma.open(tmp_path / "en_x.jsonl.xz", "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(r) + "\n" for r in streams[3:])
    labels = [{"id": "t1", "label": "relevant"}, {"id": "e1", "label": "borderline"}]
    (tmp_path / "labels.jsonl").write_text("".join(json.dumps(r) + "\n" for r in labels), encoding="utf-8")

    result = run("topic", "eval", str(tmp_path), "--json", *FILES)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["excluded"] == 1  # e1, borderline
    assert data["by_lang"]["tr"]["tp"] == 1 and data["by_lang"]["tr"]["fp"] == 1
    assert data["by_lang"]["en"]["tn"] == 1
    (alarm,) = data["false_alarms"]
    assert alarm["id"] == "t3" and alarm["label"] == "unlabelled"
    # One file with its labels named explicitly, in the table form.
    result = run("topic", "eval", str(tmp_path / "tr_x.jsonl.xz"), "--labels", str(tmp_path / "labels.jsonl"),
                 "--brief", *FILES)
    assert result.exit_code == 0, result.output
    assert "- t3 [tr, unlabelled]" in result.output


def test_topic_eval_corrupt_xz_is_one_line_error(tmp_path):
    bad = tmp_path / "bad.jsonl.xz"
    bad.write_bytes(b"not xz at all")
    result = run("topic", "eval", str(bad), *FILES)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: cannot read {bad}") and len(result.output.strip().splitlines()) == 1


def test_topic_eval_needs_a_file():
    result = run("topic", "eval", *FILES)
    assert result.exit_code != 0
    assert result.output.strip() == "Error: give labelled JSON lines (FILE or FOLDER) or --reviewed"


def test_topic_eval_bad_jsonl_is_one_line_error(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\nnot json\n', encoding="utf-8")
    result = run("topic", "eval", str(bad), *FILES)
    assert result.exit_code != 0
    assert result.output.startswith(f"Error: {bad} line 2: not JSON")
    assert len(result.output.strip().splitlines()) == 1


def test_bad_lexicon_is_one_line_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[topic]\nname = "x"\nthreshold = "high"\n', encoding="utf-8")
    result = run("topic", "show", "--lexicon", str(bad), "--seeds", SEEDS)
    assert result.exit_code != 0
    assert result.output.strip() == f"Error: {bad}: topic.threshold: must be a number"


def test_missing_lexicon_is_one_line_error(tmp_path):
    result = run("topic", "show", "--lexicon", str(tmp_path / "none.toml"))
    assert result.exit_code != 0
    assert result.output.strip() == f"Error: lexicon {tmp_path / 'none.toml'} does not exist (give one with --lexicon PATH)"


def test_topic_suggest_from_seeds_and_labelled_rows(labelled):
    result = run("topic", "suggest", "--from", str(labelled), "--min-docs", "2", *FILES)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "7 topic texts (5 seeds), 2 background texts"
    assert result.output.splitlines()[1].split()[:3] == ["term", "docs", "count"]


def test_topic_suggest_json():
    result = run("topic", "suggest", "--json", "--limit", "5", *FILES)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert 0 < len(rows) <= 5 and {"term", "docs", "count", "example"} <= set(rows[0])


def test_explain_text():
    result = run("explain", "Turkey tests the Russian S-400 near Sinop", *FILES)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("MATCH: topic s400-f35")
    assert "rule s400-named holds" in result.output
    assert '"S-400"' in result.output


def test_explain_stdin_arabic_and_json():
    text = "أعلن الرئيس التركي رجب طيب أردوغان توقيع عقد شراء منظومة صواريخ إس-400 المضادة للطيران مع روسيا"
    result = run("explain", "-", "--json", *FILES, input=text)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["matched"] is True and data["lang"] == "ar"
    assert {"s400", "turkey", "russia", "purchase"} <= set(data["concepts"])
    assert all({"concept", "form", "where", "weight"} <= set(h) for h in data["hits"])


def test_explain_names_the_implied_party_and_a_passing_mention():
    result = run("explain", "--title", "S-400 bataryaları başkentin yakınına yerleştirilecek", "", *FILES)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("MATCH")
    assert "implied party Turkey: the item is in tr (detected)" in result.output
    body = ("The cruiser returned to its home port after four months in the eastern Mediterranean, the navy "
            "said on Friday. The crew trained with two frigates and a supply ship, called at several ports "
            "and flew helicopters from the deck. Officers said repairs would take most of next year. "
            "Cover for the anchorage came from S-400 units ashore, with US aircraft watched closely.")
    result = run("explain", "--lang", "en", "--title", "Cruiser back in port", body, *FILES)
    assert result.output.startswith("no match") and "passing mention of S-400" in result.output


def test_explain_feed_must_be_configured(tmp_path):
    config = tmp_path / "monitor.toml"
    config.write_text(
        f'[monitor]\ndatabase = "m.db"\n[[feed]]\nurl = "https://example.org/rss"\nname = "Capital Daily"\n'
        f'implies = ["turkey"]\n[[topic]]\nname = "s400-f35"\nseeds = ["{ROOT}/seeds/*.txt"]\nlexicon = "{LEXICON}"\n',
        encoding="utf-8")
    args = ["--config", str(config), "explain", "--lang", "en"]
    text = "A second S-400 battery will be stationed near the capital"
    result = CliRunner().invoke(cli, [*args, "--feed", "Capital Daily", text])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("MATCH") and "the feed Capital Daily implies it" in result.output
    result = CliRunner().invoke(cli, [*args, "--feed", "Nowhere", text])
    assert result.exit_code == 1 and "no configured feed 'Nowhere'" in result.output


def test_explain_no_match():
    result = run("explain", "--lang", "en", "The central bank kept rates unchanged.", *FILES)
    assert result.exit_code == 0
    assert result.output.startswith("no match:")


def test_defaults_relative_to_working_directory(tmp_path, monkeypatch):
    (tmp_path / "config" / "topics").mkdir(parents=True)
    shutil.copy(LEXICON, tmp_path / "config" / "topics" / "s400-f35.toml")
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    monkeypatch.chdir(tmp_path)
    result = run("topic", "show")
    assert result.exit_code == 0, result.output
    assert "5 seed articles" in result.output.splitlines()[0]


def test_configured_topic_is_used(tmp_path):
    lexicon = tmp_path / "mini.toml"
    lexicon.write_text(
        '[topic]\nname = "mini"\nthreshold = 1.0\n[[rule]]\nwhen = "widget"\n'
        '[concept.widget]\nlabel = "Widget"\nweight = 1.0\nen = ["widget*"]\n',
        encoding="utf-8",
    )
    config = tmp_path / "monitor.toml"
    config.write_text(
        f'[monitor]\ndatabase = "monitor.db"\n[[topic]]\nname = "gadgets"\nseeds = ["{SEEDS}"]\n'
        f'lexicon = "{lexicon}"\nthreshold = 0.5\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["--config", str(config), "topic", "show"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("topic gadgets: threshold 0.50"), result.output
    assert "5 seed articles" in result.output.splitlines()[0]
    explained = CliRunner().invoke(cli, ["--config", str(config), "explain", "--lang", "en", "Widgets!"])
    assert explained.output.startswith("MATCH: topic gadgets")


def test_broken_configuration_falls_back_to_defaults_with_a_note(tmp_path, monkeypatch):
    config = tmp_path / "monitor.toml"
    config.write_text("[monitor\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "explain", "--lang", "en", "S-400 for Turkey",
                                      *FILES])
    assert result.exit_code == 0
    assert "note:" not in result.output  # --lexicon/--seeds given: the configuration is not read
    monkeypatch.chdir(ROOT)  # where the default topic files are
    result = CliRunner().invoke(cli, ["--config", str(config), "topic", "show"])
    assert result.exit_code == 0, result.output
    assert "note: configuration not used" in result.output
    assert "topic s400-f35: threshold" in result.output


def test_dev_set_eval_command_prints_the_targets():
    dev = SHARED / "eval" / "dev.jsonl"
    if not dev.is_file():
        pytest.skip(f"{dev} is absent")
    result = run("topic", "eval", str(dev), "--json", *FILES)
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["overall"]["precision"] >= 0.97 and data["overall"]["recall"] >= 0.97
    for lang in ("en", "ar", "tr", "ru"):
        assert data["by_lang"][lang]["recall"] >= 0.95


def test_eval_and_suggest_on_reviewed_items(tmp_path):
    from datetime import datetime, timezone

    from monitor.models import Item
    from monitor.store import Store

    config = tmp_path / "monitor.toml"
    config.write_text(
        f'[monitor]\ndatabase = "monitor.db"\n[[topic]]\nname = "s400-f35"\nseeds = ["{SEEDS}"]\n'
        f'lexicon = "{LEXICON}"\n',
        encoding="utf-8",
    )
    now = datetime(2025, 1, 1, tzinfo=timezone.utc)
    reviewed = [
        ("Turkey tests the S-400 near Sinop", "relevant"),
        ("India receives the second S-400 squadron", "relevant"),
        ("Central bank holds rates", "irrelevant"),
    ]
    with Store.open(tmp_path / "monitor.db") as store:
        feed = store.add_feed("http://feeds.test/rss")
        for number, (title, verdict) in enumerate(reviewed):
            item = Item(guid=f"g{number}", url=f"http://feeds.test/{number}", title=title, text="",
                        published=now, lang="en", content_hash=f"h{number}")
            with store.write():
                item_id = store.add_item(feed, item, now)
            store.save_review(item_id, "s400-f35", verdict, now)

    result = CliRunner().invoke(cli, ["--config", str(config), "topic", "eval", "--reviewed", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["overall"] == {"tp": 2, "fp": 0, "fn": 0, "tn": 1, "precision": 1.0, "recall": 1.0}

    result = CliRunner().invoke(cli, ["--config", str(config), "topic", "suggest"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "7 topic texts (5 seeds), 1 background texts"


def test_reading_commands_create_no_database(tmp_path):
    config = tmp_path / "monitor.toml"
    config.write_text(
        f'[monitor]\ndatabase = "monitor.db"\n[[topic]]\nname = "s400-f35"\nseeds = ["{SEEDS}"]\n'
        f'lexicon = "{LEXICON}"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["--config", str(config), "topic", "suggest", "--limit", "3"])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "monitor.db").exists()
