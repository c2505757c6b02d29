"""The results outbox: results on their way from a room in Redis to SQL (``items.py``: keys,
items and their encoders, pure; ``drainer.py``: the adapter that writes them to SQL)."""
