#!/usr/bin/env python3
"""vqclip against the peers' loop (scripts/peer_loop.py), side by side on this
machine, in one go: whole processes (loading included) taken in turn, the
median of --runs each, with each process's peak RSS. Prints a table and the
ratio of steps a second; the README's speed table comes from it.

Both loops run the same work: --steps steps of --cutn cutouts at --size, the
peers' cutouts (random squares pooled to CLIP's input: vqclip's `crops`) and
no augmentation, Adam at lr 0.1. The peers' loop runs in fp32; vqclip in
each of --vqclip-precision (fp32, vqclip's default; bf16 autocasts its
modules on the CPU's bf16 units and changes pixels, see README).

  bench_vs_peers.py [--models models/tiny-shapes] [--size 64 64] [--steps 150] [--cutn 32]
                    [--runs 3] [--vqclip-threads 0 2 ...] [--vqclip-precision fp32 bf16]
                    [--peer-threads 0 ...] [--concurrent 2]

A thread count of 0 is each side's default: vqclip's automatic choice
(OMP_NUM_THREADS, else the cores) and PyTorch's own (one thread on a
2-core machine, where it counts physical cores). --concurrent K starts K copies of each command at
once (as `eval_generation.py --jobs 2` and cluster shards share a machine)
and reports the median of their wall times."""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROMPT = "a red circle on a blue background"


def timed(commands):
    """Runs the commands at once; each one's wall seconds and peak RSS (GiB)."""
    results = []
    started = time.monotonic()
    processes = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=False) for c in commands]
    pending = {p.pid: p for p in processes}
    done = {}
    while pending:
        pid, status, usage = os.wait4(-1, 0)
        if pid not in pending:
            continue
        done[pid] = (time.monotonic() - started, usage.ru_maxrss / 2**20, status)
        del pending[pid]
    for process, command in zip(processes, commands):
        seconds, rss, status = done[process.pid]
        if status != 0:
            raise SystemExit(f"{' '.join(command)} failed: {process.stderr.read().decode(errors='replace')}")
        results.append((seconds, rss))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vqclip", default=os.path.join(HERE, "..", "build", "bin", "vqclip"))
    parser.add_argument("--models", default=os.path.join(HERE, "..", "models", "tiny-shapes"))
    parser.add_argument("--size", type=int, nargs=2, metavar=("W", "H"))
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--cutn", type=int, default=32)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warmup-runs", type=int, default=1,
                        help="untimed runs of each command first: vqclip caches its memory costs per bundle, "
                             "settings and build, which a first render measures (seconds at full size)")
    parser.add_argument("--vqclip-threads", type=int, nargs="*", default=[0])
    parser.add_argument("--vqclip-precision", nargs="*", default=["fp32"], choices=["fp32", "bf16"])
    parser.add_argument("--peer-threads", type=int, nargs="*", default=[0])
    parser.add_argument("--concurrent", type=int, default=1)
    parser.add_argument("--vqclip-args", default="", help="more vqclip options, e.g. '--drawer vector'")
    args = parser.parse_args()

    size = ["--size", str(args.size[0]), str(args.size[1])] if args.size else []
    with tempfile.TemporaryDirectory() as work:
        commands = {}
        for precision in args.vqclip_precision:
            for threads in args.vqclip_threads:
                commands[f"vqclip, threads {threads or 'auto'}, {precision}"] = lambda i, t=threads, p=precision: [
                    args.vqclip, "-p", PROMPT, "--models", args.models, "--steps", str(args.steps), "--cutn",
                    str(args.cutn), "--cut-method", "crops", "--augment", "none", "--seed", "1", "-q",
                    "--threads", str(t), "--precision", p, "-o", os.path.join(work, f"v{i}.png")
                ] + size + args.vqclip_args.split()
        for threads in args.peer_threads:
            commands[f"peers' loop, threads {threads or 'default'}"] = lambda i, t=threads: [
                "/usr/bin/python3", os.path.join(HERE, "peer_loop.py"), "--models", args.models, "--steps",
                str(args.steps), "--warmup", "0", "--cutn", str(args.cutn)] + size + (
                ["--threads", str(t)] if t else [])
        seconds = {name: [] for name in commands}
        memory = {name: [] for name in commands}
        for run in range(args.warmup_runs + args.runs):  # in turn: drifts in the machine's speed hit each alike
            for name, make in commands.items():
                for wall, rss in timed([make(f"{run}-{k}") for k in range(args.concurrent)]):
                    if run >= args.warmup_runs:
                        seconds[name].append(wall)
                        memory[name].append(rss)

    baseline = next((n for n in commands if n.startswith("peers")), None)
    print(f"{args.steps} steps, {args.cutn} crop cutouts, no augmentation, {os.path.basename(os.path.normpath(args.models))}"
          f"{' at %dx%d' % tuple(args.size) if args.size else ''}, {args.concurrent} process(es) at once, "
          f"median of {args.runs} after {args.warmup_runs} untimed, {os.cpu_count()} cores")
    print(f"  {'loop':<34} {'wall s':>8} {'steps/s':>8} {'peak GiB':>9} {'vs peers':>9}   runs")
    for name in commands:
        median = statistics.median(seconds[name])
        ratio = statistics.median(seconds[baseline]) / median if baseline else float("nan")
        print(f"  {name:<34} {median:>8.2f} {args.steps / median:>8.2f} {max(memory[name]):>9.2f} {ratio:>8.2f}x"
              f"   {[round(s, 2) for s in seconds[name]]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
