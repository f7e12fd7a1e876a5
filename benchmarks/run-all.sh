#!/usr/bin/env bash
# Runs every benchmark of docs/benchmarks.md once, on demand (never in CI), and keeps the raw results.
# Usage: benchmarks/run-all.sh [jar] [out-dir]    (build first: mvn -B -q package -pl benchmarks -am -DskipTests)
# Takes about 25 minutes on 2 cores. Each JMH class runs all its baselines in one invocation, so the ratios
# of a class come from one run; the load average is written next to each result.
# Every row of issue 15's Targets table has its command here (see docs/benchmarks.md, "Targets (issue 15)").
set -euo pipefail
JAR=${1:-benchmarks/target/benchmarks.jar}
OUT=${2:-benchmarks/target/results-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
{ date -u; echo "nproc: $(nproc)"; free -g | head -2; java -version 2>&1 | head -2; echo "ulimit -n: $(ulimit -n)";
  echo "kernel.pid_max: $(cat /proc/sys/kernel/pid_max)"; git log -1 --format='commit %H %s' 2>/dev/null || true; } > "$OUT/machine.txt"
load() { echo "$(date -u +%H:%M:%S) $1: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/load.txt"; }
# Small calls: polling median vs floor (CallLatency), 64 callers vs gRPC in both modes (ConcurrentCalls),
# connection set-up on both TLS providers (ConnectionSetup).
for b in CallLatencyBenchmark ConcurrentCallsBenchmark ConnectionSetupBenchmark; do
  load "$b start"
  java -jar "$JAR" "$b" -rf json -rff "$OUT/$b.json" > "$OUT/$b.log" 2>&1
  load "$b end"
done
# 1 GiB stream vs raw TLS copy, with heap (64 MiB fork), Halibut on both TLS providers. The class's own warm-up
# (5 GiB, then 3 measured): Halibut's JIT takes two to three GiB to settle, the raw copy's one; fewer warm-up shots
# would measure Halibut's compilation, a one-off per JVM (docs/benchmarks.md, "Streams ... round 3").
load "StreamTransferBenchmark start"
java -jar "$JAR" StreamTransferBenchmark -rf json -rff "$OUT/StreamTransferBenchmark.json" > "$OUT/StreamTransferBenchmark.log" 2>&1
load "StreamTransferBenchmark end"
# Where a stream's time goes, round by round (the first rounds show the JIT's share): receiving it and reading it
# back, timed apart, CPU per GiB each way; the floor and Halibut alternated, in the same minutes.
for v in raw jdk raw jdk openssl; do
  echo "== $v $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
  java -Xmx64m -cp "$JAR" dev.halibut.benchmarks.StreamPhases 5 "$v" 2>&1 | grep -v WARN
done > "$OUT/StreamPhases.log"
load "StreamPhases end"
# CPU per small call vs raw TLS floor, both modes, both TLS providers.
load "CpuPerCall start"
# With JFR's "profile" settings (sampling every 10-20 ms): where the Java time of a call goes.
java -XX:StartFlightRecording=settings=profile,filename="$OUT/CpuPerCall.jfr" -cp "$JAR" dev.halibut.benchmarks.CpuPerCall 10000 7 \
  > "$OUT/CpuPerCall.log" 2>&1
load "CpuPerCall end"
# The same listening call on Java NIO instead of the native epoll transport (the default on Linux): the
# transport's share of the CPU and of the waits per call (docs/benchmarks.md, "Small calls and 64 callers").
java -Ddev.halibut.io.transport=nio -cp "$JAR" dev.halibut.benchmarks.CpuPerCall 10000 7 halibutListening \
  > "$OUT/CpuPerCall-nio.log" 2>&1
load "CpuPerCall-nio end"
# 64 callers with the service host in a child JVM (Halibut listening with the default pool, Halibut polling with
# 64 connections, and gRPC; alternating rounds).
load "SeparateProcessCalls start"
java -cp "$JAR" dev.halibut.benchmarks.SeparateProcessCalls 10 3 > "$OUT/SeparateProcessCalls.log" 2>&1
load "SeparateProcessCalls end"
# Writer facing a peer that stops reading: fails within writeTimeout (5 s here), in a 64 MiB heap.
load "StalledReader start"
java -Xmx64m -cp "$JAR" dev.halibut.benchmarks.StalledReader 5 3 > "$OUT/StalledReader.log" 2>&1
load "StalledReader end"
# Idle subscribers (threads and heap per subscriber), calls/s at 10,000 vs 64. Scenario 6 opens one file per
# subscriber in this process and in each child: raise the soft limit as far as allowed.
ulimit -n "$(ulimit -Hn)" || true
load "ScaleTest start"
java -Xmx2g -cp "$JAR" dev.halibut.benchmarks.ScaleTest --steps 64,1000,10000,19000 --calls-at 64,10000 --rate 150 \
  > "$OUT/ScaleTest.log" 2>&1 || echo "ScaleTest exited with $?" >> "$OUT/ScaleTest.log"
load "ScaleTest end"
grep -hE "^(CallLatency|ConcurrentCalls|ConnectionSetup|StreamTransfer)Benchmark\.[a-zA-Z0-9]+(:p0\.(50|99))? " "$OUT"/*.log || true
grep -h "\[heap\]\|\[cpu\]" "$OUT/StreamTransferBenchmark.log" || true
cat "$OUT/StreamPhases.log" "$OUT/CpuPerCall.log" "$OUT/StalledReader.log" "$OUT/ScaleTest.log" | grep -v "WARN\|^\s*at " || true
echo "results in $OUT"
