"""Make sure PostgreSQL answers at DATABASE_URL before the PostgreSQL test run.

Exit status: 0 when it answers (after starting the local cluster if it was down);
2 when it cannot be reached and this is not CI (the caller skips the run, loudly);
1 when it cannot be reached under CI=true, where PostgreSQL is required.
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg


def answers(url: str) -> bool:
    try:
        with psycopg.connect(url, dbname="postgres", connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def start_local_cluster() -> None:
    """Start the Debian cluster found under /etc/postgresql, as these machines have it."""
    if not shutil.which("pg_ctlcluster") or not Path("/etc/postgresql").is_dir():
        return
    for version in sorted(os.listdir("/etc/postgresql")):
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
            check=False,
            capture_output=True,
        )


def main() -> int:
    url = os.environ["DATABASE_URL"]
    if not answers(url):
        start_local_cluster()
        for _ in range(20):
            if answers(url):
                break
            time.sleep(0.5)
        else:
            required = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
            print(
                f"PostgreSQL does not answer at {url}"
                + (": it is required under CI=true." if required else ": skipping its run."),
                file=sys.stderr,
            )
            return 1 if required else 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
