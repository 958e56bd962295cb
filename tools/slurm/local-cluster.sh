#!/usr/bin/env bash
# A real single-node Slurm cluster on localhost, for testing `bench sweep --slurm`: munged, slurmctld and
# slurmd started by hand (no systemd, no cgroups) with a generated slurm.conf in a temporary folder.
#
#   source tools/slurm/local-cluster.sh; cluster_start DIR; ...; cluster_stop
#
# cluster_start exports SLURM_CONF (so sbatch, squeue, scontrol and `bench sweep --submit` talk to this
# cluster) and needs Debian's slurm-wlm and munge. It runs as root (slurmd must, to start jobs) and uses
# its own ports and munge socket, so it cannot disturb another Slurm on the machine.

cluster_start() {
    local dir="$1"
    CLUSTER_DIR="$dir"
    mkdir -p "$dir"/{state,spool,log,munge}
    chmod 700 "$dir/munge"
    # munged wants a key only its user can read, in a folder nobody else can write.
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
    chmod 400 "$dir/munge/munge.key"
    munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/socket" \
        --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/seed"

    local node cpus memory port
    node="$(hostname -s)"
    cpus="$(nproc)"
    # RealMemory a little under the machine's, in MiB (slurmd drains a node that reports less).
    memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 9 / 10 ))
    # Ports away from Slurm's defaults (6817/6818), picked from the process id to let two test runs coexist.
    port=$(( 17000 + ($$ % 500) * 2 ))
    cat > "$dir/slurm.conf" <<CONF
ClusterName=benchci
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
MinJobAge=3600
DefMemPerCPU=1024
SchedulerType=sched/backfill
SlurmdTimeout=60
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=ci Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF="$dir/slurm.conf"
    slurmctld -f "$SLURM_CONF"
    slurmd -f "$SLURM_CONF" -N "$node"
    # Wait until the node is idle (slurmd registered with slurmctld).
    local i state
    for i in $(seq 1 60); do
        state="$(sinfo -h -n "$node" -o %T 2>/dev/null || true)"
        if [[ "$state" == idle* ]]; then echo "slurm: node $node ($cpus CPUs, $memory MiB) is $state"; return 0; fi
        sleep 1
    done
    echo "slurm: the node did not come up (state '$state'); logs:" >&2
    tail -n 30 "$dir"/log/*.log >&2
    return 1
}

cluster_stop() {
    local dir="${CLUSTER_DIR:-}" file pid
    [[ -n "$dir" ]] || return 0
    # By the daemons' own pid files, one process each: slurmd first (it may still run a job), then
    # slurmctld, then munged.
    for file in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
        [[ -f "$file" ]] || continue
        pid="$(cat "$file")"
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        kill -9 "$pid" 2>/dev/null || true
    done
    CLUSTER_DIR=""
}
