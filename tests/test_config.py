from datetime import timedelta
from pathlib import Path

import pytest

from conftest import LEXICON, ROOT, SEEDS
from monitor.config import ConfigError, FeedConfig, load_config

TOPIC = f'[[topic]]\nname = "t"\nseeds = ["{SEEDS}/*.txt"]\nlexicon = "{LEXICON}"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "monitor.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_default_config_loads():
    config = load_config(ROOT / "config" / "monitor.toml", environ={})
    assert len(config.feeds) >= 20
    assert config.topics[0].name == "s400-f35"
    assert len(config.topics[0].seeds) == 5
    assert config.alerts.urls == []
    assert config.database == (ROOT / "state" / "monitor.db").resolve()


def test_values_and_relative_paths(tmp_path):
    path = write(tmp_path, '[monitor]\ndatabase = "data/m.db"\npoll_interval = "10m"\nmax_feed_bytes = "2MB"\n'
                 '[[feed]]\nurl = "https://example.org/rss"\nname = "Ex"\npoll_interval = "1h"\n' + TOPIC)
    config = load_config(path, environ={})
    assert config.database == tmp_path / "data" / "m.db"
    assert config.poll_interval == timedelta(minutes=10)
    assert config.max_feed_bytes == 2 * 1024 * 1024
    assert config.feeds[0].poll_interval == timedelta(hours=1)
    assert config.feeds[0].implies == ()


def test_a_feed_may_imply_parties(tmp_path):
    path = write(tmp_path, '[[feed]]\nurl = "https://example.org/rss"\nname = "Ex"\nimplies = ["turkey"]\n'
                 '[[feed]]\nurl = "https://example.org/other"\n' + TOPIC)
    config = load_config(path, environ={})
    assert config.feeds[0].implies == ("turkey",)
    assert config.feed_implies() == {"https://example.org/rss": ("turkey",), "Ex": ("turkey",)}
    assert config.feed_implies() is config.feed_implies()  # built once, not once per feed polled
    config.feeds.append(FeedConfig(url="https://example.net/rss", implies=("india",)))
    assert config.feed_implies()["https://example.net/rss"] == ("india",)
    config.feeds = []
    assert config.feed_implies() == {}


def test_alert_settings(tmp_path):
    path = write(tmp_path, '[alerts]\ndigest = "hourly"\ndigest_delay = "5m"\nmax_per_hour = 5\nexpire_after = "1d"\n')
    alerts = load_config(path, environ={}).alerts
    assert (alerts.digest, alerts.digest_delay, alerts.max_per_hour) == ("hourly", timedelta(minutes=5), 5)
    assert alerts.expire_after == timedelta(days=1)
    assert load_config(write(tmp_path, '[alerts]\ndigest = "off"\n'), environ={}).alerts.digest is None


def test_alert_urls_from_environment(tmp_path):
    path = write(tmp_path, '[alerts]\nurls = ["json://${HOOK_HOST}/x"]\n')
    config = load_config(path, environ={"HOOK_HOST": "hooks.example", "MONITOR_ALERT_URLS": "tgram://a/b mailto://c"})
    assert config.alerts.urls == ["json://hooks.example/x", "tgram://a/b", "mailto://c"]
    assert config.alerts.url_sources == [f"{path}: [alerts] urls #1", "MONITOR_ALERT_URLS #1", "MONITOR_ALERT_URLS #2"]


@pytest.mark.parametrize("text,message", [
    ('[monitor]\npoll_interval = "15x"\n', r"\[monitor\] poll_interval: '15x' is not a duration"),
    ('[monitor]\nbackfill = 7\n', r"\[monitor\] backfill: 7 has no unit: write a duration like 15m, 1h or 2d \(7s if"),
    ('[[feed]]\nurl = "https://a/b"\npoll_interval = "15"\n', r"\[\[feed\]\] #1 poll_interval: '15' has no unit"),
    ('[alerts]\nretry_base = 30\n', r"\[alerts\] retry_base: 30 has no unit"),
    ('[monitor]\npol_interval = "15m"\n', r"\[monitor\] pol_interval: unknown key"),
    ('[[feed]]\nurl = "ftp://x/y"\n', r"\[\[feed\]\] #1 url: 'ftp://x/y' is not an http\(s\) URL"),
    ('[[feed]]\nurl = "https://a/b"\n[[feed]]\nurl = "https://a/b"\n', "listed twice"),
    ('[[topic]]\nname = "t"\nseeds = ["nothing/*.txt"]\n', r"\[\[topic\]\] #1 seeds: no file matches"),
    ('[alerts]\nurls = ["json://${NOPE}/x"]\n', "environment variable NOPE is not set"),
    ('[alerts]\ndigest = "weekly"\n', "digest: 'weekly' is not one of"),
    ('[monitor\n', "not valid TOML"),
    ('[[feed]]\nurl = "https://a/b"\nimplies = "turkey"\n', r"\[\[feed\]\] #1 implies: must be a list of concept ids"),
    ('[[feed]]\nurl = "https://a/b"\nimplies = ["Turkey"]\n', r"\[\[feed\]\] #1 implies: must be a list of concept ids"),
    ('[monitor]\nallow_private_networks = "yes"\n', "must be true or false"),
    ('[monitor]\nretention = "2d"\nstory_window = "3d"\n', r"\[monitor\] retention: must be at least 1d"),
])
def test_bad_config_gives_one_line_naming_file_and_key(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(path, environ={})
    assert str(caught.value).startswith(str(path))
    assert "\n" not in str(caught.value)


def test_missing_file_says_how_to_point_elsewhere(tmp_path):
    with pytest.raises(ConfigError, match="not found.*--config"):
        load_config(tmp_path / "nope.toml")
