// WebRTC for both pages: one connection to the media worker (our microphone, audio only,
// for recording and transcription) and one to the other party (audio, and video if chosen).
"use strict";

const Telemed = (() => {
  const pageIceServers = JSON.parse(document.getElementById("ice-servers").textContent);

  // Offers are sent once ICE gathering is complete (no trickle): one message each way,
  // and the worker never receives a candidate before it has the offer.
  function gathered(pc, timeoutMs = 4000) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => { pc.removeEventListener("icegatheringstatechange", check); resolve(); };
      const check = () => { if (pc.iceGatheringState === "complete") done(); };
      pc.addEventListener("icegatheringstatechange", check);
      setTimeout(done, timeoutMs);
    });
  }

  class Call {
    // iceServers: those the server sent for this consultation (with TURN credentials that
    // expire), else the page's.
    constructor(socket, consultationId, stream, remoteMedia, iceServers) {
      this.iceServers = iceServers || pageIceServers;
      this.socket = socket;
      this.consultationId = consultationId;
      this.stream = stream;
      this.remoteMedia = remoteMedia;
      this.worker = null;
      this.peer = null;
    }

    async connectWorker() {
      if (this.worker) this.worker.close();
      const pc = new RTCPeerConnection({ iceServers: this.iceServers });
      this.worker = pc;
      pc.addTransceiver(this.stream.getAudioTracks()[0], { direction: "sendonly" });
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      const reply = await this.socket.emitWithAck("offer", {
        consultation_id: this.consultationId, target: "worker",
        sdp: pc.localDescription.sdp, type: "offer",
      });
      if (!reply.ok) throw new Error(reply.message);
    }

    newPeer() {
      if (this.peer) this.peer.close();
      const pc = new RTCPeerConnection({ iceServers: this.iceServers });
      this.peer = pc;
      this.stream.getTracks().forEach((track) => pc.addTrack(track, this.stream));
      pc.ontrack = (event) => { this.remoteMedia.srcObject = event.streams[0]; };
      // The page may show the call's state: connecting, connected, disconnected...
      pc.addEventListener("connectionstatechange", () => this.onPeerState?.(pc.connectionState));
      return pc;
    }

    async offerPeer() {
      const pc = this.newPeer();
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      await this.socket.emitWithAck("offer", {
        consultation_id: this.consultationId, target: "peer",
        sdp: pc.localDescription.sdp, type: "offer",
      });
    }

    async answerPeer(offer) {
      const pc = this.newPeer();
      await pc.setRemoteDescription({ type: "offer", sdp: offer.sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      await gathered(pc);
      await this.socket.emitWithAck("answer", {
        consultation_id: this.consultationId, target: "peer",
        sdp: pc.localDescription.sdp, type: "answer",
      });
    }

    async onAnswer(message) {
      const pc = message.from === "worker" ? this.worker : this.peer;
      if (pc) await pc.setRemoteDescription({ type: "answer", sdp: message.sdp });
    }

    hangup() {
      this.socket.emit("hangup", { consultation_id: this.consultationId });
    }

    close() {
      [this.worker, this.peer].forEach((pc) => pc && pc.close());
      this.stream.getTracks().forEach((track) => track.stop());
      this.remoteMedia.srcObject = null;
    }
  }

  // Without a secret the session cookie speaks for the caller.
  async function fetchProtocol(consultationId, secret) {
    const headers = secret ? { Authorization: `Bearer ${secret}` } : {};
    const response = await fetch(`/api/consultations/${encodeURIComponent(consultationId)}/protocol`, { headers });
    if (!response.ok) throw new Error(`protocol: HTTP ${response.status}`);
    return response.json();
  }

  return { Call, fetchProtocol };
})();
