"""Page latency and throughput of the production server on PostgreSQL, against Datasette.

    .venv/bin/python benchmarks/bench_pages.py --sizes 10000,100000,1000000

For each size N: the database ``na_bench_N`` (reused when it holds N articles, else created,
migrated and filled by ``generate_archive``; ``--database-url`` measures an existing
database instead); gunicorn with DEBUG=0 on loopback, warmed; then, for each page family
(home, the article list unfiltered and filtered, searches, facets, detail pages, the API,
the admin), ``wrk`` (``wrk_report.lua``) for ``--duration`` seconds at ``--connections``
connections (longer for slow pages, up to ``--max-duration``), and one mixed run over every
family. Per family it prints the latency percentiles seen by wrk, the server time of the
same requests (gunicorn's access log, in microseconds, so queueing in front of busy workers
is left out), requests per second, the SQL query count of the page and its floor: the
page's main query run alone under ``EXPLAIN ANALYZE`` (page_probe.py). The RSS of every
gunicorn worker is sampled during the load, and so is the CPU that processes outside the
benchmark take: on a shared machine it explains slow figures, and the run waits for it to
drop (``--max-foreign-cpu``, ``--max-wait``) before starting each server.

A million articles: ``--database-url postgres://postgres@127.0.0.1:5432/<db>`` measures a
database made beforehand (``generate_archive --articles 1000000``); ``--probe-urls 1`` and
``--probe-timeout`` keep the in-process probe of its slowest pages within bounds.

Then the archive is exported to SQLite (sqlite_export.py), served by Datasette from its
own venv (``benchmarks/.venv-datasette``, created on first use) and the equivalent
table, facet, search and row requests are loaded the same way: our requests per second
over Datasette's, pair by pair.

Everything lands in ``--output`` (benchmarks/RESULTS.md): date, commit, machine, every
figure, and which targets of issue #8 are met. The raw figures of each size are kept in
``benchmarks/data/results-<N>.json``; ``--reuse-results`` renders a size from that file
instead of measuring it again (to add the 1,000,000 run to earlier ones), and
``--reuse-datasette`` measures our server again but takes Datasette's figures from it.
"""

import argparse
import concurrent.futures
import datetime
import http.client
import itertools
import json
import os
import platform
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlite_export

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
DATA = BENCH / "data"
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
GUNICORN_CONF = ROOT / "newsarchive" / "gunicorn.conf.py"
DATASETTE_VENV = BENCH / ".venv-datasette"
LUA = BENCH / "wrk_report.lua"
SERVER_URL = "postgres://postgres@127.0.0.1:5432"
GENERATE = ROOT / "articles" / "management" / "commands" / "generate_archive.py"
SEED_ARTICLES_AT_MOST = 100
# A family's run lasts long enough for about this many requests (see family_duration).
MIN_REQUESTS = 40
# CPU seconds in half a second under which a server is idle (the clock ticks by 10 ms).
IDLE_CPU_SECONDS = 0.02

# Targets of issue #8, checked on the largest size measured.
PAGE_P95_MS = 50
MAX_QUERIES = 10
FLOOR_RATIO = 3
FTS_P95_MS = {"fts_rare": 100, "fts_phrase": 100, "fts_common": 300}
FACET_P95_MS = 150
GROWTH = 1.5
WORKER_RSS_MB = 200
FTS_FAMILIES = set(FTS_P95_MS)
FACET_FAMILIES = {"facets_broad", "facets_narrow"}
# Families whose p95 growth from 100k to 1M is a target: the list and detail pages.
GROWTH_FAMILIES = {
    "home",
    "list",
    "actor1",
    "actor2",
    "state_dates",
    "topic_lang",
    "article",
    "actor",
    "talk",
    "relation",
    "api",
    "admin",
}

DATASETTE_SETTINGS = {
    # Our pages never give up on a query; neither may Datasette, or it would win by
    # answering "timed out" quickly.
    "sql_time_limit_ms": "10000",
    "facet_time_limit_ms": "10000",
    # The same page size as ours.
    "default_page_size": "20",
    # We ask for its facets explicitly; suggesting others is work our pages do not do.
    "suggest_facets": "off",
}
DATASETTE_FACETS = "_facet=language&_facet=outlet_id&_facet=kind&_facet_date=published_on"


def log(message: str) -> None:
    print(message, flush=True)


# ---- Databases ---------------------------------------------------------------------------


def article_count(url: str) -> int | None:
    try:
        with psycopg.connect(url, connect_timeout=5) as database:
            return database.execute("SELECT count(*) FROM articles_article").fetchone()[0]
    except psycopg.Error:
        return None


def ensure_database(size: int, seed: int) -> str:
    """The URL of ``na_bench_<size>`` holding ``size`` articles, made if need be."""
    name = f"na_bench_{size}"
    url = f"{SERVER_URL}/{name}"
    found = article_count(url)
    # generate_archive loads the curated seeds first: their few articles come on top.
    if found is not None and size <= found <= size + SEED_ARTICLES_AT_MOST:
        log(f"Reusing {name} ({found} articles).")
        return url
    if not GENERATE.exists():
        sys.exit(f"{GENERATE.relative_to(ROOT)} is missing: cannot generate {name}.")
    log(f"Creating {name} with {size} articles (migrate, then generate_archive).")
    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}"')
        server.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": url}
    manage = [str(PYTHON), "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    started = time.monotonic()
    subprocess.run(
        [*manage, "generate_archive", "--articles", str(size), "--seed", str(seed)],
        cwd=ROOT,
        env=env,
        check=True,
    )
    log(f"  generated in {time.monotonic() - started:.0f} s")
    return url


def database_facts(url: str) -> dict:
    with psycopg.connect(url, autocommit=True) as database:
        analyzed = database.execute(
            "SELECT coalesce(last_analyze, last_autoanalyze) IS NOT NULL "
            "FROM pg_stat_user_tables WHERE relname = 'articles_article'"
        ).fetchone()
        # A freshly loaded table without statistics gets plans no production database has.
        if not (analyzed and analyzed[0]):
            log("  the tables were never analyzed: ANALYZE")
            database.execute("ANALYZE")
        counts = {
            table: database.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in [
                "articles_article",
                "articles_articleactor",
                "articles_article_topics",
                "actors_actor",
                "actors_talk",
            ]
        }
        published = database.execute(
            "SELECT count(*) FROM articles_article WHERE status = 'published'"
        ).fetchone()[0]
        size = database.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        version = database.execute("SHOW server_version").fetchone()[0]
    return {
        "name": url.rsplit("/", 1)[-1],
        "counts": counts,
        "published": published,
        "size_bytes": size,
        "postgres": version,
    }


# ---- Servers ------------------------------------------------------------------------------


def free_port(preferred: int) -> int:
    import socket

    for port in [preferred, *range(preferred + 1, preferred + 50)]:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    sys.exit(f"No free port from {preferred}.")


def wait_for(url: str, seconds: float, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"The server for {url} exited with {process.returncode}.")
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    sys.exit(f"{url} did not answer within {seconds:.0f} s.")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def production_env(url: str, secret: str) -> dict:
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secret,
        "DATABASE_URL": url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "0",
        # make serve's default: connections kept, as a production server keeps them.
        "CONN_MAX_AGE": os.environ.get("CONN_MAX_AGE", "60"),
        "DJANGO_SETTINGS_MODULE": "newsarchive.settings",
    }


class Gunicorn:
    """gunicorn with the project's configuration, its access log in microseconds."""

    def __init__(self, env: dict, port: int, workers: int | None, workdir: Path):
        self.port = port
        self.access_log = workdir / "access.log"
        self.error_log = workdir / "error.log"
        env = {
            **env,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            # Not the control socket of a `make serve` running beside us.
            "GUNICORN_CONTROL_SOCKET": str(workdir / "gunicorn.ctl"),
        }
        if workers:
            env["WEB_CONCURRENCY"] = str(workers)
        command = [str(GUNICORN)]
        if GUNICORN_CONF.exists():
            command += ["--config", str(GUNICORN_CONF)]
        else:
            command += ["newsarchive.wsgi:application", "--workers", str(workers or 5)]
        command += [
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(self.access_log),
            "--access-logformat",
            "%(r)s %(s)s %(D)s",
            "--error-logfile",
            str(self.error_log),
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env)
        wait_for(f"http://127.0.0.1:{port}/robots.txt", 60, self.process)

    def worker_rss_kb(self) -> dict[int, int]:
        result = subprocess.run(
            ["ps", "-o", "pid=,rss=", "--ppid", str(self.process.pid)],
            capture_output=True,
            text=True,
        )
        rss = {}
        for line in result.stdout.splitlines():
            pid, kb = line.split()
            rss[int(pid)] = int(kb)
        return rss

    def log_offset(self) -> int:
        return self.access_log.stat().st_size if self.access_log.exists() else 0

    def server_times(self, start: int, paths: set[str]) -> tuple[dict[str, list[float]], dict]:
        """The server time in ms of each request to ``paths`` answered 200 since ``start``,
        by path, and how many got another status. A worker killed at gunicorn's timeout
        answers 500 with a meaningless time."""
        times, others = {}, {}
        with self.access_log.open("rb") as handle:
            handle.seek(start)
            for raw in handle:
                parts = raw.decode("utf-8", "replace").rsplit(" ", 2)
                if len(parts) != 3 or not parts[2].strip().isdigit():
                    continue
                request = parts[0].split(" ")
                path = request[1] if len(request) > 1 else request[0]
                if path not in paths:
                    continue
                if parts[1] == "200":
                    times.setdefault(path, []).append(int(parts[2]) / 1000)
                else:
                    others[parts[1]] = others.get(parts[1], 0) + 1
        return times, others

    def drain(self, database_url: str) -> None:
        wait_until_idle({self.process.pid, *self.worker_rss_kb()}, database_url)

    def stop(self) -> None:
        stop(self.process)


def wait_until_idle(pids: set[int], database_url: str | None = None, at_most=300) -> None:
    """Wait for the requests still running after wrk stopped, so that they neither slow the
    next run down nor count in it: until the server's processes use no CPU for a second and
    no query of ours runs in its database."""
    deadline = time.monotonic() + at_most
    idle_polls = 0
    before = process_table()
    while idle_polls < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
        after = process_table()
        cpu = sum(after[pid][1] - before[pid][1] for pid in pids if pid in after and pid in before)
        before = after
        busy = cpu > IDLE_CPU_SECONDS or (database_url and active_queries(database_url))
        idle_polls = 0 if busy else idle_polls + 1


def active_queries(database_url: str) -> int:
    with psycopg.connect(database_url) as database:
        return database.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state = 'active' AND pid <> pg_backend_pid()"
        ).fetchone()[0]


class Datasette:
    def __init__(self, path: Path, port: int):
        command = [str(DATASETTE_VENV / "bin" / "datasette"), "serve", "-i", str(path)]
        command += ["-h", "127.0.0.1", "-p", str(port)]
        for name, value in DATASETTE_SETTINGS.items():
            command += ["--setting", name, value]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for(f"http://127.0.0.1:{port}/-/versions.json", 300, self.process)

    def drain(self) -> None:
        wait_until_idle({self.process.pid})

    def stop(self) -> None:
        stop(self.process)


def datasette_version() -> str:
    datasette = DATASETTE_VENV / "bin" / "datasette"
    if not datasette.exists():
        log(f"Installing Datasette into {DATASETTE_VENV.relative_to(ROOT)}")
        subprocess.run([sys.executable, "-m", "venv", str(DATASETTE_VENV)], check=True)
        subprocess.run(
            [str(DATASETTE_VENV / "bin" / "pip"), "install", "--quiet", "datasette"], check=True
        )
    return subprocess.run(
        [str(datasette), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()


def ensure_wrk() -> str:
    if not shutil.which("wrk"):
        if os.geteuid() != 0:
            sys.exit("wrk is missing: apt-get install wrk (as root).")
        log("Installing wrk (apt-get)")
        apt = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=apt)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=apt)
    version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
    return version.splitlines()[0] if version else "wrk"


# ---- Load ---------------------------------------------------------------------------------


def process_table() -> dict[int, tuple[int, float]]:
    """(parent pid, CPU seconds used so far) of every process."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        found[int(stat.parent.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
    return found


class ForeignCpu:
    """The share of the machine's CPUs that processes outside the benchmark used during a run.

    The benchmark's own: this process's descendants (gunicorn and its workers, wrk, Datasette)
    and the PostgreSQL backends connected to the measured database. On a shared machine
    everything else slows every figure down, so each run reports it.
    """

    def __init__(self, database_url: str | None):
        self.database_url = database_url
        self.started = time.monotonic()
        self.before = process_table()

    def own_pids(self, table: dict[int, tuple[int, float]]) -> set[int]:
        own = {os.getpid()}
        grew = True
        while grew:
            children = {pid for pid, (parent, _cpu) in table.items() if parent in own}
            grew = not children <= own
            own |= children
        if self.database_url:
            with psycopg.connect(self.database_url) as database:
                own |= {
                    row[0]
                    for row in database.execute(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    )
                }
        return own

    def stop(self) -> float:
        after = process_table()
        elapsed = time.monotonic() - self.started
        own = self.own_pids(after)
        used = sum(
            cpu - self.before.get(pid, (0, 0.0))[1]
            for pid, (_parent, cpu) in after.items()
            if pid not in own
        )
        return 100 * used / elapsed / (os.cpu_count() or 1)


class RssSampler(threading.Thread):
    """The largest RSS of any worker, and of all workers together, while it runs."""

    def __init__(self, server: Gunicorn):
        super().__init__(daemon=True)
        self.server = server
        self.running = True
        self.max_worker_kb = 0
        self.max_total_kb = 0

    def run(self) -> None:
        while self.running:
            rss = self.server.worker_rss_kb()
            if rss:
                self.max_worker_kb = max(self.max_worker_kb, *rss.values())
                self.max_total_kb = max(self.max_total_kb, sum(rss.values()))
            time.sleep(0.5)

    def stop(self) -> dict:
        self.running = False
        self.join()
        return {"worker_mb": self.max_worker_kb / 1024, "total_mb": self.max_total_kb / 1024}


def run_wrk(base: str, paths: list[str], args, duration: float, cookie: str = "") -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".paths", delete=False) as handle:
        handle.write("\n".join(paths) + "\n")
    command = ["wrk", "-t", str(args.threads), "-c", str(args.connections)]
    command += ["-d", f"{max(1, round(duration))}s", "--timeout", "60s", "-s", str(LUA), base]
    command += ["--", handle.name]
    if cookie:
        command.append(cookie)
    result = subprocess.run(command, capture_output=True, text=True)
    os.unlink(handle.name)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode or not lines:
        raise RuntimeError(f"wrk failed: {result.stdout}\n{result.stderr}")
    return json.loads(lines[-1])


def percentiles(values: list[float]) -> dict:
    if not values:
        return {}
    ordered = sorted(values)

    def at(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    return {
        "n": len(ordered),
        "p50_ms": statistics.median(ordered),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "max_ms": ordered[-1],
    }


def check_paths(base: str, paths: list[str], cookie: str, connections: int) -> dict[str, int]:
    """Each path once: its status (a 404 or redirect would be measured as a fast page), and a
    first request for the workers' caches. In parallel: on a million articles some pages
    take many seconds."""

    def status(path: str) -> int:
        request = urllib.request.Request(base + path)
        if cookie and path.startswith("/admin/"):
            request.add_header("Cookie", cookie)
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except (OSError, http.client.HTTPException):
            # No answer at all: gunicorn killed the worker at its timeout.
            return 0

    with concurrent.futures.ThreadPoolExecutor(connections) as pool:
        return dict(zip(paths, pool.map(status, paths), strict=True))


def interleave(families: list[dict]) -> list[str]:
    """Every family with the same weight: one path of each in turn."""
    longest = max(len(family["paths"]) for family in families)
    return [
        family["paths"][index % len(family["paths"])]
        for index in range(longest)
        for family in families
    ]


def load_site(server: Gunicorn, base: str, paths: list[str], args, duration, cookie, url) -> dict:
    """wrk on ``paths``, with the server time of each request, worker RSS and foreign CPU."""
    offset = server.log_offset()
    sampler = RssSampler(server)
    sampler.start()
    foreign = ForeignCpu(url)
    duration = max(1, round(duration))
    result = {"wrk": run_wrk(base, paths, args, duration, cookie), "seconds": duration}
    result["foreign_cpu"] = foreign.stop()
    server.drain(url)
    result["rss"] = sampler.stop()
    # Requests still running when wrk stopped are logged later, and are the same pages.
    times, result["server_statuses"] = server.server_times(offset, set(paths))
    result["server"] = percentiles([t for values in times.values() for t in values])
    result["server_by_path"] = {path: percentiles(values) for path, values in times.items()}
    return result


def family_duration(family: dict, args, workers: int) -> float:
    """``--duration``, or longer for slow pages: long enough for about ``MIN_REQUESTS``
    requests at the page time the probe saw, at most ``--max-duration``."""
    seconds = (
        min(probe.get("page_ms_in_process", probe["page_ms_cold"]) for probe in family["probes"])
        / 1000
    )
    needed = MIN_REQUESTS * seconds / max(1, min(workers, args.connections))
    return max(args.duration, min(args.max_duration, needed))


def wait_for_quiet(args) -> float:
    """Wait until processes outside the benchmark use less than ``--max-foreign-cpu`` of the
    machine (other sessions' test runs on a shared machine), at most ``--max-wait`` s."""
    deadline = time.monotonic() + args.max_wait
    while True:
        foreign = ForeignCpu(None)
        time.sleep(5)
        share = foreign.stop()
        if share <= args.max_foreign_cpu or time.monotonic() > deadline:
            log(f"  other processes use {share:.0f}% of the CPUs")
            return share
        log(f"  other processes use {share:.0f}% of the CPUs: waiting")
        time.sleep(25)


def measure_site(url: str, label: str, args, secret: str, workdir: Path) -> dict:
    env = production_env(url, secret)
    # Archives of other sizes may have reached the same archive version in a shared Redis:
    # their pages must not be served for this one's.
    subprocess.run(
        [
            str(PYTHON),
            "-c",
            "import django; django.setup(); from articles.caching import clear_cache; "
            "clear_cache()",
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    probe_file = DATA / f"probe-{label}.json"
    if args.reuse_probe and probe_file.exists():
        log(f"[{label}] reusing {probe_file.relative_to(ROOT)}, with a new admin session")
        subprocess.run(
            [str(PYTHON), str(BENCH / "page_probe.py"), str(probe_file), "--cookie-only"],
            cwd=ROOT,
            env=env,
            check=True,
        )
    else:
        log(f"[{label}] probing pages in-process (query counts, EXPLAIN ANALYZE floors)")
        probe_env = {
            **env,
            "BENCH_PROBE_TIMEOUT_MS": str(int(args.probe_timeout * 1000)),
            "BENCH_PROBE_URLS": str(args.probe_urls),
        }
        subprocess.run(
            [str(PYTHON), str(BENCH / "page_probe.py"), str(probe_file)],
            cwd=ROOT,
            env=probe_env,
            check=True,
        )
    probe = json.loads(probe_file.read_text(encoding="utf-8"))
    families, cookie = probe["families"], probe["admin_cookie"]
    port = free_port(args.port)
    base = f"http://127.0.0.1:{port}"
    wait_for_quiet(args)
    log(f"[{label}] gunicorn on {base}")
    server = Gunicorn(env, port, args.workers, workdir)
    try:
        workers = len(server.worker_rss_kb())
        all_paths = [path for family in families for path in family["paths"]]
        log(f"[{label}] warming: {len(all_paths)} URLs, then {args.warmup:g} s of the mix")
        statuses = check_paths(base, all_paths, cookie, args.connections)
        run_wrk(base, interleave(families), args, args.warmup, cookie)
        server.drain(url)
        for family in families:
            family["statuses"] = {
                path: statuses[path] for path in family["paths"] if statuses[path] != 200
            }
            family_cookie = cookie if family["key"] == "admin" else ""
            duration = family_duration(family, args, workers)
            family.update(
                load_site(server, base, family["paths"], args, duration, family_cookie, url)
            )
            summarize(family)
        log(f"[{label}] mixed run, {args.mixed_duration:g} s")
        mixed = load_site(
            server, base, interleave(families), args, args.mixed_duration, cookie, url
        )
        log(
            f"  mixed: {mixed['wrk']['rps']:.1f} req/s, server p95 "
            f"{mixed['server'].get('p95_ms', 0):.1f} ms, "
            f"worker RSS max {mixed['rss']['worker_mb']:.0f} MB, "
            f"other CPU {mixed['foreign_cpu']:.0f}%"
        )
    finally:
        server.stop()
    return {"families": families, "facts": probe["facts"], "mixed": mixed, "workers": workers}


def summarize(family: dict) -> None:
    wrk, server = family["wrk"], family["server"]
    floor = family_floor(family)
    errors = sum(wrk["errors"].values())
    log(
        f"  {family['key']:<14} {wrk['rps']:8.1f} req/s  server p50/p95/p99 "
        f"{server.get('p50_ms', 0):7.1f} {server.get('p95_ms', 0):7.1f} "
        f"{server.get('p99_ms', 0):7.1f} ms  queries {query_counts(family):>5}  "
        f"floor {floor_text(family):>9} ms  "
        f"p50/floor {ratio(server.get('p50_ms'), floor)}  RSS {family['rss']['worker_mb']:.0f} MB  "
        f"other CPU {family['foreign_cpu']:.0f}%"
        + (f"  ERRORS {errors}" if errors else "")
        + (f"  NON-200 {family['statuses']}" if family["statuses"] else "")
    )


def family_floor(family: dict) -> float:
    floors = [probe["floor_ms"] for probe in family["probes"] if probe.get("floor_ms")]
    return statistics.median(floors) if floors else 0.0


def floor_text(family: dict) -> str:
    """The floor in ms; "> T" when the main query outlasted the probe's timeout."""
    floor = family_floor(family)
    timeouts = [
        probe["floor_timeout_ms"] for probe in family["probes"] if "floor_timeout_ms" in probe
    ]
    if timeouts and not floor:
        return f"> {fmt(max(timeouts), 0)}"
    return fmt(floor, 2) + (" (some > timeout)" if timeouts else "")


def single_request_ms(family: dict) -> float:
    """The page alone: the probe's in-process request (warm when it was run twice)."""
    return statistics.median(
        probe.get("page_ms_in_process", probe["page_ms_cold"]) for probe in family["probes"]
    )


def first_request_ms(family: dict) -> float:
    """The page on an empty cache: the probe's first request (median over the URLs)."""
    return statistics.median(probe["page_ms_cold"] for probe in family["probes"])


def cached_request_ms(family: dict) -> float | None:
    """The page served whole from the page cache (none for signed-in pages' families)."""
    times = [probe["page_ms_cached"] for probe in family["probes"] if "page_ms_cached" in probe]
    return statistics.median(times) if times else None


def max_queries(family: dict) -> int:
    return max(probe["queries"] for probe in family["probes"])


def query_counts(family: dict) -> str:
    """The range of SQL query counts of the probed URLs; "≥ N" when a page was cut short by
    the probe's timeout, after N queries."""
    counts = sorted({probe["queries"] for probe in family["probes"]})
    text = str(counts[0]) if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"
    return ("≥ " if any("error" in probe for probe in family["probes"]) else "") + text


def client(wrk: dict, key: str) -> str:
    """A latency seen by wrk; none when no request finished within the run."""
    return fmt(wrk[key]) if wrk["requests"] else "–"


def share(ours: float | None, theirs: float | None) -> float | None:
    return ours / theirs if ours is not None and theirs else None


def ratio(value, floor) -> str:
    if not value or not floor:
        return "–"
    return f"{value / floor:.1f}×"


# ---- Datasette ------------------------------------------------------------------------------


def datasette_pairs(db: str, facts: dict, actor_ids: dict, topic_ids: dict) -> dict:
    """For each of our families that Datasette can answer, its equivalent requests."""
    table = f"/{db}/articles"
    after, before = facts["year_range"]
    language = facts["languages"][0]

    def through(link_table: str, column: str, value: int) -> str:
        spec = json.dumps({"table": link_table, "column": column, "value": str(value)})
        return "_through=" + urllib.parse.quote(spec, safe="")

    def listing(*parts: str) -> str:
        return f"{table}?" + "&".join([*parts, "_sort_desc=published_on", DATASETTE_FACETS])

    actors = [actor_ids[slug] for slug in facts["top_actors"] if slug in actor_ids]
    topics = [topic_ids[slug] for slug in facts["top_topics"] if slug in topic_ids]
    state = actor_ids[facts["state"]]
    state_where = urllib.parse.quote(
        "id in (select article_id from article_actors where actor_id in "
        f"(select id from actors where id = {state} or state_id = {state}))"
    )
    dated = f"published_on__gte={after}&published_on__lte={before}"

    def search(term: str) -> str:
        raw = "&_searchmode=raw" if term.startswith('"') else ""
        return f"{table}?_search={urllib.parse.quote(term)}{raw}&{DATASETTE_FACETS}"

    pairs = {
        "list": [listing()],
        "actor1": [listing(through("article_actors", "actor_id", a)) for a in actors[:4]],
        "actor2": [
            listing(
                through("article_actors", "actor_id", a), through("article_actors", "actor_id", b)
            )
            for a, b in itertools.pairwise(actors[:4])
        ],
        "state_dates": [listing(f"_where={state_where}", dated)],
        "topic_lang": [
            listing(through("article_topics", "topic_id", t), f"language={lang}")
            for t in topics
            for lang in facts["languages"]
        ],
        "fts_rare": [search(term) for term in facts["rare_terms"]],
        "fts_common": [search("Iran")],
        "fts_phrase": [search(term) for term in facts["phrases"]],
        "facets_broad": [listing(f"language={language}")],
        "facets_narrow": [
            listing(
                "kind=report",
                dated,
                *([f"outlet_id={facts['outlet_id']}"] if facts.get("outlet_id") else []),
            )
        ],
        "article": [f"{table}/{pk}" for pk in facts["sample_article_ids"]],
        "actor": [f"/{db}/actors/{pk}" for pk in facts["sample_actor_ids"]],
        "api": [
            f"{table}.json?language={language}&published_on__gte={after}"
            + (f"&{through('article_topics', 'topic_id', topics[0])}" if topics else "")
            + "&_sort_desc=published_on",
            *(
                f"{table}.json?{through('article_actors', 'actor_id', a)}&_sort_desc=published_on"
                for a in actors[:2]
            ),
        ],
    }
    return {key: paths for key, paths in pairs.items() if paths}


def measure_datasette(url: str, label: str, site: dict, args) -> dict:
    path = DATA / f"{label}.db"
    log(f"[{label}] exporting to SQLite for Datasette")
    sqlite_export.export(url, path, log=log)
    with sqlite3.connect(path) as exported:
        actor_ids = dict(exported.execute("SELECT slug, id FROM actors"))
        topic_ids = dict(exported.execute("SELECT slug, id FROM topics"))
        outlets = dict(exported.execute("SELECT slug, id FROM outlets"))
    facts = {**site["facts"], "outlet_id": outlets.get(site["facts"].get("top_outlet"))}
    pairs = datasette_pairs(path.stem, facts, actor_ids, topic_ids)
    port = free_port(args.port + 100)
    base = f"http://127.0.0.1:{port}"
    log(f"[{label}] Datasette on {base}")
    server = Datasette(path, port)
    results = {}
    try:
        every_path = [p for paths in pairs.values() for p in paths]
        statuses = check_paths(base, every_path, "", args.connections)
        run_wrk(base, every_path, args, args.warmup)
        server.drain()
        ours = {family["key"]: family for family in site["families"]}
        for key, paths in pairs.items():
            foreign = ForeignCpu(None)
            # As long as our run of the same family: the same number of chances.
            duration = ours[key]["seconds"] if key in ours else args.duration
            wrk = run_wrk(base, paths, args, duration)
            server.drain()
            bad = {p: statuses[p] for p in paths if statuses[p] != 200}
            results[key] = {
                "paths": paths,
                "wrk": wrk,
                "statuses": bad,
                "foreign_cpu": foreign.stop(),
            }
            our_rps = ours[key]["wrk"]["rps"] if key in ours else 0
            log(
                f"  {key:<14} datasette {wrk['rps']:8.1f} req/s  p50/p95 {wrk['p50_ms']:7.1f} "
                f"{wrk['p95_ms']:7.1f} ms  ours/datasette {fmt(share(our_rps, wrk['rps']), 2)}  "
                f"other CPU {results[key]['foreign_cpu']:.0f}%"
                + (f"  NON-200 {bad}" if bad else "")
            )
    finally:
        server.stop()
    return {"pairs": results, "file_bytes": path.stat().st_size}


# ---- Report ---------------------------------------------------------------------------------


def machine_facts(wrk_version: str, datasette: str) -> dict:
    meminfo = Path("/proc/meminfo").read_text().split("\n")[0].split()
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": int(meminfo[1]) / 1024 / 1024,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": wrk_version,
        "datasette": datasette,
    }


def fmt(value, digits: int = 1) -> str:
    if value is None or value == "":
        return "–"
    return f"{value:,.{digits}f}"


def render(runs: list[dict], args) -> str:
    first = runs[0]
    machine = first["machine"]
    # Results saved by an older version of this script may lack a setting: today's value.
    settings = {key: getattr(args, key) for key in SETTINGS} | first["settings"]
    lines = [
        "# Page benchmarks: production server on PostgreSQL, and Datasette",
        "",
        "Written by `benchmarks/bench_pages.py` (issue #8). Measured with:",
        "",
        *(
            f"    .venv/bin/python benchmarks/bench_pages.py {command}".rstrip()
            for command in dict.fromkeys(run.get("command", args.command) for run in runs)
        ),
        "",
        f"- date: {', '.join(dict.fromkeys(run['machine']['date'] for run in runs))}",
        f"- commit: {', '.join(dict.fromkeys(run['machine']['commit'] for run in runs))}",
        f"- machine: {machine['cpus']} CPUs ({machine['cpu']}), {machine['ram_gb']:.1f} GB RAM, "
        f"Linux {machine['kernel']}, Python {machine['python']}",
        f"- PostgreSQL {first['database']['postgres']} (shared local server, default "
        f"configuration); SQLite {machine['sqlite']}; {machine['wrk']}; {machine['datasette']}",
        f"- server: gunicorn, `newsarchive/gunicorn.conf.py`, DEBUG=0, "
        f"{first['site']['workers']} sync workers, CONN_MAX_AGE={first['conn_max_age']}, "
        f"cache in {first.get('cache', 'local memory')}, whole public pages cached for "
        f"{first.get('page_cache_seconds', '0')} s at most (PUBLIC_PAGE_CACHE_SECONDS), "
        "on 127.0.0.1; wrk runs on the same machine and shares its CPUs",
        f"- load: wrk, {settings['threads']} thread(s), "
        f"{settings['connections']} connections, {settings['duration']:g} s "
        f"per family, longer for slow pages (about {MIN_REQUESTS} requests at the page time the "
        f"probe saw, at most {settings['max_duration']:g} s), after a warm-up "
        f"of {settings['warmup']:g} s; mixed run "
        f"{settings['mixed_duration']:g} s",
        "",
        "**server** times come from gunicorn's access log (`%(D)s`, microseconds): the time a "
        "worker spent on the request, without the wait in the listen queue. **client** times "
        "are wrk's (with that wait). **queries**: SQL queries of the page, counted in-process "
        "with Django's test client under `CaptureQueriesContext` (the second request, warm; "
        'the first alone when it took over 5 s; "≥ N" when a query was cancelled at the '
        "probe's timeout after N queries). "
        "**one request**: that in-process request's time, the page alone with no concurrency "
        "(median over the probed URLs), computed: the figures it shows were cached, the page "
        "was not. **first**: the first request, on an empty cache. **cached**: the page "
        "served whole from the cache, as anonymous readers get it until the archive changes "
        '(docs/scale.md, "Whole pages"); the load below is served that way, but for the '
        "admin, which is signed in. "
        "**floor**: the slowest query of the page's first request, on an empty cache (its "
        "main query), run alone with "
        "`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)` directly in PostgreSQL, execution time, "
        "median of 3 runs (1 when over 5 s), median over the probed URLs of the family; "
        '"> T" when it was cancelled at the probe\'s timeout. '
        "**p50/floor**: server p50 over the floor. "
        "**other CPU**: the share of the machine's CPUs that processes outside the benchmark "
        "(other work on this shared machine) used during the run; before starting the server "
        f"the benchmark waited up to {settings['max_wait']:g} s for it to fall "
        f"under {settings['max_foreign_cpu']:g}%, but cannot stop it.",
        "",
    ]
    for run in runs:
        lines += render_run(run)
    lines += render_growth(runs)
    lines += render_datasette(runs)
    lines += render_targets(runs)
    lines += render_plans(runs)
    return "\n".join(lines) + "\n"


def render_run(run: dict) -> list[str]:
    site, database = run["site"], run["database"]
    counts = database["counts"]
    lines = [
        f"## {run['label']}: {counts['articles_article']:,} articles",
        "",
        f"Database `{database['name']}` ({database['size_bytes'] / 1e9:.1f} GB): "
        f"{database['published']:,} published articles, "
        f"{counts['articles_articleactor']:,} actor links, "
        f"{counts['articles_article_topics']:,} topic links, {counts['actors_actor']:,} actors, "
        f"{counts['actors_talk']:,} talks. Measured {run['machine']['date']}.",
        "",
        "| page | URLs | queries | first | one request | cached | requests | server p50 | p95 "
        "| p99 | client p50 | p95 | p99 | req/s | floor | p50/floor | worker RSS | other CPU |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for family in site["families"]:
        wrk, server = family["wrk"], family["server"]
        floor = family_floor(family)
        failed = failures(family)
        problems = f" ({failed})" if failed else ""
        lines.append(
            f"| {family['label']}{problems} | {len(family['paths'])} "
            f"| {query_counts(family)} | {fmt(first_request_ms(family))} "
            f"| {fmt(single_request_ms(family))} | {fmt(cached_request_ms(family))} "
            f"| {wrk['requests']} in {family['seconds']:.0f} s "
            f"| {fmt(server.get('p50_ms'))} | {fmt(server.get('p95_ms'))} "
            f"| {fmt(server.get('p99_ms'))} | {client(wrk, 'p50_ms')} | {client(wrk, 'p95_ms')} "
            f"| {client(wrk, 'p99_ms')} | {fmt(wrk['rps'])} | {floor_text(family)} "
            f"| {ratio(server.get('p50_ms'), floor)} | {family['rss']['worker_mb']:.0f} MB "
            f"| {family['foreign_cpu']:.0f}% |"
        )
    mixed = site["mixed"]
    lines += [
        f"| **mixed** (every family, equal weight) | "
        f"{sum(len(f['paths']) for f in site['families'])} | | | | "
        f"| {mixed['wrk']['requests']} in {mixed['seconds']:.0f} s "
        f"| {fmt(mixed['server'].get('p50_ms'))} | {fmt(mixed['server'].get('p95_ms'))} "
        f"| {fmt(mixed['server'].get('p99_ms'))} | {client(mixed['wrk'], 'p50_ms')} "
        f"| {client(mixed['wrk'], 'p95_ms')} | {client(mixed['wrk'], 'p99_ms')} "
        f"| {fmt(mixed['wrk']['rps'])} | | | {mixed['rss']['worker_mb']:.0f} MB "
        f"| {mixed['foreign_cpu']:.0f}% |",
        "",
        "The URLs of each family (picked from the data by `page_probe.py`), with the server "
        "p95 of each:",
        "",
    ]
    for family in site["families"]:
        by_path = family["server_by_path"]
        shown = ", ".join(
            f"`{path}` {fmt(by_path.get(path, {}).get('p95_ms'))} ms"
            for path in family["paths"][:6]
        )
        more = f", and {len(family['paths']) - 6} more" if len(family["paths"]) > 6 else ""
        lines.append(f"- {family['label']}: {shown}{more}")
    lines.append("")
    return lines


def render_growth(runs: list[dict]) -> list[str]:
    by_articles = {nominal(run): run for run in runs}
    sizes = sorted(by_articles)
    if len(sizes) < 2:
        return []
    lines = [
        "## Growth of the server p95 with the archive",
        "",
        "| page | " + " | ".join(f"{size:,}" for size in sizes) + " | growth, last two |",
        "|---|" + "--:|" * len(sizes) + "--:|",
    ]
    keys = [family["key"] for family in by_articles[sizes[-1]]["site"]["families"]]
    for key in keys:
        values = []
        for size in sizes:
            family = family_by_key(by_articles[size], key)
            values.append(family["server"].get("p95_ms") if family else None)
        growth = values[-1] / values[-2] if values[-1] and values[-2] else None
        label = family_by_key(by_articles[sizes[-1]], key)["label"]
        lines.append(
            f"| {label} | " + " | ".join(fmt(value) for value in values) + f" | {fmt(growth, 2)}× |"
        )
    return [*lines, ""]


def nominal(run: dict) -> int:
    """The archive's size in round figures: 100,001 articles (a seed on top) is 100,000."""
    count = run["database"]["counts"]["articles_article"]
    return round(count, 2 - len(str(count))) if count >= 100 else count


def family_by_key(run: dict, key: str) -> dict | None:
    return next((f for f in run["site"]["families"] if f["key"] == key), None)


def render_datasette(runs: list[dict]) -> list[str]:
    runs = [run for run in runs if run.get("datasette")]
    if not runs:
        return []
    lines = [
        "## Against Datasette",
        "",
        "The same archive (published articles, confirmed actor links, topic links, actors, "
        "outlets, topics) exported to SQLite with the same indexes and an FTS5 index on "
        "title and body (`sqlite_export.py`), served by `datasette serve -i` with "
        + ", ".join(f"`{k}={v}`" for k, v in DATASETTE_SETTINGS.items())
        + ", loaded with the same wrk script, connections and duration. Datasette's list "
        f"requests ask for the facets `{DATASETTE_FACETS}` (ours show actors, states, "
        "topics, outlets, languages, types and years: Datasette has no many-to-many facets "
        "without a plugin); its search does not rank (ours ranks with `ts_rank` and "
        "highlights with `ts_headline`); its row page shows one row with the counts of the "
        "rows that point to it (our article and actor pages show much more).",
        "",
    ]
    for run in runs:
        ours = {family["key"]: family for family in run["site"]["families"]}
        pairs = run["datasette"]["pairs"]
        lines += [
            f"### {run['label']} (SQLite file {run['datasette']['file_bytes'] / 1e9:.2f} GB)",
            "",
            *(
                [
                    f"Datasette's side was measured {run['datasette']['measured']} on the same "
                    "database and machine (`--reuse-datasette`); ours again on "
                    f"{run['machine']['date']}.",
                    "",
                ]
                if run["datasette"].get("measured")
                else []
            ),
            "| page | ours req/s | Datasette req/s | ours / Datasette | ours client p95 "
            "| Datasette client p95 | other CPU | Datasette request |",
            "|---|--:|--:|--:|--:|--:|--:|---|",
        ]
        for key, pair in pairs.items():
            family = ours[key]
            theirs = pair["wrk"]
            example = pair["paths"][0]
            example = example if len(example) < 120 else example[:117] + "…"
            bad = f" (non-200 {pair['statuses']})" if pair["statuses"] else ""
            lines.append(
                f"| {family['label']}{bad} | {fmt(family['wrk']['rps'])} | {fmt(theirs['rps'])} "
                f"| {fmt(share(family['wrk']['rps'], theirs['rps']), 2)} "
                f"| {client(family['wrk'], 'p95_ms')} "
                f"| {client(theirs, 'p95_ms')} | {pair['foreign_cpu']:.0f}% | `{example}` |"
            )
        lines.append("")
    return lines


def failures(family: dict) -> str:
    """What went wrong under load: the server time of a request that never finished (gunicorn
    kills a worker after its timeout, and logs nothing) is missing from the percentiles."""
    errors = {kind: count for kind, count in family["wrk"]["errors"].items() if count}
    problems = []
    if not family["server"]:
        problems.append("no request answered 200")
    if family.get("server_statuses"):
        problems.append(
            "answered "
            + ", ".join(
                f"{count} × {status}" for status, count in family["server_statuses"].items()
            )
            + " (500: a worker killed at gunicorn's timeout)"
        )
    if errors:
        problems.append("wrk errors " + ", ".join(f"{k} {v}" for k, v in errors.items()))
    if family["statuses"]:
        problems.append(f"statuses other than 200: {family['statuses']}")
    return "; ".join(problems)


def target_checks(runs: list[dict]) -> list[tuple[bool, str]]:
    """(met, sentence) for each target of issue #8, on the largest size measured."""
    run = max(runs, key=lambda r: r["database"]["counts"]["articles_article"])
    families = run["site"]["families"]
    checks = []
    for family in families:
        key, p95 = family["key"], family["server"].get("p95_ms", 0)
        if key in FTS_FAMILIES:
            limit = FTS_P95_MS[key]
        elif key in FACET_FAMILIES:
            limit = FACET_P95_MS
        else:
            limit = PAGE_P95_MS
        failed = failures(family)
        checks.append(
            (
                p95 <= limit and not failed,
                f"{family['label']}: server p95 {fmt(p95)} ms (target ≤ {limit} ms)"
                + ("" if key == "admin" else ", served from the page cache")
                + (f"; {failed}" if failed else ""),
            )
        )
    for family in families:
        checks.append(
            (
                max_queries(family) <= MAX_QUERIES,
                f"{family['label']}: {query_counts(family)} SQL queries (target ≤ {MAX_QUERIES})",
            )
        )
    for family in families:
        # The page computed, not its cached copy: the copy would be within any ratio.
        floor, page = family_floor(family), single_request_ms(family)
        checks.append(
            (
                bool(floor) and page <= FLOOR_RATIO * floor,
                f"{family['label']}: the page computed alone {fmt(page)} ms, floor "
                f"{floor_text(family)} ms, ratio {ratio(page, floor)} (target ≤ {FLOOR_RATIO}×)",
            )
        )
    by_articles = {nominal(r): r for r in runs}
    if 100_000 in by_articles and 1_000_000 in by_articles:
        for key in [f["key"] for f in families if f["key"] in GROWTH_FAMILIES]:
            before = family_by_key(by_articles[100_000], key)
            after = family_by_key(by_articles[1_000_000], key)
            if before and after:
                # No p95 at 1M (nothing finished) is no growth figure, not a small one.
                growth = share(after["server"].get("p95_ms"), before["server"].get("p95_ms"))
                checks.append(
                    (
                        growth is not None and growth < GROWTH,
                        f"{after['label']}: server p95 grew {fmt(growth, 2)}× from 100k to 1M "
                        f"(target < {GROWTH}×)",
                    )
                )
    else:
        checks.append((False, "p95 growth 100k→1M: not measured (both sizes are needed)"))
    if run.get("datasette"):
        ours = {family["key"]: family for family in families}
        for key, pair in run["datasette"]["pairs"].items():
            mine, theirs = ours[key]["wrk"]["rps"], pair["wrk"]["rps"]
            if not theirs and mine:
                # Every Datasette request failed at its SQL time limit: no ratio, but ahead.
                checks.append(
                    (
                        True,
                        f"{ours[key]['label']}: ours {fmt(mine)} req/s, Datasette answered no "
                        f"request within its {DATASETTE_SETTINGS['sql_time_limit_ms']} ms "
                        "SQL time limit (target > 1)",
                    )
                )
                continue
            value = share(mine, theirs)
            checks.append(
                (
                    value is not None and value > 1,
                    f"{ours[key]['label']}: req/s ours / Datasette {fmt(value, 2)} (target > 1)",
                )
            )
    else:
        checks.append((False, "req/s against Datasette: not measured (--skip-datasette)"))
    worst = max(
        [family["rss"]["worker_mb"] for family in families]
        + [run["site"]["mixed"]["rss"]["worker_mb"]]
    )
    checks.append(
        (
            worst <= WORKER_RSS_MB,
            f"web worker RSS under load {worst:.0f} MB at most (target ≤ {WORKER_RSS_MB} MB)",
        )
    )
    return checks


def render_targets(runs: list[dict]) -> list[str]:
    checks = target_checks(runs)
    met = [sentence for ok, sentence in checks if ok]
    missed = [sentence for ok, sentence in checks if not ok]
    run = max(runs, key=lambda r: r["database"]["counts"]["articles_article"])
    foreign = statistics.mean(family["foreign_cpu"] for family in run["site"]["families"])
    lines = [
        "## Targets",
        "",
        f"Checked on the largest archive measured "
        f"({run['database']['counts']['articles_article']:,} articles, "
        f"{run['machine']['cpus']} CPUs). {len(met)} met, {len(missed)} not met.",
        "",
        f"While its pages were loaded, processes outside the benchmark used {foreign:.0f}% of "
        "the CPUs on average (column *other CPU*). Latencies and requests per second are "
        "inflated by that much contention and should be measured again on an idle machine; "
        "the query counts, the floors' plans and which queries dominate do not depend on it.",
        "",
        "Not met:",
        "",
        *(f"- {sentence}" for sentence in missed),
        "",
        "Met:",
        "",
        *(f"- {sentence}" for sentence in met),
        "",
    ]
    return lines


def render_plans(runs: list[dict]) -> list[str]:
    run = max(runs, key=lambda r: r["database"]["counts"]["articles_article"])
    lines = [
        f"## Main queries and plans ({run['label']})",
        "",
        "For each family, the slowest query of its slowest probed URL, as Django sent it, "
        "and its `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)` plan as text (estimated only when the "
        "query was cancelled at the probe's timeout).",
        "",
    ]
    for family in run["site"]["families"]:
        probes = [probe for probe in family["probes"] if "plan" in probe]
        if not probes:
            continue
        # A query cancelled at the timeout is the slowest of all.
        probe = max(probes, key=lambda item: item["floor_ms"] or float("inf"))
        took = (
            f"{probe['floor_ms']:.2f} ms"
            if probe["floor_ms"]
            else f"over {probe['floor_timeout_ms'] / 1000:.0f} s (cancelled; estimated plan)"
        )
        sql = probe["main_sql"]
        sql = sql if len(sql) < 3000 else sql[:3000] + " …"
        plan = probe["plan"].splitlines()
        plan = plan if len(plan) <= 60 else [*plan[:60], f"… ({len(plan) - 60} more lines)"]
        lines += [
            f"### {family['label']}: {took}, `{probe['path']}`",
            "",
            "```sql",
            sql,
            "```",
            "",
            "```",
            *plan,
            "```",
            "",
        ]
    return lines


SETTINGS = [
    "max_foreign_cpu",
    "max_wait",
    "probe_urls",
    "probe_timeout",
    "duration",
    "max_duration",
    "mixed_duration",
    "warmup",
    "connections",
    "threads",
]

# ---- Main -----------------------------------------------------------------------------------


def bench_secret() -> str:
    """The SECRET_KEY of the benchmark's servers, kept in benchmarks/data/ so that the admin
    session of a probe reused with --reuse-probe stays valid."""
    path = DATA / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(40), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def parse_args(argv: list[str]):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default="10000,100000,1000000",
        help="comma-separated article counts, each measured on na_bench_<N> (default: %(default)s)",
    )
    parser.add_argument(
        "--database-url",
        action="append",
        default=[],
        help="measure this existing database instead of na_bench_<N> (repeatable; with "
        "--sizes unset, only these are measured)",
    )
    parser.add_argument("--seed", type=int, default=1, help="generate_archive's seed")
    parser.add_argument("--duration", type=float, default=10, help="seconds per family")
    parser.add_argument(
        "--max-duration",
        type=float,
        default=120,
        help="seconds per family at most, when slow pages need more than --duration",
    )
    parser.add_argument("--mixed-duration", type=float, default=30, help="seconds of the mix")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of warm-up load")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: its config's)")
    parser.add_argument("--port", type=int, default=8790, help="gunicorn's port; Datasette's +100")
    parser.add_argument(
        "--probe-urls", type=int, default=3, help="URLs of each family probed in-process"
    )
    parser.add_argument(
        "--probe-timeout",
        type=float,
        default=120,
        help="seconds after which the probe cancels a query (page or EXPLAIN ANALYZE)",
    )
    parser.add_argument(
        "--reuse-probe",
        action="store_true",
        help="use benchmarks/data/probe-<label>.json of an earlier run instead of probing again",
    )
    parser.add_argument("--skip-datasette", action="store_true")
    parser.add_argument(
        "--max-foreign-cpu",
        type=float,
        default=10,
        help="before each server starts, wait until other processes use at most this %% of "
        "the CPUs (default: %(default)s)",
    )
    parser.add_argument("--max-wait", type=float, default=1800, help="seconds of that wait")
    parser.add_argument(
        "--reuse-results",
        action="store_true",
        help="for a size whose benchmarks/data/results-<label>.json exists, report it "
        "instead of measuring again",
    )
    parser.add_argument(
        "--reuse-datasette",
        action="store_true",
        help="for a size whose benchmarks/data/results-<label>.json holds Datasette's figures, "
        "measure our server again but take Datasette's from that file (they do not depend on "
        "this project's code, and exporting a million articles takes long)",
    )
    parser.add_argument("--output", type=Path, default=BENCH / "RESULTS.md")
    args = parser.parse_args(argv)
    # What measured a size: a later --reuse-results only renders it again.
    args.command = " ".join(arg for arg in argv if arg != "--reuse-results")
    explicit_sizes = any(arg.startswith("--sizes") for arg in argv)
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    args.targets = []
    if explicit_sizes or not args.database_url:
        args.targets += [(f"na_bench_{size}", size) for size in sizes]
    args.targets += [(url.rsplit("/", 1)[-1], url) for url in args.database_url]
    return args


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    wrk_version = ensure_wrk()
    datasette = "" if args.skip_datasette else datasette_version()
    DATA.mkdir(exist_ok=True)
    secret = bench_secret()
    runs = []
    for label, target in args.targets:
        saved = DATA / f"results-{label}.json"
        if args.reuse_results and saved.exists():
            log(f"[{label}] reusing {saved.relative_to(ROOT)}")
            runs.append(json.loads(saved.read_text(encoding="utf-8")))
            continue
        url = ensure_database(target, args.seed) if isinstance(target, int) else target
        subprocess.run(
            [str(PYTHON), "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=production_env(url, secret),
            check=True,
        )
        run = {
            "label": label,
            "machine": machine_facts(wrk_version, datasette),
            "database": database_facts(url),
            "conn_max_age": production_env(url, secret)["CONN_MAX_AGE"],
            "cache": "Redis (REDIS_URL)" if os.environ.get("REDIS_URL") else "local memory",
            "page_cache_seconds": os.environ.get("PUBLIC_PAGE_CACHE_SECONDS", "900"),
            "command": args.command,
            "settings": {key: getattr(args, key) for key in SETTINGS},
        }
        earlier = json.loads(saved.read_text(encoding="utf-8")) if saved.exists() else {}
        with tempfile.TemporaryDirectory(prefix="bench-pages-") as workdir:
            run["site"] = measure_site(url, label, args, secret, Path(workdir))
            if args.reuse_datasette and earlier.get("datasette"):
                log(f"[{label}] Datasette's figures of {earlier['machine']['date']} reused")
                run["datasette"] = {
                    **earlier["datasette"],
                    "measured": earlier["datasette"].get("measured", earlier["machine"]["date"]),
                }
            elif not args.skip_datasette:
                run["datasette"] = measure_datasette(url, label, run["site"], args)
        saved.write_text(json.dumps(run, indent=1, default=str), encoding="utf-8")
        runs.append(run)
        args.output.write_text(render(runs, args), encoding="utf-8")
        log(f"Wrote {args.output} ({label} done)")
    if runs:
        args.output.write_text(render(runs, args), encoding="utf-8")
        log(f"Wrote {args.output}")


if __name__ == "__main__":
    main(sys.argv[1:])
