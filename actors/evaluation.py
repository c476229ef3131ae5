"""Measure the linker against a labeled set: precision, recall and F1 per actor kind.

The labeled set is JSON Lines: the article fields of the import format (``title``,
``text``, ``published``, ``language``) plus ``gold_actors`` (names, each matched
case- and accent-insensitively against an actor's name and aliases), optional
``unknown_names`` (names the database is known not to hold) and optional
``gold_talks`` (``states``, ``participants``, ``kind``, ``date``).
"""

import datetime
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .folding import fold_text, nfc
from .linking import Linker
from .talk_detection import detect_talks


@dataclass
class Score:
    true: int = 0
    false: int = 0
    missed: int = 0

    @property
    def precision(self) -> float:
        return self.true / (self.true + self.false) if self.true + self.false else 1.0

    @property
    def recall(self) -> float:
        return self.true / (self.true + self.missed) if self.true + self.missed else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Evaluation:
    passages: int = 0
    by_kind: dict[str, Score] = field(default_factory=lambda: defaultdict(Score))
    overall: Score = field(default_factory=Score)
    gold_names: int = 0
    unknown_names: list[str] = field(default_factory=list)
    misses: list[tuple[str, str]] = field(default_factory=list)
    false_hits: list[tuple[str, str, str]] = field(default_factory=list)
    talks: Score = field(default_factory=Score)
    talk_notes: list[str] = field(default_factory=list)

    @property
    def unknown_share(self) -> float:
        return len(self.unknown_names) / self.gold_names if self.gold_names else 0.0


def name_index(linker: Linker) -> dict[str, set[int]]:
    """Folded names and aliases → the actors they name."""
    index: dict[str, set[int]] = defaultdict(set)
    for key, entries in linker.keys.items():
        for actor_id, _method, _exact in entries:
            index[key].add(actor_id)
    return index


def read_labeled(path: Path):
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as error:
                    raise ValueError(f"{path}, line {number}: {error}") from error


def evaluate(path: Path, linker: Linker) -> Evaluation:
    names = name_index(linker)
    by_name = {fold_text(a.name): a.pk for a in linker.actors.values()}
    result = Evaluation()
    for passage in read_labeled(path):
        result.passages += 1
        ident = passage.get("id", str(result.passages))
        date = (
            datetime.date.fromisoformat(passage["published"]) if passage.get("published") else None
        )
        text = nfc(f"{passage.get('title', '')}\n\n{passage.get('text', '')}")
        mentions = linker.link(text, date)
        predicted = {m.actor_id for m in mentions}
        gold = set()
        for name in passage.get("gold_actors", []):
            result.gold_names += 1
            key = fold_text(nfc(name))
            matches = {by_name[key]} if key in by_name else names.get(key, set())
            if len(matches) == 1:
                gold |= matches
            else:
                result.unknown_names.append(f"{ident}: {name}")
        for name in passage.get("unknown_names", []):
            result.gold_names += 1
            result.unknown_names.append(f"{ident}: {name}")
        for actor_id in predicted | gold:
            actor = linker.actors[actor_id]
            score = result.by_kind[actor.kind]
            if actor_id in predicted and actor_id in gold:
                score.true += 1
                result.overall.true += 1
            elif actor_id in predicted:
                score.false += 1
                result.overall.false += 1
                surface = next(m.surface for m in mentions if m.actor_id == actor_id)
                result.false_hits.append((ident, actor.name, surface))
            else:
                score.missed += 1
                result.overall.missed += 1
                result.misses.append((ident, actor.name))
        evaluate_talks(passage, ident, text, mentions, linker, date, by_name, result)
    return result


def evaluate_talks(passage, ident, text, mentions, linker, date, by_name, result) -> None:
    gold_talks = [
        (
            frozenset(by_name.get(fold_text(s)) for s in talk["states"]),
            talk["kind"],
            talk["date"],
        )
        for talk in passage.get("gold_talks", [])
    ]
    found = [
        (frozenset(t.states), t.kind, t.date.isoformat())
        for t in detect_talks(text, mentions, linker, date)
    ]
    unmatched = Counter(gold_talks)
    for talk in found:
        if unmatched[talk] > 0:
            unmatched[talk] -= 1
            result.talks.true += 1
        else:
            result.talks.false += 1
            result.talk_notes.append(f"{ident}: unexpected {talk[1]} on {talk[2]}")
    for talk, count in unmatched.items():
        if count:
            result.talks.missed += count
            result.talk_notes.append(f"{ident}: missed {talk[1]} on {talk[2]}")
