"""Measure the entity linker's throughput: MB of text per second on one core.

The linker is built from the curated actors in seeds/ plus generated ones, 5,000
actors and 50,000 aliases in all, and run over about 5 MB of generated news text
with mentions at a realistic density (the seed article's sentences mixed with
filler and generated names). Prints the figures; asserts nothing.

    .venv/bin/python benchmarks/linker_throughput.py [--megabytes 5] [--actors 5000]
"""

import argparse
import datetime
import random
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from actors.linking import POSITION_TERMS, Linker  # noqa: E402

SYLLABLES = "ka ri mo sa le ta vin dor ne ha zu bel mar tos an el or ud is ya fa ro".split()
FILLER = (
    "the talks continued while officials said that the region remained tense and that "
    "negotiators would meet again next week according to several diplomats who asked "
    "not to be named because they were not authorised to speak publicly about it"
).split()


def curated():
    actors, aliases, roles = [], [], []
    files = ["states", "organizations", "places", "people"]
    entries = [
        e
        for name in files
        for e in yaml.safe_load((ROOT / f"seeds/actors/{name}.yaml").read_text())
    ]
    slugs = {entry["slug"]: pk for pk, entry in enumerate(entries, start=1)}
    for entry in entries:
        actors.append(
            (slugs[entry["slug"]], entry["kind"], entry["name"], slugs.get(entry.get("state")))
        )
        for alias in entry.get("aliases") or []:
            aliases.append((slugs[entry["slug"]], alias["name"], alias.get("kind", "variant")))
        for role in entry.get("roles") or []:
            roles.append(
                (
                    slugs[entry["slug"]],
                    role["position"],
                    slugs[role["organization"]],
                    role["start"],
                    role.get("end"),
                )
            )
    return actors, aliases, roles


def generated_name(rng):
    return " ".join(
        "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        for _ in range(rng.randint(1, 3))
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=5.0)
    parser.add_argument("--actors", type=int, default=5000)
    parser.add_argument("--aliases", type=int, default=50000)
    arguments = parser.parse_args()
    rng = random.Random(7)

    actors, aliases, roles = curated()
    kinds = ["person", "organization", "place"]
    next_pk = max(pk for pk, *_ in actors) + 1
    generated = []
    while len(actors) < arguments.actors:
        name = generated_name(rng)
        actors.append((next_pk, rng.choice(kinds), name, None))
        generated.append((next_pk, name))
        next_pk += 1
    while len(aliases) < arguments.aliases:
        pk, name = rng.choice(generated)
        aliases.append((pk, f"{name} {rng.choice(SYLLABLES)}", "variant"))

    started = time.perf_counter()
    linker = Linker(actors, aliases, roles)
    build_seconds = time.perf_counter() - started

    seed = (ROOT / "seeds/000_3ffe4a8996a89bd8.txt").read_text(encoding="utf-8")
    seed_sentences = [s for s in seed.replace("\n", " ").split(". ") if s]
    names = [name for _, name in generated[:2000]]
    parts, size = [], 0
    while size < arguments.megabytes * 1_000_000:
        choice = rng.random()
        if choice < 0.25:
            part = rng.choice(seed_sentences) + "."
        elif choice < 0.45:
            part = f"{rng.choice(names)} {rng.choice(FILLER)} {rng.choice(list(POSITION_TERMS))}."
        else:
            part = " ".join(rng.choices(FILLER, k=rng.randint(8, 30))) + "."
        parts.append(part)
        size += len(part.encode()) + 1
    articles = [" ".join(parts[i : i + 40]) for i in range(0, len(parts), 40)]
    megabytes = sum(len(a.encode()) for a in articles) / 1_000_000

    started = time.perf_counter()
    mentions = sum(len(linker.link(article, datetime.date(2023, 6, 9))) for article in articles)
    seconds = time.perf_counter() - started

    print(f"actors: {len(actors):,}  aliases: {len(aliases):,}  keys: {len(linker.keys):,}")
    print(f"build: {build_seconds:.2f} s")
    print(f"text: {megabytes:.2f} MB in {len(articles):,} articles, {mentions:,} mentions")
    print(f"link: {seconds:.2f} s  →  {megabytes / seconds:.2f} MB/s on one core")


if __name__ == "__main__":
    main()
