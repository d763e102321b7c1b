#!/usr/bin/env bash
# End-to-end test on a real Slurm: a one-node cluster on localhost (munged +
# slurmctld + slurmd, all in a temporary directory) runs
# scripts/slurm-array.sbatch as a 3-task array over a 9-prompt file, then the
# test checks 9 PNGs and a complete manifest.jsonl.
#
#   tests/e2e/slurm_array_test.sh VQCLIP_EXE BUNDLE_DIR
#
# Installs Debian's slurm-wlm and munge with apt-get when they are missing
# (needs root). Exit codes: 0 pass, 1 fail, 77 skip (the cluster cannot be
# installed or started here; the reason and the daemon log lines are printed).
# Everything after the install must finish within VQCLIP_SLURM_TEST_LIMIT
# seconds (default 170). Set VQCLIP_SLURM_TEST_KEEP=1 to keep the temp dir.
set -uo pipefail

SKIP=77
limit=${VQCLIP_SLURM_TEST_LIMIT:-170}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_dir=${VQCLIP_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
sbatch_script=$source_dir/scripts/slurm-array.sbatch

log() { printf '[slurm-test %3ds] %s\n' "$((SECONDS - t0))" "$*"; }
t0=$SECONDS

if [[ $# -ne 2 ]]; then
  echo "usage: $0 VQCLIP_EXE BUNDLE_DIR" >&2
  exit 2
fi
exe=$(realpath -m -- "$1")
bundle=$(realpath -m -- "$2")
[[ -x $exe ]] || { echo "FAIL: vqclip executable not found: $exe" >&2; exit 1; }
[[ -f $sbatch_script ]] || { echo "FAIL: $sbatch_script not found" >&2; exit 1; }
if [[ ! -f $bundle/vqclip.json ]]; then
  echo "SKIP: no model bundle at $bundle (vqclip.json missing)"
  exit $SKIP
fi

# ---------------------------------------------------------------- install
# Debian keeps the daemons in /usr/sbin, which a non-login PATH may lack.
export PATH=$PATH:/usr/sbin:/sbin
need_install=0
for tool in munged munge slurmctld slurmd sbatch squeue sinfo scontrol scancel; do
  command -v "$tool" >/dev/null 2>&1 || need_install=1
done
created_policy=""
if [[ $need_install == 1 ]]; then
  if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "SKIP: slurm-wlm/munge are not installed and cannot be installed here (needs root and apt-get)"
    exit $SKIP
  fi
  log "installing slurm-wlm and munge with apt-get"
  # Keep apt from starting the packaged daemons (there may be no init system).
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && created_policy=1
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  install_start=$SECONDS
  : >"${TMPDIR:-/tmp}/vqclip-slurm-apt.log"
  export DEBIAN_FRONTEND=noninteractive
  apt_install() {
    apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confdef \
      -o Dpkg::Options::=--force-confold slurm-wlm munge >>"${TMPDIR:-/tmp}/vqclip-slurm-apt.log" 2>&1
  }
  if ! apt_install; then
    apt-get update -q >>"${TMPDIR:-/tmp}/vqclip-slurm-apt.log" 2>&1
    apt_install
  fi
  install_rc=$?
  [[ -n $created_policy ]] && rm -f /usr/sbin/policy-rc.d && created_policy="" && trap - EXIT
  if [[ $install_rc != 0 ]]; then
    echo "SKIP: apt-get install slurm-wlm munge failed (rc $install_rc); last lines of the apt log:"
    tail -n 15 "${TMPDIR:-/tmp}/vqclip-slurm-apt.log" | sed 's/^/  apt: /'
    exit $SKIP
  fi
  rm -f "${TMPDIR:-/tmp}/vqclip-slurm-apt.log"
  log "install took $((SECONDS - install_start)) s"
fi
for tool in munged munge unmunge slurmctld slurmd sbatch squeue sinfo scontrol scancel; do
  command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not found after the install"; exit $SKIP; }
done
if [[ $(id -u) != 0 ]]; then
  echo "SKIP: slurmd must run as root (this test runs a whole cluster as root)"
  exit $SKIP
fi

# ---------------------------------------------------------------- budget, teardown
start=$SECONDS
deadline=$((start + limit))
left() { echo $((deadline - SECONDS)); }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vqclip-slurm.XXXXXX")
chmod 755 "$tmp"
mkdir -p "$tmp"/{munge,state,spool,log,work,out}
chmod 711 "$tmp/munge"
munged_pid="" ctld_pid="" slurmd_pid="" watchdog_pid="" job_id=""

stop_pid() { # pid name: TERM, wait up to 10 s, then KILL
  local pid=$1 i
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

teardown() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -n $watchdog_pid ]] && kill "$watchdog_pid" 2>/dev/null
  if [[ -n $job_id && -n $ctld_pid ]] && kill -0 "$ctld_pid" 2>/dev/null; then
    timeout 10 scancel "$job_id" >/dev/null 2>&1
    for ((i = 0; i < 50; i++)); do
      [[ -z $(timeout 5 squeue -h -j "$job_id" 2>/dev/null) ]] && break
      sleep 0.2
    done
  fi
  stop_pid "$slurmd_pid"
  stop_pid "$ctld_pid"
  stop_pid "$munged_pid"
  [[ -n $created_policy ]] && rm -f /usr/sbin/policy-rc.d
  if [[ ${VQCLIP_SLURM_TEST_KEEP:-0} == 1 ]]; then
    echo "kept $tmp"
  else
    rm -rf "$tmp"
  fi
  exit "$rc"
}
trap teardown EXIT
trap 'echo "FAIL: interrupted or past the ${limit} s limit"; exit 1' INT TERM

# A hard guard besides the bounded waits below: TERM ourselves at the limit.
(
  trap 'kill "$sleep_pid" 2>/dev/null; exit 0' TERM
  sleep "$limit" & sleep_pid=$!
  wait "$sleep_pid" && kill -TERM $$
) >/dev/null 2>&1 &
watchdog_pid=$!

show_logs() { # why: print the relevant daemon log lines
  local f
  for f in munged slurmctld slurmd; do
    # The daemons run in the foreground: their stderr (.out) repeats their log file.
    f=$tmp/log/$f.log
    [[ -s $f ]] || f=${f%.log}.out
    [[ -s $f ]] || continue
    echo "--- $(basename "$f") (errors and last lines)"
    # (PMIx and MailProg complaints are harmless noise of Debian's build.)
    { grep -iE 'error|fatal|refus|denied|cannot|unable|fail' "$f" |
        grep -viE 'pmix|MailProg|state file|Trying backup' | tail -n 15; tail -n 8 "$f"; } |
      awk '!seen[$0]++' | sed 's/^/  /'
  done
}
skip() { echo "SKIP: $*"; show_logs; exit $SKIP; }
fail() { echo "FAIL: $*"; show_logs; exit 1; }

free_port() { # first port from $1 up whose and next port's are not listening
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || (exec 3<>"/dev/tcp/127.0.0.1/$((p + 1))") 2>/dev/null; do
    p=$((p + 2))
  done
  echo "$p"
}

# ---------------------------------------------------------------- munge
log "temp dir $tmp"
head -c 1024 /dev/urandom >"$tmp/munge/munge.key"
chmod 400 "$tmp/munge/munge.key"
socket=$tmp/munge/munge.socket
munged -F --force --key-file="$tmp/munge/munge.key" --socket="$socket" \
  --pid-file="$tmp/munge/munged.pid" --log-file="$tmp/log/munged.log" \
  --seed-file="$tmp/munge/munged.seed" >"$tmp/log/munged.out" 2>&1 &
munged_pid=$!
for ((i = 0; i < 50; i++)); do [[ -S $socket ]] && break; kill -0 "$munged_pid" 2>/dev/null || break; sleep 0.1; done
if ! munge -n -S "$socket" 2>/dev/null | unmunge -S "$socket" >/dev/null 2>&1; then
  skip "munged did not start or does not answer on $socket"
fi
log "munged up (pid $munged_pid)"

# ---------------------------------------------------------------- slurm.conf
host=$(hostname -s)
mem_mb=$(awk '/^MemTotal:/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
cpus=$(nproc)
((cpus > 2)) && cpus=2
port=$(free_port $((20000 + $$ % 20000)))
conf=$tmp/slurm.conf
cat >"$conf" <<EOF
ClusterName=vqclipci
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$conf

# ---------------------------------------------------------------- daemons
cluster_start=$SECONDS
slurmctld -D -c -f "$conf" >"$tmp/log/slurmctld.out" 2>&1 &
ctld_pid=$!
slurmd -D -N "$host" -f "$conf" >"$tmp/log/slurmd.out" 2>&1 &
slurmd_pid=$!

# The node must come up idle; give the cluster at most 60 s of the budget.
state=""
while :; do
  kill -0 "$ctld_pid" 2>/dev/null || skip "slurmctld exited"
  kill -0 "$slurmd_pid" 2>/dev/null || skip "slurmd exited"
  state=$(timeout 5 sinfo -h -N -n "$host" -o '%T' 2>/dev/null | head -n 1)
  [[ $state == idle ]] && break
  case $state in
    drain* | down* | fail*)
      skip "node $host is $state: $(timeout 5 sinfo -h -R -o '%E' 2>/dev/null)" ;;
  esac
  ((SECONDS - cluster_start > 60 || $(left) < 10)) && skip "node $host not idle after $((SECONDS - cluster_start)) s (state '${state:-no answer}')"
  sleep 0.5
done
log "cluster up: node $host idle after $((SECONDS - cluster_start)) s"

# ---------------------------------------------------------------- the array
prompts=$tmp/work/prompts.txt
cat >"$prompts" <<'EOF'
# nine jobs for a 3-task Slurm array: task k renders jobs i with i mod 3 == k
a red circle
a blue square

a green triangle
a yellow star on black
# comments and blank lines are not jobs
a purple ring
an orange cross
a white disc on grey
a cyan diamond
two pink dots
EOF
out=$tmp/out
run_start=$SECONDS
# The batch script asks for 4 CPUs and 8G, more than this node may have:
# override on the command line (sbatch options beat #SBATCH lines). The
# script passes --threads $SLURM_CPUS_PER_TASK itself, so no --threads here.
job_id=$(cd "$tmp/work" && VQCLIP=$exe timeout 20 sbatch --parsable --array=0-2 --cpus-per-task=1 --mem=256M \
  --time=00:05:00 "$sbatch_script" "$prompts" "$out" \
  --models "$bundle" --steps 3 --cutn 2 --size 32 32 --seed 7 --no-verify 2>"$tmp/log/sbatch.err")
job_id=${job_id%%;*}
[[ $job_id =~ ^[0-9]+$ ]] || fail "sbatch failed: $(cat "$tmp/log/sbatch.err")"
log "submitted array job $job_id"

while [[ -n $(timeout 5 squeue -h -j "$job_id" -o '%i' 2>/dev/null) ]]; do
  (($(left) < 5)) && { timeout 5 squeue -j "$job_id"; fail "array job $job_id not finished within the ${limit} s limit"; }
  sleep 0.5
done
log "array job $job_id finished after $((SECONDS - run_start)) s"

# ---------------------------------------------------------------- checks
errors=0
err() { echo "  error: $*"; errors=$((errors + 1)); }

for task in 0 1 2; do
  info=$(timeout 5 scontrol -o show job "${job_id}_$task" 2>/dev/null)
  st=$(grep -o 'JobState=[A-Z_]*' <<<"$info" | head -n 1)
  ec=$(grep -o ' ExitCode=[0-9:]*' <<<"$info" | head -n 1)
  logf=$tmp/work/vqclip-${job_id}_$task.log
  echo "  task $task: ${st:-JobState=?}${ec:- ExitCode=?}; log $(basename "$logf")"
  [[ $st == JobState=COMPLETED ]] || err "task $task: ${st:-no job record}${ec}"
  if [[ -f $logf ]]; then
    # Each task is one shard of three and renders exactly its three jobs.
    grep -q "shard $task/3" "$logf" || err "task $task: log does not mention shard $task/3"
    if [[ $st != JobState=COMPLETED ]]; then tail -n 5 "$logf" | sed 's/^/    /'; fi
  else
    err "task $task: no log $logf"
  fi
done

mapfile -t pngs < <(find "$out" -maxdepth 1 -name '*.png' -printf '%f\n' 2>/dev/null | sort)
[[ ${#pngs[@]} == 9 ]] || err "expected 9 PNGs in the out dir, found ${#pngs[@]}: ${pngs[*]}"
for f in "${pngs[@]}"; do
  [[ $(head -c 8 "$out/$f" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] || err "$f is not a PNG"
done

manifest=$out/manifest.jsonl
if [[ -f $manifest ]]; then
  lines=$(grep -c . "$manifest")
  [[ $lines == 9 ]] || err "manifest has $lines lines, expected 9"
  declare -A seen=()
  while IFS= read -r line; do
    [[ -z $line ]] && continue
    idx=$(sed -nE 's/.*"index": *([0-9]+).*/\1/p' <<<"$line")
    file=$(sed -nE 's/.*"file": *"([^"]*)".*/\1/p' <<<"$line")
    [[ -n $idx ]] || { err "manifest line without an index: $line"; continue; }
    [[ $line =~ \"status\":\ *\"done\" ]] || err "index $idx: status is not done"
    [[ -n ${seen[$idx]:-} ]] && err "index $idx appears twice in the manifest"
    seen[$idx]=1
    [[ -n $file && -f $out/$file ]] || err "index $idx: file '$file' missing"
  done <"$manifest"
  for i in 0 1 2 3 4 5 6 7 8; do [[ -n ${seen[$i]:-} ]] || err "index $i missing from the manifest"; done
else
  err "no manifest.jsonl in the out dir"
fi

log "timings: cluster start $((run_start - cluster_start)) s, array run $((SECONDS - run_start)) s, total after install $((SECONDS - start)) s"
if ((errors > 0)); then
  echo "--- out dir:"; ls -l "$out" 2>/dev/null | sed 's/^/  /'
  for task in 0 1 2; do
    f=$tmp/work/vqclip-${job_id}_$task.log
    [[ -f $f ]] && { echo "--- $(basename "$f") (last lines)"; tail -n 6 "$f" | sed 's/^/  /'; }
  done
  fail "$errors check(s) failed"
fi
echo "PASS: 3-task Slurm array rendered 9 PNGs with a complete manifest"
