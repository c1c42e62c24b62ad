import io

from monitor.cli.progress import PollProgress
from monitor.pipeline import FeedOutcome


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class Terminal(io.StringIO):
    def isatty(self):
        return True


def outcomes(total, *, failing=()):
    for i in range(total):
        if i in failing:
            yield FeedOutcome(i, f"http://f/{i}.xml", error="HTTP 500")
        else:
            yield FeedOutcome(i, f"http://f/{i}.xml", unchanged=i % 2 == 0, new_items=i % 2, matched=int(i == 7))


def test_without_a_terminal_one_line_a_second_and_each_failure_named():
    clock, out = Clock(), io.StringIO()
    progress = PollProgress(out, clock=clock)
    for done, outcome in enumerate(outcomes(1000, failing={3}), 1):
        clock.now += 0.0025  # 1,000 feeds in 2.5 s
        progress(outcome, done, 1000)
    progress.close()
    lines = out.getvalue().splitlines()
    assert lines[0] == "http://f/3.xml: HTTP 500"
    assert len(lines) == 1 + 2 + 1  # the failure, one line a second, the last feed
    assert lines[-1] == "[1000/1000] feeds: 500 unchanged, 499 new items, 1 matched, 1 failed"


def test_on_a_terminal_the_line_is_rewritten_in_place():
    clock, out = Clock(), Terminal()
    progress = PollProgress(out, clock=clock)
    for done, outcome in enumerate(outcomes(100, failing={50}), 1):
        clock.now += 0.01
        progress(outcome, done, 100)
    progress.close()
    text = out.getvalue()
    assert text.count("\n") == 2  # the failure's own line and the end of the progress line
    assert "\r\x1b[Khttp://f/50.xml: HTTP 500\n" in text
    assert 5 <= text.count("\r\x1b[K[") <= 12  # about ten redraws a second, not one per feed
    assert text.endswith("[100/100] feeds: 49 unchanged, 50 new items, 1 matched, 1 failed\n")
