"""The `telemed` command."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from clinic.domain import Reason, Role
from clinic.settings import Settings
from web import accounts
from web.allocator import AllocatorMissing, use_jemalloc

DEMO_PHRASES = {
    # Korean, so that the bundled Korean model can recognise the demo speech.
    "doctor": "안녕하세요 저는 의사입니다 오늘 기분이 어떠세요",
    "patient": "어제부터 열이 나고 기침을 많이 합니다 목이 아파요",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="telemed", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run web, signaling, media worker, transcription")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)

    cluster = commands.add_parser(
        "cluster",
        help="the city shape as local processes: throwaway PostgreSQL and Redis, nodes, workers",
    )
    cluster.add_argument("--nodes", type=int, default=2)
    cluster.add_argument("--workers", type=int, default=2)
    cluster.add_argument(
        "--base-port", type=int, default=8081, help="the first node's port; the others follow"
    )

    commands.add_parser(
        "worker",
        help="a media worker taking consultations from Redis "
        "(with TELEMED_MEDIA=workers on the serving nodes)",
    )

    transcribe = commands.add_parser("transcribe", help="transcribe an audio or video file")
    transcribe.add_argument("file", type=Path)
    transcribe.add_argument("--json", action="store_true", help="print segments as JSON lines")
    transcribe.add_argument("--language", help="model language (default: TELEMED_LANGUAGE)")

    models = commands.add_parser("models", help="list or install speech models")
    models_commands = models.add_subparsers(dest="models_command", required=True)
    models_commands.add_parser("list", help="which model serves which language")
    install = models_commands.add_parser("install", help="install ru, en, a URL or an archive")
    install.add_argument("source")
    install.add_argument("--language")

    users = commands.add_parser("users", aliases=["doctors"], help="staff accounts")
    users_commands = users.add_subparsers(dest="users_command", required=True)
    add = users_commands.add_parser("add", help="add a doctor or an operator")
    add.add_argument(
        "--role",
        choices=["doctor", "staff", "operator"],
        default="doctor",
        help="staff: oncology-centre staff (give --organisation)",
    )
    add.add_argument("name")
    add.add_argument("--specialty", default="therapist")
    add.add_argument(
        "--login",
        help="console sign-in; the password is read from TELEMED_NEW_PASSWORD or asked for",
    )
    add.add_argument("--organisation", help="the id of the organisation they work at")
    add.add_argument(
        "--totp",
        action="store_true",
        help="require an authenticator code too; prints the setup URI once",
    )
    renew = users_commands.add_parser(
        "renew", help="a new access key (the old one stops working), and a new password"
    )
    renew.add_argument("account", help="the login, or the id `users add` printed")
    renew.add_argument(
        "--password",
        action="store_true",
        help="also a new console password, from TELEMED_NEW_PASSWORD, a prompt or stdin",
    )

    invite = commands.add_parser(
        "invite", help="create a patient, send them their link by SMS and print it"
    )
    invite.add_argument("name")
    invite.add_argument("phone")
    invite.add_argument("--reason", choices=[r.value for r in Reason], default="respiratory")
    invite.add_argument("--language")
    invite.add_argument("--polyclinic", help="id of the polyclinic the patient is attached to")
    invite.add_argument("--oncology-centre", help="id of the oncology centre following them")
    invite.add_argument("--guardian", help="patient id of a parent who may act for them")
    invite.add_argument(
        "--born",
        help="date of birth, YYYY-MM-DD (the doctor sees the age)",
    )
    invite.add_argument(
        "--no-sms", action="store_true", help="only print the link, to pass on some other way"
    )

    organisations = commands.add_parser("organisations", help="polyclinics and oncology centres")
    organisation_commands = organisations.add_subparsers(
        dest="organisations_command", required=True
    )
    organisation_commands.add_parser("list")
    organisation_add = organisation_commands.add_parser("add")
    organisation_add.add_argument("kind", choices=["polyclinic", "oncology_centre"])
    organisation_add.add_argument("name")
    organisation_add.add_argument("--address", default="")

    slots = commands.add_parser("slots", help="publish a polyclinic doctor's visit slots")
    slots.add_argument("organisation")
    slots.add_argument("doctor")
    slots.add_argument("--specialty", default="therapist")
    slots.add_argument(
        "--from",
        dest="start",
        required=True,
        help="first slot, ISO time with offset, e.g. 2026-12-01T09:00+03:00",
    )
    slots.add_argument("--count", type=int, default=12)
    slots.add_argument("--minutes", type=int, default=20)
    slots.add_argument("--room", default="")

    protocol = commands.add_parser("protocol", help="a structured protocol from a transcript")
    protocol.add_argument(
        "file", type=Path, help="'doctor: ...' lines, `telemed transcribe --json` output, or audio"
    )
    protocol.add_argument("--lang", choices=["ru", "en"], help="default: from the text")
    protocol.add_argument("--format", choices=["json", "html", "text", "fhir"], default="text")

    suggest = commands.add_parser(
        "suggest", help="three likely ICD-10 codes per complaint (`suggest train` refits)"
    )
    suggest.add_argument(
        "file",
        nargs="?",
        default="-",
        help="JSON lines {idx, text} (or `train`: refit the model); - for stdin",
    )
    suggest.add_argument(
        "--format", choices=["jsonl", "text"], default="jsonl", help="text: one complaint per line"
    )
    suggest.add_argument("--lang", choices=["ru", "en"], default="ru", help="language of titles")

    commands.add_parser("outbox", help="record pushes not yet delivered, with their errors")
    db = commands.add_parser("db", help="the database schema")
    db.add_argument("db_command", choices=["upgrade"], help="apply Alembic migrations")

    sim = commands.add_parser("simulate", help="a scripted consultation through a server")
    sim.add_argument("--url", help="server address (default: TELEMED_PUBLIC_BASE_URL)")
    sim.add_argument("--doctor-audio", type=Path)
    sim.add_argument("--patient-audio", type=Path)

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for chatty in ("aioice", "aiortc", "alembic"):  # one line per ICE check is noise here
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        settings = Settings.from_env()
    except ValueError as exc:  # a mistyped setting: say which, without a traceback
        parser.exit(2, f"telemed: {exc}\n")
    if argv is None and args.command in RUN_VOSK:  # the program itself, not a test calling it
        try:
            note = use_jemalloc(settings.allocator)
        except AllocatorMissing as exc:
            parser.exit(2, f"telemed: {exc}\n")
        if note:
            print(note, file=sys.stderr, flush=True)
    handler = {
        "serve": _serve,
        "worker": _worker,
        "cluster": _cluster,
        "transcribe": _transcribe,
        "models": _models,
        "users": _users,
        "doctors": _users,
        "invite": _invite,
        "simulate": _simulate,
        "protocol": _protocol,
        "outbox": _outbox,
        "organisations": _organisations,
        "slots": _slots,
        "db": _db,
        "suggest": _suggest,
    }[args.command]
    try:
        if args.command in NEEDS_RECORDS:
            accounts.database(settings)  # never a new empty one beside the real one
        return handler(settings, args)
    except accounts.Refused as exc:
        print(f"telemed: {exc}", file=sys.stderr)
        return 2


# Commands that run speech recognition: they start again on jemalloc (web/allocator.py).
RUN_VOSK = {"serve", "worker", "transcribe"}

# Commands that read or add to the records `telemed serve` keeps: they refuse to start on a
# database that does not exist (`serve` and `db upgrade` make it).
NEEDS_RECORDS = {"users", "doctors", "invite", "organisations", "slots", "outbox"}


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from transcription.models import describe_models
    from web.demo import first_start

    host = args.host or settings.host
    port = args.port or settings.port
    if not os.environ.get("TELEMED_PUBLIC_BASE_URL"):  # links name the port really served
        settings = dataclasses.replace(settings, public_base_url=f"http://{host}:{port}")
    accounts.remember_address(settings)
    for line in describe_models(settings):
        print(line, flush=True)
    for line in asyncio.run(first_start(settings)):
        print(line, flush=True)
    asyncio.run(_run_server(settings, host, port))
    return 0


async def _run_server(settings: Settings, host: str, port: int) -> None:
    """Serves until SIGTERM or SIGINT, then drains: no new consultations, the running ones
    get TELEMED_DRAIN_TIMEOUT_S to finish, then open sockets are closed."""
    import signal

    from aiohttp import web

    from web.access_log import RedactingAccessLogger
    from web.app import create_app, drain

    app = create_app(settings)
    runner = web.AppRunner(
        app, shutdown_timeout=settings.shutdown_timeout_s, access_log_class=RedactingAccessLogger
    )
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    print(f"telemed serving on http://{host}:{port} (data in {settings.data_dir})", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    print("telemed draining: no new consultations", flush=True)
    await drain(app, settings.drain_timeout_s)
    await runner.cleanup()
    print("telemed stopped", flush=True)


def _cluster(settings: Settings, args: argparse.Namespace) -> int:
    from web.cluster import run_cluster

    if not 1 <= args.nodes <= 8 or not 1 <= args.workers <= 16:
        print("telemed cluster: 1-8 nodes and 1-16 workers", file=sys.stderr)
        return 2
    return run_cluster(settings, args.nodes, args.workers, args.base_port)


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.redis_url:
        print(
            "telemed worker: set TELEMED_REDIS_URL (the stream of consultations)", file=sys.stderr
        )
        return 2
    asyncio.run(_run_worker(settings, settings.redis_url))
    return 0


async def _run_worker(settings: Settings, redis_url: str) -> None:
    """Takes consultations until SIGTERM or SIGINT, then drains: claims nothing new and
    lets the held ones end (up to TELEMED_DRAIN_TIMEOUT_S); what is left is taken over."""
    import signal

    from aiohttp import web

    from media.stream_worker import StreamWorker, emitter
    from transcription.models import LANGUAGES
    from web.platform import build_platform
    from web.worker_app import create_worker_app

    to_rooms = emitter(redis_url)
    platform = build_platform(settings, to_rooms)
    for language in LANGUAGES:
        await asyncio.to_thread(platform.models.for_language, language)
        platform.models.warm(language)
    worker = StreamWorker(
        platform.records,
        platform.media,
        redis_url,
        to_rooms,
        takeover_s=settings.worker_takeover_s,
    )
    runner = web.AppRunner(create_worker_app(platform, worker))
    await runner.setup()
    await web.TCPSite(runner, settings.host, settings.port).start()
    running = asyncio.create_task(worker.run())
    print(
        f"telemed worker {worker.name} taking consultations "
        f"(health and metrics on http://{settings.host}:{settings.port})",
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    print("telemed worker draining", flush=True)
    await worker.drain(settings.drain_timeout_s)
    running.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running
    await worker.close()
    await runner.cleanup()
    await platform.engine.dispose()
    print("telemed worker stopped", flush=True)


def _transcribe(settings: Settings, args: argparse.Namespace) -> int:
    from media.decode import pcm_chunks
    from transcription.files import transcribe_pcm
    from transcription.models import ModelPool

    model = ModelPool(settings).for_language(args.language or settings.default_language)
    try:
        phrases = transcribe_pcm(model, pcm_chunks(args.file))
    except (OSError, ValueError) as exc:  # av raises OSError subclasses for unreadable files
        print(f"telemed: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    for phrase in phrases:
        if args.json:
            print(
                json.dumps(
                    {
                        "start": phrase.start,
                        "end": phrase.end,
                        "text": phrase.text,
                        "confidence": round(phrase.confidence, 4),
                    },
                    ensure_ascii=False,
                )
            )
        else:
            print(f"[{phrase.start:7.2f}–{phrase.end:7.2f}] {phrase.text}")
    return 0


def _models(settings: Settings, args: argparse.Namespace) -> int:
    from transcription.install import InstallError, install_model
    from transcription.models import describe_models

    if args.models_command == "install":
        try:
            path = install_model(args.source, settings.models_dir, args.language)
        except InstallError as exc:
            print(f"telemed: {exc}", file=sys.stderr)
            return 2
        print(f"installed {path}")
    for line in describe_models(settings):
        print(line)
    return 0


def _users(settings: Settings, args: argparse.Namespace) -> int:
    import pyotp

    from web.demo import add_doctor, renew_credentials

    if args.users_command == "renew":
        password = accounts.new_password() if args.password else None
        key = asyncio.run(renew_credentials(settings, args.account, password))
        if key is None:
            raise accounts.Refused(f"no account with the login or id {args.account!r}")
        print(f"new access key for programs (the old one no longer works): {key}")
        if password:
            print("new console password set")
        return 0
    if args.role == "staff" and not args.organisation:
        raise accounts.Refused("staff work at an organisation: give --organisation")
    asyncio.run(_account_is_new(settings, args.login, args.organisation))
    password = accounts.new_password() if args.login else None
    totp_secret = pyotp.random_base32() if args.totp and args.login else None
    doctor_id, key = asyncio.run(
        add_doctor(
            settings,
            args.name,
            args.specialty,
            args.login,
            password,
            totp_secret,
            Role(args.role),
            args.organisation,
        )
    )
    renew = accounts.RENEW.format(who=args.login or doctor_id)
    print(
        f"{args.role} {doctor_id}\naccess key for programs (shown once; a new one: {renew}): {key}"
    )
    if args.login:
        print(f"a forgotten console password: {renew} --password")
    if totp_secret:
        uri = pyotp.TOTP(totp_secret).provisioning_uri(name=args.login, issuer_name="telemed")
        print(f"authenticator setup (shown once; scan as a QR code or type it): {uri}")
    print(f"records: {accounts.database(settings)}", file=sys.stderr)
    return 0


async def _account_is_new(settings: Settings, login: str | None, organisation: str | None) -> None:
    from clinic.records import opened_records

    async with opened_records(settings) as records:
        if login and await records.login_taken(login):
            raise accounts.Refused(
                f"the login {login!r} is taken: choose another, or give its owner a new "
                f"password with: {accounts.RENEW.format(who=login)} --password"
            )
        if organisation and await records.organisation(organisation) is None:
            raise accounts.Refused(
                f"no organisation {organisation!r}: see `telemed organisations list`"
            )


def _invite(settings: Settings, args: argparse.Namespace) -> int:
    from web.demo import invite_patient

    phone = accounts.phone_number(args.phone)
    born = accounts.birth_date(args.born) if args.born else None
    settings = dataclasses.replace(settings, public_base_url=accounts.public_address(settings))
    invitation = asyncio.run(
        invite_patient(
            settings,
            args.name,
            phone,
            Reason(args.reason),
            args.language,
            polyclinic_id=args.polyclinic,
            oncology_centre_id=args.oncology_centre,
            guardian_id=args.guardian,
            birth_date=born,
            send_sms=not args.no_sms,
        )
    )
    print(invitation.url)
    if not args.no_sms:
        print(f"SMS with the link queued to {phone}: the running server sends it", file=sys.stderr)
    print(f"records: {accounts.database(settings)}", file=sys.stderr)
    return 0


def _db(settings: Settings, args: argparse.Namespace) -> int:
    """Migrates the database once before the nodes start (they also check at start)."""
    from clinic.db import upgrade

    upgrade(settings.database_url)
    print("database at the latest schema")
    return 0


def _organisations(settings: Settings, args: argparse.Namespace) -> int:
    from clinic.records import opened_records

    async def run() -> list[str]:
        async with opened_records(settings) as records:
            if args.organisations_command == "add":
                added = await records.add_organisation(args.kind, args.name, args.address)
                return [added.id]
            return [f"{o.id} {o.kind:15} {o.name}" for o in await records.organisations()]

    print("\n".join(asyncio.run(run())))
    return 0


def _slots(settings: Settings, args: argparse.Namespace) -> int:
    from datetime import datetime, timedelta

    from clinic.records import opened_records

    start = datetime.fromisoformat(args.start)
    if start.tzinfo is None:
        print("telemed: give the time zone, e.g. 2026-12-01T09:00+03:00", file=sys.stderr)
        return 2
    starts = [start + timedelta(minutes=args.minutes * i) for i in range(args.count)]

    async def run() -> int:
        async with opened_records(settings) as records:
            organisation = await records.organisation(args.organisation)
            if organisation is None or organisation.kind != "polyclinic":
                print("telemed: no such polyclinic", file=sys.stderr)
                return 2
            published = await records.publish_slots(
                organisation.id, args.doctor, args.specialty, starts, args.minutes, args.room
            )
            print(f"published {len(published)} slots at {organisation.name}")
            return 0

    return asyncio.run(run())


def _simulate(settings: Settings, args: argparse.Namespace) -> int:
    from web.demo import add_doctor, signed_in_patient
    from web.simulate import simulate

    with tempfile.TemporaryDirectory() as tmp:
        doctor_audio = args.doctor_audio or _speak(DEMO_PHRASES["doctor"], Path(tmp) / "d.wav")
        patient_audio = args.patient_audio or _speak(DEMO_PHRASES["patient"], Path(tmp) / "p.wav")
        # The scripted parties are real accounts in the server's database.
        _, key = asyncio.run(add_doctor(settings, "Симуляция Врач", "therapist"))
        session = asyncio.run(
            signed_in_patient(settings, "Симуляция Пациент", "+70000000001", Reason.RESPIRATORY)
        )
        protocol = asyncio.run(
            simulate(
                args.url or settings.public_base_url, key, session, doctor_audio, patient_audio
            )
        )
    data = protocol["data"]
    print(f"protocol {protocol['protocol_id']} v{protocol['version']} ({protocol['status']})")
    for line in data["transcript"]:
        print(f"  {line['speaker']:>7} [{line['start']:6.2f}–{line['end']:6.2f}] {line['text']}")
    print("complaints:", ", ".join(c["value"] for c in data["complaints"]) or "none recognised")
    return 0


def _protocol(settings: Settings, args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from clinic.domain import Segment, Speaker
    from protocol_writer.extract import extract_protocol
    from protocol_writer.fhir import SignedContext, build_bundle, validate_bundle
    from protocol_writer.render import render_html, render_text
    from protocol_writer.transcripts import TranscriptError, read_transcript

    try:
        segments = read_transcript(args.file)
    except UnicodeDecodeError:  # not text: a recording, which is the doctor's dictation
        from media.decode import pcm_chunks
        from transcription.files import transcribe_pcm
        from transcription.models import ModelPool

        model = ModelPool(settings).for_language(args.lang or settings.default_language)
        segments = [
            Segment(args.file.stem, Speaker.DOCTOR, p.start, p.end, p.text, p.confidence)
            for p in transcribe_pcm(model, pcm_chunks(args.file))
        ]
    except (OSError, TranscriptError, ValueError) as exc:
        print(f"telemed: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    text = " ".join(s.text for s in segments).lower()
    language = args.lang or ("ru" if any("а" <= c <= "я" for c in text) else "en")
    protocol = extract_protocol(segments, consultation_id=args.file.stem, language=language)
    if args.format == "json":
        print(json.dumps(protocol.to_dict(), ensure_ascii=False, indent=2))
    elif args.format == "html":
        print(render_html(protocol))
    elif args.format == "text":
        print(render_text(protocol))
    else:
        moment = datetime.now(UTC)
        context = SignedContext(args.file.stem, "patient", "", "doctor", "", moment, None, None)
        bundle = build_bundle(protocol, context)
        validate_bundle(bundle)
        print(json.dumps(bundle, ensure_ascii=False, indent=2))
    return 0


def _suggest(settings: Settings, args: argparse.Namespace) -> int:
    """Decision support over many cases in one process; `train` refits the shipped model."""
    if args.file == "train":
        from decision_support.train import main as train

        return train([])
    from decision_support.batch import answer
    from decision_support.model import Suggester

    suggester = Suggester()
    try:
        with (
            contextlib.nullcontext(sys.stdin)
            if args.file == "-"
            else open(args.file, encoding="utf-8")
        ) as lines:
            for out in answer(suggester, lines, args.format, args.lang):
                print(out, flush=True)
    except OSError as exc:
        print(f"telemed: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    return 0


def _outbox(settings: Settings, args: argparse.Namespace) -> int:
    """What an operator checks when the record seems behind: undelivered pushes."""
    from clinic.records import opened_records

    async def pending() -> list[str]:
        async with opened_records(settings) as records:
            return [
                f"{e.target:8} protocol {e.protocol_id} attempts {e.attempts} "
                f"next {e.next_attempt_at:%Y-%m-%d %H:%M:%S} error {e.last_error or '-'}"
                for e in await records.outbox("pending")
            ]

    lines = asyncio.run(pending())
    print("\n".join(lines) if lines else "outbox empty: every signed protocol was delivered")
    return 1 if lines else 0


def _speak(text: str, path: Path) -> Path:
    try:
        subprocess.run(["espeak-ng", "-v", "ko", "-s", "140", "-w", str(path), text], check=True)
    except FileNotFoundError:
        sys.exit(
            "telemed: espeak-ng is needed to make demo speech; "
            "or pass --doctor-audio and --patient-audio"
        )
    return path


if __name__ == "__main__":
    sys.exit(main())
