# sweep_cluster.sh — `spikechip sweep --emit parallel|slurm` run for real (doc/dse.md): the
# 4-point sweep tests/data/sweep/four.ini, once locally, once through GNU parallel and once on a
# single-node Slurm cluster started here from Debian's slurm-wlm and munge (configuration, state,
# keys and logs in a temporary directory; no cgroups, no accounting, no name lookups); the merged
# CSV of both equals the local run's (wall_s aside). Setup installs parallel, slurm-wlm and munge: without
# them the test fails, it does not skip.
. "$TOP_SRCDIR/tests/cli/lib.sh"

use_tiny_fixture
SPEC="$TOP_SRCDIR/tests/data/sweep/four.ini"
for t in parallel sbatch squeue scontrol /usr/sbin/slurmctld /usr/sbin/slurmd /usr/sbin/munged; do
	T_CHECKS=$((T_CHECKS + 1))
	command -v "$t" >/dev/null || fail "$t is not installed (./setup.sh installs parallel, slurm-wlm and munge)"
done

# the local reference, its CSV without wall_s
expect_status 0 "$SPIKECHIP" sweep "$SPEC" --out "$T_TMP/local" --jobs 2 --pareto energy,latency
expect_grep out '4 points: 4 ok,'
sed 's/,[^,]*$//' "$T_TMP/local/results.csv" >"$T_TMP/local.csv"

same_as_local() {
	T_CHECKS=$((T_CHECKS + 1))
	[ -f "$T_TMP/$1/results.csv" ] || fail "$1: no merged results.csv"
	sed 's/,[^,]*$//' "$T_TMP/$1/results.csv" | cmp - "$T_TMP/local.csv" ||
		fail "$1: the merged results.csv differs from the local run's"
}

# --- GNU parallel ------------------------------------------------------------------------------
expect_status 0 "$SPIKECHIP" sweep "$SPEC" --out "$T_TMP/par" --emit parallel --pareto energy,latency
T_CHECKS=$((T_CHECKS + 1))
[ "$(wc -l <"$T_TMP/par/parallel.jobs")" = 4 ] || fail "parallel.jobs should hold 4 points"
expect_grep out 'run-parallel.sh'
export JOBS=2
expect_status 0 "$T_TMP/par/run-parallel.sh"
expect_grep out '4 points: 4 ok,'
same_as_local par
T_CHECKS=$((T_CHECKS + 1))
[ "$(tail -n +2 "$T_TMP/par/parallel.log" | awk '$7 == 0' | wc -l)" = 4 ] ||
	fail "parallel's job log does not show 4 successful points"

# --- a private single-node Slurm ---------------------------------------------------------------
S="$T_TMP/slurm-cluster"
mkdir -p "$S/state" "$S/spool" "$S/log"
host=$(hostname -s)
user=$(id -un)
base=$((20000 + $$ % 20000))
head -c 1024 /dev/urandom >"$S/munge.key"
chmod 600 "$S/munge.key"
cat >"$S/slurm.conf" <<EOF
ClusterName=spktest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$S/munge.sock
SlurmctldPort=$base
SlurmdPort=$((base + 1))
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MpiDefault=none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$(awk '/MemTotal/ { print int($2 / 1024 / 2) }' /proc/meminfo) State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
# Slurm 22.05's slurmd loads a cgroup plugin even without cgroup tracking; "autodetect" fails
# where /sys/fs/cgroup is not mounted (a chroot), cgroup/v1 only loads. Addresses are given, so
# that no name lookup is needed (a root image without /etc/hosts).
printf 'CgroupPlugin=cgroup/v1\n' >"$S/cgroup.conf"
export SLURM_CONF="$S/slurm.conf"
stop_cluster() {
	scontrol shutdown >/dev/null 2>&1
	for f in slurmctld.pid slurmd.pid munged.pid; do
		[ -f "$S/$f" ] && kill "$(cat "$S/$f")" 2>/dev/null
	done
	sleep 1
	rm -rf "$T_TMP"
}
trap stop_cluster EXIT
T_CHECKS=$((T_CHECKS + 1))
/usr/sbin/munged -f --key-file="$S/munge.key" --socket="$S/munge.sock" --pid-file="$S/munged.pid" \
	--log-file="$S/log/munged.log" --seed-file="$S/munged.seed" || fail "munged did not start"
T_CHECKS=$((T_CHECKS + 1))
/usr/sbin/slurmctld -f "$SLURM_CONF" && /usr/sbin/slurmd -f "$SLURM_CONF" ||
	{ cat "$S"/log/*.log >&2; fail "slurmctld or slurmd did not start"; }
T_CHECKS=$((T_CHECKS + 1))
up=0
for i in $(seq 60); do
	sinfo -h -o '%t' 2>/dev/null | grep -q idle && { up=1; break; }
	sleep 1
done
[ "$up" = 1 ] || { sinfo; cat "$S"/log/*.log >&2; fail "the Slurm node did not come up"; }

expect_status 0 "$SPIKECHIP" sweep "$SPEC" --out "$T_TMP/slurm" --emit slurm --pareto energy,latency \
	--slurm-option=--partition=test
expect_grep out 'points.sbatch \(4 tasks, [0-9]+ MiB, [0-9]+ min each\)'
T_CHECKS=$((T_CHECKS + 1))
grep -q '^#SBATCH --array=0-3$' "$T_TMP/slurm/slurm/points.sbatch" &&
	grep -q '^#SBATCH --partition=test$' "$T_TMP/slurm/slurm/merge.sbatch" ||
	fail "the sbatch scripts lack the array or the extra option"
expect_status 0 "$T_TMP/slurm/slurm/submit.sh"
expect_grep out '^submitted: points as job [0-9]+, the merge as job [0-9]+'
T_CHECKS=$((T_CHECKS + 1))
gone=0
for i in $(seq 240); do
	[ -z "$(squeue -h 2>/dev/null)" ] && [ -f "$T_TMP/slurm/slurm/merge.out" ] && { gone=1; break; }
	sleep 1
done
[ "$gone" = 1 ] || { squeue; cat "$S"/log/*.log >&2; fail "the Slurm jobs did not finish in 4 minutes"; }
T_CHECKS=$((T_CHECKS + 1))
grep -q '4 points: 4 ok,' "$T_TMP/slurm/slurm/merge.out" ||
	{ cat "$T_TMP/slurm/slurm/"*.out >&2; fail "the merge job did not merge 4 points"; }
same_as_local slurm
T_CHECKS=$((T_CHECKS + 1))
[ "$(ls "$T_TMP/slurm/slurm/" | grep -c '^task-[0-9]*\.out$')" = 4 ] ||
	fail "expected the output of 4 array tasks"

echo "sweep_cluster.sh: $T_CHECKS checks passed"
