"use strict";

(() => {
  const main = document.querySelector("main");
  const token = main.dataset.token;
  const text = JSON.parse(main.dataset.text);
  const status = document.getElementById("status");
  const estimate = document.getElementById("estimate");
  const otpForm = document.getElementById("otp");
  const joinForm = document.getElementById("join");
  const callSection = document.getElementById("call");
  const protocolSection = document.getElementById("protocol");
  const level = document.getElementById("level");
  const preview = document.getElementById("preview");
  const json = { "Content-Type": "application/json" };
  let socket = null;
  let stream = null;
  let call = null;
  let mode = "audio";
  let wasLost = false;
  let challenge = null;

  const say = (message) => { status.textContent = message; };
  // Every refusal the server sends, by its code, in the page's language.
  const refusal = (reply) => text[reply.error || reply.code] || text.internal;

  function invalidLink() {
    otpForm.hidden = true;
    joinForm.hidden = true;
    say(text.invalid_link);
  }

  // The link opens once: it asks for a code sent by SMS, and the code opens a session
  // (an HttpOnly cookie). Coming back later, the session is enough. Opening the link again
  // sends no new SMS: the server gives back the code already sent, which still works.
  const codeInput = document.getElementById("code");
  const codeFields = document.getElementById("code-fields");
  const tries = document.getElementById("tries");
  const resend = document.getElementById("resend");
  const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, key) => values[key]);
  let resendTimer = null;

  function showTries(left) {
    tries.textContent = left ? fill(text.tries_left, { n: left }) : "";
  }

  function waitToResend(seconds) {
    clearTimeout(resendTimer);
    resend.disabled = seconds > 0;
    if (seconds > 0) resendTimer = setTimeout(() => { resend.disabled = false; }, seconds * 1000);
  }

  async function requestCode(again) {
    const response = await fetch(`/api/join/${encodeURIComponent(token)}/otp`, {
      method: "POST", headers: json, body: JSON.stringify(again ? { resend: true } : {}) });
    const body = await response.json();
    if (body.error === "invalid_link") { invalidLink(); return; }
    // Refused a new code, the page still keeps the box for the codes already on the phone.
    if (body.challenge_id) challenge = body.challenge_id;
    otpForm.hidden = false;
    codeFields.hidden = !challenge;
    showTries(body.attempts_left);
    const notes = [response.ok
      ? (body.sent ? fill(text.code_sent, { ending: body.phone_ending }) : text.code_again)
      : refusal(body)];
    if (body.retry_after_s) notes.push(fill(text.retry_after, { minutes: Math.ceil(body.retry_after_s / 60) }));
    waitToResend(body.retry_after_s || 0);
    say(notes.join(". "));
    if (challenge) codeInput.focus();
  }

  otpForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = codeInput.value.trim();
    const response = await fetch(`/api/join/${encodeURIComponent(token)}/session`, {
      method: "POST", headers: json, body: JSON.stringify({ challenge_id: challenge, code }),
    });
    if (!response.ok) {
      const body = await response.json();
      if (body.error === "invalid_link") { invalidLink(); return; }
      codeInput.value = ""; // a wrong code is not left for the patient to correct digit by digit
      codeInput.focus();
      showTries(body.attempts_left);
      say(refusal(body));
      return;
    }
    otpForm.hidden = true;
    say("");
    signedIn();
  });
  resend.addEventListener("click", () => requestCode(true));

  async function media() {
    const wanted = new FormData(joinForm).get("mode") || mode;
    if (stream && (wanted !== "video" || stream.getVideoTracks().length)) return stream;
    stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: wanted === "video" });
    return stream;
  }

  function showLevel(source) {
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    context.createMediaStreamSource(source).connect(analyser);
    const samples = new Uint8Array(analyser.fftSize);
    level.hidden = false;
    const tick = () => {
      analyser.getByteTimeDomainData(samples);
      let peak = 0;
      for (const s of samples) peak = Math.max(peak, Math.abs(s - 128) / 128);
      level.value = peak;
      if (!level.hidden) requestAnimationFrame(tick);
    };
    tick();
  }

  function showWait(m) {
    say(`${text.waiting} ${m.position}`);
    estimate.textContent = m.estimated_wait_s == null
      ? text.estimate_unknown
      : `${text.estimate}: ${Math.max(1, Math.round(m.estimated_wait_s / 60))}`;
  }

  document.getElementById("check-mic").addEventListener("click", async () => {
    try {
      const source = await media();
      showLevel(source);
      if (source.getVideoTracks().length) { preview.srcObject = source; preview.hidden = false; }
      say(text.mic_ok);
    } catch (error) {
      say(text.mic_denied);
    }
  });

  joinForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    mode = new FormData(joinForm).get("mode");
    try {
      await media();
    } catch (error) {
      say(text.mic_denied);
      return;
    }
    const reply = await socket.emitWithAck("queue.join", { mode });
    if (!reply.ok) say(refusal(reply));
  });

  async function startCall(message) {
    mode = message.mode;
    joinForm.hidden = true;
    estimate.textContent = "";
    level.hidden = true;
    callSection.hidden = false;
    // An audio call has no picture to show: the element only plays the doctor's voice.
    document.getElementById("remote").hidden = message.mode !== "video";
    say(text.in_call);
    try {
      await media();
    } catch (error) {
      say(text.mic_denied);
      return;
    }
    setMuted(false); // a new call starts heard
    if (call) call.close();
    call = new Telemed.Call(socket, message.consultation_id, stream, document.getElementById("remote"),
      message.ice_servers);
    await call.connectWorker();
  }

  function connect() {
    // The socket.io client reconnects by itself; the server then gives back the queue
    // place or the call, so a dropped phone loses neither. The session cookie goes along.
    socket = io({ transports: ["websocket"] });
    joinForm.hidden = false;
    socket.on("connect", () => {
      // The server may already have sent the queue place or the call back: keep that.
      if (wasLost && status.textContent === text.lost) say(text.rejoined);
      wasLost = false;
    });
    socket.on("connect_error", (error) => {
      if (error.message === "unauthorized") {
        socket.disconnect(); // a lapsed session will not get better by retrying
        invalidLink();
      } else {
        wasLost = true;
        say(text.lost);
      }
    });
    socket.on("disconnect", () => { wasLost = true; say(text.lost); });
    socket.on("queue.joined", (m) => { joinForm.hidden = true; showWait(m); });
    socket.on("queue.position", showWait);
    socket.on("consultation.started", startCall);
    socket.on("consultation.resumed", startCall);
    socket.on("offer", (m) => call && call.answerPeer(m));
    // A media worker died and another took the consultation over: offer it our audio again.
    socket.on("media.restart", (m) => call && call.consultationId === m.consultation_id && call.connectWorker());
    socket.on("answer", (m) => call && call.onAnswer(m));
    socket.on("consultation.ended", () => {
      if (call) { call.close(); call = null; }
      stream = null;
      callSection.hidden = true;
      say(text.ended);
    });
    socket.on("protocol.ready", () => say(text.reviewing));
    socket.on("error", (m) => say(refusal(m)));
  }

  document.getElementById("hangup").addEventListener("click", () => call && call.hangup());
  // Muted, the microphone sends silence to the doctor and to the recording alike.
  const mute = document.getElementById("mute");
  const setMuted = (muted) => {
    if (stream) stream.getAudioTracks().forEach((track) => { track.enabled = !muted; });
    mute.setAttribute("aria-pressed", String(muted));
    mute.textContent = muted ? text.unmute : text.mute;
  };
  mute.addEventListener("click", () => setMuted(mute.getAttribute("aria-pressed") !== "true"));

  // The patient's record beside the queue: consilium decisions, visits (to cancel or move)
  // and prescriptions. Built with textContent only: nothing from the server becomes markup.
  const item = (...parts) => {
    const li = document.createElement("li");
    li.append(...parts);
    return li;
  };
  // Times as the clinic tells them (TELEMED_TIMEZONE), whatever zone the phone is set to.
  const when = (iso) => new Date(iso).toLocaleString(document.documentElement.lang,
    { dateStyle: "medium", timeStyle: "short", timeZone: main.dataset.zone });

  // The signed protocols, newest first, as the server wrote them for the patient (rendered
  // and escaped there): what the consultation concluded stays readable after it.
  function showProtocols(protocols) {
    const articles = protocols
      .sort((a, b) => (b.signed_at || "").localeCompare(a.signed_at || ""))
      .map((p) => Object.assign(document.createElement("div"), { innerHTML: p.html }));
    const title = Object.assign(document.createElement("h2"), { textContent: text.protocols });
    protocolSection.replaceChildren(title, ...articles);
    protocolSection.hidden = !articles.length;
  }

  async function showRecord(patientId, centre) {
    const base = `/api/patients/${encodeURIComponent(patientId)}`;
    const get = async (path) => (await fetch(base + path)).json();
    // Only a patient an oncology centre follows has tumour-board decisions to read.
    const [decisions, visits, prescriptions, protocols] = await Promise.all([
      centre ? get("/consilium") : { decisions: [] }, get("/appointments"), get("/prescriptions"),
      get("/protocols")]);
    const fill = (id, items) => {
      const list = document.getElementById(id);
      list.replaceChildren(...(items.length ? items : [item(text.nothing)]));
    };
    showProtocols(protocols.protocols);
    document.getElementById("decisions-block").hidden = !centre;
    fill("decisions", decisions.decisions.map((d) => item(`${d.decided_on}: ${d.decision}`)));
    fill("prescriptions", prescriptions.prescriptions.map((p) =>
      item(`${p.medicine}${p.dose ? ", " + p.dose : ""} — ${text.valid_until} ${p.valid_until}`)));
    fill("appointments", visits.appointments.map((a) => {
      const cancel = Object.assign(document.createElement("button"), { type: "button", textContent: text.cancel });
      cancel.addEventListener("click", async () => {
        const response = await fetch(`${base}/appointments/${encodeURIComponent(a.slot_id)}`, { method: "DELETE" });
        const message = response.ok ? text.cancelled : refusal(await response.json());
        await showRecord(patientId, centre); // the list is current before the message says so
        say(message);
      });
      const choice = document.createElement("select");
      choice.setAttribute("aria-label", text.move_to);
      for (const s of visits.free_slots) choice.append(new Option(`${when(s.starts_at)}, ${s.doctor}`, s.slot_id));
      const move = Object.assign(document.createElement("button"), { type: "button", textContent: text.move });
      choice.hidden = move.hidden = !visits.free_slots.length; // no free time: nothing to move to
      move.addEventListener("click", async () => {
        const response = await fetch(`${base}/appointments/${encodeURIComponent(a.slot_id)}/move`, {
          method: "POST", headers: json, body: JSON.stringify({ to_slot_id: choice.value }) });
        await showRecord(patientId, centre);
        say(response.ok ? text.moved : text.slot_taken);
      });
      return item(`${when(a.starts_at)}, ${a.place}, ${a.doctor} `, cancel, " ", choice, move);
    }));
    document.getElementById("record").hidden = false;
  }

  // Chemotherapy check-ins: the questions come from the server in the page's language; the
  // server triages the answers, so a high-risk one gets the same answer on every device.
  const checkinSection = document.getElementById("checkin");
  const checkinForm = document.getElementById("checkin-form");
  const checkinResult = document.getElementById("checkin-result");
  const levels = Object.fromEntries(text.levels.split(",").map((pair) => pair.split(":")));

  function question(q) {
    if (q.kind === "yesno") {
      const set = document.createElement("fieldset");
      set.append(Object.assign(document.createElement("legend"), { textContent: q.text }));
      for (const [value, label] of [["true", text.yes], ["false", text.no]]) {
        const input = Object.assign(document.createElement("input"), { type: "radio", name: q.key, value, required: true });
        const wrap = document.createElement("label");
        wrap.append(input, ` ${label}`);
        set.append(wrap);
      }
      return set;
    }
    const label = document.createElement("label");
    const input = Object.assign(document.createElement("input"), {
      type: "number", name: q.key, min: q.low, max: q.high, required: true,
      step: q.kind === "number" ? "0.1" : "1", inputMode: q.kind === "number" ? "decimal" : "numeric" });
    label.append(`${q.text} `, input);
    return label;
  }

  function checkinLine(c) {
    const flags = c.flag_texts.length ? `: ${c.flag_texts.join(", ")}` : "";
    const review = c.reviewed_at
      ? ` (${text.checkin_reviewed}${c.review_note ? ": " + c.review_note : ""})`
      : c.review_due_at ? ` (${text.checkin_waiting_review} ${when(c.review_due_at)})` : "";
    return item(`${when(c.submitted_at)} — ${levels[c.level]}${flags}${review}`);
  }

  function offerUrgent(forSelf) {
    checkinResult.textContent = forSelf ? text.checkin_red : text.checkin_red_child;
    if (forSelf && !joinForm.hidden) joinForm.querySelector("button[type=submit]").focus();
  }

  async function showCheckins(patientId, forSelf) {
    const base = `/api/patients/${encodeURIComponent(patientId)}/checkins`;
    const response = await fetch(`${base}?lang=${document.documentElement.lang}`);
    const body = response.ok ? await response.json() : null;
    checkinSection.hidden = !body || (!body.under_chemotherapy && !body.checkins.length);
    if (checkinSection.hidden) return;
    document.getElementById("checkin-next").textContent = !body.next_due_at ? ""
      : new Date(body.next_due_at) <= new Date() ? text.checkin_now
        : `${text.checkin_next}: ${when(body.next_due_at)}`;
    document.getElementById("checkins").replaceChildren(...body.checkins.map(checkinLine));
    checkinResult.textContent = "";
    if (body.urgent_offer) offerUrgent(forSelf);
    checkinForm.hidden = !body.under_chemotherapy;
    const send = Object.assign(document.createElement("button"), { type: "submit", className: "big", textContent: text.checkin_send });
    checkinForm.replaceChildren(...body.questions.map(question), send);
    checkinForm.onsubmit = async (event) => {
      event.preventDefault();
      const answers = {};
      for (const q of body.questions) {
        const value = new FormData(checkinForm).get(q.key);
        answers[q.key] = q.kind === "yesno" ? value === "true" : Number(value);
      }
      const sent = await fetch(`${base}?lang=${document.documentElement.lang}`, {
        method: "POST", headers: json, body: JSON.stringify(answers) });
      const reply = await sent.json();
      if (!sent.ok) { checkinResult.textContent = refusal(reply); return; }
      await showCheckins(patientId, forSelf);
      checkinResult.textContent = text[`checkin_${reply.checkin.level}`];
      if (reply.urgent_offer) offerUrgent(forSelf);
    };
  }

  const followed = (me, patientId) =>
    (patientId === me.id ? me : me.children.find((c) => c.id === patientId) || {}).centre;

  function showPerson(me, patientId) {
    showRecord(patientId, followed(me, patientId));
    showCheckins(patientId, patientId === me.id);
  }

  async function signedIn() {
    const me = await (await fetch("/api/me")).json();
    connect();
    if (me.role !== "patient") return;
    const person = document.getElementById("person");
    if (me.children.length) {
      person.replaceChildren(new Option(me.name, me.id),
        ...me.children.map((c) => new Option(c.name, c.id)));
      person.addEventListener("change", () => showPerson(me, person.value));
      document.getElementById("whose").hidden = false;
    }
    showPerson(me, me.id);
    // The new protocol, and the renewals it made, at once.
    socket.on("protocol.signed", () => {
      const shown = person.value || me.id;
      showRecord(shown, followed(me, shown));
    });
  }

  fetch("/api/me").then((response) => {
    if (response.ok) signedIn();
    else if (token) requestCode(false);
    else say(text.open_link); // at /patient without a session: only the SMS link signs in
  });
})();
