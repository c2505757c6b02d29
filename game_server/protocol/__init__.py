"""The WebSocket game protocol: message models, their codec and the error codes."""
