"""Gig Life (零工人生): a game about social insurance for China's gig and migrant workers."""
