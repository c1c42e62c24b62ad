"""Every file of feedparser's test corpus, served over loopback HTTP, through fetch + parse.

Each file arrives with the headers its `Header: Name: value` comment lines ask for
(Content-Type, Content-Location, Status, Location, ETag...), and the compression/ files
with the Content-Encoding their extension names. The guarantees checked: no exception,
no hang, bounded memory, and fetching and parsing a file twice gives the same entries.
"""
from __future__ import annotations

import re
import resource
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from monitor.fetch.fetcher import Fetcher, FetchSettings
from monitor.parse.parser import ParseError, parse_feed

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CORPUS = SHARED / "corpora" / "feedparser-6.0.14"
_HEADER = re.compile(rb"^Header:\s*([\w-]+):\s*(.*?)\s*$", re.MULTILINE)
_ENCODINGS = {".gz": "gzip", ".z": "deflate"}


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "LICENSE")


def declared_headers(body: bytes) -> list[tuple[str, str]]:
    """The `Header:` lines of the file's leading comment."""
    return [(n.decode("latin-1"), v.decode("latin-1")) for n, v in _HEADER.findall(body[:4096])]


class CorpusServer:
    def __init__(self, root: Path) -> None:
        server = self
        root = root.resolve()  # shared/ may be a symbolic link; files are compared resolved

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes

            def do_GET(self) -> None:  # noqa: N802
                path = unquote(urlsplit(self.path).path)
                if path == "/-/return-304.xml":
                    return self._reply(304, b"", [])
                file = (root / path.removeprefix("/tests/").lstrip("/")).resolve()
                if root not in file.parents or not file.is_file():
                    return self._reply(404, b"", [])
                body = file.read_bytes()
                status = 200
                headers: list[tuple[str, str]] = []
                for name, value in declared_headers(body):
                    if name.lower() == "status":
                        status = int(value)
                    elif name.lower() == "location":
                        # The corpus points at feedparser's own test server; keep the path.
                        headers.append(("Location", urlsplit(value).path))
                    else:
                        headers.append((name, value))
                encoding = _ENCODINGS.get(file.suffix)
                if encoding:
                    headers.append(("Content-Encoding", encoding))
                self._reply(status, body, headers)

            def _reply(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body) if status != 304 else 0))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        class Quiet(ThreadingHTTPServer):
            def handle_error(self, request, client_address) -> None:
                pass  # a client closing a kept-alive connection is not news

        self.httpd = Quiet(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, relative: str) -> str:
        return f"http://127.0.0.1:{self.port}/tests/{relative}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def identity(feed) -> list[tuple]:
    return [(e.guid, e.link, e.title, e.summary, e.published) for e in feed.entries]


def test_whole_corpus_through_fetch_and_parse():
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    files = corpus_files()
    assert len(files) >= 2000

    server = CorpusServer(CORPUS)
    fetcher = Fetcher(FetchSettings(timeout=10, allow_private_networks=True))
    failures: list[str] = []
    outcomes = {"parsed": 0, "not a feed": 0, "fetch error": 0, "not modified": 0}
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    slowest = (0.0, "")
    try:
        for file in files:
            relative = file.relative_to(CORPUS).as_posix()
            started = time.monotonic()
            try:
                result = fetcher.fetch(server.url(relative))
                if result.error:
                    outcomes["fetch error"] += 1
                elif result.not_modified:
                    outcomes["not modified"] += 1
                else:
                    try:
                        first = parse_feed(result.content, result.headers, result.final_url)
                    except ParseError as exc:
                        outcomes["not a feed"] += 1
                        assert str(exc) and "\n" not in str(exc)
                    else:
                        outcomes["parsed"] += 1
                        # A second poll of the same bytes must yield the very same entries.
                        again = fetcher.fetch(server.url(relative))
                        second = parse_feed(again.content, again.headers, again.final_url)
                        if identity(first) != identity(second):
                            failures.append(f"{relative}: entries differ between two parses")
            except Exception as exc:  # noqa: BLE001 - collected, reported below
                failures.append(f"{relative}: {type(exc).__name__}: {exc}")
            elapsed = time.monotonic() - started
            slowest = max(slowest, (elapsed, relative))
    finally:
        fetcher.close()
        server.close()
    print("corpus outcomes:", outcomes, "slowest:", slowest)
    rss_growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024

    assert not failures, f"{len(failures)} failures, e.g.:\n" + "\n".join(failures[:20])
    # No hang: nothing near the fetch deadline or the parse budget.
    assert slowest[0] < 5, f"slowest file: {slowest}"
    assert rss_growth_mb < 200, f"peak RSS grew by {rss_growth_mb:.0f} MB"
    # Most of the corpus is feeds; a wholesale regression would show up here.
    assert outcomes["parsed"] > 0.9 * len(files), outcomes
    # The http/ files exercise redirects and statuses; some end in errors by design.
    assert outcomes["fetch error"] < 20, outcomes
