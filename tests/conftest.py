"""Shared fixtures: project paths, the shared evaluation data, a monitor setup on loopback."""
from __future__ import annotations

import json
from dataclasses import dataclass
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from monitor.store import utcnow

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DEV_SET = SHARED / "eval" / "dev.jsonl"
LEXICON = ROOT / "config" / "topics" / "s400-f35.toml"
SEEDS = ROOT / "seeds"


def load_dev_set() -> list[dict]:
    if not DEV_SET.is_file():
        pytest.skip(f"{DEV_SET} is absent")
    return [json.loads(line) for line in DEV_SET.read_text(encoding="utf-8").splitlines() if line.strip()]


def rss(items: list[dict], title: str = "Test feed") -> bytes:
    """An RSS 2.0 document; each item has title, summary and optional guid, url, published."""
    parts = [f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{escape(title)}</title>'
             "<link>http://feeds.test/</link><description>test</description>"]
    for number, item in enumerate(items):
        published = item.get("published") or format_datetime(utcnow())
        guid = item.get("guid", f"{title}-{number}")
        parts.append(
            f"<item><title>{escape(item.get('title', ''))}</title>"
            f"<link>{escape(item.get('url') or f'http://feeds.test/{guid}')}</link>"
            f"<guid isPermaLink=\"false\">{escape(guid)}</guid><pubDate>{published}</pubDate>"
            f"<description>{escape(item.get('summary', ''))}</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


def write_config(directory: Path, feed_urls: list[str], alert_urls: list[str] = (), extra: str = "") -> Path:
    lines = ["[monitor]", 'database = "monitor.db"', "allow_private_networks = true", 'backfill = "3650d"', extra, ""]
    for url in feed_urls:
        lines += ["[[feed]]", f'url = "{url}"', ""]
    lines += ["[[topic]]", 'name = "s400-f35"', f'seeds = ["{SEEDS}/*.txt"]', f'lexicon = "{LEXICON}"', ""]
    lines += ["[alerts]", "urls = [" + ", ".join(f'"{u}"' for u in alert_urls) + "]", 'retry_base = "1s"', ""]
    path = directory / "monitor.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


ON_TOPIC = {
    "title": "Turkey activates Russian S-400 air defence system, US warns of CAATSA sanctions",
    "summary": "Ankara switched on the S-400 batteries it bought from Russia, and Washington said the move "
               "keeps Turkey out of the F-35 programme and exposes it to sanctions under CAATSA.",
}
OFF_TOPIC = {
    "title": "Central bank holds interest rates steady",
    "summary": "The central bank kept its benchmark rate unchanged on Thursday, citing easing inflation.",
}


@dataclass
class Setup:
    config_path: Path
    directory: Path


@pytest.fixture
def monitor_setup(tmp_path):
    """A factory: feeds on a loopback FeedServer, a config pointing at them."""

    def make(feed_urls: list[str], alert_urls: list[str] = (), extra: str = "") -> Setup:
        return Setup(write_config(tmp_path, feed_urls, alert_urls, extra), tmp_path)

    return make
