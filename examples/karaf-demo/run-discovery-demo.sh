#!/usr/bin/env bash
#
# The discovery demo: a ZooKeeper server and three Karaf instances on this machine. Every instance runs the
# calculator example (a calculator exported with only service.exported.interfaces, and a consumer that calls
# every imported calculator) with features halibut-rsa and halibut-discovery-zookeeper. No import
# configuration exists anywhere: each node finds the other nodes' calculators through ZooKeeper and imports
# them once it trusts their thumbprints.
#
# node-a and node-b listen. node-c does not: it can only dial out, so it polls node-a (dev.halibut.rsa
# polling.* keys) and publishes its calculator as poll://node-c/, which only node-a, the listener it polls,
# imports; node-b ignores that endpoint (docs/osgi.md, "Polling under discovery").
#
#   run-discovery-demo.sh DISTRIBUTION.tar.gz WORK_DIRECTORY ZOOKEEPER_LIB_DIRECTORY
#
# (mvn -B -q -DskipTests -Pdiscovery-demo package runs it with the distribution built in the same build and
# ZooKeeper's server jars copied from Maven Central.)
#
# 1. Starts ZooKeeper (ZooKeeperServerMain, standalone) on a free loopback port, data under WORK_DIRECTORY.
# 2. Unpacks the distribution three times: node-a, node-b, node-c; each with free SSH/RMI ports, the two
#    features and halibut-example at boot, the discovery pointed at the ZooKeeper server. node-a and node-b
#    listen on a free loopback port (dev.halibut.rsa advertising 127.0.0.1); node-c listens nowhere.
# 3. Starts them, reads each runtime's thumbprint, and points node-c's publication at node-a. Before any
#    trust exists, discovery finds the other nodes' calculators and holds them back ("not imported: its
#    thumbprint ... is not trusted here"): node-a and node-c two each, node-b one (node-a's).
# 4. Writes the trust (each node trusts the other two) and waits until each consumer has called what its node
#    imports: node-a node-b's and node-c's (poll://node-c/), node-b node-a's, node-c node-a's and node-b's.
#
# Every wait polls a log with a deadline (HALIBUT_DEMO_TIMEOUT seconds, default 120). A failure prints the
# tail of the logs and exits non-zero. The instances and ZooKeeper are always stopped on exit.
# Needs only bash, coreutils, sed, grep, tar and Java. The shell functions are demo-lib.sh's.

set -euo pipefail

DIST=${1:?usage: run-discovery-demo.sh DISTRIBUTION.tar.gz WORK_DIRECTORY ZOOKEEPER_LIB_DIRECTORY}
WORK=${2:?usage: run-discovery-demo.sh DISTRIBUTION.tar.gz WORK_DIRECTORY ZOOKEEPER_LIB_DIRECTORY}
ZKLIB=${3:?usage: run-discovery-demo.sh DISTRIBUTION.tar.gz WORK_DIRECTORY ZOOKEEPER_LIB_DIRECTORY}
TIMEOUT=${HALIBUT_DEMO_TIMEOUT:-120}
INSTANCES=(node-a node-b node-c)
ZK_PID=
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
# shellcheck source=demo-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/demo-lib.sh"

demo_fail_details() {
    if [ -f "$WORK/zookeeper.log" ]; then
        echo "---- last 20 lines of $WORK/zookeeper.log ----"
        tail -n 20 "$WORK/zookeeper.log"
    fi
}

demo_cleanup() {
    if [ -n "$ZK_PID" ] && kill -0 "$ZK_PID" 2>/dev/null; then
        say "Stopping ZooKeeper"
        kill "$ZK_PID" 2>/dev/null || true
        wait "$ZK_PID" 2>/dev/null || true
    fi
}
stop_instances_on_exit

[ -f "$DIST" ] || fail "no distribution at $DIST (build it first: mvn -B -DskipTests package)"
compgen -G "$ZKLIB/zookeeper-*.jar" >/dev/null || fail "no ZooKeeper jars in $ZKLIB"

mkdir -p "$WORK"
rm -rf "$WORK/zookeeper-data"
free_port ZK_PORT
say "Starting ZooKeeper on 127.0.0.1:$ZK_PORT"
"$JAVA" -cp "$ZKLIB/*" -Dzookeeper.admin.enableServer=false -Dzookeeper.clientPortAddress=127.0.0.1 \
    org.apache.zookeeper.server.ZooKeeperServerMain "$ZK_PORT" "$WORK/zookeeper-data" > "$WORK/zookeeper.log" 2>&1 &
ZK_PID=$!
deadline=$(( SECONDS + TIMEOUT ))
until port_in_use "$ZK_PORT"; do
    kill -0 "$ZK_PID" 2>/dev/null || fail "ZooKeeper ended at start (see $WORK/zookeeper.log)"
    (( SECONDS < deadline )) || fail "ZooKeeper did not listen within ${TIMEOUT}s"
    sleep 0.5
done

for name in "${INSTANCES[@]}"; do
    unpack_instance "$name" "halibut-example, halibut-discovery-zookeeper"
    etc="$WORK/$name/etc"
    if [ "$name" = node-c ]; then
        write_cfg "$etc" dev.halibut.runtime.cfg "# no listen.port: this node only dials out"
    else
        write_cfg "$etc" dev.halibut.runtime.cfg "listen.port = 0
listen.address = 127.0.0.1"
        write_cfg "$etc" dev.halibut.rsa.cfg "advertised.host = 127.0.0.1"
    fi
    write_cfg "$etc" org.apache.aries.rsa.discovery.zookeeper.cfg "zookeeper.host = 127.0.0.1
zookeeper.port = $ZK_PORT"
done

for name in "${INSTANCES[@]}"; do
    start_instance "$name"
done

declare -A THUMBPRINT PORT
for name in "${INSTANCES[@]}"; do
    read_runtime "$name"
done
[ -n "${PORT[node-a]}" ] || fail "node-a does not listen"

say "node-c polls node-a and publishes its calculator as poll://node-c/"
write_cfg "$WORK/node-c/etc" dev.halibut.rsa.cfg "polling.endpoint = https://127.0.0.1:${PORT[node-a]}/
polling.thumbprint = ${THUMBPRINT[node-a]}
polling.subscription = poll://node-c/"
wait_for_log node-c 'Remote service exports \(RSA\) are published as poll://node-c/' 0 \
    "node-c's provider to publish through node-a" >/dev/null

say "Untrusted so far: each node holds back what it discovers (node-b ignores poll://node-c/: node-a is polled)"
declare -A HELD=([node-a]=2 [node-b]=1 [node-c]=2)
for name in "${INSTANCES[@]}"; do
    wait_for_count "$name" 'is not imported: its thumbprint [0-9A-F]{40} is not trusted here' "${HELD[$name]}" \
        "$name to discover ${HELD[$name]} calculator(s) of other nodes"
    grep -E 'is not imported: its thumbprint' "$(karaf_log "$name")" | while read -r l; do
        say "$name: $(message "$l")"
    done
done

say "Trust: each node trusts the other two"
for name in "${INSTANCES[@]}"; do
    others=()
    for other in "${INSTANCES[@]}"; do
        [ "$other" = "$name" ] || others+=("${THUMBPRINT[$other]}")
    done
    listen=""
    [ "$name" = node-c ] || listen="listen.port = 0
listen.address = 127.0.0.1
"
    write_cfg "$WORK/$name/etc" dev.halibut.runtime.cfg "${listen}trusted.thumbprints = ${others[0]}, ${others[1]}"
done

called='Remote calculator at (https://127\.0\.0\.1:[0-9]+|poll://node-c)/[^:]+: 1 \+ 2 = 3, 10 / 2 = 5'
declare -A CALLS=([node-a]=2 [node-b]=1 [node-c]=2)
for name in "${INSTANCES[@]}"; do
    wait_for_count "$name" "$called" "${CALLS[$name]}" "$name's consumer to call ${CALLS[$name]} remote calculator(s)"
done
wait_for_count node-a 'Remote calculator at poll://node-c/' 1 "node-a's consumer to call node-c's calculator"

echo
for name in "${INSTANCES[@]}"; do
    where=${PORT[$name]:+listening on 127.0.0.1:${PORT[$name]}}
    echo "$name (${THUMBPRINT[$name]}, ${where:-polling node-a}) called, with no import configuration:"
    grep -E 'Remote calculator at ' "$(karaf_log "$name")" | while read -r l; do
        echo "  $(message "$l")"
    done
done
echo
echo "Summary: three Karaf instances found each other's calculators through ZooKeeper (127.0.0.1:$ZK_PORT),"
echo "imported them once trusted, and called them over mutual TLS; node-c, which only dials out, was called"
echo "by node-a through the subscription it polls. Took ${SECONDS}s."
echo
