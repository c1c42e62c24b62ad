#!/bin/sh
# Makes docs/web-desk.png: the demo's matches in `monitor web`, in headless Chromium
# (Debian: apt-get install chromium). Run from anywhere: sh docs/make-screenshot.sh
set -eu
cd "$(dirname "$0")/.."
PORT=${PORT:-8765}
.venv/bin/monitor demo --dir demo-state >/dev/null
.venv/bin/monitor --config demo-state/monitor.toml web --port "$PORT" &
server=$!
trap 'kill $server' EXIT
.venv/bin/python - "$PORT" <<'PY'
import sys, time, urllib.request
for _ in range(100):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/monitor", timeout=1)
        break
    except OSError:
        time.sleep(0.1)
PY
# --no-sandbox only because containers often run this as root.
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1366,900 \
    --screenshot=docs/web-desk.png "http://127.0.0.1:$PORT/monitor/latest_matches?topic="
