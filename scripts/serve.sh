#!/usr/bin/env bash
# What `make run` serves: gunicorn, and when REDIS_URL is set, JOB_WORKERS job workers
# beside it (reports and letter batches). Without REDIS_URL (a fresh machine: SQLite,
# no Redis) the web processes make those jobs themselves, one at a time each.
set -euo pipefail
BIN=${BIN:-.venv/bin}
export PORT=${PORT:-5000}  # also the default PUBLIC_BASE_URL's port (app/config.py)
JOB_WORKERS=${JOB_WORKERS:-2}

workers=()
stop_workers() {
  for pid in "${workers[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait "${workers[@]}" 2>/dev/null || true
}

if [[ -n "${REDIS_URL:-}" ]]; then
  if ! "$BIN/python" -c 'import os, redis
redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=3).ping()' 2>/dev/null; then
    echo "REDIS_URL=$REDIS_URL antwortet nicht: Redis starten, oder REDIS_URL weglassen" \
         "(dann erstellen die Webprozesse die Berichte selbst)." >&2
    exit 1
  fi
  trap stop_workers EXIT
  for ((i = 0; i < JOB_WORKERS; i++)); do
    "$BIN/flask" --app app jobs worker &
    workers+=("$!")
  done
  echo "$JOB_WORKERS job workers on $REDIS_URL"
else
  echo "REDIS_URL not set: reports are made inside the web processes, one at a time each."
fi
"$BIN/gunicorn" --workers 2 --bind "127.0.0.1:$PORT" "app:create_app()"
