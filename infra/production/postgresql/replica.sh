#!/usr/bin/env bash
# Make this host a streaming replica of the primary (run as postgres, with an empty data directory).
set -euo pipefail
PRIMARY=${PRIMARY:-pg-primary.internal}
DATA=${DATA:-/var/lib/postgresql/15/main}
pg_basebackup --host="$PRIMARY" --username=replicator --pgdata="$DATA" --wal-method=stream \
  --write-recovery-conf --slot=huhang_replica --create-slot --progress
echo "primary_conninfo = 'host=$PRIMARY user=replicator application_name=huhang_replica'" >> "$DATA/postgresql.auto.conf"
