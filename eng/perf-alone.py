#!/usr/bin/env python3
"""What the calling thread runs while the pool's worker is idle, from a perf recording of a training run.

Record (a 20 kHz clock gives 50 µs resolution; the run should be mostly steps):
  DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 perf record -e cpu-clock -F 20000 -o /tmp/run.data -- <command>
  perf script -i /tmp/run.data -F comm,tid,time,ip,sym > /tmp/run.txt
  eng/perf-alone.py /tmp/run.txt [--skip SECONDS] [--top N]

Each sample of the calling thread (the busiest thread not named "RandAD worker" or ".NET ...") is paired with the worker's
sample nearest in time (within 60 µs); when that one is in the worker's spin or sleep (scheduler, yield, clock reads, the
runtime's spin loop) or missing, the calling thread counts as working alone. Prints the share of its samples alone and the
methods it runs then. `perf report --comm` was not reliable for per-thread symbols on these VMs; this pairing is.
"""
import argparse
import bisect
import collections
import re

IDLE = {
    "__schedule", "schedule", "[unknown]", "do_sched_yield", "__sched_yield", "__x64_sys_sched_yield", "do_syscall_64",
    "x64_sys_call", "__vdso_clock_gettime", "clock_gettime@@GLIBC_2.17", "SystemNative_GetTimestamp", "SpinOnceCore",
    "DrainParts", "Loop", "Sleep", "finish_task_switch.isra.0", "finish_wait", "pthread_mutex_lock@@GLIBC_2.2.5",
    "pthread_getspecific@@GLIBC_2.34", "__tls_get_addr", "handle_softirqs", "irqentry_exit_to_user_mode",
    "sched_balance_update_blocked_averages",
}

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("script", help="output of perf script -F comm,tid,time,ip,sym")
parser.add_argument("--skip", type=float, default=1.5, help="seconds of start-up to leave out (default 1.5)")
parser.add_argument("--top", type=int, default=25, help="methods to list (default 25)")
args = parser.parse_args()

samples = collections.defaultdict(list)
line_format = re.compile(r"\s*(.+?)\s+(\d+)\s+([\d.]+):\s+([0-9a-f]+)\s*(.*)")
for line in open(args.script, encoding="utf-8", errors="replace"):
    m = line_format.match(line)
    if not m:
        continue
    comm, tid, t, _, sym = m.groups()
    sym = re.sub(r"\(.*", "", sym)
    sym = sym.split("::")[-1] if "::" in sym else (sym.split()[-1] if sym.split() else "?")
    samples[(comm.strip(), int(tid))].append((float(t), sym))

threads = sorted(samples, key=lambda k: -len(samples[k]))
workers = [k for k in threads if k[0].startswith("RandAD worker")]
callers = [k for k in threads if not k[0].startswith("RandAD worker") and not k[0].startswith(".NET")]
if not workers or not callers:
    raise SystemExit("no worker or no calling thread in the recording (was the run on one thread?)")
main, worker = callers[0], workers[0]
worker_samples = samples[worker]
worker_times = [s[0] for s in worker_samples]
start = samples[main][0][0] + args.skip
alone, busy = collections.Counter(), 0
for t, sym in samples[main]:
    if t < start:
        continue
    i = bisect.bisect_left(worker_times, t)
    near = [worker_samples[j] for j in (i - 1, i) if 0 <= j < len(worker_samples) and abs(worker_samples[j][0] - t) < 60e-6]
    state = min(near, key=lambda s: abs(s[0] - t))[1] if near else None
    if state is None or state in IDLE:
        alone[sym] += 1
    else:
        busy += 1

total = busy + sum(alone.values())
print(f"calling thread {main[1]}: {total} samples, alone (worker idle) {sum(alone.values())} = {sum(alone.values()) / max(total, 1):.1%}")
for sym, n in alone.most_common(args.top):
    print(f"{n:7d} {n / max(total, 1):6.1%}  {sym}")
