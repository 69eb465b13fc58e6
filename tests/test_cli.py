"""The `telemed` command as a user runs it: real processes, real model, real speech."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tarfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from clinic.db import sessionmaker
from clinic.records import Records, opened_records
from clinic.tables import Patient
from tests.conftest import make_settings
from tests.speech import PHRASES, speak
from transcription.engine import bundled_model_dir
from web.allocator import jemalloc_loaded

TELEMED = [sys.executable, "-m", "web.cli"]


def run(args: list[str], data_dir: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TELEMED_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [*TELEMED, *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_transcribe_prints_json_segments(tmp_path: Path) -> None:
    audio = speak(PHRASES["patient"], tmp_path / "p.wav")
    result = run(["transcribe", str(audio), "--json"], tmp_path / "data")
    assert result.returncode == 0, result.stderr
    segments = [json.loads(line) for line in result.stdout.splitlines()]
    assert segments and all(s["text"] and s["end"] > s["start"] for s in segments)


def test_transcribe_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "not-audio.wav"
    bogus.write_bytes(b"this is not audio")
    result = run(["transcribe", str(bogus)], tmp_path / "data")
    assert result.returncode == 2
    assert "cannot read" in result.stderr


def test_models_install_from_archive_and_list(tmp_path: Path) -> None:
    archive = tmp_path / "vosk-model-test.tar"
    with tarfile.open(archive, "w") as tar:  # uncompressed: the model is 250 MB
        tar.add(bundled_model_dir(), arcname="vosk-model-test-0.1")
    result = run(["models", "install", str(archive), "--language", "en"], tmp_path / "data")
    assert result.returncode == 0, result.stderr
    installed = tmp_path / "data" / "models" / "en"
    assert (installed / "am" / "final.mdl").is_file()
    assert f"speech model for 'en': {installed} (installed)" in result.stdout
    assert "speech model for 'ru': none installed" in result.stdout

    broken = tmp_path / "broken.tar"
    with tarfile.open(broken, "w") as tar:
        tar.add(bundled_model_dir() / "conf", arcname="conf")
    result = run(["models", "install", str(broken), "--language", "ru"], tmp_path / "data")
    assert result.returncode == 2 and "holds no Vosk model" in result.stderr


def test_serve_and_simulate_produce_a_protocol_from_speech(tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "data"
    env = {**os.environ, "TELEMED_DATA_DIR": str(data), "TELEMED_PORT": str(port)}
    server = subprocess.Popen(
        [*TELEMED, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as response:
                    assert json.load(response) == {"status": "ok"}
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"telemed serve did not come up: {server.stdout.read()}")  # type: ignore[union-attr]
                time.sleep(0.3)
        # Vosk's allocations run on jemalloc: the server started itself again on it.
        assert jemalloc_loaded(Path(f"/proc/{server.pid}/maps"))
        invite = run(["invite", "Анна", "+79990000000"], data)
        opened_token = invite.stdout.strip().rsplit("/join/", 1)[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/join/{opened_token}") as page:
            assert page.status == 200
        result = run(["simulate", "--url", f"http://127.0.0.1:{port}"], data)
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines[0].startswith("protocol ") and "v1 (draft)" in lines[0]
        spoken = [line.split()[0] for line in lines[1:-1]]
        assert set(spoken) == {"doctor", "patient"}
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0, output
    assert "telemed draining: no new consultations" in output and "telemed stopped" in output
    assert "First start: demo accounts created" in output
    assert "/console   login: demo   password: " in output and "/join/" in output
    assert opened_token not in output, "a link's secret reached the log"
    assert "path=/join/<link> status=200" in output
    assert "speech model for 'ru': none installed; falling back to the bundled Korean" in output


def test_protocol_command_on_a_shared_sample(tmp_path: Path) -> None:
    sample = Path(__file__).resolve().parents[2] / "shared" / "samples" / "s01.txt"
    result = run(["protocol", str(sample), "--format", "json"], tmp_path / "data")
    assert result.returncode == 0, result.stderr
    protocol = json.loads(result.stdout)
    assert protocol["diagnosis"]["code"] == "J06.9"
    assert protocol["vitals"]["temperature_c"]["value"] == 37.8
    assert protocol["follow_up"]["kind"] == "telemedicine"
    fhir = run(["protocol", str(sample), "--format", "fhir"], tmp_path / "data")
    assert fhir.returncode == 0, fhir.stderr
    kinds = [e["resource"]["resourceType"] for e in json.loads(fhir.stdout)["entry"]]
    assert {
        "Composition",
        "Encounter",
        "Condition",
        "Observation",
        "MedicationRequest",
        "Provenance",
    } <= set(kinds)
    text = run(["protocol", str(sample)], tmp_path / "data")
    assert "J06.9" in text.stdout and "Жалобы: повышение температуры" in text.stdout


def test_protocol_command_rejects_a_bad_transcript(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("doctor: hello\nsomeone else: hi\n")
    result = run(["protocol", str(bad)], tmp_path / "data")
    assert result.returncode == 2 and "line 2" in result.stderr


def test_doctors_add_with_a_console_login(tmp_path: Path) -> None:
    env = {**os.environ, "TELEMED_DATA_DIR": str(tmp_path / "data")}
    assert run(["db", "upgrade"], tmp_path / "data").returncode == 0
    short = subprocess.run(
        [*TELEMED, "doctors", "add", "Ирина", "--login", "irina"],
        env={**env, "TELEMED_NEW_PASSWORD": "short"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert short.returncode == 2 and "at least 10" in short.stderr
    added = subprocess.run(
        [*TELEMED, "doctors", "add", "Ирина", "--login", "irina"],
        env={**env, "TELEMED_NEW_PASSWORD": "correct horse battery"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert added.returncode == 0, added.stderr
    assert "access key for programs (shown once; a new one: telemed users renew irina): " in (
        added.stdout
    )
    second = subprocess.run(
        [*TELEMED, "doctors", "add", "Олег", "--login", "oleg", "--totp"],
        env={**env, "TELEMED_NEW_PASSWORD": "correct horse battery"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert second.returncode == 0, second.stderr
    assert "otpauth://totp/telemed:oleg?secret=" in second.stdout


def test_an_operator_sets_up_a_polyclinic_a_centre_and_their_people(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run(["db", "upgrade"], data).stdout.strip() == "database at the latest schema"
    polyclinic = run(
        ["organisations", "add", "polyclinic", "Поликлиника №5", "--address", "ул. Ленина, 1"], data
    ).stdout.strip()
    centre = run(["organisations", "add", "oncology_centre", "Онкоцентр №1"], data).stdout.strip()
    listed = run(["organisations", "list"], data).stdout
    assert polyclinic in listed and centre in listed and "Онкоцентр №1" in listed
    published = run(
        ["slots", polyclinic, "Смирнова А.А.", "--from", "2030-12-01T09:00+03:00", "--count", "3"],
        data,
    )
    assert published.stdout.strip() == "published 3 slots at Поликлиника №5"
    assert run(["slots", polyclinic, "X", "--from", "2030-12-01T09:00"], data).returncode == 2
    refused = run(["users", "add", "--role", "staff", "Секретарь"], data)
    assert refused.returncode == 2 and "--organisation" in refused.stderr
    staff = run(["users", "add", "--role", "staff", "--organisation", centre, "Секретарь"], data)
    assert staff.returncode == 0 and staff.stdout.startswith("staff ")
    link = run(
        [
            "invite",
            "Мария",
            "+79990000000",
            "--polyclinic",
            polyclinic,
            "--oncology-centre",
            centre,
        ],
        data,
    )
    assert link.returncode == 0 and "/join/" in link.stdout

    async def attached() -> tuple[str | None, str | None]:
        async with opened_records(make_settings(data)) as records:
            (patient_id,) = await _ids(records)
            patient = await records.patient(patient_id)
            assert patient is not None
            return patient.polyclinic_id, patient.oncology_centre_id

    assert asyncio.run(attached()) == (polyclinic, centre)


async def _ids(records: Records) -> list[str]:
    async with sessionmaker(records.engine)() as s:
        return list(await s.scalars(select(Patient.id)))


TELEMED_COMMAND = Path(sys.executable).parent / "telemed"  # the script pip installed


def as_a_user(
    args: list[str], cwd: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    """`telemed ...` typed in `cwd`, with no terminal: stdin is a pipe."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TELEMED_")}
    return subprocess.run(
        [str(TELEMED_COMMAND), *args],
        cwd=cwd,
        env={**environment, **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert all(word in result.stderr for word in words), result.stderr


def test_users_add_refuses_clearly_and_reads_the_password_without_a_terminal(
    tmp_path: Path,
) -> None:
    clinic = tmp_path / "clinic"
    clinic.mkdir()
    assert as_a_user(["db", "upgrade"], clinic).returncode == 0
    added = as_a_user(["users", "add", "Ирина", "--login", "irina"], clinic, "correct horse 1\n")
    assert added.returncode == 0, added.stderr
    assert "a new one: telemed users renew irina" in added.stdout
    assert f"records: {clinic / 'data' / 'telemed.db'}" in added.stderr
    old_key = added.stdout.rsplit(": ", 1)[1].splitlines()[0]

    again = as_a_user(["users", "add", "Ирина 2", "--login", "irina"], clinic, "another password\n")
    one_line_error(again, "'irina' is taken", "telemed users renew irina --password")
    nothing = as_a_user(["users", "add", "Олег", "--login", "oleg"], clinic)  # stdin empty
    one_line_error(nothing, "TELEMED_NEW_PASSWORD", "stdin")

    renewed = as_a_user(["users", "renew", "irina", "--password"], clinic, "a new password 2\n")
    assert renewed.returncode == 0, renewed.stderr
    new_key = renewed.stdout.split(": ", 1)[1].splitlines()[0]

    async def keys() -> tuple[object, object]:
        async with opened_records(make_settings(clinic / "data")) as records:
            return await records.doctor_by_key(old_key), await records.doctor_by_key(new_key)

    old, new = asyncio.run(keys())
    assert old is None and new is not None
    one_line_error(as_a_user(["users", "renew", "nobody"], clinic), "no account")

    # From another folder: no new empty database beside the real one, and it says where.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    lost = as_a_user(["users", "add", "Пётр", "--login", "petr"], elsewhere, "correct horse 1\n")
    one_line_error(lost, f"no database at {elsewhere / 'data' / 'telemed.db'}", "TELEMED_DATA_DIR")
    assert not (elsewhere / "data" / "telemed.db").exists()
    one_line_error(as_a_user(["invite", "Анна", "+79990000000"], elsewhere), "no database")


def test_invite_checks_the_phone_and_names_the_port_the_server_uses(tmp_path: Path) -> None:
    clinic = tmp_path / "clinic"
    clinic.mkdir()
    port = free_port()
    server = subprocess.Popen(
        [str(TELEMED_COMMAND), "serve", "--port", str(port)],
        cwd=clinic,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("TELEMED_")},
            "TELEMED_RECOGNISER_POOL": "0",
            "TELEMED_ALLOCATOR": "system",
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        started = ""
        while "telemed serving on" not in started:
            line = server.stdout.readline()
            assert line, f"telemed serve stopped: {started}"
            started += line
        assert f"http://127.0.0.1:{port}/console" in started  # the demo accounts' address
        assert not jemalloc_loaded(Path(f"/proc/{server.pid}/maps"))  # as it was told
        assert "telemed users renew demo --password" in started
        one_line_error(
            as_a_user(["invite", "Анна", "not-a-phone"], clinic), "not a phone number", "+7"
        )
        one_line_error(
            as_a_user(["invite", "Анна", "+79991234567", "--born", "15.03.1990"], clinic),
            "not a date",
            "YYYY-MM-DD",
        )
        # What the server says from now on: the development gateway logs each SMS it "sends".
        said: list[str] = []
        output = server.stdout
        threading.Thread(target=lambda: said.extend(output), daemon=True).start()
        quiet = as_a_user(["invite", "Борис", "+79990000001", "--no-sms"], clinic)
        assert quiet.returncode == 0, quiet.stderr
        invited = as_a_user(
            ["invite", "Анна", "+7 (999) 123-45-67", "--born", "1990-03-15"], clinic
        )
        assert invited.returncode == 0, invited.stderr
        url = invited.stdout.strip()
        assert url.startswith(f"http://127.0.0.1:{port}/join/")
        with urllib.request.urlopen(url) as page:
            assert page.status == 200
        # The patient gets the link by SMS: the running server's messenger sends what the
        # command queued (it polls every few seconds); the --no-sms patient gets none. The
        # development gateway's log shows the message with its link's secret left out.
        for _ in range(300):
            sent = [line for line in said if "development_sms to=+79991234567" in line]
            if sent:
                break
            time.sleep(0.1)
        assert len(sent) == 1 and "/join/…" in sent[0], sent
        assert url.rsplit("/", 1)[1] not in sent[0]
        assert not [line for line in said if "development_sms to=+79990000001" in line]
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stdout is not None:
            server.stdout.close()


def test_a_mistyped_setting_is_named_in_one_line(tmp_path: Path) -> None:
    for name, value, words in (
        ("TELEMED_PORT", "80a", ("TELEMED_PORT must be a number", "'80a'")),
        ("TELEMED_VOICE_GATE", "maybe", ("TELEMED_VOICE_GATE must be on or off",)),
        ("TELEMED_MEDIA", "cloud", ("TELEMED_MEDIA must be local or workers",)),
        ("TELEMED_ALLOCATOR", "tcmalloc", ("TELEMED_ALLOCATOR must be auto, jemalloc or system",)),
    ):
        one_line_error(as_a_user(["serve"], tmp_path, **{name: value}), *words)
