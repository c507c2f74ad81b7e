#!/usr/bin/env bash
# Raw claim→complete throughput of the cluster queue (release build, durable commits): two
# claimers over 20,000 chunks of 100 inputs against a throw-away PostgreSQL of its own, unless
# --queue URL is given. Extra arguments go to the benchmark (--chunks --items --claimers --batch).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product trenza-queue-bench >&2
exec .build/release/trenza-queue-bench "$@"
