"""Real parts for the delivery tests: feeds, an SMTP server, the daemon as a process.

Everything runs on loopback: feeds from monitor.demo.loopback.FeedServer, alerts to
monitor.demo.loopback.WebhookReceiver (Apprise json://) and to an aiosmtpd server (mailto://),
and `monitor run` itself as a subprocess, so signals and crashes are the real thing.
"""
from __future__ import annotations

import email
import email.policy
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Callable
from xml.sax.saxutils import escape

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[1]
MONITOR = Path(sys.executable).parent / "monitor"
LEXICON = ROOT / "config" / "topics" / "s400-f35.toml"
SEEDS = ROOT / "seeds"
REFERENCE = re.compile(r"feed-monitor alert #(\d+)")

ON_TOPIC_TITLE = "Turkey activates Russian S-400 air defence system, US warns of CAATSA sanctions"
ON_TOPIC_SUMMARY = ("Ankara switched on the S-400 batteries it bought from Russia; Washington said the move "
                    "keeps Turkey out of the F-35 programme and exposes it to CAATSA sanctions.")


def rss(items: list[dict], title: str = "Test feed") -> bytes:
    """An RSS 2.0 document; each item has title, summary and optional guid, url."""
    parts = [f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{escape(title)}</title>'
             "<link>http://feeds.test/</link><description>test</description>"]
    for number, item in enumerate(items):
        guid = item.get("guid", f"{title}-{number}")
        published = item.get("published") or format_datetime(datetime.now(timezone.utc))
        parts.append(
            f"<item><title>{escape(item['title'])}</title>"
            f"<link>{escape(item.get('url') or 'http://feeds.test/' + guid)}</link>"
            f"<guid>{escape(guid)}</guid><pubDate>{published}</pubDate>"
            f"<description>{escape(item.get('summary', ''))}</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


def write_config(directory: Path, feed_urls: list[str], alert_urls: list[str], alerts_extra: str = "",
                 monitor_extra: str = "") -> Path:
    lines = ["[monitor]", 'database = "monitor.db"', "allow_private_networks = true", 'backfill = "3650d"',
             'poll_interval = "10s"', 'log_level = "info"', monitor_extra, ""]
    for url in feed_urls:
        lines += ["[[feed]]", f'url = "{url}"', ""]
    lines += ["[[topic]]", 'name = "s400-f35"', f'seeds = ["{SEEDS}/*.txt"]', f'lexicon = "{LEXICON}"', ""]
    lines += ["[alerts]", "urls = [" + ", ".join(f'"{u}"' for u in alert_urls) + "]", alerts_extra, ""]
    path = directory / "monitor.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpSink:
    """A real SMTP server (aiosmtpd) on loopback that keeps every message it accepts."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.raw: list[bytes] = []  # each message as it arrived, headers unparsed
        self._lock = threading.Lock()
        owner = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                message = email.message_from_bytes(envelope.original_content or envelope.content,
                                                   policy=email.policy.default)
                with owner._lock:
                    owner.messages.append(message)
                    owner.raw.append(envelope.original_content or envelope.content)
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def apprise_url(self) -> str:
        return f"mailto://127.0.0.1:{self.port}?from=monitor@example.com&to=analyst@example.com"

    def __enter__(self) -> "SmtpSink":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


def text_part(message) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


def references(texts: list[str]) -> list[int]:
    """The outbox IDs named in received messages, one per message, in order."""
    found = []
    for text in texts:
        match = REFERENCE.search(text)
        if match:
            found.append(int(match.group(1)))
    return found


def webhook_texts(receiver) -> list[str]:
    return [f"{post.get('title', '')}\n{post.get('message', '')}" for post in list(receiver.received)]


def smtp_texts(sink: SmtpSink) -> list[str]:
    return [f"{m['subject']}\n{text_part(m)}" for m in list(sink.messages)]


class DaemonProcess:
    """`monitor --config PATH run` as a real process, its log in a file."""

    def __init__(self, config_path: Path, log_path: Path, env: dict[str, str] | None = None,
                 poll_tick: float = 0.5, send_tick: float = 0.3):
        self.config_path = config_path
        self.log_path = log_path
        self.env = {**os.environ, "MONITOR_POLL_TICK": str(poll_tick), "MONITOR_SEND_TICK": str(send_tick),
                    "MONITOR_STOP_GRACE": "5", "PYTHONUNBUFFERED": "1", **(env or {})}
        self.process: subprocess.Popen | None = None

    def start(self) -> "DaemonProcess":
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen([str(MONITOR), "--config", str(self.config_path), "run"],
                                        stdout=log, stderr=subprocess.STDOUT, env=self.env)
        log.close()
        return self

    def signal(self, number: int) -> None:
        self.process.send_signal(number)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self, timeout: float = 20) -> float:
        """SIGTERM and wait; returns the seconds it took to exit."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout)
        return time.monotonic() - started

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> "DaemonProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def wait_for(condition: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def run_cli(config_path: Path, *args: str, env: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(MONITOR), "--config", str(config_path), *args], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


def enqueue(store, count: int, *, expires_in: timedelta = timedelta(days=1), kind: str = "new") -> list[int]:
    """Queue `count` alerts straight into the outbox, as a poll would."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    ids = []
    for number in range(count):
        ids.append(store.enqueue_alert(
            topic="s400-f35", story_id=None, item_id=None, kind=kind,
            title=f"[s400-f35] New: event {number}", body=f"Event {number} body",
            body_html=f"<p>Event {number} body</p>", now=now, expires_at=now + expires_in,
        ))
    return ids
