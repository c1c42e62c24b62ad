"""One poll: the single place where the stages are wired together.

    due feeds -> fetch (threads) -> parse -> new entries only -> normalize -> match
              -> story -> store + outbox (one transaction per feed) -> send alerts

Fetches run concurrently on worker threads; a poll of many feeds parses, cleans and matches
in worker processes as bodies arrive (`monitor.parse.prepare` on a `ParserPool`);
everything that needs the store runs on the calling thread, one feed at a time, so the
store has a single writer and each feed's items, matches, stories and alerts are written
together or not at all (a savepoint; the poll commits about once a second). The poll's
open stories stay in memory between feeds (`StoryBook`) and are written back at its end.
"""
from __future__ import annotations

import ctypes
import hashlib
import logging
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from monitor.fetch import cadence
from monitor.config import Config
from monitor.fetch.fetcher import Fetcher, FetchRequest, FetchSettings
from monitor.topic.match import Topic, load_topic
from monitor.models import FetchResult
from monitor.fetch.netguard import redact_url
from monitor.parse.parser import ParseError
from monitor.parse.pool import ParserPool
from monitor.parse.prepare import PreparedFeed, prepare_feed
from monitor.store import Store, utcnow
from monitor.story.book import ItemOutcome, StoryBook, process_new_items

log = logging.getLogger("monitor.poll")


# Below this many feeds a poll parses in-process: starting worker processes would cost
# more than it saves.
POOL_MIN_FEEDS = 16
PARSE_WORKERS = 2
# A poll's feed transactions commit together at most this often (see Store.batch).
BATCH_SECONDS = 1.0
# Fetched (and parsed) feeds waiting for the store at most.
QUEUE_FEEDS = 16
# Fetched bodies waiting for a parse worker at most.
PARSE_AHEAD = 8


@dataclass
class Runtime:
    """What a process builds once from the configuration and reuses for every poll."""

    config: Config
    topics: list[Topic]
    fetcher: Fetcher
    _pool: ParserPool | None = None
    _pool_lock: threading.Lock = field(default_factory=threading.Lock)

    def pool(self) -> ParserPool:
        """Worker processes that parse, clean and match (started on first use)."""
        with self._pool_lock:
            if self._pool is None:
                specs = [(t.name, t.lexicon, t.seeds, t.threshold) for t in self.config.topics]
                self._pool = ParserPool(workers=PARSE_WORKERS, topic_specs=specs)
            return self._pool

    def close(self) -> None:
        self.fetcher.close()
        if self._pool is not None:
            self._pool.close()


def _limit_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's malloc arenas (as MALLOC_ARENA_MAX would).

    Each fetch and parse-dispatch thread that allocates response bodies would otherwise get
    an arena of its own (up to eight per core), and their fragments stay resident: about
    4 MB of a cold poll's peak. No effect elsewhere than glibc.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-8, arenas)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass


def build_runtime(config: Config) -> Runtime:
    _limit_malloc_arenas()
    # Language profiles load on the first matched item (detect_language loads them under
    # a lock): a poll in which nothing matches never reads them.
    topics = [load_topic(t.name, t.lexicon, t.seeds, t.threshold) for t in config.topics]
    known = {name for t in topics for name in (*t.concepts, *t.lexicon.groups())}
    for feed in config.feeds:
        for name in feed.implies:
            if name not in known:
                log.warning("feed %s: implies %r, which no topic's lexicon names (ignored)",
                            feed.name or redact_url(feed.url), name)
    settings = FetchSettings(
        timeout=config.fetch_timeout.total_seconds(),
        max_bytes=config.max_feed_bytes,
        allow_private_networks=config.allow_private_networks,
        per_host_concurrency=config.per_host_concurrency,
        max_workers=config.max_workers,
    )
    if config.user_agent:
        settings.user_agent = config.user_agent
    return Runtime(config=config, topics=topics, fetcher=Fetcher(settings))


@dataclass
class FeedOutcome:
    feed_id: int
    url: str
    status: int = 0
    error: str | None = None
    unchanged: bool = False  # 304, or the same bytes as last time
    entries: int = 0
    new_items: int = 0
    matched: int = 0
    alerts: int = 0


@dataclass
class PollReport:
    feeds: int = 0
    failed: int = 0
    not_modified: int = 0
    entries: int = 0
    new_items: int = 0
    matched: int = 0
    alerts: int = 0
    seconds: float = 0.0
    outcomes: list[FeedOutcome] = field(default_factory=list)

    def add(self, outcome: FeedOutcome) -> None:
        self.outcomes.append(outcome)
        self.feeds += 1
        self.failed += outcome.error is not None
        self.not_modified += outcome.unchanged
        self.entries += outcome.entries
        self.new_items += outcome.new_items
        self.matched += outcome.matched
        self.alerts += outcome.alerts


def poll_once(
    store: Store,
    runtime: Runtime,
    *,
    everything: bool = False,
    progress: Callable[[FeedOutcome, int, int], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> PollReport:
    """Poll every due feed (every enabled feed with `everything`) once."""
    started = utcnow()
    clock = time.monotonic()
    feeds = {f["id"]: f for f in store.due_feeds(started, everything=everything)}
    report = PollReport()
    requests = [FetchRequest(f["url"], f["etag"], f["last_modified"], key=fid) for fid, f in feeds.items()]
    # Bounded: when the store work falls behind, fetching waits instead of bodies and
    # parsed feeds piling up in memory.
    done: queue.Queue = queue.Queue(maxsize=QUEUE_FEEDS)
    use_pool = len(requests) >= POOL_MIN_FEEDS

    # Parsing is handed off so that a fetch lane goes on to its next feed at once: with
    # two lanes per host, a lane that waited for its parse would leave the workers idle
    # on a farm of one host. At most PARSE_AHEAD fetched bodies wait for a worker.
    dispatch = ThreadPoolExecutor(2 * PARSE_WORKERS, thread_name_prefix="poll-parse") if use_pool else None
    parse_ahead = threading.BoundedSemaphore(PARSE_AHEAD)

    def parse(key: int, result: FetchResult, body_hash: str) -> None:
        # The workers start with the first body to parse: a poll of 304s never pays for them.
        try:
            prepared = runtime.pool().prepare(result.content, result.headers, result.final_url, started,
                                              _implies(runtime.config, feeds[key]))
        except ParseError as exc:
            prepared = exc
        except BaseException as exc:  # noqa: BLE001 - the feed must still reach the loop
            prepared = ParseError(f"not parsed: {type(exc).__name__}: {exc}".splitlines()[0][:300])
        finally:
            parse_ahead.release()
        result.content = None  # parsed: the body need not wait in the queue with it
        done.put((key, result, body_hash, prepared))

    def on_result(request: FetchRequest, result: FetchResult) -> None:
        # On a fetch thread: parsing overlaps the other fetches and the main thread's
        # database work.
        body_hash = _body_hash(result)
        if dispatch is not None and _needs_parsing(feeds[request.key], result, body_hash):
            parse_ahead.acquire()
            dispatch.submit(parse, request.key, result, body_hash)
            return
        done.put((request.key, result, body_hash, None))

    def fetch_all() -> None:
        try:
            runtime.fetcher.fetch_many(requests, on_result)
        finally:
            if dispatch is not None:
                dispatch.shutdown(wait=True)  # every parsed feed is queued before the end
            done.put(None)

    book = StoryBook(store, runtime.config.story_window)
    book.recover()
    unchanged = UnchangedFeeds(store)
    worker = threading.Thread(target=fetch_all, name="poll-fetch", daemon=True)
    worker.start()
    # Each feed's writes stay all or nothing, but commit together about once a second
    # (sooner when the loop would wait longer): a commit costs more than a feed's statements.
    finished = False
    with store.batch(BATCH_SECONDS):
        try:
            while True:
                try:
                    # Wait with the transaction open only until it is due anyway, then
                    # commit: the write lock is never held longer than the batch allows.
                    due = store.batch_due_in()
                    entry = done.get(timeout=due) if due else done.get_nowait()
                except queue.Empty:
                    store.commit_batch()
                    entry = done.get()
                if entry is None:
                    break
                feed_id, result, body_hash, prepared = entry
                if should_stop():
                    continue  # unprocessed feeds stay due and are polled next time
                outcome = _process_safely(store, runtime, feeds[feed_id], result, body_hash, prepared,
                                          book=book, unchanged=unchanged)
                report.add(outcome)
                if progress:
                    progress(outcome, report.feeds, len(requests))
            worker.join()
            finished = True
        finally:
            if not finished:
                # Left early (an interrupt): the fetch and parse threads must not block on
                # the bounded queue for ever, or the process could not exit.
                threading.Thread(target=_drain, args=(done,), name="poll-drain", daemon=True).start()
            # What was committed feed by feed is complete without these; they only bring
            # the feeds' schedules and the stories' summaries up to date in one write each.
            unchanged.flush()
            book.checkpoint()
    report.seconds = round(time.monotonic() - clock, 3)
    if report.feeds:
        # A tick with no feed due is not a poll worth reporting in `monitor status`.
        store.set_meta("last_poll_at", started.strftime("%Y-%m-%dT%H:%M:%SZ"))
        store.bump_meta("polls_total")  # monitor_polls_total (monitor/desk/metrics.py)
        store.set_meta("last_poll_summary", f"{report.feeds} feeds, {report.new_items} new items, "
                       f"{report.matched} matched, {report.alerts} alerts, {report.failed} failed")
    return report


def _implies(config: Config, feed: dict) -> tuple[str, ...]:
    """The parties a stored feed implies: its configured `implies`, by URL, else by name."""
    found = config.feed_implies()
    return found.get(feed["url"]) or found.get(feed.get("name") or "") or ()


def _drain(done: queue.Queue) -> None:
    while done.get() is not None:
        pass


def _body_hash(result: FetchResult) -> str:
    return hashlib.sha256(result.content or b"").hexdigest()[:32]


def _needs_parsing(feed: dict, result: FetchResult, body_hash: str) -> bool:
    return not result.error and not result.not_modified and body_hash != feed["body_hash"]


class UnchangedFeeds:
    """Fetch-state updates of feeds that brought nothing new, written together.

    A warm poll is mostly 304s: one transaction per feed would cost more than the fetch.
    Rows are written in one `executemany` every `max_rows` feeds or `max_seconds`, and by
    `flush()` at the end of the poll; a poll that stops before that polls those feeds
    again next time, which is harmless.
    """

    def __init__(self, store: Store, max_rows: int = 500, max_seconds: float = 2.0):
        self.store, self.max_rows, self.max_seconds = store, max_rows, max_seconds
        self._rows: list[tuple] = []
        self._since = 0.0

    def add(self, feed_id: int, now: datetime, next_check: datetime, status: int,
            etag: str | None, last_modified: str | None) -> None:
        if not self._rows:
            self._since = time.monotonic()
        self._rows.append((feed_id, now, next_check, status, etag, last_modified))
        if len(self._rows) >= self.max_rows or time.monotonic() - self._since >= self.max_seconds:
            self.flush()

    def flush(self) -> None:
        rows, self._rows = self._rows, []
        self.store.record_unchanged(rows)


def _process_safely(store: Store, runtime: Runtime, feed: dict, result: FetchResult, body_hash: str,
                    prepared: PreparedFeed | ParseError | None, *, book: StoryBook | None = None,
                    unchanged: UnchangedFeeds | None = None) -> FeedOutcome:
    """`process_fetch`, but a fault in our own code on one feed's items costs that feed
    only: it is recorded as the feed's error (and retried with back-off) while the poll
    goes on with the others, instead of every poll stopping at the same feed."""
    try:
        return process_fetch(store, runtime, feed, result, prepared, body_hash=body_hash, book=book,
                             unchanged=unchanged)
    except Exception as exc:  # the store rolled the feed's transaction back
        log.exception("feed %s (%s): processing failed", feed["id"], feed["name"] or redact_url(feed["url"]))
        error = f"processing failed: {type(exc).__name__}: {exc}".splitlines()[0][:300]
        now = utcnow()
        retry = cadence.next_check(now, interval=_interval(feed, runtime), error_count=feed["error_count"] + 1,
                                   key=feed["url"])
        store.record_fetch(feed["id"], now=now, next_check=retry, status=result.status, error=error)
        return FeedOutcome(feed_id=feed["id"], url=feed["url"], status=result.status, error=error)


def _interval(feed: dict, runtime: Runtime) -> timedelta:
    return timedelta(seconds=feed["poll_interval_s"]) if feed["poll_interval_s"] else runtime.config.poll_interval


def process_fetch(
    store: Store, runtime: Runtime, feed: dict, result: FetchResult,
    prepared: PreparedFeed | ParseError | None = None, *, body_hash: str | None = None,
    book: StoryBook | None = None, unchanged: UnchangedFeeds | None = None,
) -> FeedOutcome:
    """Everything after the fetch for one feed. Records failures; never raises for them.

    `prepared` is the body already parsed, cleaned and matched by a worker process (or
    the ParseError it raised); without it that happens here. `book` keeps the poll's
    stories in memory between feeds (without it, this feed's stories are read and written
    back here); `unchanged` collects the fetch state of an unchanged feed for a later
    batch write (without it, it is written now).
    """
    now = utcnow()
    outcome = FeedOutcome(feed_id=feed["id"], url=feed["url"], status=result.status)
    interval = _interval(feed, runtime)
    headers = result.headers or {}

    def schedule(error_count: int) -> datetime:
        return cadence.next_check(
            now, interval=interval, ttl_seconds=feed["ttl_s"],
            cache_control=headers.get("cache-control"), expires=headers.get("expires"),
            retry_after=result.retry_after, error_count=error_count, key=feed["url"],
        )

    def fail(error: str) -> FeedOutcome:
        outcome.error = error
        store.record_fetch(feed["id"], now=now, next_check=schedule(feed["error_count"] + 1),
                           status=result.status, error=error, gone=result.gone)
        log.warning("feed %s (%s): %s", feed["id"], feed["name"] or redact_url(feed["url"]), error)
        return outcome

    if result.error:
        return fail(result.error)
    body_hash = body_hash or _body_hash(result)
    if not _needs_parsing(feed, result, body_hash):
        # Unchanged: no parsing, no item work. Validators are kept up to date.
        outcome.unchanged = True
        if unchanged is not None and not result.permanent_url:
            unchanged.add(feed["id"], now, schedule(0), result.status, result.etag, result.last_modified)
            return outcome
        store.record_fetch(feed["id"], now=now, next_check=schedule(0), status=result.status, error=None,
                           etag=result.etag, last_modified=result.last_modified, new_url=result.permanent_url)
        outcome.unchanged = True
        return outcome
    if prepared is None:
        try:
            prepared = prepare_feed(result.content or b"", headers, result.final_url, runtime.topics, now,
                                    implies=_implies(runtime.config, feed))
        except ParseError as exc:
            prepared = exc
    if isinstance(prepared, ParseError):
        return fail(str(prepared))
    parsed = prepared
    outcome.entries = len(parsed.entries)
    first_poll = feed["first_success_at"] is None
    with book.feed() if book is not None else nullcontext(), store.write():
        items: list[ItemOutcome] = process_new_items(
            store, runtime.config, runtime.topics, feed, parsed.entries, now, first_poll=first_poll, book=book,
        )
        store.record_fetch(
            feed["id"], now=now, next_check=schedule(0), status=result.status, error=None,
            etag=result.etag, last_modified=result.last_modified, title=parsed.title or None,
            ttl_s=parsed.ttl_seconds, new_url=result.permanent_url, items_seen=len(items),
            body_hash=body_hash,
        )
    outcome.new_items = sum(1 for i in items if i.new)
    outcome.matched = sum(1 for i in items if i.matched)
    outcome.alerts = sum(1 for i in items if i.alerted)
    if parsed.warning:
        log.info("feed %s: %s", feed["id"], parsed.warning)
    return outcome
