#!/bin/bash
# Runs each fuzz target for SECONDS, one after the other, and prints a table of executions and
# crashes per target. Exits non-zero if any target crashed (or could not run).
#
#   tests/fuzz/run.sh BUILD_DIR SECONDS TARGET...
#
# Each target reads its committed seeds (tests/fuzz/corpus/<name>, never written) and a
# working corpus under BUILD_DIR/fuzz-corpus/<name> (where libFuzzer adds what it finds, so a
# later run resumes from there). Crash inputs land in BUILD_DIR/fuzz-artifacts/<name>/, logs
# in BUILD_DIR/fuzz-logs/<name>.log. FUZZ_FLAGS adds libFuzzer flags to every run.
set -uo pipefail
build=$1 seconds=$2
shift 2
src=$(cd "$(dirname "$0")" && pwd)
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Inputs larger than this are not tried: parsers see bodies of at most 1 MiB, but size rarely
# finds anything that 64 KiB does not, and it costs executions. Pictures get more room.
max_len_of() {
  case $1 in
    qr_scan) echo 65536 ;;
    *) echo 16384 ;;
  esac
}

failed=0
rows=()
for name in "$@"; do
  bin=$build/fuzz/${name}_fuzz
  corpus=$build/fuzz-corpus/$name artifacts=$build/fuzz-artifacts/$name/ log=$build/fuzz-logs/$name.log
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  echo "fuzz: $name for ${seconds}s"
  touch "$log.start"
  # -timeout: an input that takes 25 s is a finding (a request that ties up a thread).
  # shellcheck disable=SC2086
  "$bin" -max_total_time="$seconds" -max_len="$(max_len_of "$name")" -timeout=25 -rss_limit_mb=2560 \
    -print_final_stats=1 -artifact_prefix="$artifacts" ${FUZZ_FLAGS:-} "$corpus" "$src/corpus/$name" >"$log" 2>&1
  status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  [ -n "$runs" ] || runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  crashes=$(find "$artifacts" -type f -newer "$log.start" | wc -l)  # libFuzzer stops at the first
  if [ "$status" -ne 0 ]; then
    failed=1
    [ "$crashes" -gt 0 ] || crashes=1
    echo "fuzz: $name FAILED (exit $status); the last lines of $log:"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|.*property failed|artifact_prefix|Test unit written)' "$log" | head -20
  fi
  rows+=("$(printf '%-18s %12s %10s %8s %8s' "$name" "${runs:-?}" "${rate:-?}" "$(find "$corpus" -type f | wc -l)" "$crashes")")
done

printf '\n%-18s %12s %10s %8s %8s\n' target executions exec/s corpus crashes
printf '%s\n' "${rows[@]}"
[ "$failed" -eq 0 ] && echo "fuzz: no crashes" || echo "fuzz: CRASHES (inputs under $build/fuzz-artifacts/)"
exit "$failed"
