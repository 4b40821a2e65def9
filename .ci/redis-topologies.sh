#!/usr/bin/env bash
# Starts, if they are not already up, the two Redis topologies CI tests
# beside the single node: a 3-node Redis Cluster (ports 7001-7003) and a
# Sentinel setup (master 7010, replica 7011, sentinel 26379, master name
# "mlsd"). Prints the two REDIS_URLs as shell exports. A half-started or
# stale setup is torn down and made again, so a rerun on the same machine
# always ends in a healthy one.
set -euo pipefail
base=/tmp/mlsd-ci-redis-topologies
cli() { redis-cli -h 127.0.0.1 "$@"; }
answers() { [ "$(cli -p "$1" ping 2>/dev/null)" = PONG ]; }
stop() { for p in "$@"; do cli -p "$p" shutdown nosave >/dev/null 2>&1 || true; done; }
wait_for() { # wait_for DESCRIPTION COMMAND...: up to 10 s
  local what=$1; shift
  for _ in $(seq 1 100); do "$@" && return 0; sleep 0.1; done
  echo "$what did not become ready" >&2; return 1
}

cluster_ok() { cli -p 7001 cluster info 2>/dev/null | grep -q 'cluster_state:ok' && cli -p 7001 cluster info | grep -q 'cluster_known_nodes:3'; }
if ! cluster_ok; then
  stop 7001 7002 7003
  rm -rf "$base/cluster"
  for p in 7001 7002 7003; do
    mkdir -p "$base/cluster/$p"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$p" --cluster-enabled yes \
      --cluster-config-file "$base/cluster/$p/nodes.conf" --save "" --appendonly no \
      --dir "$base/cluster/$p" --logfile "$base/cluster/$p/redis.log"
  done
  for p in 7001 7002 7003; do wait_for "cluster node $p" answers "$p"; done
  cli --cluster create 127.0.0.1:7001 127.0.0.1:7002 127.0.0.1:7003 --cluster-replicas 0 --cluster-yes >/dev/null
  wait_for "redis cluster" cluster_ok
fi

master_port() { cli -p 26379 sentinel get-master-addr-by-name mlsd 2>/dev/null | sed -n 2p; }
sentinel_ok() {
  local p; p=$(master_port)
  [ -n "$p" ] && answers "$p" && cli -p "$p" info replication | grep -q 'connected_slaves:1' &&
    cli -p "$p" info replication | grep -q 'state=online'
}
# After a failover test the old master may still be syncing as a replica:
# give it a few seconds before starting over.
settled() { for _ in $(seq 1 50); do sentinel_ok && return 0; sleep 0.1; done; return 1; }
if ! settled; then
  stop 26379 7010 7011
  rm -rf "$base/sentinel"
  mkdir -p "$base/sentinel"
  redis-server --daemonize yes --bind 127.0.0.1 --port 7010 --save "" --appendonly no \
    --dir "$base/sentinel" --logfile "$base/sentinel/master.log"
  redis-server --daemonize yes --bind 127.0.0.1 --port 7011 --save "" --appendonly no \
    --replicaof 127.0.0.1 7010 --dir "$base/sentinel" --logfile "$base/sentinel/replica.log"
  cat >"$base/sentinel/sentinel.conf" <<CONF
port 26379
bind 127.0.0.1
daemonize yes
logfile $base/sentinel/sentinel.log
dir $base/sentinel
sentinel monitor mlsd 127.0.0.1 7010 1
sentinel down-after-milliseconds mlsd 1000
sentinel failover-timeout mlsd 5000
CONF
  redis-server "$base/sentinel/sentinel.conf" --sentinel
  wait_for "sentinel setup" sentinel_ok
fi

echo "export REDIS_CLUSTER_URL='redis://127.0.0.1:7001?cluster=1&addr=127.0.0.1:7002&addr=127.0.0.1:7003'"
echo "export REDIS_SENTINEL_URL='redis://127.0.0.1:26379?master_name=mlsd'"
