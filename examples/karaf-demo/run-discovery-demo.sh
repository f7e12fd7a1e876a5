#!/usr/bin/env bash
#
# The discovery demo: a ZooKeeper server and three Karaf instances on this machine. Every instance runs the
# calculator example (a calculator exported with only service.exported.interfaces, and a consumer that calls
# every imported calculator) with features halibut-rsa and halibut-discovery-zookeeper. No import
# configuration exists anywhere: each node finds the other two nodes' calculators through ZooKeeper and
# imports them once it trusts their thumbprints.
#
#   run-discovery-demo.sh DISTRIBUTION.tar.gz WORK_DIRECTORY ZOOKEEPER_LIB_DIRECTORY
#
# (mvn -B -q -DskipTests -Pdiscovery-demo package runs it with the distribution built in the same build and
# ZooKeeper's server jars copied from Maven Central.)
#
# 1. Starts ZooKeeper (ZooKeeperServerMain, standalone) on a free loopback port, data under WORK_DIRECTORY.
# 2. Unpacks the distribution three times: node-a, node-b, node-c; each with free SSH/RMI ports, the two
#    features and halibut-example at boot, its runtime listening on a free loopback port, the discovery
#    pointed at the ZooKeeper server and dev.halibut.rsa advertising 127.0.0.1.
# 3. Starts them and reads each runtime's thumbprint. Before any trust exists, discovery finds the other
#    nodes' calculators and holds them back ("not imported: its thumbprint ... is not trusted here").
# 4. Writes the trust (each node trusts the other two) and waits until each node's consumer has called the
#    other two nodes' calculators.
#
# Every wait polls a log with a deadline (HALIBUT_DEMO_TIMEOUT seconds, default 120). A failure prints the
# tail of the logs and exits non-zero. The instances and ZooKeeper are always stopped on exit.

set -euo pipefail

DIST=${1:?usage: run-discovery-demo.sh DISTRIBUTION.tar.gz WORK_DIRECTORY ZOOKEEPER_LIB_DIRECTORY}
WORK=${2:?usage: run-discovery-demo.sh DISTRIBUTION.tar.gz WORK_DIRECTORY ZOOKEEPER_LIB_DIRECTORY}
ZKLIB=${3:?usage: run-discovery-demo.sh DISTRIBUTION.tar.gz WORK_DIRECTORY ZOOKEEPER_LIB_DIRECTORY}
TIMEOUT=${HALIBUT_DEMO_TIMEOUT:-120}
NODES=(node-a node-b node-c)
STARTED=()
ZK_PID=
CHOSEN_PORTS=" "
SECONDS=0
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java

say() { printf '[%3ds] %s\n' "$SECONDS" "$*"; }

fail() {
    echo >&2
    echo "DEMO FAILED: $*" >&2
    local name
    for name in "${NODES[@]}"; do
        if [ -f "$WORK/$name/data/log/karaf.log" ]; then
            echo "---- last 30 lines of $WORK/$name/data/log/karaf.log ----" >&2
            tail -n 30 "$WORK/$name/data/log/karaf.log" >&2
        fi
    done
    if [ -f "$WORK/zookeeper.log" ]; then
        echo "---- last 20 lines of $WORK/zookeeper.log ----" >&2
        tail -n 20 "$WORK/zookeeper.log" >&2
    fi
    exit 1
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
    local port=$(( 20000 + RANDOM % 20000 ))
    while port_in_use "$port" || [[ $CHOSEN_PORTS == *" $port "* ]]; do
        port=$(( port + 1 ))
    done
    CHOSEN_PORTS+="$port "
    echo "$port"
}

set_property() {
    local file=$1 key=$2 value=$3
    grep -qE "^${key}[[:space:]]*=" "$file" || fail "$file has no $key"
    sed -i -E "s|^(${key}[[:space:]]*=).*|\\1 ${value}|" "$file"
}

write_cfg() {
    local etc=$1 name=$2 content=$3
    printf '%s\n' "$content" > "$etc/.$name.tmp"
    mv "$etc/.$name.tmp" "$etc/$name"
}

# count_in_log NAME REGEX: how many lines of the node's karaf.log match REGEX.
count_in_log() {
    local log="$WORK/$1/data/log/karaf.log"
    if [ -f "$log" ]; then grep -cE -- "$2" "$log" || true; else echo 0; fi
}

# wait_for_count NAME REGEX COUNT WHAT: waits until at least COUNT lines of the node's log match REGEX.
wait_for_count() {
    local name=$1 regex=$2 count=$3 what=$4 deadline=$(( SECONDS + TIMEOUT ))
    while (( $(count_in_log "$name" "$regex") < count )); do
        if [ -f "$WORK/$name/karaf.pid" ] && ! kill -0 "$(cat "$WORK/$name/karaf.pid")" 2>/dev/null; then
            fail "$name's Karaf process ended while waiting for $what"
        fi
        if (( $(count_in_log "$name" 'Remote calculator at .* failed|Halibut runtime not started') > 0 )); then
            fail "$name logged an error while waiting for $what"
        fi
        (( SECONDS < deadline )) || fail "timed out after ${TIMEOUT}s waiting for $what"
        sleep 0.5
    done
}

message() { printf '%s\n' "${1##*| }"; }

request_stop() { "$WORK/$1/bin/stop" >/dev/null 2>&1 || true; }

await_stop() {
    local name=$1 pid deadline
    pid=$(cat "$WORK/$name/karaf.pid" 2>/dev/null || true)
    [ -n "$pid" ] || return 0
    deadline=$(( SECONDS + 60 ))
    while kill -0 "$pid" 2>/dev/null && (( SECONDS < deadline )); do
        sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "$name (pid $pid) did not stop within 60s; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
        return 1
    fi
}

stop_everything() {
    local status=$? name stops=()
    trap - EXIT INT TERM
    for name in "${STARTED[@]}"; do
        say "Stopping $name"
        request_stop "$name" &
        stops+=($!)
    done
    # Only the stop requests: a bare wait would also wait for ZooKeeper, which is stopped below.
    [ ${#stops[@]} -eq 0 ] || wait "${stops[@]}"
    for name in "${STARTED[@]}"; do
        await_stop "$name" || status=1
    done
    if [ -n "$ZK_PID" ] && kill -0 "$ZK_PID" 2>/dev/null; then
        say "Stopping ZooKeeper"
        kill "$ZK_PID" 2>/dev/null || true
        wait "$ZK_PID" 2>/dev/null || true
    fi
    exit "$status"
}
trap stop_everything EXIT
trap 'exit 130' INT TERM

[ -f "$DIST" ] || fail "no distribution at $DIST (build it first: mvn -B -DskipTests package)"
compgen -G "$ZKLIB/zookeeper-*.jar" >/dev/null || fail "no ZooKeeper jars in $ZKLIB"

mkdir -p "$WORK"
rm -rf "$WORK/zookeeper-data"
ZK_PORT=$(free_port)
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

for name in "${NODES[@]}"; do
    dir="$WORK/$name"
    if [ -f "$dir/karaf.pid" ] && kill -0 "$(cat "$dir/karaf.pid")" 2>/dev/null; then
        request_stop "$name"
        await_stop "$name" || true
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    tar -xzf "$DIST" -C "$dir" --strip-components=1
    etc="$dir/etc"
    set_property "$etc/org.apache.karaf.shell.cfg" sshPort "$(free_port)"
    set_property "$etc/org.apache.karaf.shell.cfg" sshHost 127.0.0.1
    set_property "$etc/org.apache.karaf.management.cfg" rmiRegistryPort "$(free_port)"
    set_property "$etc/org.apache.karaf.management.cfg" rmiServerPort "$(free_port)"
    grep -qE '^featuresBoot[[:space:]]*=[[:space:]]*\\$' "$etc/org.apache.karaf.features.cfg" \
        || fail "unexpected featuresBoot format in $etc/org.apache.karaf.features.cfg"
    sed -i -E 's|^(featuresBoot[[:space:]]*=[[:space:]]*\\)$|\1\n    halibut-example, halibut-discovery-zookeeper, \\|' \
        "$etc/org.apache.karaf.features.cfg"
    write_cfg "$etc" dev.halibut.runtime.cfg "listen.port = 0
listen.address = 127.0.0.1"
    write_cfg "$etc" dev.halibut.rsa.cfg "advertised.host = 127.0.0.1"
    write_cfg "$etc" org.apache.aries.rsa.discovery.zookeeper.cfg "zookeeper.host = 127.0.0.1
zookeeper.port = $ZK_PORT"
done

for name in "${NODES[@]}"; do
    say "Starting $name"
    "$WORK/$name/bin/start"
    STARTED+=("$name")
done

declare -A THUMBPRINT PORT
started_regex='Halibut runtime started: thumbprint ([0-9A-F]{40}), listening on \[([0-9]+)\]'
for name in "${NODES[@]}"; do
    wait_for_count "$name" "$started_regex" 1 "$name's Halibut runtime to listen"
    line=$(grep -E "$started_regex" "$WORK/$name/data/log/karaf.log" | tail -n 1)
    [[ $line =~ $started_regex ]] || fail "cannot read the thumbprint and port from: $line"
    THUMBPRINT[$name]=${BASH_REMATCH[1]}
    PORT[$name]=${BASH_REMATCH[2]}
    say "$name: $(message "$line")"
done

say "Untrusted so far: each node holds back what it discovers"
for name in "${NODES[@]}"; do
    wait_for_count "$name" 'is not imported: its thumbprint [0-9A-F]{40} is not trusted here' 2 \
        "$name to discover the other two calculators"
    say "$name: $(message "$(grep -E 'is not imported: its thumbprint' "$WORK/$name/data/log/karaf.log" | tail -n 1)")"
done

say "Trust: each node trusts the other two"
for name in "${NODES[@]}"; do
    others=()
    for other in "${NODES[@]}"; do
        [ "$other" = "$name" ] || others+=("${THUMBPRINT[$other]}")
    done
    write_cfg "$WORK/$name/etc" dev.halibut.runtime.cfg "listen.port = 0
listen.address = 127.0.0.1
trusted.thumbprints = ${others[0]}, ${others[1]}"
done

for name in "${NODES[@]}"; do
    wait_for_count "$name" 'Remote calculator at https://127\.0\.0\.1:[0-9]+/[^:]+: 1 \+ 2 = 3, 10 / 2 = 5' 2 \
        "$name's consumer to call the other two calculators"
done

echo
for name in "${NODES[@]}"; do
    echo "$name (${THUMBPRINT[$name]}, 127.0.0.1:${PORT[$name]}) called, with no import configuration:"
    grep -E 'Remote calculator at https://' "$WORK/$name/data/log/karaf.log" | while read -r l; do
        echo "  $(message "$l")"
    done
done
echo
echo "Summary: three Karaf instances found each other's calculators through ZooKeeper (127.0.0.1:$ZK_PORT),"
echo "imported them once trusted, and called them over mutual TLS. Took ${SECONDS}s."
echo
