# Gig Life game server, for production behind a load balancer (see docker-compose.yml).
# Live state goes to an external Redis (REDIS_URL), results to an external database
# (DATABASE_URL); the container keeps nothing, so any number of them can run side by side.
FROM python:3.11-slim

# `python -m game_server` from /app (PYTHONPATH too) runs the source copied below, so the
# scenario and web client directories are found beside the package, where it looks for them; a
# copy in site-packages alone would not find them. The paths are also set explicitly.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    SCENARIO_DIR=/app/scenarios \
    WEB_DIR=/app/web_client \
    DATA_DIR=/app/var \
    HOST=0.0.0.0 \
    PORT=8000

WORKDIR /app

# Only what the server needs (no .venv, var/, caches from a developer's checkout).
COPY pyproject.toml README.md ./
COPY game_server ./game_server
COPY scenarios ./scenarios
COPY web_client ./web_client
COPY alembic.ini ./

# EXTRAS="[dev]" adds the test and load-test tools (the compose file's `locust` service).
ARG EXTRAS=""
RUN pip install --no-cache-dir ".${EXTRAS}"

# Never run as root: a fixed unprivileged user that owns only the data directory.
RUN useradd --create-home --uid 10001 --user-group gig \
    && mkdir -p /app/var \
    && chown gig:gig /app/var
USER gig

EXPOSE 8000

# ENVIRONMENT=production (set by docker-compose.yml) makes the server refuse to start without
# REDIS_URL and DATABASE_URL. Other settings it reads: PUBLIC_URL, TRAINER_PASSCODE, INSTANCE_ID.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)" || exit 1

CMD ["python", "-m", "game_server", "serve"]
