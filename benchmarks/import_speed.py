"""Import with linking, and the linker alone, on realistic articles: prints the figures.

Issue #8 asks for an import of at least 1,000 articles per second with linking, and a
linker reading at least 1 MB of text per second per core. This script measures both on
PostgreSQL, with generate_archive's articles (several languages, bodies of realistic
length that name their actors by their aliases) and its 5,000 actors:

1. a scratch database (``--database``, dropped and created again) gets
   ``generate_archive --articles 1000+N``;
2. the last N generated articles are written to a JSON Lines file (title, text, url,
   language, published, outlet) and deleted from the archive with their links;
3. ``manage.py import_articles FILE --publish`` imports them again, in a process of its
   own, timed from start to end (its start-up, the linker's build included);
4. the linker alone reads the same texts, in this process, after it is built.

It also prints the CPU time the import took, its own process's and the local
PostgreSQL server's (every ``postgres`` process, read from ``/proc``), per article:
what bounds the rate on this machine whatever the code's own speed.

    .venv/bin/python benchmarks/import_speed.py [--articles 2000] [--database na_import_bench]

It asserts nothing; the figures go to stdout, and RESULTS.md quotes them.
"""

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SERVER = "postgres://postgres@127.0.0.1:5432"


def manage(database_url: str, *args: str) -> str:
    environment = {**os.environ, "DATABASE_URL": database_url}
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    if result.returncode not in (0, 1):  # import_articles exits 1 when it rejected a record
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def recreate(database: str) -> str:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{database}"')
    return f"{SERVER}/{database}"


def take_out(count: int, path: Path) -> tuple[int, int]:
    """Write the ``count`` newest generated articles to ``path`` and delete them.

    Return the number of articles and of bytes of text written.
    """
    from articles.models import Article
    from articles.synthetic import generated_articles

    chosen = list(generated_articles().order_by("-pk").select_related("outlet")[:count])
    size = 0
    with path.open("w", encoding="utf-8") as handle:
        for article in chosen:
            record = {
                "title": article.title,
                "text": article.body,
                "url": article.source_url,
                "language": article.language,
                "published": article.published_on.isoformat() if article.published_on else None,
                "outlet": article.outlet.name if article.outlet else None,
            }
            size += len(article.title.encode()) + len(article.body.encode())
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    Article.objects.filter(pk__in=[article.pk for article in chosen]).delete()
    return len(chosen), size


def postgres_cpu_seconds() -> float | None:
    """CPU time of the local PostgreSQL server's processes, and of those that ended
    (counted in their parent's children's time); None where /proc does not show them."""
    ticks, found = 0, False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, fields = stat.read_text().rsplit(")", 1)
        except OSError:  # ended meanwhile
            continue
        if name.endswith("(postgres"):
            found = True
            ticks += sum(int(value) for value in fields.split()[11:15])
    return ticks / os.sysconf("SC_CLK_TCK") if found else None


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def linker_speed(path: Path) -> tuple[float, float, int]:
    """Seconds to build the linker, seconds to read every text of ``path``, mentions."""
    from actors.linking import build_linker

    started = time.perf_counter()
    linker = build_linker()
    built = time.perf_counter() - started
    records = [json.loads(line) for line in path.open(encoding="utf-8")]
    started = time.perf_counter()
    mentions = 0
    for record in records:
        published = datetime.date.fromisoformat(record["published"] or "2020-01-01")
        mentions += len(linker.link(f"{record['title']}\n\n{record['text']}", published))
    return built, time.perf_counter() - started, mentions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000, help="articles imported")
    parser.add_argument("--database", default="na_import_bench", help="scratch database")
    options = parser.parse_args()

    database_url = recreate(options.database)
    print(f"Scratch database {options.database}; generating {1000 + options.articles:,} articles")
    manage(database_url, "migrate", "--noinput")
    manage(database_url, "generate_archive", "--articles", str(1000 + options.articles))

    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsarchive.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "articles.jsonl"
        count, size = take_out(options.articles, path)
        megabytes = size / 1e6
        print(f"{count:,} articles, {megabytes:.1f} MB of text, taken out to be imported again")

        cpu_before, postgres_before = children_cpu_seconds(), postgres_cpu_seconds()
        started = time.perf_counter()
        output = manage(database_url, "import_articles", str(path), "--publish")
        seconds = time.perf_counter() - started
        cpu, postgres_after = children_cpu_seconds() - cpu_before, postgres_cpu_seconds()
        summary = next((line for line in output.splitlines() if "created" in line), output)
        print(f"import_articles --publish: {seconds:.1f} s wall, {summary.strip()}")
        print(
            f"Import with linking: {count / seconds:,.0f} articles/s "
            f"({megabytes / seconds:.2f} MB/s, one process; goal 1,000 articles/s)"
        )

        if postgres_before is not None and postgres_after is not None:
            database = (postgres_after - postgres_before) / count * 1000
            python = cpu / count * 1000
            cores = os.cpu_count() or 1
            print(
                f"CPU per article: {python:.2f} ms in import_articles (its start-up included), "
                f"{database:.2f} ms in PostgreSQL; on {cores} cores at most "
                f"{cores * 1000 / (python + database):,.0f} articles/s with both kept busy, "
                f"{cores * 1000 / database:,.0f} if the import's own work cost nothing"
            )

        built, reading, mentions = linker_speed(path)
        print(
            f"Linker alone: built in {built:.1f} s; read {megabytes:.1f} MB in {reading:.1f} s = "
            f"{megabytes / reading:.2f} MB/s on one core ({mentions:,} mentions; goal 1 MB/s)"
        )


if __name__ == "__main__":
    main()
