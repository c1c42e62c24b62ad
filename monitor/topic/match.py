"""Topic matching: concepts found in an item, a score, and the reasons for it.

Pure code: `match_item` takes text and returns a MatchResult; only `load_topic` reads
files (the lexicon and the seed articles), once, when the topic is built.

How an item is scored (the lexicon file explains the same to analysts):
  1. title and body are normalized (monitor.topic.textnorm) and split into words; each word
     offers its readings (Arabic without attached prefixes, Russian without endings);
  2. every lexicon form found counts for its concept: concept weight x form weight,
     x title_factor in the title; each concept counts once, at its best occurrence;
  3. the concept vector is compared (cosine) with the seed articles' vectors — concept
     ids are language-neutral, so an Arabic item and an English seed compare — and
     seed_weight x the best similarity is added;
  4. the item matches when one lexicon rule holds and the score reaches the threshold.
     A subject concept named only in passing carries no rule, and a party the reader
     takes for granted (the item's language, a surname, the feed) counts as named
     (monitor.topic.context).

`MatchResult.concepts` is the concept vector: concept id -> strength (|weight| x form
weight x title factor), look-alikes included with a positive strength, so that items can
be compared across languages by cosine similarity (story grouping does). Concept ids come
from the lexicon and are stable.

Speed: the lexicon is compiled once into dictionaries keyed by word (and by word
prefix for forms ending in "*"), so matching is a dictionary look-up per word and
reading, with no regular expression built per item.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from monitor.topic.context import BODY, TITLE, UNKNOWN_LANG, MatchContext, Place, implied, passing
from monitor.topic.lexicon import Concept, Form, Lexicon, Rule, load_lexicon
from monitor.models import ConceptHit, MatchResult
from monitor.topic.textnorm import normalize, token_variants, tokens



@dataclass(frozen=True)
class _Entry:
    concept: Concept
    form: Form
    single: bool  # a one-word form: no need to look at the following words
    strength: float  # |concept weight| x form weight, before the title factor


# News vocabulary is Zipfian: a bounded memo of word -> candidate forms answers most
# words without touching the prefix tables. Most words name no form at all; those go to
# a set instead, which a scan can skip them by without a Python step per word (_find).
# Each is cleared when full, which is rare and cheap.
_MEMO_LIMIT = 200_000


@dataclass
class _Index:
    """Forms by their first word: exact words, and prefixes grouped by length."""

    exact: dict[str, list[_Entry]] = field(default_factory=lambda: defaultdict(list))
    prefixes: dict[int, dict[str, list[_Entry]]] = field(default_factory=dict)
    _memo: dict[str, tuple[_Entry, ...]] = field(default_factory=dict, repr=False)
    _silent: set[str] = field(default_factory=set, repr=False)  # words that name no form
    # The first letters (as many as the shortest prefix form has) of every prefix form:
    # a word that starts otherwise, most words, skips the prefix tables.
    _heads: frozenset[str] = field(default=frozenset(), repr=False)
    _head: int = field(default=0, repr=False)

    def seal(self) -> None:
        """Freeze the tables and work out the prefix heads; call once, after filling."""
        self.exact = dict(self.exact)
        self._head = min(self.prefixes, default=0)
        self._heads = frozenset(first[: self._head] for table in self.prefixes.values() for first in table)

    def candidates(self, token: str) -> tuple[_Entry, ...]:
        """Forms whose first word one of this token's readings can be."""
        found = self._memo.get(token)
        if found is not None:
            return found
        if token in self._silent:
            return ()
        entries: dict[int, _Entry] = {}
        head, heads = self._head, self._heads
        # Uncached: this runs once per distinct word (the memo and the silent set remember
        # the answer), so token_variants' cache would only hold a second copy of every word.
        for reading in token_variants.__wrapped__(token):
            for entry in self.exact.get(reading, ()):
                entries.setdefault(id(entry), entry)
            if reading[:head] not in heads:
                continue
            for length, table in self.prefixes.items():
                if len(reading) >= length:
                    for entry in table.get(reading[:length], ()):
                        entries.setdefault(id(entry), entry)
        found = tuple(entries.values())
        if found:
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            self._memo[token] = found
        else:
            if len(self._silent) >= _MEMO_LIMIT:
                self._silent.clear()
            self._silent.add(token)
        return found


@dataclass
class Topic:
    """A compiled topic: the lexicon's concepts and rules, and the seed articles' concept
    vectors. Build it once (load_topic/build_topic) and share it; matching only reads it,
    apart from the per-word memo, a cache that is safe to share between threads."""

    name: str
    threshold: float
    concepts: dict[str, Concept]
    seed_vectors: dict[str, dict[str, float]]  # seed name -> concept vector
    lexicon: Lexicon
    # Seed name -> text: stories read the names and words the topic is defined by.
    seed_texts: dict[str, str] = field(repr=False, default_factory=dict)
    _index: _Index = field(repr=False, default_factory=_Index)
    _seed_norms: dict[str, float] = field(repr=False, default_factory=dict)
    # Forms that imply a party (lexicon [context.<party>]), by party.
    _context_indexes: dict[str, _Index] = field(repr=False, default_factory=dict)
    # The forms of the concepts every rule needs one of (anchor_concepts), or None.
    _anchors: _Index | None = field(repr=False, default=None)

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self.lexicon.rules


def build_topic(
    lexicon: Lexicon,
    seeds: dict[str, str] | None = None,
    threshold: float | None = None,
    name: str | None = None,
) -> Topic:
    """A topic from a parsed lexicon and seed texts (name -> text); pure."""
    topic = Topic(
        name=name or lexicon.name,
        threshold=lexicon.threshold if threshold is None else threshold,
        concepts=lexicon.concepts,
        seed_vectors={},
        lexicon=lexicon,
        seed_texts=dict(seeds or {}),
        _index=_compile(lexicon),
        _context_indexes={c.party: _compile_concepts([c.names]) for c in lexicon.contexts if c.names},
    )
    anchors = anchor_concepts(lexicon)
    if anchors is not None:
        topic._anchors = _compile_concepts([lexicon.concepts[cid] for cid in sorted(anchors)])
    for seed_name, text in (seeds or {}).items():
        title, _, body = text.strip().partition("\n")
        vector, _ = _find(topic, title, body)
        topic.seed_vectors[seed_name] = vector
        topic._seed_norms[seed_name] = _norm(vector)
    return topic


def load_topic(
    name: str, lexicon_path: Path, seed_paths: list[Path], threshold: float | None = None
) -> Topic:
    """Read the lexicon and the seed articles and build the topic."""
    lexicon = load_lexicon(lexicon_path)
    seeds = {Path(p).name: Path(p).read_text(encoding="utf-8", errors="replace") for p in seed_paths}
    return build_topic(lexicon, seeds, threshold, name)


def anchor_concepts(lexicon: Lexicon) -> frozenset[str] | None:
    """Concept ids of which an item must name one for any rule to hold, worked out from
    the rules themselves; None when some rule could hold without any small such set.

    For each rule, the smallest set of concepts behind one name it mentions (a concept, or
    the concepts of a group) without which even the rule with its negations read as true
    (`Rule.relaxed`) fails on every other concept and group, and on every party that may
    go without saying. That relaxed rule holds wherever the rule could and only grows
    with the names present, so an item that names none of these concepts matches no rule,
    whatever else it names, implies or mentions in passing."""
    concepts = list(lexicon.concepts.values())
    implied: set[str] = set()
    for ctx in lexicon.contexts:
        implied |= {ctx.party, *lexicon.concepts[ctx.party].groups}
    anchors: set[str] = set()
    for rule in lexicon.rules:
        best: set[str] | None = None
        for name in sorted(rule.names):
            behind = {c.id for c in concepts if c.id == name or name in c.groups}
            if not behind or (best is not None and len(behind) >= len(best)):
                continue
            rest = set(implied)
            for c in concepts:
                if c.id not in behind:
                    rest |= {c.id, *c.groups}
            if not rule.relaxed(frozenset(rest)):
                best = behind
        if best is None:
            return None
        anchors |= best
    return frozenset(anchors)


def _names_an_anchor(topic: Topic, words: tuple[list[str], list[str]]) -> bool:
    """Whether one of the words can begin a form of an anchor concept (a first word is
    enough: a yes may be wrong, a no never is). Words known to begin none are taken out
    in one set operation; the others are looked up once each."""
    anchors = topic._anchors
    for toks in words:
        live = set(toks)
        live -= anchors._silent
        if any(anchors.candidates(token) for token in live):
            return True
    return False


def _compile(lexicon: Lexicon) -> _Index:
    return _compile_concepts(lexicon.concepts.values())


def _compile_concepts(concepts) -> _Index:
    index = _Index()
    for concept in concepts:
        for form in concept.forms:
            entry = _Entry(concept, form, len(form.tokens) == 1, abs(concept.weight) * form.weight)
            first = form.tokens[0]
            if form.prefix[0]:
                index.prefixes.setdefault(len(first), {}).setdefault(first, []).append(entry)
            else:
                index.exact[first].append(entry)
    index.seal()
    return index


def _rest_matches(form: Form, toks: list[str], start: int) -> bool:
    if start + len(form.tokens) > len(toks):
        return False
    for k in range(1, len(form.tokens)):
        want = form.tokens[k]
        readings = token_variants(toks[start + k])
        if form.prefix[k]:
            if not any(r.startswith(want) for r in readings):
                return False
        elif want not in readings:
            return False
    return True


def _scan(index: _Index, toks: list[str]):
    """Yield (entry, position) for every form occurrence in a list of normalized tokens."""
    memo = index._memo
    for i, token in enumerate(toks):
        found = memo.get(token)
        if found is None:
            found = index.candidates(token)
        for entry in found:
            if entry.single or _rest_matches(entry.form, toks, i):
                yield entry, i


def covered_positions(topic: Topic, toks: list[str]) -> set[int]:
    """Indexes of the normalized tokens (textnorm.tokens) that some form covers."""
    covered: set[int] = set()
    for entry, pos in _scan(topic._index, toks):
        covered.update(range(pos, pos + len(entry.form.tokens)))
    return covered


def _words(title: str, text: str) -> tuple[list[str], list[str]]:
    """The normalized words of the title and of the body."""
    return (tokens(normalize(title)) if title else [], tokens(normalize(text)) if text else [])


def _find(
    topic: Topic, title: str, text: str, lang: str = "und", places: dict[str, Place] | None = None,
    index: _Index | None = None, words: tuple[list[str], list[str]] | None = None,
) -> tuple[dict[str, float], list[ConceptHit]]:
    """Concept vector (non-negative strength per concept) and the best hit of each.

    Several forms can read the same (S-400 and إس-400 both read s400); on a tie the
    form of the item's language is the one shown. `places`, when given, is filled with
    each concept's Place; `index` defaults to the topic's concepts; `words`, the item's
    words (_words) when they are known already."""
    # concept id -> (strength, entry, where): the strongest occurrence of each concept.
    best: dict[str, tuple[float, _Entry, str]] = {}
    index = index or topic._index
    memo, silent, candidates = index._memo, index._silent, index.candidates
    title_words, body_words = words if words is not None else _words(title, text)
    for where, toks, factor in ((TITLE, title_words, topic.lexicon.title_factor), (BODY, body_words, 1.0)):
        # The scan of _scan, inlined, and only over the words not known to name no form:
        # the comprehension passes over the others without a Python step each.
        for i in [i for i, token in enumerate(toks) if token not in silent]:
            token = toks[i]
            found = memo.get(token)
            if found is None:
                found = candidates(token)
            for entry in found:
                if not entry.single and not _rest_matches(entry.form, toks, i):
                    continue
                cid = entry.concept.id
                if places is not None:
                    place = places.get(cid)
                    if place is None:
                        places[cid] = Place(1, where, i, (where, i))
                    elif place.last != (where, i):  # two forms at one word are one mention
                        place.count += 1
                        place.last = (where, i)
                strength = entry.strength * factor
                current = best.get(cid)
                if current is None or strength > current[0] or (
                    strength == current[0] and entry.form.lang == lang != current[1].form.lang
                    and where == current[2]
                ):
                    best[cid] = (strength, entry, where)
    hits = [
        ConceptHit(cid, entry.form.text, where, round(strength if entry.concept.weight >= 0 else -strength, 3))
        for cid, (strength, entry, where) in best.items()
    ]
    hits.sort(key=lambda h: (-abs(h.weight), h.concept))
    vector = {h.concept: abs(h.weight) for h in hits}
    return vector, hits


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    """Cosine similarity of two concept vectors (0 when either is empty)."""
    dot = sum(w * b[c] for c, w in a.items() if c in b)
    if not dot:
        return 0.0
    return dot / (math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values())))


def _norm(vector: dict[str, float]) -> float:
    return math.sqrt(sum(w * w for w in vector.values()))


def seed_similarity(topic: Topic, vector: dict[str, float]) -> tuple[float, str | None]:
    """Best cosine similarity to a seed article, and that seed's name."""
    best, best_name = 0.0, None
    norm = _norm(vector)
    if not norm:
        return best, best_name
    for name, seed_vector in topic.seed_vectors.items():
        dot = sum(w * seed_vector[c] for c, w in vector.items() if c in seed_vector)
        if dot:
            seed_norm = topic._seed_norms.get(name) or _norm(seed_vector)
            sim = dot / (norm * seed_norm)
            if sim > best:
                best, best_name = sim, name
    return best, best_name


def _present(topic: Topic, vector) -> frozenset[str]:
    names = set(vector)
    for cid in vector:
        names.update(topic.concepts[cid].groups)
    return frozenset(names)


def _score(topic: Topic, vector: dict[str, float], hits: list[ConceptHit]) -> tuple[float, float, str | None]:
    """(score, best seed similarity, that seed's name): the concepts' weights plus the
    seed part. A match needs the score to reach the threshold whatever the rules say."""
    sim, seed_name = seed_similarity(topic, vector)
    return round(sum(h.weight for h in hits) + topic.lexicon.seed_weight * sim, 3), sim, seed_name


def matches(topic: Topic, title: str, text: str, lang: str, context: MatchContext | None = None) -> bool:
    """`match_item(...).matched`, for callers that need only the verdict (the parse
    workers, for every item of every feed): an item that names no anchor concept (one of
    which every rule needs, see anchor_concepts) is answered from its words alone, one
    whose score is below the threshold as soon as the score is known (98% of a news
    stream is one or the other), before rules, implied parties and passing mentions are
    worked out and explained. Any other item gets match_item's own verdict."""
    title, text = title or "", text or ""
    words = _words(title, text)
    if topic._anchors is not None and not _names_an_anchor(topic, words):
        return False  # no rule can hold (anchor_concepts)
    vector, hits = _find(topic, title, text, lang, words=words)
    if _score(topic, vector, hits)[0] < topic.threshold:
        return False
    return _match(topic, title, text, lang, context, words).matched


def match_item(
    topic: Topic, title: str, text: str, lang: str, context: MatchContext | None = None,
) -> MatchResult:
    """Score one item against the topic and say why.

    `lang` is an ISO 639-1 code, or "und"/"" when unknown; `context` gives the feed and
    a lazy language detector (see MatchContext). Pure apart from that detector."""
    title, text = title or "", text or ""
    return _match(topic, title, text, lang, context, _words(title, text))


def _match(
    topic: Topic, title: str, text: str, lang: str, context: MatchContext | None,
    words: tuple[list[str], list[str]],
) -> MatchResult:
    """match_item, with the item's normalized words (_words) already worked out."""
    context = context or MatchContext()
    places: dict[str, Place] = {}
    vector, hits = _find(topic, title, text, lang, places, words=words)
    score, sim, seed_name = _score(topic, vector, hits)
    seed_part = topic.lexicon.seed_weight * sim
    in_passing = passing(topic.lexicon, places, len(words[1]), bool(title))
    present = _present(topic, {c: w for c, w in vector.items() if c not in in_passing})

    def held(names: frozenset[str]) -> list[Rule]:
        return [r for r in topic.rules if r.test(names)]

    rules = held(present)
    implied_parties = []
    if not rules and topic.lexicon.contexts and vector:

        def names_found(party: str) -> tuple[str, str] | None:
            index = topic._context_indexes.get(party)
            hits = _find(topic, title, text, lang, index=index, words=words)[1] if index is not None else []
            return (hits[0].form, hits[0].where) if hits else None

        present, implied_parties = implied(topic.lexicon, present, lang, context, held, names_found)
        if implied_parties:
            rules = held(present)
    matched = bool(rules) and score >= topic.threshold

    reasons: list[str] = []
    for rule in rules:
        reasons.append(f"rule {rule.id} holds: {rule.why or rule.when}")
    if not rules:
        reasons.append("no rule holds" + (
            f" (concepts found: {', '.join(sorted(vector))})" if vector else " (no concept found)"
        ))
    for party in implied_parties:
        reasons.append(f"implied party {party.label}: {party.source}")
    for cid, why in in_passing.items():
        reasons.append(f"passing mention of {topic.concepts[cid].label}: {why}; it carries no rule")
    for hit in hits:
        concept = topic.concepts[hit.concept]
        kind = "look-alike " if concept.lookalike else ""
        reasons.append(f"{kind}{concept.label}: \"{hit.form}\" in the {hit.where} ({hit.weight:+.2f})")
    if seed_name:
        reasons.append(f"similar to seed {seed_name}: {sim:.2f} in concept space ({seed_part:+.2f})")
    verdict = "reaches" if score >= topic.threshold else "is below"
    shown = lang if lang and lang != UNKNOWN_LANG else (
        getattr(context.language, "detected", None) or UNKNOWN_LANG)
    reasons.append(f"score {score:.2f} {verdict} the threshold {topic.threshold:.2f} [{shown}]")
    return MatchResult(
        topic=topic.name,
        matched=matched,
        score=score,
        threshold=topic.threshold,
        hits=hits,
        reasons=reasons,
        concepts={cid: round(w, 3) for cid, w in sorted(vector.items())},
    )


def explain(result: MatchResult) -> str:
    """A multi-line explanation of a MatchResult for people."""
    head = "MATCH" if result.matched else "no match"
    lines = [f"{head}: topic {result.topic}, score {result.score:.2f} (threshold {result.threshold:.2f})"]
    rule_lines = [r for r in result.reasons if r.startswith(("rule ", "no rule", "implied party", "passing mention"))]
    lines += [f"  {r}" for r in rule_lines]
    if result.hits:
        lines.append("  concepts:")
        width = max(len(h.concept) for h in result.hits)
        for h in result.hits:
            lines.append(f"    {h.concept.ljust(width)}  {h.weight:+6.2f}  {h.where:<5}  \"{h.form}\"")
    for r in result.reasons:
        if r.startswith("similar to seed") or r.startswith("score "):
            lines.append(f"  {r}")
    return "\n".join(lines)
