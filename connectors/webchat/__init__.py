"""The embeddable web chat widget (`/widget.js`) and its demo page (`/`). The widget talks to
the REST connector: its WebSocket, with REST and polling as the fallback."""
