"""The city shape as local processes: two `telemed serve` nodes on one PostgreSQL and one
Redis, each started by the test. A patient on one node and a doctor on the other hold a
consultation; then Redis restarts under them, and a node is killed with its clients moving
to the other."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiortc.mediastreams import AudioStreamTrack

from clinic.db import create_engine, upgrade_async
from clinic.domain import Reason, Role, Speaker
from clinic.records import Records
from clinic.sign_in import SignIn
from clinic.tables import Consultation
from clinic.time import now
from harness.client import Party, local_peer
from harness.servers import free_port, fresh_database, redis_server, start_redis
from media.cluster import ClusterMedia
from media.jobs import JOBS, StreamMedia
from media.jobs import connect as connect_redis
from tests.conftest import Platform, make_settings
from web.platform import PLATFORM
from web.ratelimit import RedisRateLimit

ROOT = Path(__file__).parent.parent


@dataclass
class Node:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)


def spawn(command: str, env: dict[str, str], data_dir: Path, **extra: str) -> Node:
    """`telemed <command>` on a free port, its output in `<data_dir>.log`."""
    port = free_port()
    log = data_dir.with_suffix(".log")
    # The child keeps its own copy of the log's descriptor; ours is closed at once.
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "web.cli", command],
            cwd=ROOT,
            env={
                **os.environ,
                **env,
                "TELEMED_DATA_DIR": str(data_dir),
                "TELEMED_PORT": str(port),
                "TELEMED_HOST": "127.0.0.1",
                "TELEMED_DRAIN_TIMEOUT_S": "2",
                **extra,
            },
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return Node(process, f"http://127.0.0.1:{port}/", log)


def start_node(env: dict[str, str], data_dir: Path) -> Node:
    return spawn("serve", env, data_dir, TELEMED_SHUTDOWN_TIMEOUT_S="2")


async def ready(node: Node, timeout_s: float = 120) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    async with aiohttp.ClientSession() as http:
        while loop.time() < deadline:
            if node.process.poll() is not None:
                raise AssertionError(f"node exited: {node.log.read_text()[-2000:]}")
            try:
                async with http.get(f"{node.url}readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.3)
    raise AssertionError(f"node not ready: {node.log.read_text()[-2000:]}")


async def event(party: Party, name: str, match: Callable[[Any], bool], timeout: float = 30) -> Any:
    """The next `name` event that `match`es, skipping others."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        message = await party.next(name, timeout=max(0.1, deadline - loop.time()))
        if match(message):
            return message


async def gauge(node: Node, name: str) -> float:
    async with aiohttp.ClientSession() as http, http.get(f"{node.url}metrics") as response:
        found = re.search(rf"^{name} (\S+)$", await response.text(), re.M)
    assert found is not None, name
    return float(found.group(1))


async def worker_sides(node: Node) -> float:
    return await gauge(node, "telemed_worker_sides")


@pytest.fixture
def redis() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    with redis_server() as server:
        yield server


async def test_two_nodes_share_the_queue_the_call_and_survive_faults(
    tmp_path: Path, postgres_url: str, speech_dir: Path, redis: tuple[str, subprocess.Popen[bytes]]
) -> None:
    redis_url, redis_process = redis
    database_url = await fresh_database(postgres_url)
    env = {
        "TELEMED_DATABASE_URL": database_url,
        "TELEMED_REDIS_URL": redis_url,
        "TELEMED_SECRET_KEY": "cluster-test-secret-not-for-production",
    }
    settings = make_settings(tmp_path / "seed", **env)
    # Migrations run once, before the nodes, as `telemed db upgrade` does in the compose file.
    await upgrade_async(database_url)
    engine = create_engine(settings)
    records = Records(engine)
    sign_in = SignIn(engine, settings.session_ttl_s)
    _, doctor_key = await records.add_doctor("Ирина Петровна", "therapist")
    patients = []
    for name in ("Анна Иванова", "Пётр Смирнов"):
        row = await records.add_patient(name, "+79990000000")
        await records.invite(row.id, Reason.RESPIRATORY, 3600)
        patients.append((row.id, await sign_in.open_session(Role.PATIENT, row.id)))

    node_a = start_node(env, tmp_path / "node-a")
    node_b = start_node(env, tmp_path / "node-b")
    parties: list[Party] = []

    def party(node: Node, auth: dict[str, str]) -> Party:
        parties.append(Party(node.url, auth))
        return parties[-1]

    try:
        await asyncio.gather(ready(node_a), ready(node_b))
        patient = party(node_a, {"session": patients[0][1]})
        doctor = party(node_b, {"key": doctor_key})
        await doctor.connect()
        await patient.connect()

        # The queue: the patient joins on A, the doctor on B hears of it and takes them.
        joined = await patient.call("queue.join", {})
        consultation_id = joined["consultation_id"]
        await event(
            doctor,
            "queue.updated",
            lambda m: any(w["consultation_id"] == consultation_id for w in m["waiting"]),
        )
        assert (await doctor.call("consultation.take", {}))["consultation_id"] == consultation_id
        await event(
            patient, "consultation.started", lambda m: m["consultation_id"] == consultation_id
        )

        # The call: signaling between the browsers crosses nodes; each side's audio goes to
        # its own node's worker, and the patient's captions (from A) reach the doctor on B.
        assert await patient.call(
            "offer",
            {"consultation_id": consultation_id, "target": "peer", "sdp": "v=0", "type": "offer"},
        ) == {"ok": True}
        await event(doctor, "offer", lambda m: m["consultation_id"] == consultation_id)
        await asyncio.gather(
            patient.send_audio(consultation_id, speech_dir / "patient.wav"),
            doctor.send_audio(consultation_id, speech_dir / "doctor.wav"),
        )
        await asyncio.gather(patient.played_out(), doctor.played_out())
        await event(doctor, "caption", lambda m: m["speaker"] == "patient" and m["final"])
        assert await worker_sides(node_a) == 1 and await worker_sides(node_b) == 1

        # Hanging up on B ends A's side too, before the draft: every segment is stored.
        assert await doctor.call("hangup", {"consultation_id": consultation_id}) == {"ok": True}
        await event(patient, "protocol.ready", lambda m: m["consultation_id"] == consultation_id)
        assert await worker_sides(node_a) == 0 and await worker_sides(node_b) == 0
        speakers = {s.speaker for s in await records.segments(consultation_id)}
        assert speakers == {Speaker.PATIENT, Speaker.DOCTOR}
        assert await records.latest_protocol(consultation_id) is not None
        for p in (patient, doctor):
            await p.close()

        # Redis restarts: the nodes resubscribe, and events cross nodes again.
        port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
        redis_process.send_signal(signal.SIGKILL)
        redis_process.wait(10)
        restarted = start_redis(port)
        try:
            second = party(node_a, {"session": patients[1][1]})
            doctor = party(node_b, {"key": doctor_key})
            await doctor.connect()
            await second.connect()
            waiting = await second.call("queue.join", {})
            # The queue lives in the database: B lists it at once, Redis or not.
            listing = await doctor.call("queue.list", {})
            assert [w["consultation_id"] for w in listing["waiting"]] == [
                waiting["consultation_id"]
            ]
            # A's broadcasts reach B again once both have reconnected to Redis (joining
            # again is harmless: it keeps the place and broadcasts the queue once more).
            for _ in range(30):
                try:
                    await event(doctor, "queue.updated", lambda m: bool(m["waiting"]), timeout=1)
                    break
                except TimeoutError:
                    await second.call("queue.join", {})
            else:
                raise AssertionError("A's queue broadcast never reached B after Redis restarted")

            # A dies with the patient's socket; the patient comes back through B, still
            # in the queue, and the doctor's take reaches them there.
            node_a.kill()
            await second.close()
            moved = party(node_b, {"session": patients[1][1]})
            await moved.connect()
            place = await moved.next("queue.joined")
            assert place["consultation_id"] == waiting["consultation_id"]
            await doctor.call("consultation.take", {})
            await event(
                moved,
                "consultation.started",
                lambda m: m["consultation_id"] == waiting["consultation_id"],
            )

            # And a message from B crosses Redis to a client of a new node A.
            node_a = start_node(env, tmp_path / "node-a2")
            await ready(node_a)
            watcher = party(node_a, {"key": doctor_key})
            await watcher.connect()
            await asyncio.sleep(1)  # the new node subscribes
            assert await moved.call("hangup", {"consultation_id": waiting["consultation_id"]}) == {
                "ok": True
            }
            await event(
                watcher,
                "consultation.ended",
                lambda m: m["consultation_id"] == waiting["consultation_id"],
            )
        finally:
            restarted.terminate()
            restarted.wait(10)
    finally:
        for p in parties:
            await p.close()
        for node in (node_a, node_b):
            if node.process.poll() is None:
                node.process.terminate()
                node.process.wait(30)
        await engine.dispose()


def start_worker(env: dict[str, str], data_dir: Path) -> Node:
    return spawn("worker", env, data_dir, TELEMED_WORKER_TAKEOVER_S="3")


async def worker_started(worker: Node, timeout_s: float = 120) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while "taking consultations" not in worker.log.read_text():
        if worker.process.poll() is not None or loop.time() > deadline:
            raise AssertionError(f"worker did not start: {worker.log.read_text()[-2000:]}")
        await asyncio.sleep(0.3)


async def test_two_nodes_and_two_workers_survive_a_killed_worker_and_redis_restart(
    tmp_path: Path, postgres_url: str, speech_dir: Path, redis: tuple[str, subprocess.Popen[bytes]]
) -> None:
    redis_url, redis_process = redis
    database_url = await fresh_database(postgres_url)
    env = {
        "TELEMED_DATABASE_URL": database_url,
        "TELEMED_REDIS_URL": redis_url,
        "TELEMED_MEDIA": "workers",
        "TELEMED_SECRET_KEY": "cluster-test-secret-not-for-production",
    }
    await upgrade_async(database_url)
    settings = make_settings(tmp_path / "seed", **env)
    engine = create_engine(settings)
    records = Records(engine)
    _, doctor_key = await records.add_doctor("Ирина Петровна", "therapist")
    patient_row = await records.add_patient("Анна Иванова", "+79990000000")
    await records.invite(patient_row.id, Reason.RESPIRATORY, 3600)
    session = await SignIn(engine, settings.session_ttl_s).open_session(
        Role.PATIENT, patient_row.id
    )
    # The whole shape: the patient on node A, the doctor on node B, two workers.
    node_a, node_b = start_node(env, tmp_path / "node-a"), start_node(env, tmp_path / "node-b")
    workers = {}
    for name in ("worker-1", "worker-2"):
        workers[name] = start_worker(env, tmp_path / name)
    patient = Party(node_a.url, {"session": session})
    doctor = Party(node_b.url, {"key": doctor_key})
    try:
        await asyncio.gather(
            ready(node_a), ready(node_b), *(worker_started(w) for w in workers.values())
        )
        await doctor.connect()
        await patient.connect()
        consultation_id = (await patient.call("queue.join", {}))["consultation_id"]
        await doctor.call("consultation.take", {})
        await event(
            patient, "consultation.started", lambda m: m["consultation_id"] == consultation_id
        )

        # Each side's audio goes through the stream to whichever worker claimed the job.
        await asyncio.gather(
            patient.send_audio(consultation_id, speech_dir / "patient.wav"),
            doctor.send_audio(consultation_id, speech_dir / "doctor.wav"),
        )
        await patient.played_out()
        await event(doctor, "caption", lambda m: m["speaker"] == "patient" and m["final"])

        # The holder dies mid-speech (the doctor is still talking).
        client = connect_redis(redis_url)
        (pending,) = await client.xpending_range("telemed:media-jobs", "workers", "-", "+", 10)
        holder = next(w for w in workers.values() if f":{w.process.pid}" in pending["consumer"])
        survivor = next(w for w in workers.values() if w is not holder)
        assert await gauge(holder, "telemed_worker_consultations") == 1
        assert await gauge(survivor, "telemed_worker_consultations") == 0
        holder.kill()
        await client.aclose()

        # Another worker takes the consultation over and asks both parties to offer again.
        await event(patient, "media.restart", lambda m: m["consultation_id"] == consultation_id)
        await event(doctor, "media.restart", lambda m: m["consultation_id"] == consultation_id)
        assert await gauge(survivor, "telemed_worker_consultations") == 1
        await asyncio.gather(
            patient.send_audio(consultation_id, speech_dir / "patient_more.wav"),
            doctor.send_audio(consultation_id, speech_dir / "doctor.wav"),
        )
        await asyncio.gather(patient.played_out(), doctor.played_out())
        finals = len(
            [m for m in doctor.events["caption"] if m["speaker"] == "patient" and m["final"]]
        )
        await event(doctor, "caption", lambda m: m["speaker"] == "patient" and m["final"])
        assert finals >= 1

        # Redis restarts empty (no persistence here): the holder keeps the call, which
        # flows browser to worker, and reads its control stream again once Redis is back.
        port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
        redis_process.send_signal(signal.SIGKILL)
        redis_process.wait(10)
        restarted = start_redis(port)
        try:
            for _ in range(20):  # the node's Redis manager reconnects with backoff
                hung_up = await doctor.call("hangup", {"consultation_id": consultation_id})
                if hung_up == {"ok": True}:
                    break
                await asyncio.sleep(0.5)
            assert hung_up == {"ok": True}, hung_up
            await event(
                patient, "protocol.ready", lambda m: m["consultation_id"] == consultation_id
            )
        finally:
            restarted.terminate()
            restarted.wait(10)
        segments = await records.segments(consultation_id)
        speech = [s for s in segments if s.kind == "speech"]
        gaps = [s for s in segments if s.kind == "gap"]
        # Everything persisted before the death stays; what was in flight is a marked gap;
        # speech after the takeover is transcribed too.
        assert len([s for s in speech if s.speaker is Speaker.PATIENT]) >= 2
        assert {g.speaker for g in gaps} == {Speaker.PATIENT, Speaker.DOCTOR}
        gap_end = max(g.end for g in gaps)
        assert any(s.start >= gap_end for s in speech if s.speaker is Speaker.PATIENT)
        assert await records.latest_protocol(consultation_id) is not None
    finally:
        for p in (patient, doctor):
            await p.close()
        for process in (node_a, node_b, *workers.values()):
            if process.process.poll() is None:
                process.process.terminate()
                process.process.wait(30)
        await engine.dispose()


def test_telemed_cluster_starts_the_shape_and_stops_it(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "web.cli",
            "cluster",
            "--nodes",
            "2",
            "--workers",
            "1",
            "--base-port",
            str(port),
        ],
        cwd=ROOT,
        env={**os.environ, "TELEMED_DATA_DIR": str(tmp_path / "data")},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "telemed cluster ready" in line:
                break
        assert "telemed cluster ready" in lines[-1], "".join(lines)[-3000:]
        assert "login: demo" in "".join(lines)
        for node in (port, port + 1):
            with urllib.request.urlopen(f"http://127.0.0.1:{node}/readyz", timeout=5) as r:
                assert r.status == 200
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=90)
        assert process.returncode == 0, rest
        assert "telemed cluster stopped" in rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)
    for node in (port, port + 1):  # nothing is left listening
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{node}/readyz", timeout=2)


async def test_the_sign_in_limit_is_shared_by_every_node(
    redis: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, process = redis
    # An hour's window: the test never straddles two.
    node_a, node_b = RedisRateLimit(url, 10, 3600), RedisRateLimit(url, 10, 3600)
    try:
        answers = [await (node_a if i % 2 else node_b).allow("10.0.0.1") for i in range(12)]
        assert answers == [True] * 10 + [False] * 2
        assert await node_b.allow("10.0.0.2")  # each address has its own count
        process.kill()
        process.wait(10)
        # Redis gone: each node limits on its own rather than not at all.
        assert [await node_a.allow("10.0.0.3") for _ in range(11)] == [True] * 10 + [False]
    finally:
        await node_a.close()
        await node_b.close()


async def test_a_node_that_lost_redis_still_answers_and_ends_its_own_side(
    platform: Platform,
) -> None:
    media = platform.server.app[PLATFORM].media
    cluster = ClusterMedia(media, f"redis://127.0.0.1:{free_port()}/0", wait_s=2)
    browser = local_peer()
    browser.addTrack(AudioStreamTrack())
    try:
        await browser.setLocalDescription(await browser.createOffer())
        answer = await cluster.answer(
            "lost-redis", Speaker.PATIENT, "ru", time.time(), browser.localDescription.sdp
        )
        assert answer.type == "answer" and media.active_legs == 1
        # Nothing to publish the end on: this node's side ends (its segments stored) anyway.
        await cluster.end("lost-redis")
        assert media.active_legs == 0
    finally:
        await browser.close()
        await cluster.close()


async def test_a_media_job_waits_for_redis_within_its_bound(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    consultation = Consultation(
        id="c-late", patient_id="p1", doctor_id="d1", language="ru", started_at=now()
    )
    # No Redis for the whole bound: the take goes on, and the operator is told.
    gone = StreamMedia(url, wait_s=1)
    try:
        with caplog.at_level(logging.ERROR, logger="media.jobs"):
            await gone.begin(consultation)
        assert "media_job_not_queued consultation=c-late" in caplog.text
    finally:
        await gone.close()
    # Redis comes back within the bound: the job is queued once.
    media = StreamMedia(url, wait_s=15)
    waiting = asyncio.create_task(media.begin(consultation))
    await asyncio.sleep(1)
    assert not waiting.done()
    server = await asyncio.to_thread(start_redis, port)
    client = connect_redis(url)
    try:
        await waiting
        jobs = await client.xrange(JOBS)
        assert [fields["consultation_id"] for _, fields in jobs] == ["c-late"]
    finally:
        await client.aclose()
        await media.close()
        server.terminate()
        server.wait(10)
