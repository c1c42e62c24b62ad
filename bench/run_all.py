"""Run every benchmark in this folder, one after the other (`make bench`)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[1] / "shared"


def main() -> int:
    failures = 0
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"\n=== {script.name}", flush=True)
        failures += subprocess.call([sys.executable, str(script)], cwd=HERE.parent) != 0
    story_eval = HERE / "story_eval.py"
    dev = SHARED / "eval" / "dev.jsonl"
    if story_eval.exists() and dev.exists():
        print(f"\n=== {story_eval.name}", flush=True)
        failures += subprocess.call([sys.executable, str(story_eval), str(dev)], cwd=HERE.parent) != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
