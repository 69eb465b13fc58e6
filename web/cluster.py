"""`telemed cluster`: the city shape of docker-compose.yml as local processes, for trying it
on one machine: a throwaway PostgreSQL and Redis, `telemed db upgrade`, N serving nodes and
M media workers. Everything stops (and the throwaway data goes) on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path

from clinic.db import upgrade
from clinic.settings import Settings
from harness.servers import postgres, redis_server
from web.demo import first_start


def _spawn(command: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    # The child keeps its own copy of the log's descriptor; ours is closed at once.
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "web.cli", command],
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def run_cluster(settings: Settings, nodes: int, workers: int, base_port: int) -> int:
    logs = settings.data_dir / "cluster"
    logs.mkdir(parents=True, exist_ok=True)
    stop = False

    def stopping(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, stopping)
    signal.signal(signal.SIGINT, stopping)
    with postgres() as database_url, redis_server() as (redis_url, _):
        env = {
            "TELEMED_DATABASE_URL": database_url,
            "TELEMED_REDIS_URL": redis_url,
            "TELEMED_MEDIA": "workers",
            "TELEMED_SECRET_KEY": settings.secret_key,
        }
        upgrade(database_url)
        shape = replace(
            settings,
            database_url=database_url,
            redis_url=redis_url,
            media="workers",
            public_base_url=f"http://127.0.0.1:{base_port}",
        )
        for line in asyncio.run(first_start(shape)):
            print(line, flush=True)
        processes: list[subprocess.Popen[bytes]] = []
        urls = []
        try:
            for index in range(nodes):
                port = base_port + index
                urls.append(f"http://127.0.0.1:{port}")
                processes.append(
                    _spawn(
                        "serve",
                        {
                            **env,
                            "TELEMED_PORT": str(port),
                            "TELEMED_HOST": "127.0.0.1",
                            "TELEMED_PUBLIC_BASE_URL": urls[-1],
                            "TELEMED_DATA_DIR": str(logs / f"node-{index + 1}"),
                        },
                        logs / f"node-{index + 1}.log",
                    )
                )
            for index in range(workers):
                processes.append(
                    _spawn(
                        "worker",
                        {
                            **env,
                            "TELEMED_DATA_DIR": str(logs / f"worker-{index + 1}"),
                            "TELEMED_HOST": "127.0.0.1",
                            "TELEMED_PORT": str(base_port + 100 + index),
                        },
                        logs / f"worker-{index + 1}.log",
                    )
                )
            while not stop and not all(_ready(url) for url in urls):
                if any(p.poll() is not None for p in processes):
                    print(f"telemed cluster: a process exited; see {logs}", file=sys.stderr)
                    return 1
                time.sleep(0.5)
            if not stop:
                print(
                    f"telemed cluster ready: nodes {' '.join(urls)}, {workers} workers, "
                    f"PostgreSQL {database_url}, Redis {redis_url}, logs in {logs}",
                    flush=True,
                )
            while not stop:
                if any(p.poll() is not None for p in processes):
                    print(f"telemed cluster: a process exited; see {logs}", file=sys.stderr)
                    return 1
                time.sleep(0.5)
            return 0
        finally:
            for process in processes:
                if process.poll() is None:
                    process.terminate()
            for process in processes:
                try:
                    process.wait(60)
                except subprocess.TimeoutExpired:
                    process.kill()
            print("telemed cluster stopped", flush=True)
