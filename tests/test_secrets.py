"""No secret from an alert URL reaches a log line, an error message or the CLI output.

Targets come from the config file (with a ${VAR} reference), from MONITOR_ALERT_URLS and
from an Apprise config file; every one of them fails, so error paths run. The daemon's
log at DEBUG level, every command's output and the stored labels and errors are
searched for each secret.
"""
from __future__ import annotations

import json
import time
import urllib.parse

from monitor.config import AlertConfig
from monitor.alert.targets import build_targets
from monitor.demo.loopback import FeedServer, Route, WebhookReceiver
from delivery_helpers import (
    ON_TOPIC_SUMMARY, ON_TOPIC_TITLE, DaemonProcess, free_port, rss, run_cli, wait_for, write_config,
)

SECRETS = {
    "password": "Pa55w0rdInFile",
    "token": "TOKENfromEnvVar0123",
    "env_password": "EnvUrlSecret987",
    "env_token": "ENVTOKEN24680ace",
    "file_token": "FileSecret13579bd",
}


def leaks(text: str) -> list[str]:
    found = []
    for name, secret in SECRETS.items():
        for form in {secret, urllib.parse.quote(secret), secret.lower()}:
            if form in text:
                found.append(name)
    return found


def test_no_secret_in_logs_errors_or_cli_output(tmp_path):
    dead = free_port()  # nothing listens: every send fails with a connection error
    with FeedServer() as feeds, WebhookReceiver() as hook:
        hook.fail_next = 10_000  # answers 503 to everything
        feeds.routes["/news.xml"] = Route(rss([{"title": ON_TOPIC_TITLE, "summary": ON_TOPIC_SUMMARY}], title="news"))
        apprise_file = tmp_path / "apprise.txt"
        apprise_file.write_text(f"json://bot:{SECRETS['file_token']}@127.0.0.1:{dead}/x\n", encoding="utf-8")
        urls = [f"json://analyst:{SECRETS['password']}@127.0.0.1:{hook.port}/hook/${{HOOK_TOKEN}}"]
        config = write_config(tmp_path, [feeds.url("/news.xml")], urls,
                              'retry_base = "1s"\nretry_max = "1s"\nconfig = "apprise.txt"',
                              monitor_extra="")
        text = config.read_text().replace('log_level = "info"', 'log_level = "debug"')
        config.write_text(text)
        env = {"HOOK_TOKEN": SECRETS["token"],
               "MONITOR_ALERT_URLS": f"json://robot:{SECRETS['env_password']}@127.0.0.1:{dead}/h/{SECRETS['env_token']}"}

        outputs = []
        poll = run_cli(config, "poll", env=env)
        outputs.append(poll.stdout + poll.stderr)
        assert "1 alert queued" in poll.stdout and "0 sent, 1 failed" in poll.stdout, poll.stdout + poll.stderr
        with DaemonProcess(config, tmp_path / "daemon.log", env=env) as daemon:
            assert wait_for(lambda: hook.attempts >= 3, 20), daemon.log()
            time.sleep(1)
            daemon.stop()
        outputs.append(daemon.log())
        for command in (("alerts",), ("alerts", "--json"), ("status",), ("status", "--json"), ("alerts", "test"),
                        ("alerts", "retry", "--failed")):
            result = run_cli(config, *command, env=env)
            outputs.append(result.stdout + result.stderr)

    everything = "\n".join(outputs)
    assert "DEBUG" in outputs[1]  # the daemon really logged at DEBUG
    assert "Connection error" in everything and "503" in everything  # the failures are there...
    assert "json://analyst:****@127.0.0.1" in everything or "json://****" in everything
    assert leaks(everything) == []  # ...their secrets are not
    listing = json.loads(outputs[3].splitlines()[0])
    assert {t["status"] for t in listing["targets"]} == {"failed"} and len(listing["targets"]) == 3


def test_a_bad_url_is_reported_without_its_secret():
    config = AlertConfig(urls=[f"nosuchscheme://user:{SECRETS['password']}@example.org/{SECRETS['token']}"])
    try:
        build_targets(config)
    except ValueError as exc:
        message = str(exc)
    else:
        raise AssertionError("a URL Apprise does not understand must be refused")
    assert "nosuchscheme" in message and leaks(message) == []


def test_tokens_wherever_a_service_keeps_them_are_treated_as_secrets():
    from monitor.alert.targets import _secret_fragments

    assert set(_secret_fragments("tgram://123456789:AAbbccddeeff/12345")) >= {"AAbbccddeeff", "123456789"}
    assert "TOKENabc123456" in _secret_fragments("json://host.example/hook/TOKENabc123456")
    assert "SUPERSECRETKEY" in _secret_fragments("discord://1234/abcdefghijkl?apikey=SUPERSECRETKEY&format=markdown")
    assert "Pa55" in _secret_fragments("mailto://user:Pa55@mail.example.org")
    plain = _secret_fragments("json://127.0.0.1:8080/alerts?overflow=truncate&format=markdown")
    assert plain == []  # hosts, short paths and settings stay readable in logs


def test_tracebacks_are_masked_too():
    import logging

    from monitor.logs import SecretFilter, register_secrets

    register_secrets(["TraceSecret4242"])
    try:
        raise RuntimeError("could not reach json://h/TraceSecret4242")
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed: %s", ("TraceSecret4242",),
                                   exc_info=__import__("sys").exc_info())
    SecretFilter().filter(record)
    text = logging.Formatter().format(record)
    assert "RuntimeError" in text and "TraceSecret4242" not in text
