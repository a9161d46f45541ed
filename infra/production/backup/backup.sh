#!/usr/bin/env bash
# Nightly: a PostgreSQL base backup (WAL is archived continuously by archive_command), an anchor of
# every hash chain, and a check that the photo bucket's replication is current.
set -euo pipefail
STAMP=$(date +%Y%m%d)
pg_basebackup --host=pg-primary.internal --username=replicator --pgdata="/backup/base/$STAMP" --format=tar --gzip \
  --wal-method=fetch --checkpoint=fast
find /backup/base -maxdepth 1 -mtime +14 -exec rm -rf {} +
sudo -u huhang env $(cat /etc/huhang/huhang.env | xargs) /opt/huhang/.venv/bin/huhang anchor | tee -a /backup/anchors.log
mc admin replicate status huhang-primary
