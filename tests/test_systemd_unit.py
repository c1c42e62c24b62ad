"""The shipped unit file: installable as it is, notify-type with a watchdog, hardened."""
import configparser
import shutil
import subprocess

import pytest

from conftest import ROOT

UNIT = ROOT / "systemd" / "feed-monitor.service"


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string(UNIT.read_text())
    return parser


def test_unit_runs_the_daemon_as_a_notify_service_with_watchdog():
    service = unit()["Service"]
    assert service["Type"] == "notify"
    assert service["ExecStart"].endswith("run") and "--config" in service["ExecStart"]
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert service["WatchdogSec"] and service["Restart"] == "on-failure"
    assert service["User"] == "feed-monitor" and service["StateDirectory"] == "feed-monitor"
    assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_accepts_the_unit():
    result = subprocess.run(["systemd-analyze", "verify", str(UNIT)], capture_output=True, text=True)
    problems = [line for line in result.stderr.splitlines()
                if line.strip() and "is not executable" not in line and "No such file" not in line]
    assert problems == []
