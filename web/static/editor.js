// The protocol editor: fills a form from a draft's data and reads the doctor's edits back,
// keeping each unchanged item's pointers to the transcript.
"use strict";

const ProtocolEditor = (() => {
  // The vital signs' registry (protocol_writer/vocabulary/vital_signs.json), as the page
  // carries it; a sign in the draft that the registry does not know is shown and kept too,
  // never dropped at signing.
  function signs(form, data) {
    const known = JSON.parse(form.querySelector("#vitals").dataset.registry || "[]");
    const names = new Set(known.map((s) => s.name));
    for (const [name, v] of Object.entries(data.vitals)) {
      if (!names.has(name)) known.push({ name, label: name, unit: v.unit, step: "any" });
    }
    return known;
  }

  // Complaints in the page's language (protocol_writer/vocabulary/labels.json, as the page
  // carries it): the doctor reads and types "боль в горле", the protocol keeps its name,
  // "sore throat"; a complaint typed that has no name is kept as typed.
  function complaintLabel(form, name) {
    return JSON.parse(form.complaints.dataset.names || "{}")[name] || name;
  }

  function complaintName(form, text) {
    const wanted = text.toLowerCase();
    const names = Object.entries(JSON.parse(form.complaints.dataset.names || "{}"));
    const found = names.find(([name, label]) => name === wanted || label.toLowerCase() === wanted);
    return found ? found[0] : text;
  }

  function input(name, value, attrs = {}) {
    const element = document.createElement("input");
    element.name = name;
    element.value = value == null ? "" : value;
    Object.assign(element, attrs);
    return element;
  }

  function labelled(text, control) {
    const label = document.createElement("label");
    label.append(text, control);
    return label;
  }

  function medicationRow(m = {}) {
    const row = document.createElement("div");
    row.className = "medication";
    row.append(
      labelled(`${Words.t("medicine")} `, input("name", m.name)),
      labelled(`${Words.t("dose")} `, input("dose", m.dose)),
      labelled(`${Words.t("frequency")} `, input("frequency", m.frequency)),
      labelled(`${Words.t("days")} `, input("duration_days", m.duration_days, { type: "number", min: 1 })),
      labelled(`${Words.t("renewal")} `, input("renewal", "", { type: "checkbox", checked: !!m.renewal })),
    );
    row.dataset.segments = JSON.stringify(m.segments || []);
    row.dataset.oncology = m.oncology ? "1" : "";
    return row;
  }

  // A field the doctor has edited (data-touched) keeps the doctor's value: the draft that
  // fills in during the call, and the one written at the hang-up, never overwrite it.
  function put(control, value) {
    if (!control.dataset.touched) control.value = value == null ? "" : value;
  }

  // The findings heard so far: complaints, vital signs, the diagnosis and its suggestions.
  function fillFindings(form, data) {
    put(form.complaints, data.complaints.map((c) => complaintLabel(form, c.name)).join(", "));
    const vitals = form.querySelector("#vitals");
    for (const sign of signs(form, data)) {
      if (!form[`vital_${sign.name}`]) {
        vitals.append(labelled(`${sign.label} `, input(`vital_${sign.name}`, "", { type: "number", step: sign.step })));
      }
      const v = data.vitals[sign.name];
      put(form[`vital_${sign.name}`], v ? v.value : "");
    }
    const d = data.diagnosis;
    put(form.diagnosis_code, d ? d.code : "");
    put(form.diagnosis_text, d ? d.text : "");
    showSuggestions(form.querySelector("#suggestions"), data.diagnosis_suggestions,
      (s) => take(form, s));
  }

  function fill(form, data) {
    fillFindings(form, data);
    const medications = form.querySelector("#medications");
    medications.querySelectorAll(".medication").forEach((r) => r.remove());
    data.medications.forEach((m) => medications.insertBefore(medicationRow(m), medications.lastElementChild));
    form.recommendations.value = data.recommendations.map((r) => r.text).join("\n");
    form.sick_leave_action.value = data.sick_leave ? data.sick_leave.action : "";
    form.sick_leave_days.value = data.sick_leave && data.sick_leave.days ? data.sick_leave.days : "";
    form.triage.value = data.triage.level;
    form.follow_up_kind.value = data.follow_up.kind;
    form.follow_up_days.value = data.follow_up.in_days == null ? "" : data.follow_up.in_days;
  }

  function take(form, s) {
    form.diagnosis_code.value = s.code;
    form.diagnosis_text.value = s.text;
    form.diagnosis_code.dataset.touched = form.diagnosis_text.dataset.touched = "1";
  }

  // One list for the live suggestions during the call and the draft's (the same ranking,
  // each a protocol Diagnosis): code, title, the suggester's probability and the patient's
  // words behind it (none for a rule's code), and a button to take it.
  function showSuggestions(list, suggestions, onTake) {
    list.replaceChildren();
    for (const s of suggestions) {
      const item = document.createElement("li");
      item.className = "suggestion";
      item.dataset.code = s.code;
      const use = document.createElement("button");
      use.type = "button";
      use.textContent = Words.t("use", { code: s.code, title: s.text });
      use.addEventListener("click", () => onTake(s));
      item.append(use);
      if (s.score != null) {
        const score = document.createElement("span");
        score.className = "score";
        score.textContent = ` ${Math.round(s.score * 100)}%`;
        item.append(score);
      }
      if (s.evidence && s.evidence.length) {
        const why = document.createElement("span");
        why.className = "evidence";
        why.textContent = ` ${Words.t("because", { words: s.evidence.join(", ") })}`;
        item.append(why);
      }
      list.append(item);
    }
  }

  function number(value) { return value === "" ? null : Number(value); }

  function read(form, data) {
    const previous = Object.fromEntries(data.complaints.map((c) => [c.name, c]));
    const complaints = form.complaints.value.split(",").map((s) => s.trim()).filter(Boolean)
      .map((text) => complaintName(form, text))
      .map((name) => previous[name] || { name, segments: [], duration_days: null });
    const vitals = {};
    for (const sign of signs(form, data)) {
      const value = number(form[`vital_${sign.name}`].value);
      if (value !== null) {
        const before = data.vitals[sign.name];
        vitals[sign.name] = { value, unit: sign.unit, segments: before && before.value === value ? before.segments : [] };
      }
    }
    const code = form.diagnosis_code.value.trim();
    const stated = data.diagnosis && data.diagnosis.code === code;
    const diagnosis = code ? { code, text: form.diagnosis_text.value.trim(),
      segments: stated ? data.diagnosis.segments : [], stated: true } : null;
    const medications = [...form.querySelectorAll(".medication")].map((row) => ({
      name: row.querySelector("[name=name]").value.trim(),
      dose: row.querySelector("[name=dose]").value.trim() || null,
      frequency: row.querySelector("[name=frequency]").value.trim() || null,
      duration_days: number(row.querySelector("[name=duration_days]").value),
      renewal: row.querySelector("[name=renewal]").checked,
      oncology: row.dataset.oncology === "1",
      segments: JSON.parse(row.dataset.segments),
    })).filter((m) => m.name);
    const previousRecs = Object.fromEntries(data.recommendations.map((r) => [r.text, r]));
    const recommendations = form.recommendations.value.split("\n").map((s) => s.trim()).filter(Boolean)
      .map((text) => previousRecs[text] || { text, segments: [] });
    const action = form.sick_leave_action.value;
    const followKind = form.follow_up_kind.value;
    return {
      ...data, complaints, vitals, diagnosis, medications, recommendations,
      sick_leave: action ? { action, days: number(form.sick_leave_days.value), segments: data.sick_leave ? data.sick_leave.segments : [] } : null,
      triage: { ...data.triage, level: form.triage.value },
      follow_up: { kind: followKind, in_days: followKind === "none" ? null : number(form.follow_up_days.value),
        segments: data.follow_up.segments },
    };
  }

  return { fill, fillFindings, read, medicationRow, showSuggestions, take, complaintLabel };
})();
