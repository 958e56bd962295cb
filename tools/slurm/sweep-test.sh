#!/usr/bin/env bash
# `bench sweep --slurm --submit` against a real single-node Slurm (munged, slurmctld and slurmd started
# here on localhost by tools/slurm/local-cluster.sh): a 2-task CI-profile matrix (videosage and edsnet,
# seed 0, --size small --profile ci) runs as a job array, the merge job (afterok on the array) runs
# `bench report`, and the merged summary must hold both runs, completed. Then the same sweep is submitted
# again: both tasks are skipped (no array), only the merge runs. Then one task's run.json is made to say
# failed and the sweep submitted again: that task alone runs again, its earlier files kept aside. Prints
# the job ids, their states and the merged tables; stops the daemons however it ends. Needs root and
# Debian's slurm-wlm and munge.
#
#   tools/slurm/sweep-test.sh [path/to/bench]      (default .build/release/bench)
set -euo pipefail
cd "$(dirname "$0")/../.."
bench="$(realpath "${1:-.build/release/bench}")"
work="$(mktemp -d /tmp/bench-slurm-test.XXXXXX)"
source tools/slurm/local-cluster.sh

jobs_to_cancel=()
finish() {
    local status=$?
    if [[ ${#jobs_to_cancel[@]} -gt 0 && -n "${SLURM_CONF:-}" ]]; then scancel "${jobs_to_cancel[@]}" 2>/dev/null || true; fi
    cluster_stop
    if [[ $status -eq 0 ]]; then rm -rf "$work"; else echo "slurm test FAILED (status $status); files kept in $work" >&2; fi
    exit $status
}
trap finish EXIT

cluster_start "$work/cluster"

# The state of a job (an array's elements each on a line): "JobId ArrayTaskId JobState ExitCode".
job_states() {
    scontrol -o show job "$1" | tr ' ' '\n' | awk -F= '
        /^JobId=/ {if (line) print line; line = "job " $2} /^ArrayTaskId=/ {line = line " task " $2}
        /^JobState=/ {line = line " " $2} /^ExitCode=/ {line = line " exit " $2} END {if (line) print line}'
}

# Waits until no job of the list is pending or running (at most $2 seconds).
wait_for() {
    local deadline=$(( SECONDS + $2 ))
    while (( SECONDS < deadline )); do
        if ! job_states "$1" | grep -qE " (PENDING|RUNNING|CONFIGURING|COMPLETING)( |$)"; then return 0; fi
        sleep 2
    done
    echo "job $1 still not finished after $2 s:" >&2
    job_states "$1" >&2
    return 1
}

sweep=(sweep --slurm --submit --name slurm-ci --out "$work/results" --models videosage,edsnet --seeds 1 --sizes small
       --profile ci --cpus-per-task 1 --time 00:20:00 --partition ci)

submit() {
    echo "\$ bench ${sweep[*]}"
    "$bench" "${sweep[@]}" | tee "$work/submit.log"
    array="$(sed -n 's/^array job: \([0-9]*\).*/\1/p' "$work/submit.log")"
    merge="$(sed -n 's/^merge job: \([0-9]*\).*/\1/p' "$work/submit.log")"
    [[ -n "$merge" ]] || { echo "no merge job id in the output of bench sweep" >&2; exit 1; }
    jobs_to_cancel=($array $merge)
}

echo "== first submission"
submit
[[ -n "$array" ]] || { echo "no array job id in the output of bench sweep" >&2; exit 1; }
wait_for "$array" 900
wait_for "$merge" 300
echo "job states:"
job_states "$array"
job_states "$merge"
[[ "$(job_states "$array" | grep -c " COMPLETED exit 0:0")" -eq 2 ]] || { echo "the array's two tasks did not both complete" >&2; exit 1; }
job_states "$merge" | grep -q " COMPLETED exit 0:0" || { echo "the merge job did not complete" >&2; cat "$work"/results/slurm-ci/slurm/logs/merge-*.out >&2; exit 1; }

report="$(ls -d "$work"/results/slurm-ci/reports/*-report | tail -n 1)"
completed="$(grep -c '"status" : "completed"' "$report/summary.json" || true)"
echo "merged summary: $report/summary.json: $completed completed runs"
[[ "$completed" -eq 2 ]] || { echo "expected 2 completed runs in the merged summary" >&2; exit 1; }
for model in videosage edsnet; do
    grep -q "\"model\" : \"$model\"" "$report/summary.json" || { echo "no $model run in the merged summary" >&2; exit 1; }
done
echo "merged table ($report/summary.md):"
awk '/^\|/ {print; shown = 1; next} shown {exit}' "$report/summary.md"

echo "== the same sweep submitted again: both tasks are skipped, only the merge runs"
submit
grep -q "0 to run" "$work/submit.log" && [[ -z "$array" ]] || { echo "the resubmitted sweep did not skip both completed tasks" >&2; exit 1; }
wait_for "$merge" 300
job_states "$merge"
job_states "$merge" | grep -q " COMPLETED exit 0:0" || { echo "the second merge job did not complete" >&2; exit 1; }
[[ "$(ls -d "$work"/results/slurm-ci/reports/*-report | wc -l)" -eq 2 ]] || { echo "expected a second report" >&2; exit 1; }

echo "== a task left failed (its run.json says so) runs again on resubmission, its earlier files moved aside"
run_file="$work/results/slurm-ci/videosage/seed-0/run.json"
sed -i 's/"status" : "completed"/"status" : "failed"/' "$run_file"
submit
grep -q "1 to run (1 of them again" "$work/submit.log" && [[ -n "$array" ]] || { echo "the failed task was not resubmitted alone" >&2; exit 1; }
wait_for "$array" 900
wait_for "$merge" 300
job_states "$array"
job_states "$merge"
job_states "$merge" | grep -q " COMPLETED exit 0:0" || { echo "the third merge job did not complete" >&2; exit 1; }
grep -q '"status" : "failed"' "$work/results/slurm-ci/videosage/.seed-0.attempt-1/run.json" || { echo "the earlier attempt was not kept" >&2; exit 1; }
report="$(ls -d "$work"/results/slurm-ci/reports/*-report | tail -n 1)"
[[ "$(grep -c '"status" : "completed"' "$report/summary.json")" -eq 2 ]] || { echo "expected 2 completed runs after the rerun" >&2; exit 1; }
echo "earlier attempt kept in videosage/.seed-0.attempt-1; merged table ($report/summary.md):"
awk '/^\|/ {print; shown = 1; next} shown {exit}' "$report/summary.md"
jobs_to_cancel=()
echo "slurm sweep test passed"
