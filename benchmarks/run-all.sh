#!/usr/bin/env bash
# Runs every benchmark of docs/benchmarks.md once, on demand (never in CI), and keeps the raw results.
# Usage: benchmarks/run-all.sh [jar] [out-dir]    (build first: mvn -B -q package -pl benchmarks -am -DskipTests)
# Takes about 20 minutes on 2 cores. Each JMH class runs all its baselines in one invocation, so the ratios
# of a class come from one run; the load average is written next to each result.
set -euo pipefail
JAR=${1:-benchmarks/target/benchmarks.jar}
OUT=${2:-benchmarks/target/results-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
{ date -u; echo "nproc: $(nproc)"; free -g | head -2; java -version 2>&1 | head -2; echo "ulimit -n: $(ulimit -n)"; } > "$OUT/machine.txt"
load() { echo "$1: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/load.txt"; }
for b in CallLatencyBenchmark ConcurrentCallsBenchmark ConnectionSetupBenchmark; do
  load "$b start"
  java -jar "$JAR" "$b" -rf json -rff "$OUT/$b.json" > "$OUT/$b.log" 2>&1
  load "$b end"
done
load "StreamTransferBenchmark start"
java -jar "$JAR" StreamTransferBenchmark -wi 1 -i 3 -rf json -rff "$OUT/StreamTransferBenchmark.json" > "$OUT/StreamTransferBenchmark.log" 2>&1
load "StreamTransferBenchmark end"
load "CpuPerCall start"
java -cp "$JAR" dev.halibut.benchmarks.CpuPerCall 20000 7 > "$OUT/CpuPerCall.log" 2>&1
load "CpuPerCall end"
# Scenario 6 opens one file per subscriber in this process and in each child: raise the soft limit as far as allowed.
ulimit -n "$(ulimit -Hn)" || true
load "ScaleTest start"
java -Xmx2g -cp "$JAR" dev.halibut.benchmarks.ScaleTest --steps 64,1000,10000,19000 --calls-at 64,10000 > "$OUT/ScaleTest.log" 2>&1
load "ScaleTest end"
grep -hE "^(CallLatency|ConcurrentCalls|ConnectionSetup|StreamTransfer)Benchmark\.[a-zA-Z0-9]+(:p0\.(50|99))? " "$OUT"/*.log || true
grep -h "\[heap\]\|\[cpu\]" "$OUT/StreamTransferBenchmark.log" || true
cat "$OUT/CpuPerCall.log" "$OUT/ScaleTest.log" | grep -v WARN || true
echo "results in $OUT"
