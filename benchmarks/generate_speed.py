"""Measure ``generate_archive`` on the database of DATABASE_URL: time, rates, CPU, size.

Besides the wall time it prints the CPU seconds spent in Python (this process and its
workers) and in the PostgreSQL backends serving the run (read from /proc while the
run lasts, so only for a server on this machine): on a machine shared with other work
the wall time says little, the CPU seconds say what the run costs. Asserts nothing.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scratch \\
        .venv/bin/python benchmarks/generate_speed.py --articles 100000 [--keep-indexes]

The database must be migrated; the run adds to it (see docs/scale.md for --append).
"""

import argparse
import os
import resource
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsarchive.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, connections  # noqa: E402

from articles.synthetic import generate_archive  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def process_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


class BackendMeter(threading.Thread):
    """Samples the CPU time of every backend connected to the database until stopped."""

    def __init__(self):
        super().__init__(daemon=True)
        self.seen: dict[int, float] = {}
        self.stopped = threading.Event()

    def run(self):
        try:
            with connection.cursor() as cursor:
                own = connection.connection.info.backend_pid
                while not self.stopped.wait(0.5):
                    cursor.execute(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    )
                    for (pid,) in cursor.fetchall():
                        seconds = process_seconds(pid) if pid != own else None
                        if seconds is not None:
                            self.seen[pid] = max(seconds, self.seen.get(pid, 0))
        finally:
            connections.close_all()

    def total(self) -> float:
        return sum(self.seen.values())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--actors", type=int, default=5000)
    parser.add_argument("--workers", type=int)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--seed", default="1")
    parser.add_argument("--append", action="store_true")
    parser.add_argument("--keep-indexes", action="store_true")
    arguments = parser.parse_args()

    postgres = connection.vendor == "postgresql"
    meter = BackendMeter() if postgres else None
    if meter:
        meter.start()
    started = time.perf_counter()
    report = generate_archive(
        articles=arguments.articles,
        actors=arguments.actors,
        seed=arguments.seed,
        batch_size=arguments.batch_size,
        workers=arguments.workers,
        append=arguments.append,
        set_aside=False if arguments.keep_indexes else None,
    )
    wall = time.perf_counter() - started
    if meter:
        meter.stopped.set()
        meter.join()
    python = sum(
        getattr(resource.getrusage(who), field)
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        for field in ("ru_utime", "ru_stime")
    )
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    print(f"articles: {report.articles:,}  links: {report.links:,}")
    print(
        f"wall: {wall:,.1f} s (rows in after {report.loaded_seconds:,.1f} s)  "
        f"{report.articles / wall:,.0f} articles/s  {report.links / wall:,.0f} links/s"
    )
    print(f"CPU: Python {python:,.1f} s", end="")
    if meter:
        print(f", PostgreSQL backends {meter.total():,.1f} s", end="")
    print(f"  (load average now {os.getloadavg()[0]:.1f})")
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            print(f"database size: {cursor.fetchone()[0]}")


if __name__ == "__main__":
    main()
