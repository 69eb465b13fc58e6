"""Signaling: authentication, the waiting queue, pairing and SDP/ICE relay over socket.io."""
