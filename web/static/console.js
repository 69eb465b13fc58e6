"use strict";

(() => {
  const { t } = Words;
  const status = document.getElementById("status");
  const desk = document.getElementById("desk");
  const queueBody = document.getElementById("queue");
  const callSection = document.getElementById("call");
  const captions = document.getElementById("captions");
  const partial = document.getElementById("partial");
  const protocolSection = document.getElementById("protocol");
  const review = document.getElementById("review");
  const editor = document.getElementById("editor");
  const historyPanel = document.getElementById("history-panel");
  const history = document.getElementById("history");
  let draft = null;
  // A suggestion taken during the call, put into the draft editor when the draft arrives.
  let taken = null;
  const liveSuggestions = document.getElementById("live-suggestions");
  const liveStatus = document.getElementById("live-status");
  const say = (message) => { status.textContent = message; };
  let socket = null;
  let call = null;
  let timer = null;
  // The call on screen, known before the microphone is granted: a hang-up needs no media.
  let onCall = null;
  // The live draft's findings, as the preview reads them during the call.
  let liveData = null;
  const EMPTY_DRAFT = { medications: [], recommendations: [], sick_leave: null,
    triage: { level: "green", reasons: [], segments: [] }, follow_up: { kind: "none", in_days: null, segments: [] } };

  function cell(row, value) {
    const td = document.createElement("td");
    td.textContent = value;
    row.appendChild(td);
    return td;
  }

  function showQueue(listing) {
    queueBody.replaceChildren();
    for (const entry of listing.waiting) {
      const row = document.createElement("tr");
      if (entry.urgent) row.className = "urgent";
      cell(row, entry.patient_name);
      const reason = Words.status("reason", entry.reason);
      cell(row, `${entry.urgent ? t("urgent", { reason }) : reason}, ${Words.status("mode", entry.mode)}`);
      const minutes = Math.floor((Date.now() - new Date(entry.queued_at)) / 60000);
      cell(row, t("minutes", { minutes }));
      // Who has their page open now; an away patient cannot be taken until they are back.
      const away = entry.away_since ? t("away_since", { time: Words.time(entry.away_since) }) : t("present");
      cell(row, away).className = entry.away_since ? "away" : "present";
      const button = document.createElement("button");
      button.textContent = t("take");
      button.disabled = !!entry.away_since;
      button.setAttribute("aria-label", t("take_named", { name: entry.patient_name }));
      button.addEventListener("click", () => take(entry.consultation_id));
      cell(row, "").appendChild(button);
      queueBody.appendChild(row);
    }
    document.getElementById("queue-empty").hidden = listing.waiting.length > 0;
  }

  // High-risk chemotherapy check-ins of the doctor's centre, soonest deadline first. Doctors
  // of no oncology centre get 403 and never see the panel.
  const reviewsBody = document.getElementById("reviews");
  async function showReviews() {
    const response = await fetch(`/api/checkins/reviews?lang=${Words.language}`);
    const panel = document.getElementById("reviews-panel");
    panel.hidden = !response.ok;
    if (!response.ok) return;
    const body = await response.json();
    reviewsBody.replaceChildren();
    for (const c of body.checkins) {
      const row = document.createElement("tr");
      if (c.overdue) row.className = "overdue";
      cell(row, c.patient_name);
      cell(row, Words.when(c.submitted_at));
      cell(row, c.flag_texts.join(", "));
      cell(row, c.overdue ? t("overdue", { time: Words.when(c.review_due_at) }) : Words.when(c.review_due_at));
      const note = Object.assign(document.createElement("input"), { maxLength: 4000 });
      note.setAttribute("aria-label", t("review_note_for", { name: c.patient_name }));
      cell(row, "").appendChild(note);
      const button = Object.assign(document.createElement("button"), { type: "button", textContent: t("reviewed") });
      button.addEventListener("click", async () => {
        const sent = await fetch(`/api/checkins/${encodeURIComponent(c.id)}/review`, {
          method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ note: note.value }) });
        say(sent.ok ? t("review_done", { name: c.patient_name }) : await failure(sent));
        showReviews();
      });
      cell(row, "").appendChild(button);
      reviewsBody.appendChild(row);
    }
    if (!body.checkins.length) cell(reviewsBody.insertRow(), t("nothing_to_review"));
  }

  // An HTTP error answer in the page's words.
  async function failure(response) {
    const body = await response.json().catch(() => ({}));
    return Words.error(body.error || "internal", body.message);
  }

  async function take(consultationId) {
    const reply = await socket.emitWithAck("consultation.take", consultationId ? { consultation_id: consultationId } : {});
    if (!reply.ok) say(Words.error(reply.code));
  }

  async function showHistory(patientId) {
    const response = await fetch(`/api/patients/${encodeURIComponent(patientId)}/protocols`);
    history.replaceChildren();
    historyPanel.hidden = false;
    if (!response.ok) return;
    const body = await response.json();
    for (const p of body.protocols) {
      const item = document.createElement("li");
      const when = p.signed_at ? Words.date(p.signed_at) : "";
      const dx = p.diagnosis ? `${p.diagnosis.code} ${p.diagnosis.text}` : t("no_diagnosis");
      item.textContent = `${when}: ${dx}`;
      history.append(item);
    }
    if (!body.protocols.length) history.append(Object.assign(document.createElement("li"), { textContent: t("history_none") }));
  }

  // The rest of the patient's card: prescriptions, and check-ins while under chemotherapy.
  const line = (text) => Object.assign(document.createElement("li"), { textContent: text });
  async function showCard(patientId) {
    const base = `/api/patients/${encodeURIComponent(patientId)}`;
    const prescriptions = document.getElementById("card-prescriptions");
    prescriptions.replaceChildren();
    const answer = await fetch(`${base}/prescriptions`);
    if (answer.ok) {
      const rows = (await answer.json()).prescriptions;
      prescriptions.append(...rows.map((p) => line(t("prescription",
        { medicine: p.medicine, dose: p.dose || "", date: Words.date(p.valid_until) }))));
      if (!rows.length) prescriptions.append(line(t("nothing")));
    }
    const checkins = await fetch(`${base}/checkins?lang=${Words.language}`);
    const part = document.getElementById("card-checkins-part");
    part.hidden = true;
    if (!checkins.ok) return;
    const card = await checkins.json();
    part.hidden = !card.under_chemotherapy && !card.checkins.length;
    document.getElementById("card-checkins").replaceChildren(...card.checkins.slice(0, 5).map((c) =>
      line(`${Words.when(c.submitted_at)}: ${Words.status("checkin_level", c.level)}${c.flag_texts.length ? ` (${c.flag_texts.join(", ")})` : ""}`)));
  }

  // Who is on the call, why, for how long, and whether the connection holds.
  function showCallFacts(message) {
    document.getElementById("call-patient").textContent = message.patient_name;
    const age = document.getElementById("call-age");
    age.textContent = message.patient_age == null ? "" : Words.count("age", message.patient_age);
    age.hidden = message.patient_age == null;
    document.getElementById("call-reason").textContent = Words.status("reason", message.reason);
    document.getElementById("call-mode").textContent = Words.status("mode", message.mode);
    document.getElementById("call-connection").textContent = t("conn_waiting");
    // An audio call has no picture: no empty black box.
    document.getElementById("remote").hidden = message.mode !== "video";
    const clock = document.getElementById("call-timer");
    const since = new Date(message.started_at);
    const tick = () => {
      const seconds = Math.max(0, Math.floor((Date.now() - since) / 1000));
      clock.textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
      clock.dateTime = `PT${seconds}S`;
    };
    clearInterval(timer);
    tick();
    timer = setInterval(tick, 1000);
  }

  // The draft filling in during the call: into the editor (fields the doctor edited stay
  // theirs), and each finding beside the phrase it was heard in.
  const heard = document.getElementById("heard");
  function showLiveDraft(m) {
    if (onCall !== m.consultation_id || draft) return;
    review.hidden = false;
    document.getElementById("live-filling").hidden = false;
    signButton.disabled = true; // until the hang-up's draft: the call is not over
    ProtocolEditor.fillFindings(editor, m);
    // What the editor reads back needs a whole protocol's shape: the findings on empty rest.
    const { complaints, vitals, diagnosis, diagnosis_suggestions } = m;
    liveData = { ...EMPTY_DRAFT, complaints, vitals, diagnosis, diagnosis_suggestions };
    refreshPreview();
    const labels = Object.fromEntries(
      JSON.parse(editor.querySelector("#vitals").dataset.registry).map((s) => [s.name, s.label]));
    const findings = [
      ...m.complaints.map((c) => [ProtocolEditor.complaintLabel(editor, c.name), c.segments]),
      ...Object.entries(m.vitals).map(([name, v]) => [`${labels[name] || name} ${v.value}`, v.segments]),
      ...(m.diagnosis ? [[`${m.diagnosis.code} ${m.diagnosis.text}`, m.diagnosis.segments]] : []),
      ...m.diagnosis_suggestions.map((s) => [`${s.code} ${s.text}`, s.segments]),
    ];
    heard.replaceChildren(...findings.map(([finding, segments]) => {
      const item = document.createElement("li");
      const phrase = m.phrases[String(segments[segments.length - 1])];
      if (!phrase) { item.textContent = finding; return item; }
      const link = Object.assign(document.createElement("button"), {
        type: "button", className: "link", textContent: t("heard_from", { finding, phrase: phrase.text }) });
      link.addEventListener("click", () => {
        const said = captions.querySelector(`li[data-start="${phrase.start}"]`);
        captions.querySelectorAll(".cited").forEach((c) => c.classList.remove("cited"));
        if (said) { said.classList.add("cited"); said.scrollIntoView({ block: "nearest" }); }
      });
      item.append(link);
      return item;
    }));
    if (!findings.length) heard.append(Object.assign(document.createElement("li"), { textContent: t("live_nothing") }));
  }

  async function startCall(message, offerPeer) {
    onCall = message.consultation_id;
    liveData = null;
    protocolSection.replaceChildren();
    review.hidden = true;
    draft = null;
    editor.querySelectorAll("[data-touched]").forEach((e) => { delete e.dataset.touched; });
    editor.reset();
    heard.replaceChildren(Object.assign(document.createElement("li"), { textContent: t("live_nothing") }));
    showHistory(message.patient_id);
    showCard(message.patient_id);
    captions.replaceChildren();
    partial.textContent = "";
    (message.captions || []).forEach((c) => addCaption({ ...c, final: true }));
    liveSuggestions.replaceChildren();
    liveStatus.textContent = t("live_waiting");
    taken = null;
    callSection.hidden = false;
    showCallFacts(message);
    say(t("in_call"));
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: message.mode === "video" });
    if (onCall !== message.consultation_id) { // ended while the microphone was being granted
      stream.getTracks().forEach((track) => track.stop());
      return;
    }
    if (call) call.close();
    call = new Telemed.Call(socket, message.consultation_id, stream, document.getElementById("remote"),
      message.ice_servers);
    call.onPeerState = (state) => {
      document.getElementById("call-connection").textContent = Words.status("conn", state);
    };
    const current = call;
    try {
      await current.connectWorker();
      if (offerPeer) await current.offerPeer();
    } catch (error) {
      // Hung up while our offers were on their way: the server refuses them, nothing to tell.
      if (onCall === message.consultation_id) throw error;
    }
  }

  function addCaption(m) {
    const who = Words.status("speaker", m.speaker);
    if (!m.final) { partial.textContent = `${who}: ${m.text}`; return; }
    partial.textContent = "";
    const item = document.createElement("li");
    item.className = m.speaker;
    item.dataset.start = m.start;
    const name = document.createElement("b");
    name.textContent = `${who}: `;
    item.append(name, document.createTextNode(m.text));
    captions.appendChild(item);
    captions.scrollTop = captions.scrollHeight;
  }

  function showLiveSuggestions(m) {
    // The call on screen, not the media: the microphone may still be being granted.
    if (onCall !== m.consultation_id) return;
    if (m.abstained) {
      liveStatus.textContent = t("live_abstained");
      liveSuggestions.replaceChildren();
      return;
    }
    liveStatus.textContent = taken ? t("taken", { code: taken.code, title: taken.text }) : t("live_from");
    ProtocolEditor.showSuggestions(liveSuggestions, m.suggestions, (s) => {
      taken = s;
      liveStatus.textContent = t("taken", { code: s.code, title: s.text });
      if (!review.hidden) ProtocolEditor.take(editor, s);
    });
  }

  // The session lives in an HttpOnly cookie: the page never holds a secret itself.
  function connect() {
    socket = io({ transports: ["websocket"] });
    socket.on("connect", () => {
      document.getElementById("signin").hidden = true;
      document.getElementById("sign-out").hidden = false;
      desk.hidden = false;
      // A call resumed on this connection may have said so already.
      if (callSection.hidden) say(t("signed_in"));
      socket.emit("queue.list", {});
    });
    socket.on("connect_error", (error) => {
      if (error.message === "unauthorized") {
        socket.disconnect();
        document.getElementById("signin").hidden = false;
        say(t("session_ended"));
      } else {
        say(t("connection_lost"));
      }
    });
    socket.on("queue.updated", (listing) => { showQueue(listing); showReviews(); });
    setInterval(showReviews, 60000); // a check-in comes with no queue change
    // A patient away too long leaves the queue with no event of theirs: the listing says so.
    setInterval(() => socket.connected && socket.emit("queue.list", {}), 30000);
    socket.on("consultation.started", (m) => startCall(m, true));
    socket.on("consultation.resumed", (m) => startCall(m, true));
    socket.on("peer.rejoined", () => call && call.offerPeer());
    socket.on("answer", (m) => call && call.onAnswer(m));
    socket.on("offer", (m) => call && call.answerPeer(m));
    // A media worker died and another took the consultation over: offer it our audio again.
    socket.on("media.restart", (m) => call && call.consultationId === m.consultation_id && call.connectWorker());
    socket.on("caption", addCaption);
    socket.on("suggestions", showLiveSuggestions);
    socket.on("draft.live", showLiveDraft);
    socket.on("consultation.ended", (m) => {
      onCall = null;
      if (call) { call.close(); call = null; }
      clearInterval(timer);
      callSection.hidden = true;
      say(m.draft === false ? t("never_connected") : t("ended"));
    });
    socket.on("protocol.ready", async (m) => {
      draft = await Telemed.fetchProtocol(m.consultation_id);
      protocolSection.innerHTML = draft.html; // rendered and escaped by the server
      ProtocolEditor.fill(editor, draft.data);
      if (taken && !draft.data.diagnosis) ProtocolEditor.take(editor, taken);
      review.hidden = false;
      editor.hidden = false;
      signButton.disabled = false;
      document.getElementById("live-filling").hidden = true;
      document.getElementById("visit").hidden = true;
      say(t("draft_ready", { version: draft.version }));
      showActions(m.consultation_id);
    });
    socket.on("error", (m) => {
      // A late offer of a call that has ended is refused as "not in progress": the status
      // already says how the call ended (the patient never connected, say); keep that.
      if (m.code === "not_active" && !onCall) return;
      say(Words.error(m.code));
    });
  }

  // What signing will do: each renewal allowed or refused (and why), and a visit to book.
  function showRenewals(items) {
    const list = document.getElementById("renewals");
    list.replaceChildren(...items.map((r) => Object.assign(document.createElement("li"), {
      className: r.allowed ? "ok" : "refused",
      textContent: !r.allowed ? t("renewal_refused", { medicine: r.medicine, reason: Words.status("refusal", r.reason) })
        : r.valid_until ? t("renewal_until", { medicine: r.medicine, date: Words.date(r.valid_until) })
          : t("renewal_allowed", { medicine: r.medicine }),
    })));
  }

  async function showActions(consultationId) {
    const response = await fetch(`/api/consultations/${encodeURIComponent(consultationId)}/actions`);
    if (!response.ok) return;
    const actions = await response.json();
    showRenewals(actions.renewals);
    const visit = actions.visit;
    const text = document.getElementById("visit-text");
    const book = document.getElementById("book-visit");
    book.hidden = true;
    document.getElementById("visit").hidden = !visit.needed && !visit.booked;
    const slot = (s) => ({ time: Words.when(s.starts_at), place: s.place, doctor: s.doctor });
    if (visit.booked) {
      text.textContent = t("booked", slot(visit.booked));
    } else if (visit.proposal) {
      text.textContent = t("earliest", slot(visit.proposal));
      book.hidden = false;
      book.dataset.consultation = consultationId;
      book.dataset.slot = visit.proposal.slot_id;
    } else if (visit.needed) {
      text.textContent = visit.has_polyclinic ? t("no_slot") : t("no_polyclinic");
    }
  }

  document.getElementById("book-visit").addEventListener("click", async (event) => {
    const { consultation, slot } = event.target.dataset;
    const response = await fetch(`/api/consultations/${encodeURIComponent(consultation)}/appointment`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ slot_id: slot }),
    });
    say(response.ok ? t("visit_booked") : t("not_booked", { message: await failure(response) }));
    showActions(consultation);
  });

  document.getElementById("signin").addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch("/api/sessions/doctor", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ login: document.getElementById("login").value,
        password: document.getElementById("password").value,
        code: document.getElementById("code").value || null }),
    });
    document.getElementById("password").value = "";
    document.getElementById("code").value = "";
    if (!response.ok) { say(t("sign_in_failed", { message: await failure(response) })); return; }
    connect();
  });
  document.getElementById("add-medication").addEventListener("click", (event) => {
    event.target.before(ProtocolEditor.medicationRow());
  });
  // What a careful colleague would ask before a protocol is signed.
  function doubts(data) {
    const found = [];
    if (!data.complaints.length && !data.diagnosis) found.push("warn_empty");
    else if (!data.diagnosis) found.push("warn_no_diagnosis");
    if (data.triage.level === "red" && data.follow_up.kind === "none") found.push("warn_red_no_follow_up");
    if (data.triage.level === "green" && data.follow_up.kind === "ambulance") found.push("warn_green_ambulance");
    if (["telemedicine", "in_person"].includes(data.follow_up.kind) && data.follow_up.in_days == null) {
      found.push("warn_follow_up_no_days");
    }
    if (data.sick_leave && data.sick_leave.action !== "close" && !data.sick_leave.days) found.push("warn_sick_leave_no_days");
    return found;
  }

  const warnings = document.getElementById("warnings");
  const signButton = document.getElementById("sign");
  // Any edit asks again: the doctor confirms the protocol as it is, not as it was.
  function clearDoubts() {
    warnings.hidden = true;
    signButton.textContent = t("sign");
    signButton.dataset.confirmed = "";
  }
  editor.addEventListener("input", clearDoubts);
  // What the doctor typed is theirs: no later draft overwrites it (ProtocolEditor.fill).
  editor.addEventListener("input", (event) => { event.target.dataset.touched = "1"; });

  // The preview beside the editor follows the edits, rendered by the server as the signed
  // protocol will be; a half-typed value it cannot read leaves the last preview standing.
  let previewTimer = null;
  function refreshPreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(async () => {
      const base = draft ? draft.data : liveData;
      const consultationId = draft ? draft.consultation_id : onCall;
      if (!base || !consultationId) return;
      const response = await fetch(`/api/consultations/${encodeURIComponent(consultationId)}/protocol/preview`, {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ data: ProtocolEditor.read(editor, base) }),
      });
      if (response.ok) protocolSection.innerHTML = (await response.json()).html;
    }, 400);
  }
  editor.addEventListener("input", refreshPreview);

  editor.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!draft) return;
    const found = doubts(ProtocolEditor.read(editor, draft.data));
    if (found.length && !signButton.dataset.confirmed) {
      warnings.querySelector("ul").replaceChildren(
        ...found.map((key) => Object.assign(document.createElement("li"), { textContent: t(key) })));
      warnings.hidden = false;
      signButton.textContent = t("sign_anyway");
      signButton.dataset.confirmed = "1";
      return;
    }
    clearDoubts();
    const response = await fetch(`/api/consultations/${encodeURIComponent(draft.consultation_id)}/protocol`, {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ based_on_version: draft.version, data: ProtocolEditor.read(editor, draft.data) }),
    });
    if (!response.ok) {
      const body = await response.clone().json().catch(() => ({}));
      if (body.refusals) showRenewals(body.refusals);
      say(t("not_signed", { message: await failure(response) }));
      return;
    }
    const body = await response.json();
    protocolSection.innerHTML = body.html;
    editor.hidden = true;
    const consultationId = draft.consultation_id;
    draft = null;
    say(t("signed", { version: body.version }));
    showActions(consultationId);
  });
  document.getElementById("take-next").addEventListener("click", () => take(null));
  document.getElementById("sign-out").addEventListener("click", async () => {
    if (call) { call.close(); call = null; }
    clearInterval(timer);
    if (socket) { socket.disconnect(); socket = null; }
    await fetch("/api/sign-out", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
    desk.hidden = true;
    document.getElementById("sign-out").hidden = true;
    document.getElementById("signin").hidden = false;
    say(t("signed_out"));
  });
  document.getElementById("hangup").addEventListener("click", () => {
    if (onCall) socket.emit("hangup", { consultation_id: onCall });
  });
  document.getElementById("mute").addEventListener("click", (event) => {
    if (!call) return;
    const track = call.stream.getAudioTracks()[0];
    track.enabled = !track.enabled;
    event.target.setAttribute("aria-pressed", String(!track.enabled));
    event.target.textContent = track.enabled ? t("mute") : t("unmute");
  });
  fetch("/api/me").then(async (response) => {
    if (response.ok && (await response.json()).role === "doctor") connect();
  });
})();
