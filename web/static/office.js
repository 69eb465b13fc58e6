// The office: operators see the SMS log and publish polyclinic schedules; oncology-centre
// staff enter tumour board decisions. Everything from the server is set as text.
"use strict";

(() => {
  const status = document.getElementById("status");
  const say = (message) => { status.textContent = message; };
  const json = { "Content-Type": "application/json" };
  const cell = (value) => Object.assign(document.createElement("td"), { textContent: value == null ? "" : String(value) });
  const row = (...values) => {
    const tr = document.createElement("tr");
    tr.append(...values.map(cell));
    return tr;
  };
  const get = async (path) => (await fetch(path)).json();
  const when = (iso) => new Date(iso).toLocaleString();

  async function showSchedule() {
    const id = document.getElementById("polyclinic").value;
    if (!id) return;
    const body = await get(`/api/organisations/${encodeURIComponent(id)}/slots`);
    document.getElementById("slots").replaceChildren(...body.slots.map((s) =>
      row(when(s.starts_at), s.doctor, s.room, s.booked ? "booked" : "free")));
  }

  async function showOperator() {
    document.getElementById("operator").hidden = false;
    const organisations = (await get("/api/organisations")).organisations.filter((o) => o.kind === "polyclinic");
    const select = document.getElementById("polyclinic");
    select.replaceChildren(...organisations.map((o) => new Option(o.name, o.id)));
    select.addEventListener("change", showSchedule);
    await showSchedule();
    const sms = await get("/api/sms");
    document.getElementById("sms").replaceChildren(...sms.messages.map((m) =>
      row(when(m.created_at), m.phone, m.purpose, m.status, m.attempts, m.text)));
  }

  document.getElementById("publish").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const first = new Date(form.start.value);
    const minutes = Number(form.minutes.value);
    const starts = Array.from({ length: Number(form.count.value) },
      (_, i) => new Date(first.getTime() + i * minutes * 60000).toISOString());
    const response = await fetch(`/api/organisations/${encodeURIComponent(document.getElementById("polyclinic").value)}/slots`, {
      method: "POST", headers: json,
      body: JSON.stringify({ doctor: form.doctor.value, specialty: form.specialty.value, starts, minutes, room: form.room.value }),
    });
    const body = await response.json();
    say(response.ok ? `Published ${body.published} slots` : `Not published: ${body.message}`);
    await showSchedule();
  });

  async function showDecisions() {
    const body = await get("/api/centre/consilium");
    document.getElementById("decisions").replaceChildren(...body.decisions.map((d) =>
      Object.assign(document.createElement("li"), { textContent: `${d.decided_on}, ${d.patient}: ${d.decision}` })));
  }

  async function showStaff() {
    document.getElementById("staff").hidden = false;
    const patients = (await get("/api/centre/patients")).patients;
    document.querySelector("#decision [name=patient]").replaceChildren(...patients.map((p) => new Option(p.name, p.id)));
    await showDecisions();
  }

  document.getElementById("decision").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const response = await fetch(`/api/patients/${encodeURIComponent(form.patient.value)}/consilium`, {
      method: "POST", headers: json,
      body: JSON.stringify({ decided_on: form.decided_on.value, decision: form.decision.value }),
    });
    const body = await response.json();
    say(response.ok ? "Saved; the patient gets an SMS and a link to talk to an oncologist" : `Not saved: ${body.message}`);
    if (response.ok) form.decision.value = "";
    await showDecisions();
  });

  async function open() {
    const response = await fetch("/api/me");
    if (!response.ok) return false;
    const me = await response.json();
    document.getElementById("signin").hidden = true;
    if (me.role === "operator") await showOperator();
    else if (me.role === "staff") await showStaff();
    else say("This page is for operators and oncology-centre staff");
    return true;
  }

  document.getElementById("signin").addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch("/api/sessions/doctor", {
      method: "POST", headers: json,
      body: JSON.stringify({ login: document.getElementById("login").value,
        password: document.getElementById("password").value,
        code: document.getElementById("code").value || null }),
    });
    document.getElementById("password").value = "";
    if (!response.ok) { say(`Sign-in failed: ${(await response.json()).message}`); return; }
    await open();
  });
  open();
})();
