"""A farm of RSS feeds on loopback: N feeds x M items, generated deterministically.

Feeds are spread over several loopback addresses (127.0.0.1, 127.0.0.2, ...), so that a
poll sees many hosts as it would on the internet and the per-host politeness limit does
not serialise the whole farm. Every feed has an ETag and a Last-Modified, honours
If-None-Match / If-Modified-Since with 304, and is gzipped when the client accepts it.
Items are news-like text in English, French, Turkish, Russian, Arabic, Persian, German
and Spanish; one in a hundred is on the monitored topic (S-400 / F-35), more than a
narrow topic gets from general news feeds, so that matching and stories get exercised.

`GET /_bump?feeds=K` publishes one new item in each of the first K feeds (a changed poll).

Use from Python (`with FeedFarm(feeds=100, items=50) as farm: farm.urls()`) or as a
process for benchmarks: ``python bench/feed_farm.py --feeds 1000 --items 50`` prints one
JSON line ``{"port": ..., "hosts": [...], "feeds": ..., "items": ...}`` when it is ready
and serves until its standard input closes or it is terminated.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import sys
import threading
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

# (title subjects, title predicates, body sentences) per language; fragments combine.
_TEXT: dict[str, tuple[list[str], list[str], list[str]]] = {
    "en": (
        ["The central bank", "Regional officials", "A court in the capital", "Farmers' unions", "The health ministry", "Local residents"],
        ["announce new measures", "warn of rising costs", "reject the proposal", "welcome the decision", "call for an inquiry", "report record numbers"],
        [
            "The announcement came after weeks of negotiations between the parties.",
            "Analysts said the move was widely expected but its timing surprised markets.",
            "Opposition lawmakers criticised the plan, calling it rushed and poorly funded.",
            "Officials said further details would be published later this month.",
            "The figures are the highest since records began more than two decades ago.",
            "Residents gathered outside the town hall on Tuesday evening to voice concerns.",
        ],
    ),
    "fr": (
        ["Le gouvernement", "Les syndicats", "La mairie de Lyon", "Le tribunal administratif", "Les agriculteurs"],
        ["présente un nouveau plan", "dénonce une réforme injuste", "annonce des investissements", "suspend le projet"],
        [
            "La décision intervient après plusieurs semaines de discussions tendues.",
            "Selon les experts, les effets se feront sentir dès l'année prochaine.",
            "Les élus de l'opposition réclament un débat au Parlement.",
            "Le ministère a promis de publier un rapport détaillé avant l'été.",
        ],
    ),
    "tr": (
        ["Merkez Bankası", "İstanbul Büyükşehir Belediyesi", "Sağlık Bakanlığı", "Çiftçiler", "Ekonomistler"],
        ["yeni kararını açıkladı", "uyarıda bulundu", "öneriyi reddetti", "rekor kırdı"],
        [
            "Açıklama, taraflar arasında haftalar süren görüşmelerin ardından geldi.",
            "Uzmanlar, kararın piyasalarda beklenen etkiyi yaratacağını belirtti.",
            "Muhalefet milletvekilleri planın aceleye getirildiğini savundu.",
            "Yetkililer ayrıntıların bu ay içinde paylaşılacağını söyledi.",
        ],
    ),
    "ru": (
        ["Центральный банк", "Правительство региона", "Московский суд", "Министерство здравоохранения", "Жители города"],
        ["объявил о новых мерах", "предупредил о росте цен", "отклонил предложение", "сообщил о рекорде"],
        [
            "Заявление было сделано после нескольких недель переговоров.",
            "Аналитики отмечают, что решение было ожидаемым, но его сроки удивили рынок.",
            "Представители оппозиции раскритиковали план, назвав его поспешным.",
            "Подробности будут опубликованы в конце месяца, сообщили чиновники.",
        ],
    ),
    "ar": (
        ["البنك المركزي", "وزارة الصحة", "محكمة في العاصمة", "المزارعون", "مسؤولون محليون"],
        ["يعلن عن إجراءات جديدة", "يحذر من ارتفاع الأسعار", "يرفض المقترح", "يسجل أرقاما قياسية"],
        [
            "جاء الإعلان بعد أسابيع من المفاوضات بين الأطراف المعنية.",
            "وقال محللون إن الخطوة كانت متوقعة على نطاق واسع.",
            "وانتقد نواب المعارضة الخطة ووصفوها بأنها متسرعة.",
            "وأفاد المسؤولون بأن مزيدا من التفاصيل سينشر في وقت لاحق من هذا الشهر.",
        ],
    ),
    "fa": (
        ["بانک مرکزی", "وزارت بهداشت", "دادگاه تهران", "کشاورزان", "مقامات محلی"],
        ["از تدابیر تازه خبر داد", "درباره افزایش قیمت‌ها هشدار داد", "این پیشنهاد را رد کرد"],
        [
            "این اعلام پس از چند هفته مذاکره میان طرفین صورت گرفت.",
            "تحلیلگران می‌گویند این تصمیم از پیش انتظار می‌رفت.",
            "نمایندگان مخالف این طرح را شتاب‌زده خواندند.",
        ],
    ),
    "de": (
        ["Die Bundesregierung", "Der Stadtrat", "Das Verfassungsgericht", "Die Gewerkschaften"],
        ["kündigt neue Maßnahmen an", "warnt vor steigenden Kosten", "lehnt den Vorschlag ab"],
        [
            "Die Ankündigung folgte auf wochenlange Verhandlungen zwischen den Parteien.",
            "Experten rechnen mit spürbaren Folgen bereits im kommenden Jahr.",
            "Die Opposition kritisierte den Plan als überhastet.",
        ],
    ),
    "es": (
        ["El Gobierno", "Los sindicatos", "El ayuntamiento de Madrid", "El Tribunal Supremo"],
        ["anuncia nuevas medidas", "advierte de la subida de precios", "rechaza la propuesta"],
        [
            "El anuncio llega tras semanas de negociaciones entre las partes.",
            "Los analistas señalaron que la medida era esperada por los mercados.",
            "La oposición criticó el plan por considerarlo precipitado.",
        ],
    ),
}

# On-topic items, so that a poll exercises matching, stories and the outbox too.
_ON_TOPIC = {
    "en": ("Turkey says second S-400 batch delivered despite F-35 expulsion",
           "Ankara confirmed delivery of Russian S-400 air-defence components; Washington, which removed Turkey from the F-35 programme, warned of further CAATSA sanctions."),
    "tr": ("Türkiye: S-400'lerin ikinci partisi teslim edildi",
           "Ankara, Rus yapımı S-400 hava savunma sisteminin teslim alındığını doğruladı; ABD, Türkiye'yi F-35 programından çıkarmıştı ve CAATSA yaptırımları gündemde."),
    "ru": ("Турция получила вторую партию С-400",
           "Анкара подтвердила поставку зенитных ракетных систем С-400, несмотря на исключение из программы F-35 и угрозу санкций CAATSA."),
    "ar": ("تركيا تتسلم الدفعة الثانية من منظومة إس-400",
           "أكدت أنقرة تسلم مكونات منظومة الدفاع الجوي الروسية إس-400 رغم استبعادها من برنامج مقاتلات إف-35 وتهديد واشنطن بعقوبات كاتسا."),
    "fr": ("La Turquie réceptionne une nouvelle batterie de S-400",
           "Ankara confirme la livraison de systèmes de défense antiaérienne russes S-400, malgré son exclusion du programme F-35 et la menace de sanctions CAATSA."),
}

_LANGUAGES = sorted(_TEXT)
_PLACES = ["Ankara", "Moscow", "Tehran", "Paris", "Cairo", "Berlin", "Madrid", "Istanbul", "Riyadh", "Lyon",
           "Kazan", "Izmir", "Tabriz", "Seville", "Hamburg", "Alexandria", "Marseille", "Novosibirsk"]


def _feed_language(feed: int) -> str:
    return _LANGUAGES[feed % len(_LANGUAGES)]


def item_xml(feed: int, number: int, epoch: datetime, host: str) -> str:
    """Item `number` of `feed`; a pure function of its arguments."""
    rng = random.Random(f"{feed}:{number}")
    lang = _feed_language(feed)
    if rng.random() < 0.01:
        topic_lang = lang if lang in _ON_TOPIC else "en"
        title, lead = _ON_TOPIC[topic_lang]
        body = [lead] + rng.sample(_TEXT[topic_lang][2], 2)
    else:
        subjects, predicates, sentences = _TEXT[lang]
        title = f"{rng.choice(subjects)} {rng.choice(predicates)} ({number})"
        body = rng.sample(sentences, min(3, len(sentences)))
    published = epoch - timedelta(minutes=37 * (10_000 - number) + feed % 37)
    link = f"http://{host}/news/{feed}/{number}.html"
    # One sentence of its own, so that items are not near-copies of each other.
    body.append(f"{_PLACES[rng.randrange(len(_PLACES))]}, {published:%d.%m.%Y}: ref {feed}-{number}-{rng.randrange(10**6)}.")
    html = "".join(f"<p>{escape(sentence)}</p>" for sentence in body)
    return (
        "<item>"
        f"<title>{escape(title)}</title>"
        f"<link>{link}</link>"
        f'<guid isPermaLink="false">farm-{feed}-{number}</guid>'
        f"<pubDate>{format_datetime(published, usegmt=True)}</pubDate>"
        f"<dc:creator>Desk {feed % 13}</dc:creator>"
        f"<category>{'World' if number % 3 else 'Economy'}</category>"
        f"<description>{escape(html)}</description>"
        "</item>\n"
    )


def feed_xml(feed: int, items: int, version: int, epoch: datetime, host: str) -> bytes:
    """The whole feed: items numbered version .. version+items-1, newest first."""
    numbers = range(9_999 - items + 1 + version, 10_000 + version)[::-1]
    body = "".join(item_xml(feed, n, epoch, host) for n in numbers)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>\n'
        f"<title>Farm feed {feed} ({_feed_language(feed)})</title>"
        f"<link>http://{host}/news/{feed}/</link>"
        f"<description>Generated feed {feed}</description><language>{_feed_language(feed)}</language>\n"
        f"{body}</channel></rss>\n"
    ).encode("utf-8")


class _Feed:
    __slots__ = ("body", "gzipped", "etag", "last_modified", "version")

    def __init__(self, body: bytes, version: int, modified: datetime) -> None:
        self.body = body
        self.gzipped = gzip.compress(body, compresslevel=6)
        self.etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
        self.last_modified = format_datetime(modified, usegmt=True)
        self.version = version


class FeedFarm:
    """N feeds x M items served on `hosts` loopback addresses, one port for all."""

    def __init__(self, feeds: int = 1000, items: int = 50, hosts: int = 50, epoch: datetime | None = None) -> None:
        self.feeds, self.items = feeds, items
        self.epoch = epoch or datetime(2026, 1, 1, tzinfo=timezone.utc)
        self.hosts = [f"127.0.0.{1 + i}" for i in range(max(1, min(hosts, 250)))]
        self._servers: list[ThreadingHTTPServer] = []
        self._lock = threading.Lock()
        self._feeds: list[_Feed] = []
        self.port = 0
        self.requests = 0
        self.not_modified = 0

    def host_of(self, feed: int) -> str:
        return self.hosts[feed % len(self.hosts)]

    def url(self, feed: int) -> str:
        return f"http://{self.host_of(feed)}:{self.port}/feeds/{feed}.xml"

    def urls(self) -> list[str]:
        return [self.url(i) for i in range(self.feeds)]

    def _build(self, feed: int, version: int) -> _Feed:
        host = f"{self.host_of(feed)}:{self.port}"
        modified = self.epoch + timedelta(minutes=version)
        return _Feed(feed_xml(feed, self.items, version, self.epoch, host), version, modified)

    def bump(self, count: int) -> None:
        """One new item in each of the first `count` feeds."""
        for feed in range(min(count, self.feeds)):
            new = self._build(feed, self._feeds[feed].version + 1)
            with self._lock:
                self._feeds[feed] = new

    def start(self) -> "FeedFarm":
        handler = self._handler()
        first = _Server((self.hosts[0], 0), handler)
        self.port = first.server_address[1]
        self._servers = [first]
        try:
            for host in self.hosts[1:]:
                self._servers.append(_Server((host, self.port), handler))
        except OSError:
            # Loopback aliases unavailable: everything on one address.
            for server in self._servers[1:]:
                server.server_close()
            self._servers, self.hosts = [first], self.hosts[:1]
        self._feeds = [self._build(i, 0) for i in range(self.feeds)]
        for server in self._servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> "FeedFarm":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        farm = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                if parts.path == "/_bump":
                    count = int(parse_qs(parts.query).get("feeds", ["0"])[0])
                    farm.bump(count)
                    return self._send(200, b"ok\n", {"Content-Type": "text/plain"})
                name = parts.path.removeprefix("/feeds/").removesuffix(".xml")
                if not name.isdigit() or int(name) >= farm.feeds:
                    return self._send(404, b"no such feed\n", {"Content-Type": "text/plain"})
                with farm._lock:
                    feed = farm._feeds[int(name)]
                    farm.requests += 1
                headers = {"ETag": feed.etag, "Last-Modified": feed.last_modified}
                if self.headers.get("If-None-Match") == feed.etag or (
                    "If-None-Match" not in self.headers and self.headers.get("If-Modified-Since") == feed.last_modified
                ):
                    with farm._lock:
                        farm.not_modified += 1
                    return self._send(304, b"", headers)
                headers["Content-Type"] = "application/rss+xml; charset=utf-8"
                body = feed.body
                if "gzip" in self.headers.get("Accept-Encoding", ""):
                    body = feed.gzipped
                    headers["Content-Encoding"] = "gzip"
                self._send(200, body, headers)

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        pass  # clients closing kept-alive connections are routine here


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--hosts", type=int, default=50)
    args = parser.parse_args(argv)
    farm = FeedFarm(args.feeds, args.items, args.hosts).start()
    print(json.dumps({"port": farm.port, "hosts": farm.hosts, "feeds": farm.feeds, "items": farm.items}), flush=True)
    try:
        sys.stdin.read()  # the parent closes our stdin (or exits) when it is done
    except KeyboardInterrupt:
        pass
    farm.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
