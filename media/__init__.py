"""The media worker: a server-side WebRTC peer per consultation side, audio only."""
