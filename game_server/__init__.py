"""Gig Life (零工人生): a game about social insurance for China's gig and migrant workers."""

from game_server import native

# The engine compiled with mypyc, where a build of today's sources exists (game_server/native.py).
native.install()
