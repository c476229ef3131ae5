"""The production server under load and three faults; prints the figures, exits 1 on a miss.

Everything runs against a **private PostgreSQL cluster** (initdb into a temporary folder,
started on its own port, 5439 by default, as the ``postgres`` OS user when run as root;
removed at the end): the shared server on 5432 is never touched. Into it: ``migrate``, the
seeds and ``generate_archive --articles 10000``; then gunicorn with the production settings
(DEBUG=0, CONN_MAX_AGE=60, ``newsarchive/gunicorn.conf.py``), every request carrying the
``X-Forwarded-Proto: https`` a TLS proxy adds. Then:

1. **Load**: 60 s of wrk at 64 connections over a mix of list, search, detail and API URLs
   sampled from the database (``load_and_faults.lua`` draws them from a file this script
   writes). Goal: no error (no socket error, no status of 400 or more).
2. **PostgreSQL restart**: a second load phase; half-way, ``pg_ctl restart`` of the private
   cluster. A probe asks for an article from the API every 100 ms. Goal: the service answers
   correctly again at most 5 s after the database is back.
3. **Killed import**: ``import_articles`` of a generated JSON Lines file (5,000 articles)
   killed with SIGKILL when about half is in, then run again. Goals: every record of the
   file is in the archive once, whole (its canonical URL and content hash as the importer
   computes them), with the actor links the linker finds in it.

wrk comes from the Debian package ``wrk``: installed when missing and run as root, otherwise
the script says how. See docs/deployment.md, "Load and faults".

    .venv/bin/python benchmarks/load_and_faults.py [--articles 10000] [--duration 60]
        [--connections 64] [--import-articles 5000] [--record benchmarks/RESULTS-load.md]
"""

import argparse
import datetime
import http.client
import json
import os
import platform
import pwd
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LUA = Path(__file__).with_name("load_and_faults.lua")
IMPORT_URL_PREFIX = "https://bench-import.example.org/"
# The figures one reads first; the rest of the output explains them.
RECOVERY_GOAL_SECONDS = 5.0
PROBE_INTERVAL = 0.1
# The probe's User-Agent, which the access log records: its lines are told apart by it.
PROBE_AGENT = "load_and_faults-probe"
# The path, status and milliseconds of gunicorn's access log line (newsarchive/gunicorn.conf.py).
ACCESS = re.compile(r'"[A-Z]+ (\S+) HTTP/[\d.]+" (\d{3}) \d+ (\d+)ms ')
# Which page a path is, for the server time of each.
PAGES = [
    ("search", r"/articles/\?q="),
    ("article list", r"/articles/(\?|$)"),
    ("article", r"/articles/\d+/"),
    ("API list", r"/api/\w+/(\?|$)"),
    ("API detail", r"/api/\w+/[^/?]+/$"),
    ("actor list", r"/actors/$"),
    ("actor", r"/actors/[^/]+/$"),
    ("talk list", r"/talks/$"),
    ("talk", r"/talks/\d+/$"),
    ("topic", r"/topics/"),
    ("relation", r"/relations/"),
    ("home", r"/$"),
]
STARTED = time.monotonic()
OUTPUT: list[str] = []


def say(message: str = "") -> None:
    """Print and keep the line for --record."""
    print(message, flush=True)
    OUTPUT.append(message)


def step(message: str) -> None:
    say(f"[{time.monotonic() - STARTED:6.1f} s] {message}")


def free_port(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def usable_cpus() -> int:
    return len(os.sched_getaffinity(0))


# ---------------------------------------------------------------------------------------
# The private PostgreSQL cluster


def postgres_bin() -> Path:
    """The newest installed server binaries, or PG_BIN."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
    )
    if versions:
        return versions[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    sys.exit("No PostgreSQL server binaries (initdb): apt-get install -y postgresql, or PG_BIN.")


class Cluster:
    """A throwaway cluster in ``directory``, on ``port``, trusting local connections."""

    def __init__(self, directory: Path, port: int):
        self.directory, self.port = directory, port
        self.data = directory / "data"
        self.log = directory / "server.log"
        self.bin = postgres_bin()
        # initdb refuses to run as root: the cluster belongs to the postgres OS user then.
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.running = False

    def pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        # -l on every call: without it the server would keep our pipes open.
        command = [str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), *args]
        return subprocess.run(
            self.prefix + command, capture_output=True, text=True, check=check, timeout=120
        )

    def create(self) -> None:
        if self.prefix:
            owner = pwd.getpwnam("postgres")
            os.chown(self.directory, owner.pw_uid, owner.pw_gid)
        subprocess.run(
            [
                *self.prefix,
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c max_connections=200"
        )
        self.pg_ctl("-w", "-t", "60", "-o", options, "start")
        self.running = True

    def restart(self) -> None:
        """Stop (fast: sessions are cut) and start again; return once it accepts connections."""
        self.pg_ctl("-w", "-t", "60", "-m", "fast", "restart")

    def destroy(self) -> None:
        if self.running:
            self.pg_ctl("-w", "-m", "fast", "stop", check=False)
            self.running = False

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"


# ---------------------------------------------------------------------------------------
# The site


class Site:
    """The environment of every process of the site; the management commands; gunicorn."""

    def __init__(self, cluster: Cluster, http_port: int, directory: Path):
        self.http_port = http_port
        self.directory = directory
        self.access_log = directory / "gunicorn.log"
        self.env = {
            key: value
            for key, value in os.environ.items()
            # The shared Redis and any replica belong to other databases.
            if key not in {"REDIS_URL", "DATABASE_REPLICA_URLS", "WEB_CONCURRENCY"}
        }
        self.env.update(
            DJANGO_SETTINGS_MODULE="newsarchive.settings",
            DEBUG="0",
            SECRET_KEY=secrets.token_urlsafe(50),
            DATABASE_URL=cluster.url("newsarchive"),
            CONN_MAX_AGE="60",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            HOST="127.0.0.1",
            PORT=str(http_port),
            GUNICORN_CONTROL_SOCKET=str(directory / "gunicorn.ctl"),
        )
        self.gunicorn: subprocess.Popen | None = None

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if result.returncode:
            sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    @property
    def probe_port(self) -> int:
        return self.http_port + 1

    def start(self) -> None:
        handle = self.access_log.open("ab")
        self.gunicorn = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "--config",
                str(ROOT / "newsarchive" / "gunicorn.conf.py"),
                # The probe's own listener, served by the same workers, as a load balancer's
                # health check would be: it waits for a free worker, not behind wrk's queue.
                f"--bind=127.0.0.1:{self.http_port}",
                f"--bind=127.0.0.1:{self.probe_port}",
            ],
            env=self.env,
            cwd=ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        handle.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.gunicorn.poll() is not None:
                sys.exit(f"gunicorn exited:\n{self.access_log.read_text()[-3000:]}")
            if get(self.http_port, "/robots.txt")[0] == 200:
                return
            time.sleep(0.2)
        sys.exit("gunicorn did not answer within 60 s.")

    def stop(self) -> None:
        if self.gunicorn and self.gunicorn.poll() is None:
            self.gunicorn.terminate()
            try:
                self.gunicorn.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.gunicorn.kill()
                self.gunicorn.wait()
        self.gunicorn = None

    def log_size(self) -> int:
        return self.access_log.stat().st_size

    def wait_idle(self, quiet: float = 3.0, limit: float = 300.0) -> None:
        """Wait until the workers have answered what wrk left queued when it stopped.

        The probe's own requests do not count: it keeps asking every 100 ms, so with them
        the log would never be quiet and the wait would always last ``limit``.
        """
        deadline = time.monotonic() + limit
        offset, since = self.log_size(), time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - since < quiet:
            time.sleep(0.2)
            lines, offset = self.lines_since(offset)
            if any(not line.endswith(f'"{PROBE_AGENT}"') for line in lines):
                since = time.monotonic()

    def lines_since(self, offset: int) -> tuple[list[str], int]:
        """The whole lines logged after ``offset``, and the offset after the last of them."""
        with self.access_log.open("rb") as handle:
            handle.seek(offset)
            data = handle.read()
        complete = data[: data.rfind(b"\n") + 1]
        return complete.decode(errors="replace").splitlines(), offset + len(complete)

    def responses_since(self, offset: int) -> list[tuple[str, str, int]]:
        """(path, status, milliseconds) of each response logged after ``offset``."""
        with self.access_log.open("rb") as handle:
            handle.seek(offset)
            text = handle.read().decode(errors="replace")
        return [(path, status, int(ms)) for path, status, ms in ACCESS.findall(text)]


class LogWatcher(threading.Thread):
    """Notes when each response appears in the access log, and its status: every request's
    outcome (wrk's too) on a clock shared with the restart, to within a few tens of ms."""

    def __init__(self, site: Site):
        super().__init__(daemon=True)
        self.path, self.offset = site.access_log, site.log_size()
        self.responses: list[tuple[float, int]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        pending = b""
        with self.path.open("rb") as handle:
            handle.seek(self.offset)
            while not self.halt.is_set():
                chunk = handle.read()
                if not chunk:
                    time.sleep(0.02)
                    continue
                now = time.monotonic()
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    match = ACCESS.search(line.decode(errors="replace"))
                    if match:
                        self.responses.append((now, int(match.group(2))))

    def stop(self) -> None:
        self.halt.set()
        self.join()


def get(
    port: int, path: str, timeout: float = 5.0, agent: str = "load_and_faults"
) -> tuple[int, bytes]:
    """One GET as the TLS proxy would send it; (0, error) when there is no HTTP answer."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"X-Forwarded-Proto": "https", "Host": "127.0.0.1", "User-Agent": agent}
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException) as error:
        return 0, str(error).encode()
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------
# Load


SEARCH_WORDS = (
    "Iran nuclear|Netanyahu|Blinken|sanctions|Araghchi|ceasefire|Muscat|Vienna|enrichment|"
    "Hezbollah|Gaza|drone|Witkoff|talks|Khamenei|embassy|IAEA|Tehran|Jerusalem|Washington"
).split("|")


def sample_urls(rng: random.Random, count: int) -> tuple[list[str], Counter]:
    """``count`` paths drawn from the database, in the mix of a reader's and a client's visits."""
    from actors.models import Actor, Talk
    from articles.models import Article, PublicationStatus, Topic

    articles = list(Article.objects.published().values_list("pk", "slug"))
    actors = list(Actor.objects.values_list("slug", flat=True))
    talks = list(
        Talk.objects.filter(status=PublicationStatus.PUBLISHED).values_list("pk", flat=True)
    )
    topics = list(Topic.objects.values_list("slug", flat=True))
    title_words = [
        word
        for title in Article.objects.published().order_by("?").values_list("title", flat=True)[:300]
        for word in re.findall(r"[^\W\d_]{6,}", title)
    ]
    words = SEARCH_WORDS + title_words[:200]
    pages = max(1, len(articles) // 20)

    def pick(items):
        return rng.choice(items) if items else None

    kinds = {
        # kind, share, path
        "list": (
            30,
            lambda: rng.choice(
                [
                    "/",
                    "/articles/",
                    f"/articles/?page={rng.randint(2, min(pages, 200))}",
                    f"/articles/?actor={pick(actors)}",
                    "/actors/",
                    "/talks/",
                    f"/topics/{pick(topics)}/" if topics else "/topics/",
                    "/relations/israel/united-states/",
                ]
            ),
        ),
        "search": (20, lambda: f"/articles/?q={pick(words).replace(' ', '+')}"),
        "detail": (
            30,
            lambda: rng.choice(
                [
                    "/articles/{}/{}/".format(*pick(articles)),
                    "/articles/{}/{}/".format(*pick(articles)),
                    f"/actors/{pick(actors)}/",
                    f"/talks/{pick(talks)}/" if talks else "/talks/",
                ]
            ),
        ),
        "api": (
            20,
            lambda: rng.choice(
                [
                    f"/api/articles/?page={rng.randint(1, min(pages, 200))}",
                    f"/api/articles/{pick(articles)[0]}/",
                    f"/api/articles/{pick(articles)[0]}/",
                    f"/api/actors/{pick(actors)}/",
                    "/api/talks/",
                ]
            ),
        ),
    }
    names = list(kinds)
    weights = [kinds[name][0] for name in names]
    chosen = rng.choices(names, weights, k=count)
    # Slugs and search words in Hebrew, Arabic, Persian or Russian go on the wire encoded.
    paths = [quote(kinds[name][1](), safe="/?&=+") for name in chosen]
    return paths, Counter(chosen)


@dataclass
class WrkResult:
    requests: int
    seconds: float
    bad_status: int
    socket_errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    statuses: Counter = field(default_factory=Counter)
    #: The milliseconds the server took for each kind of page (not the queueing before).
    server_ms: dict[str, list[int]] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return self.bad_status + self.socket_errors


def run_wrk(site: Site, urls: Path, seconds: int, connections: int, timeout: int) -> WrkResult:
    threads = max(1, min(usable_cpus(), connections, 4))
    offset = site.log_size()
    result = subprocess.run(
        [
            "wrk",
            f"--threads={threads}",
            f"--connections={connections}",
            f"--duration={seconds}s",
            f"--timeout={timeout}s",
            f"--script={LUA}",
            f"http://127.0.0.1:{site.http_port}",
            "--",
            str(urls),
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode:
        sys.exit(f"wrk failed (exit status {result.returncode}):\n{result.stdout}{result.stderr}")
    site.wait_idle()
    responses = site.responses_since(offset)
    server_ms: dict[str, list[int]] = {}
    for path, _status, ms in responses:
        page = next((name for name, pattern in PAGES if re.match(pattern, path)), "other")
        server_ms.setdefault(page, []).append(ms)
    figures = json.loads(
        next(line for line in reversed(result.stdout.splitlines()) if line.startswith("{"))
    )
    return WrkResult(
        requests=figures["requests"],
        seconds=figures["duration_us"] / 1e6,
        bad_status=figures["status"],
        socket_errors=sum(figures[key] for key in ("connect", "read", "write", "timeout")),
        p50_ms=figures["p50_us"] / 1000,
        p90_ms=figures["p90_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        max_ms=figures["max_us"] / 1000,
        statuses=Counter(status for _path, status, _ms in responses),
        server_ms=server_ms,
    )


def describe_wrk(name: str, result: WrkResult) -> None:
    statuses = ", ".join(f"{status}: {n:,}" for status, n in sorted(result.statuses.items()))
    say(
        f"{name}: {result.requests:,} requests in {result.seconds:.1f} s = {result.rps:,.1f}/s; "
        f"status >= 400: {result.bad_status:,}; socket errors: {result.socket_errors:,}; "
        f"latency p50 {result.p50_ms:,.0f} ms, p90 {result.p90_ms:,.0f} ms, "
        f"p99 {result.p99_ms:,.0f} ms, max {result.max_ms:,.0f} ms"
    )
    say(f"    statuses in gunicorn's access log: {statuses}")
    times = sorted(result.server_ms.items(), key=lambda item: -statistics.median(item[1]))
    say(
        "    server time, median by page: "
        + ", ".join(f"{page} {statistics.median(ms):,.0f} ms ({len(ms)})" for page, ms in times)
    )


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    if os.geteuid() != 0:
        sys.exit("wrk is not installed: sudo apt-get install -y wrk (Debian/Ubuntu), then rerun.")
    step("Installing wrk (apt-get install -y wrk)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "wrk"]
    if subprocess.run(install, env=env, capture_output=True).returncode:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, check=True)
        subprocess.run(install, env=env, capture_output=True, check=True)


# ---------------------------------------------------------------------------------------
# The PostgreSQL restart


@dataclass
class ProbeResult:
    sent: float
    done: float
    ok: bool
    detail: str


class Probe(threading.Thread):
    """Asks for the article ``pk`` from the API every PROBE_INTERVAL (or as soon as the
    previous answer came, when slower), and checks the answer."""

    def __init__(self, port: int, pk: int):
        super().__init__(daemon=True)
        self.port, self.pk = port, pk
        self.results: list[ProbeResult] = []
        self.halt = threading.Event()

    def run(self) -> None:
        due = time.monotonic()
        while not self.halt.is_set():
            sent = time.monotonic()
            status, body = get(
                self.port, f"/api/articles/{self.pk}/", timeout=60, agent=PROBE_AGENT
            )
            ok = status == 200 and json.loads(body).get("id") == self.pk
            detail = "ok" if ok else f"{status} {body[:80]!r}"
            self.results.append(ProbeResult(sent, time.monotonic(), ok, detail))
            due = max(due + PROBE_INTERVAL, time.monotonic())
            time.sleep(max(0.0, due - time.monotonic()))

    def stop(self) -> None:
        self.halt.set()
        self.join()


@dataclass
class RestartResult:
    load: WrkResult
    outage: float
    #: From the database being back to the last failed answer (0 when none came after).
    recovery: float
    failed_responses: int
    first_failure: float | None
    last_failure: float | None
    probes: int
    probe_failures: int
    probe_slowest: float


def restart_under_load(site, cluster, urls, seconds, connections, timeout, pk) -> RestartResult:
    """wrk for ``seconds``; half-way, ``pg_ctl restart``. Times are from the restart."""
    probe, watcher = Probe(site.probe_port, pk), LogWatcher(site)
    moments: dict[str, float] = {}

    def restart_later() -> None:
        time.sleep(seconds / 2)
        moments["down"] = time.monotonic()
        cluster.restart()
        moments["up"] = time.monotonic()

    restarter = threading.Thread(target=restart_later, daemon=True)
    watcher.start()
    probe.start()
    restarter.start()
    load = run_wrk(site, urls, seconds, connections, timeout)
    restarter.join()
    probe.stop()
    watcher.stop()

    down, up = moments["down"], moments["up"]
    # A failed answer: a 5xx in the access log (wrk's requests and the probe's), or a probe
    # without a correct answer.
    failures = [at for at, status in watcher.responses if status >= 500]
    failures += [result.done for result in probe.results if not result.ok]
    for result in [result for result in probe.results if not result.ok][:3]:
        say(f"    failed probe, answered at {result.done - down:+.2f} s: {result.detail}")
    return RestartResult(
        load=load,
        outage=up - down,
        recovery=max([0.0] + [at - up for at in failures]),
        failed_responses=sum(1 for _at, status in watcher.responses if status >= 500),
        first_failure=min(failures) - down if failures else None,
        last_failure=max(failures) - down if failures else None,
        probes=len(probe.results),
        probe_failures=sum(1 for result in probe.results if not result.ok),
        probe_slowest=max(result.done - result.sent for result in probe.results),
    )


# ---------------------------------------------------------------------------------------
# The killed import

PEOPLE = (
    "Benjamin Netanyahu|Antony Blinken|Abbas Araghchi|Isaac Herzog|Joe Biden|Donald Trump|"
    "Steve Witkoff|Yoav Gallant|Ali Khamenei|Masoud Pezeshkian|Jake Sullivan|Marco Rubio|"
    "Ron Dermer|Israel Katz|Hassan Rouhani|Mohammad Javad Zarif|Lloyd Austin|John Kerry"
).split("|")
PLACES = "Jerusalem|Tehran|Washington|Muscat|Doha|Vienna|Geneva|Cairo".split("|")
SUBJECTS = (
    "the nuclear programme|sanctions relief|the hostages|regional security|missile defence|"
    "the ceasefire|uranium enrichment|shipping in the Gulf"
).split("|")
TEMPLATES = [
    (
        "{a} and {b} discuss {subject} in {place}",
        "{a} met {b} in {place} on Tuesday to discuss {subject}. Officials said the meeting "
        "lasted two hours. {c} was briefed afterwards, according to a statement.\n\n"
        "Dispatch {n} ({token}): analysts in {place} expect further talks on {subject}.",
    ),
    (
        "{a} warns over {subject}",
        "{a} said on Monday that {subject} would top the agenda. {b} did not comment. "
        "Israel and Iran have exchanged threats over {subject} for months.\n\n"
        "Dispatch {n} ({token}): the United States called for restraint.",
    ),
    (
        "Report {n}: {subject} after {a} visit to {place}",
        "During a visit to {place}, {a} spoke about {subject} with reporters. {b} and {c} "
        "are expected to respond later this week.\n\nReference {token}.",
    ),
]


def import_file(path: Path, count: int, rng: random.Random) -> list[dict]:
    records = []
    for n in range(1, count + 1):
        title, body = rng.choice(TEMPLATES)
        a, b, c = rng.sample(PEOPLE, 3)
        values = {
            "a": a,
            "b": b,
            "c": c,
            "n": n,
            "place": rng.choice(PLACES),
            "subject": rng.choice(SUBJECTS),
            "token": secrets.token_hex(6),
        }
        records.append(
            {
                "title": title.format(**values),
                "text": body.format(**values),
                "url": f"{IMPORT_URL_PREFIX}{n}",
                "published": (
                    datetime.date(2021, 1, 1) + datetime.timedelta(days=rng.randrange(1500))
                ).isoformat(),
                "language": "en",
                "outlet": "Bench Wire",
            }
        )
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return records


@dataclass
class ImportResult:
    in_file: int
    in_at_kill: int
    killed_after: float
    second_run: str
    second_run_seconds: float
    final: int
    duplicates_by_url: int
    duplicates_by_text: int
    missing: int
    partial: int
    without_links: list[str]

    @property
    def whole(self) -> bool:
        return (
            self.final == self.in_file
            and not (self.duplicates_by_url or self.duplicates_by_text)
            and not (self.missing or self.partial or self.without_links)
        )


def killed_import(site: Site, directory: Path, count: int, rng: random.Random) -> ImportResult:
    from django.db import connections as django_connections
    from django.db.models import Count

    from actors.linking import get_linker
    from articles.importing import clean_record
    from articles.models import Article, ArticleActor
    from articles.suggestions import article_text

    django_connections.close_all()
    path = directory / "import.jsonl"
    records = import_file(path, count, rng)
    ours = Article.objects.filter(source_url__startswith=IMPORT_URL_PREFIX)
    command = [sys.executable, str(ROOT / "manage.py"), "import_articles", str(path)]

    step(f"Importing {count:,} articles; SIGKILL when half of them are in")
    started = time.monotonic()
    first = subprocess.Popen(
        command, env=site.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        # Polled tightly, so that the kill comes within milliseconds of an article's commit:
        # the moment an import is most likely to leave something half done.
        while first.poll() is None and ours.count() < count // 2:
            time.sleep(0.005)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    killed_after = time.monotonic() - started
    in_at_kill = ours.count()
    step(f"Killed after {killed_after:.1f} s with {in_at_kill:,} articles in; running it again")

    started = time.monotonic()
    second = subprocess.run(command, env=site.env, cwd=ROOT, capture_output=True, text=True)
    second_seconds = time.monotonic() - started
    summary = next(
        (line for line in second.stdout.splitlines() if line.startswith("Imported")),
        f"exit status {second.returncode}: {second.stderr.strip()[-500:]}",
    )
    if second.returncode:
        summary += f" (exit status {second.returncode})"

    expected = {}
    for record in records:
        clean = clean_record(record)
        expected[clean.canonical_url] = (clean.content_hash, clean.title)
    stored = {
        url: (content_hash, title, body)
        for url, content_hash, title, body in ours.values_list(
            "canonical_url", "content_hash", "title", "body"
        )
    }
    partial = sum(
        1
        for url, (content_hash, title, body) in stored.items()
        if url in expected and (not title or not body or (content_hash, title) != expected[url])
    )
    duplicates_by_url = sum(
        n - 1
        for n in ours.values("canonical_url").annotate(n=Count("pk")).values_list("n", flat=True)
        if n > 1
    )
    duplicates_by_text = sum(
        n - 1
        for n in Article.objects.filter(content_hash__in=[v[0] for v in expected.values()])
        .values("content_hash")
        .annotate(n=Count("pk"))
        .values_list("n", flat=True)
        if n > 1
    )

    # Each article's links are exactly the actors the linker finds in it, as on import.
    linker = get_linker()
    links: dict[int, set[int]] = {}
    for article_id, actor_id in ArticleActor.objects.filter(
        article__source_url__startswith=IMPORT_URL_PREFIX
    ).values_list("article_id", "actor_id"):
        links.setdefault(article_id, set()).add(actor_id)
    without_links = []
    for article in ours.only("pk", "title", "body", "published_on", "source_url"):
        text, _body_start = article_text(article)
        found = {mention.actor_id for mention in linker.link(text, article.published_on)}
        have = links.get(article.pk, set())
        if have != found:
            line = article.source_url.removeprefix(IMPORT_URL_PREFIX)
            without_links.append(
                f"article {article.pk} (line {line} of the file) has {len(have & found)} of "
                f"the {len(found)} actors the linker finds"
                + (f" and {len(have - found)} others" if have - found else "")
            )

    return ImportResult(
        in_file=len(records),
        in_at_kill=in_at_kill,
        killed_after=killed_after,
        second_run=summary,
        second_run_seconds=second_seconds,
        final=ours.count(),
        duplicates_by_url=duplicates_by_url,
        duplicates_by_text=duplicates_by_text,
        missing=len(set(expected) - set(stored)),
        partial=partial,
        without_links=without_links,
    )


# ---------------------------------------------------------------------------------------
# Main


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    memory_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    return (
        f"{cpu}, {usable_cpus()} CPUs, {memory_kb / 1024 / 1024:.0f} GB RAM, "
        f"Linux {platform.release()}, Python {platform.python_version()}"
    )


def commit() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return result.stdout.strip() + (" (with uncommitted changes)" if dirty else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=60, help="Seconds of the load phase.")
    parser.add_argument("--restart-duration", type=int, default=40)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--timeout",
        type=int,
        default=60,
        help="Seconds a request may take before wrk counts it as failed (nginx's default "
        "proxy_read_timeout: 60).",
    )
    parser.add_argument("--import-articles", type=int, default=5_000)
    parser.add_argument("--pg-port", type=int, default=5439)
    parser.add_argument("--http-port", type=int, default=8137)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--record", type=Path, help="Also write the figures to this Markdown file.")
    args = parser.parse_args()

    for port in (args.pg_port, args.http_port):
        if not free_port(port):
            sys.exit(f"Port {port} is in use: choose another (--pg-port, --http-port).")
    ensure_wrk()
    # A SIGTERM unwinds like Ctrl-C, so that the cluster and gunicorn are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))

    rng = random.Random(args.seed)
    directory = Path(tempfile.mkdtemp(prefix="newsarchive-bench-"))
    cluster = Cluster(directory, args.pg_port)
    site = Site(cluster, args.http_port, directory)
    os.environ.update(site.env)
    workers = 2 * usable_cpus() + 1
    say(f"Machine: {machine()}")
    say(f"Commit: {commit()}")
    # Other work on the machine shares its CPUs with the site: the figures depend on it.
    say("Load average at the start: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    try:
        step(f"Private PostgreSQL cluster in {directory}, port {args.pg_port}")
        cluster.create()
        import django
        import psycopg

        with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
            say(f"    {conn.execute('SELECT version()').fetchone()[0]}")
            conn.execute("CREATE DATABASE newsarchive")
        django.setup()
        from articles.models import Article

        step("migrate, collectstatic, load_seeds")
        site.manage("migrate", "--noinput")
        site.manage("collectstatic", "--noinput")
        site.manage("load_seeds")
        step(f"generate_archive --articles {args.articles:,}")
        started = time.monotonic()
        site.manage("generate_archive", "--articles", str(args.articles), "--seed", str(args.seed))
        say(
            f"    {Article.objects.count():,} articles "
            f"({Article.objects.published().count():,} published) "
            f"in {time.monotonic() - started:.0f} s"
        )

        urls, mix = sample_urls(rng, 5000)
        urls_file = directory / "urls.txt"
        urls_file.write_text("\n".join(urls) + "\n")
        shares = ", ".join(f"{kind} {n / len(urls):.0%}" for kind, n in mix.items())
        say(f"    {len(urls):,} URLs: {shares}")

        step(f"gunicorn: {workers} sync workers on 127.0.0.1:{args.http_port}, DEBUG=0")
        site.start()
        step("Warming up: 10 s of load, not counted")
        run_wrk(site, urls_file, 10, args.connections, args.timeout)

        step(f"Load: {args.duration} s at {args.connections} connections")
        load = run_wrk(site, urls_file, args.duration, args.connections, args.timeout)
        describe_wrk("Load", load)

        step(
            f"PostgreSQL restart {args.restart_duration // 2} s into "
            f"{args.restart_duration} s of load, probe every {PROBE_INTERVAL * 1000:.0f} ms"
        )
        (probe_pk,) = Article.objects.published().order_by("pk").values_list("pk", flat=True)[:1]
        restart = restart_under_load(
            site,
            cluster,
            urls_file,
            args.restart_duration,
            args.connections,
            args.timeout,
            probe_pk,
        )
        describe_wrk("Load with the restart", restart.load)
        say(
            f"Restart: the database was down {restart.outage:.2f} s; "
            f"{restart.failed_responses} answers with a 5xx status, {restart.probe_failures} "
            f"failed probes of {restart.probes} (slowest answer {restart.probe_slowest:.1f} s)"
            + (
                f"; failures from {restart.first_failure:+.2f} s to {restart.last_failure:+.2f} s "
                "after the restart began"
                if restart.last_failure is not None
                else ""
            )
            + f"; correct answers only from {restart.recovery:.2f} s after the database was back"
        )
        site.stop()

        imported = killed_import(site, directory, args.import_articles, rng)
        say(
            f"Killed import: {imported.in_at_kill:,} of {imported.in_file:,} in when killed "
            f"({imported.killed_after:.1f} s); second run ({imported.second_run_seconds:.1f} s): "
            f"{imported.second_run}"
        )
        say(
            f"    final {imported.final:,} (file {imported.in_file:,}); duplicates by URL "
            f"{imported.duplicates_by_url}, by text {imported.duplicates_by_text}; missing "
            f"{imported.missing}; partial {imported.partial}; links differing from the "
            f"linker's {len(imported.without_links)}"
        )
        for description in imported.without_links[:10]:
            say(f"    {description}")
    finally:
        site.stop()
        cluster.destroy()
        shutil.rmtree(directory, ignore_errors=True)

    rows = [
        ("Load: requests", f"{load.requests:,}", "", None),
        ("Load: requests/s", f"{load.rps:,.1f}", "", None),
        ("Load: p50 / p99 latency", f"{load.p50_ms:,.0f} / {load.p99_ms:,.0f} ms", "", None),
        ("Load: status >= 400", f"{load.bad_status:,}", "0", load.bad_status == 0),
        ("Load: socket errors", f"{load.socket_errors:,}", "0", load.socket_errors == 0),
        (
            "Restart: database down",
            f"{restart.outage:.2f} s",
            "",
            None,
        ),
        (
            "Restart: correct again after the database",
            f"{restart.recovery:.2f} s",
            f"<= {RECOVERY_GOAL_SECONDS:.0f} s",
            restart.recovery <= RECOVERY_GOAL_SECONDS,
        ),
        (
            "Restart: failed requests (wrk)",
            f"{restart.load.errors:,} of {restart.load.requests:,}",
            "",
            None,
        ),
        ("Restart: 5xx answers (access log)", f"{restart.failed_responses:,}", "", None),
        (
            "Restart: failed probes",
            f"{restart.probe_failures} of {restart.probes}",
            "",
            None,
        ),
        (
            "Killed import: articles in the archive",
            f"{imported.final:,} of {imported.in_file:,}",
            "all",
            imported.final == imported.in_file and not imported.missing,
        ),
        (
            "Killed import: duplicates",
            f"{imported.duplicates_by_url + imported.duplicates_by_text}",
            "0",
            not (imported.duplicates_by_url or imported.duplicates_by_text),
        ),
        ("Killed import: partial articles", f"{imported.partial}", "0", not imported.partial),
        (
            "Killed import: articles without their links",
            f"{len(imported.without_links)}",
            "0",
            not imported.without_links,
        ),
    ]
    say("Load average at the end: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    width = max(len(row[0]) for row in rows)
    say("")
    say(f"| {'figure'.ljust(width)} | value | goal | met |")
    say(f"|{'-' * (width + 2)}|---|---|---|")
    for name, value, goal, met in rows:
        mark = "" if met is None else ("yes" if met else "**NO**")
        say(f"| {name.ljust(width)} | {value} | {goal} | {mark} |")
    missed = [name for name, _value, _goal, met in rows if met is False]
    say("")
    say("Every goal met." if not missed else f"Goals missed: {', '.join(missed)}.")
    if args.record:
        record(args.record, workers)
    return 1 if missed else 0


def record(path: Path, workers: int) -> None:
    today = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    path.write_text(
        "# Load and faults: latest figures\n\n"
        f"Written by `benchmarks/load_and_faults.py --record {path.name}` on {today}; "
        f'gunicorn with {workers} sync workers (docs/deployment.md, "Load and faults").\n\n'
        "```\n" + "\n".join(OUTPUT) + "\n```\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    sys.exit(main())
