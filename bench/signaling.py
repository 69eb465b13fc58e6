"""Signaling under load: how long relaying an `offer` from one party to the other takes
while N clients are connected, against a bare python-socketio relay measured in the same
run, and the server's memory per connected client.

The platform's side is a real `telemed serve`: N/2 consultations are active in its database
(patients with sessions, doctors with access keys), every party is connected, and a sample
of patients sends offers to their doctors one at a time; each offer carries its send time
and the doctor's client (in the same process, so on the same clock) notes its arrival. The
bare relay is a python-socketio server that puts each client in a room and forwards `offer`
to a room: no authentication, no database, no validation. The ratio of the medians is what
our logic costs. Clients run in separate processes.

    python -m bench.signaling [--clients 100,1000,5000] [--samples 200] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import socketio
from aiohttp import web

from bench.consultations import rss_mib, wait_ready
from clinic.domain import CallMode, Reason, Role
from clinic.records import opened_records
from clinic.settings import Settings
from clinic.sign_in import SignIn
from harness.servers import free_port

CLIENTS_PER_PROCESS = 1000
CONNECTS_AT_ONCE = 50


# --- the bare relay ----------------------------------------------------------------------


def echo_server(port: int) -> None:
    sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
    app = web.Application()
    sio.attach(app)

    async def connect(sid: str, environ: Any, auth: Any) -> None:
        await sio.enter_room(sid, auth["room"])

    async def offer(sid: str, data: Any) -> dict[str, bool]:
        await sio.emit("offer", data, room=data["to"])
        return {"ok": True}

    # Registered by call rather than by socketio's untyped decorators.
    sio.on("connect", connect)
    sio.on("offer", offer)

    async def health(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app.router.add_get("/readyz", health)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


# --- the platform's side: consultations in progress ------------------------------------------


async def seed(settings: Settings, pairs: int) -> list[dict[str, str]]:
    """Active consultations, each with a patient's session and a doctor's access key."""
    out = []
    async with opened_records(settings) as records:
        sign_in = SignIn(records.engine, settings.session_ttl_s)
        for i in range(pairs):
            doctor, key = await records.add_doctor(f"Bench Doctor {i}", "therapist")
            patient = await records.add_patient(f"Bench Patient {i}", "+70000000000")
            session = await sign_in.open_session(Role.PATIENT, patient.id)
            consultation = await records.enqueue(
                patient.id, Reason.RESPIRATORY, CallMode.AUDIO, "ru"
            )
            await records.take(doctor.id, consultation.id)
            out.append({"patient": session, "doctor": key, "consultation": consultation.id})
    return out


# --- client processes --------------------------------------------------------------------------


async def clients(spec: dict[str, Any]) -> None:
    """Connects both parties of each pair, says so, then (the sampling process) measures
    relays; disconnects when told to stop."""
    url, kind, pairs = spec["url"], spec["kind"], spec["pairs"]
    arrived: dict[str, asyncio.Future[float]] = {}
    connected: list[socketio.AsyncClient] = []
    gate = asyncio.Semaphore(CONNECTS_AT_ONCE)

    async def one(auth: dict[str, str], listens: bool) -> socketio.AsyncClient:
        client = socketio.AsyncClient(reconnection=False)
        if listens:

            async def on_offer(data: Any) -> None:
                token = data["sdp"].split()[-1]
                future = arrived.get(token)
                if future is not None and not future.done():
                    future.set_result(time.perf_counter())

            client.on("offer", on_offer)

        async with gate:
            await client.connect(url, auth=auth, transports=["websocket"], wait_timeout=60)
        connected.append(client)
        return client

    senders = []
    for index, pair in enumerate(pairs):
        if kind == "telemed":
            patient_auth, doctor_auth = {"session": pair["patient"]}, {"key": pair["doctor"]}
        else:
            patient_auth, doctor_auth = {"room": f"p{pair['id']}"}, {"room": f"d{pair['id']}"}
        listens = spec["samples"] > 0 and index < 20
        sender, _ = await asyncio.gather(one(patient_auth, False), one(doctor_auth, listens))
        senders.append((sender, pair))
    print("connected", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)  # "go"
    latencies = []
    for i in range(spec["samples"]):
        sender, pair = senders[i % min(20, len(senders))]
        token = f"s{i}"
        arrived[token] = loop.create_future()
        sent = time.perf_counter()
        if kind == "telemed":
            message = {
                "consultation_id": pair["consultation"],
                "target": "peer",
                "type": "offer",
                "sdp": f"v=0 {token}",
            }
        else:
            message = {"to": f"d{pair['id']}", "sdp": f"v=0 {token}"}
        await sender.emit("offer", message)
        latencies.append(await asyncio.wait_for(arrived[token], 30) - sent)
    print(json.dumps(latencies), flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)  # "stop"
    for client in connected:
        await client.disconnect()


# --- the orchestra -----------------------------------------------------------------------------


def measure(
    url: str, server_pid: int, kind: str, pairs: list[dict[str, Any]], samples: int
) -> dict[str, Any]:
    rss_before = rss_mib(server_pid)
    processes = []
    per = max(1, CLIENTS_PER_PROCESS // 2)
    for first in range(0, len(pairs), per):
        spec = {
            "url": url,
            "kind": kind,
            "pairs": pairs[first : first + per],
            "samples": samples if first == 0 else 0,
        }
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "bench.signaling", "--client", json.dumps(spec)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    started = time.perf_counter()
    for process in processes:
        assert process.stdout is not None
        if process.stdout.readline().strip() != "connected":
            raise RuntimeError("a client process failed to connect")
    connect_s = time.perf_counter() - started
    time.sleep(1)
    rss_connected = rss_mib(server_pid)
    sampler = processes[0]
    assert sampler.stdin is not None and sampler.stdout is not None
    sampler.stdin.write("go\n")
    sampler.stdin.flush()
    latencies = sorted(json.loads(sampler.stdout.readline()))
    for process in processes:
        assert process.stdin is not None
        if process is not sampler:
            process.stdin.write("go\n")
        process.stdin.write("stop\n")
        process.stdin.flush()
    for process in processes:
        process.wait(120)
    clients_n = 2 * len(pairs)
    return {
        "clients": clients_n,
        "connect_all_s": round(connect_s, 1),
        "relay_ms_median": round(statistics.median(latencies) * 1000, 2),
        "relay_ms_p99": round(latencies[int(0.99 * (len(latencies) - 1))] * 1000, 2),
        "server_kib_per_client": round((rss_connected - rss_before) * 1024 / clients_n, 1),
    }


def run(sizes: list[int], samples: int) -> dict[str, Any]:
    results: dict[str, list[dict[str, Any]]] = {"echo": [], "telemed": []}
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        echo = subprocess.Popen(
            [sys.executable, "-m", "bench.signaling", "--echo-server", str(port)]
        )
        try:
            wait_ready(url, echo)
            for n in sizes:
                pairs = [{"id": str(i)} for i in range(n // 2)]
                results["echo"].append(measure(url, echo.pid, "echo", pairs, samples))
        finally:
            echo.terminate()
            echo.wait(30)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "TELEMED_DATA_DIR": str(Path(tmp) / "data"), "TELEMED_PORT": str(port)}
        settings = Settings.from_env(env)
        seeded = asyncio.run(seed(settings, max(sizes) // 2))
        server = subprocess.Popen(
            [sys.executable, "-m", "web.cli", "serve"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_ready(url, server)
            for n in sizes:
                results["telemed"].append(
                    measure(url, server.pid, "telemed", seeded[: n // 2], samples)
                )
        finally:
            server.terminate()
            server.wait(60)
    table = []
    for ours, bare in zip(results["telemed"], results["echo"], strict=True):
        table.append(
            {
                **ours,
                "bare_relay_ms_median": bare["relay_ms_median"],
                "bare_relay_ms_p99": bare["relay_ms_p99"],
                "bare_kib_per_client": bare["server_kib_per_client"],
                "ratio_median_to_bare": round(
                    ours["relay_ms_median"] / max(bare["relay_ms_median"], 1e-6), 2
                ),
            }
        )
    return {"samples": samples, "cores": os.cpu_count(), "steps": table}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", default="100,1000,5000")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="20 clients, for CI")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--echo-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.echo_server:
        echo_server(args.echo_server)
        return
    if args.client:
        asyncio.run(clients(json.loads(args.client)))
        return
    sizes = [20] if args.quick else [int(n) for n in args.clients.split(",")]
    print(json.dumps(run(sizes, 20 if args.quick else args.samples), indent=2))


if __name__ == "__main__":
    main()
