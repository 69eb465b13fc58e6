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

  function invalidLink() {
    otpForm.hidden = true;
    joinForm.hidden = true;
    say(text.invalid);
  }

  // The link opens once: it asks for a code sent by SMS, and the code opens a session
  // (an HttpOnly cookie). Coming back later, the session is enough.
  async function requestCode() {
    const response = await fetch(`/api/join/${encodeURIComponent(token)}/otp`, { method: "POST", headers: json, body: "{}" });
    const body = await response.json();
    if (!response.ok) {
      if (body.error === "invalid_link") invalidLink(); else say(text[body.error] || body.message);
      return;
    }
    challenge = body.challenge_id;
    otpForm.hidden = false;
    document.getElementById("code").focus();
  }

  otpForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = document.getElementById("code").value.trim();
    const response = await fetch(`/api/join/${encodeURIComponent(token)}/session`, {
      method: "POST", headers: json, body: JSON.stringify({ challenge_id: challenge, code }),
    });
    if (!response.ok) {
      const body = await response.json();
      if (body.error === "invalid_link") invalidLink(); else say(text[body.error] || body.message);
      return;
    }
    otpForm.hidden = true;
    say("");
    connect();
  });
  document.getElementById("resend").addEventListener("click", requestCode);

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
    if (!reply.ok) say(reply.message);
  });

  async function startCall(message) {
    mode = message.mode;
    joinForm.hidden = true;
    estimate.textContent = "";
    level.hidden = true;
    callSection.hidden = false;
    say(text.in_call);
    try {
      await media();
    } catch (error) {
      say(text.mic_denied);
      return;
    }
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
    socket.on("answer", (m) => call && call.onAnswer(m));
    socket.on("consultation.ended", () => {
      if (call) { call.close(); call = null; }
      stream = null;
      callSection.hidden = true;
      say(text.ended);
    });
    socket.on("protocol.ready", () => say(text.reviewing));
    socket.on("protocol.signed", async (m) => {
      const protocol = await Telemed.fetchProtocol(m.consultation_id);
      protocolSection.innerHTML = protocol.html; // rendered and escaped by the server
      protocolSection.hidden = false;
    });
    socket.on("error", (m) => say(m.message));
  }

  document.getElementById("hangup").addEventListener("click", () => call && call.hangup());

  fetch("/api/me").then((response) => (response.ok ? connect() : requestCode()));
})();
