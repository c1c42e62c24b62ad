"""Bytes before feedparser: one bad byte costs one character, undeclared encodings are
detected, escaped CDATA markers removed; on feeds written here, in several scripts."""
from __future__ import annotations

import pytest

from monitor.parse.decode import prepare_bytes
from monitor.parse.parser import parse_feed


def rss(items: list[tuple[str, str]], encoding: str = "utf-8", declare: bool = True) -> str:
    head = f'<?xml version="1.0" encoding="{encoding}"?>' if declare else ""
    body = "".join(f"<item><guid>g{n}</guid><title>{t}</title><description>{d}</description></item>"
                   for n, (t, d) in enumerate(items))
    return f"{head}<rss version=\"2.0\"><channel><title>T</title>{body}</channel></rss>"


RUSSIAN = [("Турция получила первый дивизион С-400", "Поставка завершена в июле, сообщили в Москве."),
           ("США исключили Турцию из программы F-35", "Решение вступает в силу немедленно.")]
ARABIC = [("تركيا تتسلم الدفعة الثانية من منظومة إس-400", "وصلت المكونات إلى قاعدة مرتد الجوية."),
          ("واشنطن تستبعد أنقرة من برنامج إف-35", "القرار نهائي وفق البيت الأبيض.")]


def titles(content: bytes, content_type: str) -> list[str]:
    return [e.title for e in parse_feed(content, {"Content-Type": content_type}, "http://feeds.test/").entries]


@pytest.mark.parametrize("bad", [b"\x96", b"\xff", b"\xc3"])
def test_stray_bytes_in_utf8_cost_one_replacement_each(bad):
    document = rss(RUSSIAN).encode("utf-8").replace("июле".encode(), "июле".encode() + bad, 1)
    parsed = parse_feed(document, {"Content-Type": "application/rss+xml; charset=utf-8"}, "http://f.test/")
    assert [e.title for e in parsed.entries] == [t for t, _ in RUSSIAN]
    assert parsed.entries[0].summary == "Поставка завершена в июле\ufffd, сообщили в Москве."
    assert "invalid UTF-8" in parsed.warning


def test_utf8_with_strays_declared_as_something_else_is_still_utf8():
    document = rss(RUSSIAN, encoding="windows-1251").encode("utf-8") + b"<!-- \x96 -->"
    assert titles(document, "application/rss+xml") == [t for t, _ in RUSSIAN]


@pytest.mark.parametrize("codec", ["cp1251", "koi8-r"])
def test_undeclared_cyrillic_encoding_is_detected(codec):
    # Labelled utf-8 by the server, no XML declaration: the bytes are not UTF-8 at all.
    document = rss(RUSSIAN * 3, declare=False).encode(codec)
    assert titles(document, "application/rss+xml; charset=utf-8") == [t for t, _ in RUSSIAN * 3]


def test_undeclared_arabic_windows_1256_is_detected():
    document = rss(ARABIC * 3, declare=False).encode("cp1256")
    got = titles(document, "text/xml")
    assert got == [t for t, _ in ARABIC * 3]


def test_a_declaration_that_holds_is_followed_not_second_guessed():
    # Latin-1 text declared as such must not be "detected" as something else.
    document = rss([("Défense: l'Inde reçoit le S-400", "Livraison à Delhi, été 2021.")], "iso-8859-1").encode("latin-1")
    assert titles(document, "application/rss+xml; charset=utf-8") == ["Défense: l'Inde reçoit le S-400"]


def test_valid_utf8_and_ascii_pass_untouched():
    for document in (rss(ARABIC).encode("utf-8"), b"<rss version='2.0'><channel></channel></rss>"):
        assert prepare_bytes(document, {}) == (document, None)


@pytest.mark.parametrize("escape", [("&lt;", "&gt;"), ("&amp;lt;", "&amp;gt;")])
def test_escaped_cdata_markers_are_removed(escape):
    lt, gt = escape
    document = rss([("Bulletin", f"{lt}![CDATA[{lt}p{gt}India inducts its S-400 squadron.{lt}/p{gt}]]{gt}")]).encode()
    [entry] = parse_feed(document, {"Content-Type": "application/rss+xml"}, "http://f.test/").entries
    assert "India inducts its S-400 squadron." in entry.summary
    assert "CDATA" not in entry.summary and "]]" not in entry.summary


def test_escaped_cdata_in_atom_content():
    document = (b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
                b'<entry><id>urn:a:1</id><title>Bulletin</title><updated>2026-03-03T10:00:00Z</updated>'
                b'<content type="html">&lt;![CDATA[Egypt weighs the Su-35 and the S-400.]]&gt;</content></entry></feed>')
    [entry] = parse_feed(document, {"Content-Type": "application/atom+xml"}, "http://f.test/").entries
    assert entry.summary.strip() == "Egypt weighs the Su-35 and the S-400."


def test_a_large_body_with_many_strays_is_repaired_whole():
    # 8 MB of Cyrillic with one stray byte in each 64 KB; the header is relabelled.
    chunk = ("С-400 поставка " * 2500).encode("utf-8")
    body = b"\x96".join([chunk] * 128)
    headers = {"content-type": "text/xml"}
    repaired, note = prepare_bytes(body, headers)
    assert repaired.count("\ufffd".encode()) == 127 and "127 invalid" in note
    assert headers["content-type"] == "text/xml; charset=utf-8"


@pytest.mark.parametrize("header, declaration", [
    ("application/rss+xml; charset=windows-1251", "utf-8"),  # the header is wrong
    ("application/rss+xml", "windows-1251"),  # the declaration is wrong
    ("text/xml; charset=iso-8859-1", "iso-8859-1"),  # both are wrong
])
def test_valid_utf8_under_a_wrong_label_is_read_as_utf8(header, declaration):
    document = rss(RUSSIAN, encoding=declaration).encode("utf-8")
    assert titles(document, header) == [t for t, _ in RUSSIAN]


def test_utf8_bom_with_a_stray_byte():
    document = b"\xef\xbb\xbf" + rss(ARABIC).encode("utf-8").replace("قاعدة".encode(), "قاعدة".encode() + b"\xa0", 1)
    parsed = parse_feed(document, {"Content-Type": "application/rss+xml"}, "http://f.test/")
    assert [e.title for e in parsed.entries] == [t for t, _ in ARABIC]
    assert parsed.entries[0].summary.count("\ufffd") == 1


TURKISH = [("Türkiye S-400 teslimatını tamamladı", "Ağır yaptırım çağrısı: son parçalar Ankara'ya ulaştı.")]


@pytest.mark.parametrize("encoding, declared, header", [
    ("cp1254", "iso-8859-1", "text/xml"),  # Turkish declared Latin-1: ı ğ ş read as ý ð þ
    ("cp1251", "iso-8859-1", "text/xml; charset=iso-8859-1"),  # Cyrillic read as accented Latin
    ("cp1251", "windows-1252", "application/rss+xml"),
])
def test_a_latin1_declaration_is_checked_against_the_bytes(encoding, declared, header):
    items = TURKISH if encoding == "cp1254" else RUSSIAN
    assert titles(rss(items, encoding=declared).encode(encoding), header) == [t for t, _ in items]


def test_a_real_latin1_feed_stays_latin1():
    items = [("L'armée reçoit des Rafale à Évreux", "La Défense a confirmé l'accord, été 2026."),
             ("Die Türkei erhält Größeres", "Sanktionen drohen, heißt es aus Washington.")]
    assert titles(rss(items, encoding="iso-8859-1").encode("latin-1"), "text/xml") == [t for t, _ in items]


def test_a_utf16_bom_wins_over_a_utf8_declaration():
    assert titles(rss(RUSSIAN, encoding="utf-8").encode("utf-16"), "application/xml") == [t for t, _ in RUSSIAN]


def test_a_mixed_body_costs_one_replacement_per_bad_byte():
    pasted = "İkinci S-400 alımı"
    document = rss(TURKISH + [(pasted, "Ankara yeni bir anlaşma imzaladı.")]).encode()
    document = document.replace(pasted.encode(), pasted.encode("cp1254"))
    assert titles(document, "application/rss+xml") == [TURKISH[0][0], "\ufffdkinci S-400 al\ufffdm\ufffd"]
