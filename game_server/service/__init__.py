"""The authoritative game master: load state, check, apply the engine, store, publish."""
