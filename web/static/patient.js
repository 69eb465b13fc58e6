"use strict";

(() => {
  const main = document.querySelector("main");
  const token = main.dataset.token;
  const text = JSON.parse(main.dataset.text);
  const status = document.getElementById("status");
  const joinForm = document.getElementById("join");
  const callSection = document.getElementById("call");
  const protocolSection = document.getElementById("protocol");
  let stream = null;
  let call = null;
  let mode = "audio";

  const socket = io({ auth: { role: "patient", token }, transports: ["websocket"] });
  const say = (message) => { status.textContent = message; };

  async function media() {
    if (stream) return stream;
    stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: mode === "video" });
    return stream;
  }

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
    callSection.hidden = false;
    say(text.in_call);
    try {
      await media();
    } catch (error) {
      say(text.mic_denied);
      return;
    }
    if (call) call.close();
    call = new Telemed.Call(socket, message.consultation_id, stream, document.getElementById("remote"));
    await call.connectWorker();
  }

  socket.on("connect_error", (error) => {
    say(error.message === "unauthorized" || (error.data && error.data.code === "unauthorized")
      ? text.invalid : text.lost);
  });
  socket.on("disconnect", () => say(text.lost));
  socket.on("queue.joined", (m) => { joinForm.hidden = true; say(`${text.waiting} ${m.position}`); });
  socket.on("queue.position", (m) => say(`${text.waiting} ${m.position}`));
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
    const protocol = await Telemed.fetchProtocol(m.consultation_id, token);
    protocolSection.innerHTML = protocol.html; // rendered and escaped by the server
    protocolSection.hidden = false;
  });
  socket.on("error", (m) => say(m.message));
  document.getElementById("hangup").addEventListener("click", () => call && call.hangup());
})();
