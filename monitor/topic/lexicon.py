"""Topic lexicon: a readable TOML file turned into concepts, forms and rules.

File layout (see config/topics/s400-f35.toml for a commented example)::

    [topic]                      name, threshold, title_factor, seed_weight; where the
                                 topic is: subject, frame, lead_words, subject_share, denial
    [[rule]]                     id, when = "s400 & (turkey | buyer)", why
    [concept.<id>]               label, weight, groups, note, and per-language forms:
                                 en = ["air defence system", "sanction*"], ar = [...]
    [context.<concept id>]       what a reader takes for granted: the party is implied by
                                 langs = ["tr"] (the item's language), by forms like a
                                 concept's (officials' surnames, institutions), and by feeds
                                 configured with `implies`; never when an entry of
                                 unless = [...] holds: a concept or group named, or an
                                 expression like a rule's ("other_f35_buyer & !s400"):
                                 another party is the subject

A form is a phrase matched as whole words on normalized text (monitor.topic.textnorm); a
trailing "*" on a word matches any ending; `{ form = "...", weight = 0.5 }` gives one
form its own factor. `load_lexicon` reads the file; `parse_lexicon` is the pure part.
Every validation error is one line naming the file and the key.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from monitor.topic.textnorm import lexicon_token, normalize

_FORM_WORD = re.compile(r"(\w+)(\*?)")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_LANG = re.compile(r"^[a-z]{2,3}$")
_CONCEPT_KEYS = {"label", "weight", "groups", "note"}
_TOPIC_KEYS = {"name", "threshold", "title_factor", "seed_weight", "description", "story_actors",
               "subject", "lead_words", "frame", "subject_share", "denial"}
_CONTEXT_KEYS = {"label", "langs", "unless", "note"}
_RULE_KEYS = {"id", "when", "why"}


class LexiconError(ValueError):
    """A lexicon file that cannot be used; str() is one line: file, key, problem."""


@dataclass(frozen=True)
class Form:
    text: str  # as written in the lexicon, shown in explanations
    lang: str
    weight: float  # factor applied to the concept weight, default 1
    tokens: tuple[str, ...]  # normalized words to match in sequence
    prefix: tuple[bool, ...]  # per word: True when any ending may follow


@dataclass(frozen=True)
class Concept:
    id: str
    label: str
    weight: float  # negative for look-alikes, which lower the score
    groups: tuple[str, ...] = ()
    forms: tuple[Form, ...] = ()
    note: str = ""

    @property
    def lookalike(self) -> bool:
        return self.weight < 0

    def languages(self) -> list[str]:
        return sorted({f.lang for f in self.forms})


@dataclass(frozen=True)
class Rule:
    id: str
    when: str  # the expression as written
    why: str
    test: Callable[[frozenset[str]], bool] = field(compare=False, repr=False)
    # The rule with every negation read as true: it holds wherever the rule could hold,
    # and grows with the names present, so it can say which names a rule cannot do without.
    relaxed: Callable[[frozenset[str]], bool] = field(default=lambda names: True, compare=False, repr=False)
    names: frozenset[str] = field(default=frozenset(), compare=False, repr=False)  # every name it mentions


@dataclass(frozen=True)
class Context:
    """A party that goes without saying: implied by the item's language, by a form
    (a surname, an institution, a hashtag) or by the feed, unless another party named in
    the item is the subject. Implied parties count for rules, not for the score."""

    party: str  # a concept id, e.g. "turkey"
    label: str
    langs: frozenset[str] = frozenset()
    unless: tuple[str, ...] = ()  # concept ids, groups or rule expressions, as written
    names: Concept | None = None  # forms that imply the party, compiled like a concept's
    note: str = ""
    # The unless entries compiled: true on the names present when one of them holds.
    blocked: Callable[[frozenset[str]], bool] = field(default=lambda names: False, compare=False, repr=False)


@dataclass(frozen=True)
class Lexicon:
    name: str
    threshold: float
    title_factor: float
    seed_weight: float
    concepts: dict[str, Concept]
    rules: tuple[Rule, ...]
    source: str = ""
    description: str = ""
    # Concepts that name who an event is about (a buyer, a country): two reports whose
    # leading actors differ are different events, however alike their words and times.
    story_actors: frozenset[str] = frozenset()
    # Where the topic is: concepts or groups that make an item *about* the topic; one
    # of them named once, deep in the body, is a passing mention (see match.py).
    subject: frozenset[str] = frozenset()
    lead_words: int = 40  # the lead: this many first words of the body
    # Concepts that, in the title or lead, make a deeper mention of the subject belong.
    frame: frozenset[str] = frozenset()
    # Past the lead, subject mentions per body word needed (with two mentions at least).
    subject_share: float = 0.005
    # Concepts that deny a deep mention ("was not discussed"): beside it, the frame
    # named in the title no longer makes the mention the item's subject.
    denial: frozenset[str] = frozenset()
    contexts: tuple[Context, ...] = ()

    def groups(self) -> set[str]:
        return {g for c in self.concepts.values() for g in c.groups}


def load_lexicon(path: Path) -> Lexicon:
    """Read and validate a lexicon file."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise LexiconError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise LexiconError(f"{path}: not valid TOML: {exc}") from None
    return parse_lexicon(data, str(path))


def parse_lexicon(data: dict[str, Any], source: str = "<lexicon>") -> Lexicon:
    """Validate parsed TOML and build the lexicon (pure)."""

    def fail(key: str, problem: str) -> LexiconError:
        return LexiconError(f"{source}: {key}: {problem}")

    unknown = set(data) - {"topic", "rule", "concept", "context"}
    if unknown:
        raise fail(sorted(unknown)[0], "unknown section (expected topic, rule, concept, context)")
    topic = data.get("topic")
    if not isinstance(topic, dict):
        raise fail("topic", "missing [topic] table")
    for key in topic:
        if key not in _TOPIC_KEYS:
            raise fail(f"topic.{key}", f"unknown key (expected one of {', '.join(sorted(_TOPIC_KEYS))})")
    name = topic.get("name")
    if not isinstance(name, str) or not name.strip():
        raise fail("topic.name", "must be a non-empty string")
    threshold = _number(topic.get("threshold"), "topic.threshold", fail)
    title_factor = _number(topic.get("title_factor", 1.5), "topic.title_factor", fail)
    seed_weight = _number(topic.get("seed_weight", 0.0), "topic.seed_weight", fail)

    raw_concepts = data.get("concept")
    if not isinstance(raw_concepts, dict) or not raw_concepts:
        raise fail("concept", "missing [concept.<id>] tables")
    concepts = {cid: _concept(cid, raw, fail) for cid, raw in raw_concepts.items()}

    names = set(concepts) | {g for c in concepts.values() for g in c.groups}
    raw_rules = data.get("rule")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise fail("rule", "missing [[rule]] blocks: at least one rule must say what matches")
    rules = tuple(_rule(n, raw, names, fail) for n, raw in enumerate(raw_rules, 1))
    actors = topic.get("story_actors", [])
    if not isinstance(actors, list) or not all(isinstance(a, str) for a in actors):
        raise fail("topic.story_actors", "must be a list of concept ids or group names")
    story_actors = set()
    for actor in actors:
        if actor not in names:
            raise fail("topic.story_actors", f"{actor!r} is neither a concept id nor a group")
        story_actors |= {cid for cid, c in concepts.items() if cid == actor or actor in c.groups}
    subject = topic.get("subject", [])
    if not isinstance(subject, list) or not all(isinstance(a, str) for a in subject):
        raise fail("topic.subject", "must be a list of concept ids or group names")
    for name_ in subject:
        if name_ not in names:
            raise fail("topic.subject", f"{name_!r} is neither a concept id nor a group")
    subject_ids = {cid for cid, c in concepts.items() if cid in subject or set(c.groups) & set(subject)}
    frame = topic.get("frame", [])
    if not isinstance(frame, list) or not all(isinstance(a, str) and a in names for a in frame):
        raise fail("topic.frame", "must be a list of concept ids or group names")
    frame_ids = {cid for cid, c in concepts.items() if cid in frame or set(c.groups) & set(frame)}
    denial = topic.get("denial", [])
    if not isinstance(denial, list) or not all(isinstance(a, str) and a in names for a in denial):
        raise fail("topic.denial", "must be a list of concept ids or group names")
    denial_ids = {cid for cid, c in concepts.items() if cid in denial or set(c.groups) & set(denial)}
    lead_words = topic.get("lead_words", 40)
    if isinstance(lead_words, bool) or not isinstance(lead_words, int) or lead_words < 1:
        raise fail("topic.lead_words", "must be a whole number of words, at least 1")
    subject_share = _number(topic.get("subject_share", 0.005), "topic.subject_share", fail)
    if not 0 <= subject_share <= 1:
        raise fail("topic.subject_share", "must be a share between 0 and 1 (mentions per word)")
    raw_contexts = data.get("context", {})
    if not isinstance(raw_contexts, dict):
        raise fail("context", "must be tables [context.<concept id>]")
    contexts = tuple(_context(party, raw, concepts, names, fail) for party, raw in raw_contexts.items())
    return Lexicon(
        name=name.strip(),
        threshold=threshold,
        title_factor=title_factor,
        seed_weight=seed_weight,
        concepts=concepts,
        rules=rules,
        source=source,
        description=str(topic.get("description", "")),
        story_actors=frozenset(story_actors),
        subject=frozenset(subject_ids),
        lead_words=lead_words,
        frame=frozenset(frame_ids),
        subject_share=subject_share,
        denial=frozenset(denial_ids),
        contexts=contexts,
    )


def _context(party: str, raw: Any, concepts: dict[str, Concept], names: set[str], fail) -> Context:
    key = f"context.{party}"
    if party not in concepts:
        raise fail(key, f"{party!r} is not a concept id: a context implies one of the lexicon's parties")
    if not isinstance(raw, dict):
        raise fail(key, "must be a table")
    langs = raw.get("langs", [])
    if not isinstance(langs, list) or not all(isinstance(x, str) and _LANG.match(x) for x in langs):
        raise fail(f"{key}.langs", "must be a list of language codes such as \"tr\"")
    unless = raw.get("unless", [])
    if not isinstance(unless, list) or not all(isinstance(x, str) for x in unless):
        raise fail(f"{key}.unless", "must be a list of concept ids, group names or rule expressions")
    tests = []
    for entry in unless:
        # A bare name is the common case; an expression says "this party, unless that
        # one is named too" (Greece blocks Turkey for F-35 news, not for S-400 news).
        if _ID.match(entry) and entry not in names:
            raise fail(f"{key}.unless", f"{entry!r} is neither a concept id nor a group")
        try:
            tests.append(compile_rule(entry, names))
        except ValueError as exc:
            raise fail(f"{key}.unless", str(exc)) from None
    forms: list[Form] = []
    for lang, values in raw.items():
        if lang in _CONTEXT_KEYS:
            continue
        if not _LANG.match(lang):
            raise fail(f"{key}.{lang}", "unknown key (expected label, langs, unless, note or a language code)")
        if not isinstance(values, list):
            raise fail(f"{key}.{lang}", "must be a list of forms")
        for n, value in enumerate(values):
            forms.append(_form(value, lang, f"{key}.{lang}[{n}]", fail))
    label = str(raw.get("label") or concepts[party].label)
    names_concept = Concept(f"context_{party}", f"names implying {label}", 0.0, (), tuple(forms)) if forms else None
    return Context(party, label, frozenset(langs), tuple(unless), names_concept, str(raw.get("note", "")),
                   lambda present, t=tuple(tests): any(test(present) for test in t))


def _number(value: Any, key: str, fail) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail(key, "must be a number")
    return float(value)


def _concept(cid: str, raw: Any, fail) -> Concept:
    key = f"concept.{cid}"
    if not _ID.match(cid):
        raise fail(key, "concept ids are lower-case letters, digits and _")
    if not isinstance(raw, dict):
        raise fail(key, "must be a table")
    label = raw.get("label")
    if not isinstance(label, str) or not label:
        raise fail(f"{key}.label", "must be a non-empty string")
    weight = _number(raw.get("weight"), f"{key}.weight", fail)
    groups = raw.get("groups", [])
    if not isinstance(groups, list) or not all(isinstance(g, str) and _ID.match(g) for g in groups):
        raise fail(f"{key}.groups", "must be a list of lower-case names")
    if cid in groups:
        raise fail(f"{key}.groups", "a concept cannot be its own group")
    forms: list[Form] = []
    for lang, values in raw.items():
        if lang in _CONCEPT_KEYS:
            continue
        if not _LANG.match(lang):
            raise fail(f"{key}.{lang}", "unknown key (expected label, weight, groups, note or a language code)")
        if not isinstance(values, list):
            raise fail(f"{key}.{lang}", "must be a list of forms")
        for n, value in enumerate(values):
            forms.append(_form(value, lang, f"{key}.{lang}[{n}]", fail))
    if not forms:
        raise fail(key, "has no forms")
    return Concept(cid, label, weight, tuple(groups), tuple(forms), str(raw.get("note", "")))


def _form(value: Any, lang: str, key: str, fail) -> Form:
    weight = 1.0
    if isinstance(value, dict):
        extra = set(value) - {"form", "weight"}
        if extra:
            raise fail(key, f"unknown key {sorted(extra)[0]!r} (expected form, weight)")
        weight = _number(value.get("weight", 1.0), f"{key}.weight", fail)
        if weight <= 0:
            raise fail(f"{key}.weight", "must be above 0")
        value = value.get("form")
    if not isinstance(value, str) or not value.strip():
        raise fail(key, "a form must be a non-empty string")
    words: list[str] = []
    prefix: list[bool] = []
    # Normalize the whole form ("S 400" must become one token); "*" survives it.
    for word, star in _FORM_WORD.findall(normalize(value)):
        # Case endings and the Arabic article go on both sides (textnorm), except
        # where the analyst asked for a prefix.
        words.append(word if star else lexicon_token(word))
        prefix.append(bool(star))
    if not words:
        raise fail(key, f"form {value!r} has no letters or digits")
    if prefix[0] and len(words[0]) < 3:
        raise fail(key, f"form {value!r}: a word ending in * needs at least 3 letters before it")
    return Form(value, lang, weight, tuple(words), tuple(prefix))


# Rule expressions: names joined by & | ! ( ), or the words and/or/not.
_RULE_TOKEN = re.compile(r"\s*(?:(\()|(\))|(&|\band\b)|(\||\bor\b)|(!|\bnot\b)|([a-z][a-z0-9_]*))")


def _rule(number: int, raw: Any, names: set[str], fail) -> Rule:
    key = f"rule[{number}]"
    if not isinstance(raw, dict):
        raise fail(key, "must be a table")
    extra = set(raw) - _RULE_KEYS
    if extra:
        raise fail(f"{key}.{sorted(extra)[0]}", "unknown key (expected id, when, why)")
    rid = raw.get("id", f"rule{number}")
    when = raw.get("when")
    if not isinstance(when, str) or not when.strip():
        raise fail(f"{key}.when", "must be an expression such as \"s400 & turkey\"")
    try:
        test = compile_rule(when, names)
    except ValueError as exc:
        raise fail(f"{key}.when", str(exc)) from None
    mentioned = frozenset(m.group(6) for m in _RULE_TOKEN.finditer(when) if m.group(6))
    return Rule(str(rid), when, str(raw.get("why", "")), test, compile_rule(when, names, relaxed=True), mentioned)


def compile_rule(expression: str, names: set[str], relaxed: bool = False) -> Callable[[frozenset[str]], bool]:
    """Compile "a & (b | !c)" into a predicate over the set of names present.

    `relaxed`: every negation (`!c`) reads as true; the predicate then holds wherever the
    rule could hold and never loses by a name being added."""
    toks: list[tuple[str, str]] = []
    pos = 0
    text = expression.strip()
    while pos < len(text):
        m = _RULE_TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot read {text[pos:]!r} in {expression!r}")
        pos = m.end()
        kind = ("(", ")", "&", "|", "!", "name")[m.lastindex - 1]
        toks.append((kind, m.group(m.lastindex)))
    toks.append(("end", ""))
    at = 0

    def peek() -> str:
        return toks[at][0]

    def take(kind: str) -> str:
        nonlocal at
        if toks[at][0] != kind:
            raise ValueError(f"expected {kind!r} in {expression!r}")
        at += 1
        return toks[at - 1][1]

    def parse_or():
        parts = [parse_and()]
        while peek() == "|":
            take("|")
            parts.append(parse_and())
        return parts[0] if len(parts) == 1 else (lambda s, p=tuple(parts): any(f(s) for f in p))

    def parse_and():
        parts = [parse_not()]
        while peek() == "&":
            take("&")
            parts.append(parse_not())
        return parts[0] if len(parts) == 1 else (lambda s, p=tuple(parts): all(f(s) for f in p))

    def parse_not():
        if peek() == "!":
            take("!")
            inner = parse_not()
            if relaxed:
                return lambda s: True
            return lambda s: not inner(s)
        if peek() == "(":
            take("(")
            inner = parse_or()
            take(")")
            return inner
        name = take("name")
        if name not in names:
            raise ValueError(f"unknown concept or group {name!r}")
        return lambda s: name in s

    predicate = parse_or()
    if peek() != "end":
        raise ValueError(f"unexpected {toks[at][1]!r} in {expression!r}")
    return predicate
