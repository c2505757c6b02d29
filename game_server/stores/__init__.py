"""Where live state (Redis) and results (SQL) are kept."""
