"""`vqclip serve` against `vqclip --prompts-file` on the same jobs (same
prompts, options and seeds), whole runs taken in turn: seconds for all the
pictures (model loading included on both sides), the server's overhead a
picture, whether the pictures are equal, and the time from a job's POST to its
first progress event on an idle server.

Usage: /usr/bin/python3 scripts/bench_serve.py [--jobs 20] [--steps 30] [--cutn 8]
       [--runs 3] [--threads 2] [--exe build/bin/vqclip] [--models models/tiny-shapes]"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import tempfile
import time
import urllib.request

PROMPTS = ["a red circle on a blue background", "a green square on a black background",
           "a yellow triangle on a purple background", "a white cross on an orange background"]


def post(base, path, body):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read())


def first_event_of(base, job_id, wanted):
    with urllib.request.urlopen(f"{base}/api/jobs/{job_id}/events", timeout=600) as response:
        kind = None
        for raw in response:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                kind = line[7:]
                if kind == wanted or kind in ("done", "failed", "cancelled"):
                    return kind


def batch_run(args, work, run):
    out = os.path.join(work, f"batch{run}")
    prompts = os.path.join(work, "prompts.txt")
    start = time.monotonic()
    subprocess.run([args.exe, "--prompts-file", prompts, "--out-dir", out, "--steps", str(args.steps), "--cutn",
                    str(args.cutn), "--seed", "1", "--threads", str(args.threads), "--models", args.models, "-q"],
                   check=True)
    seconds = time.monotonic() - start
    with open(os.path.join(out, "manifest.jsonl")) as f:
        jobs = [json.loads(line) for line in f]
    return seconds, out, jobs


def serve_run(args, work, run, jobs):
    out = os.path.join(work, f"serve{run}")
    start = time.monotonic()
    server = subprocess.Popen([args.exe, "serve", "--listen", "127.0.0.1:0", "--out-dir", out, "--models", args.models,
                               "--threads", str(args.threads), "--max-queue", str(len(jobs) + 1), "--preview-every",
                               "0", "-q"], stdout=subprocess.PIPE, text=True)
    base = server.stdout.readline().split("listening on ")[1].split()[0]
    submitted = [post(base, "/api/jobs", {"prompt": job["prompt"], "seed": job["seed"], "steps": args.steps,
                                          "cutn": args.cutn})["id"] for job in jobs]
    # The queue is FIFO: the last job's final event comes last. Waiting on its event stream costs
    # the client nothing while the jobs render, where polling at 10 Hz took CPU from the renders.
    final = first_event_of(base, submitted[-1], "done")
    seconds = time.monotonic() - start
    with urllib.request.urlopen(f"{base}/api/jobs", timeout=60) as response:
        states = {job["id"]: job["state"] for job in json.loads(response.read())["jobs"]}
    if final != "done" or any(states.get(job_id) != "done" for job_id in submitted):
        raise SystemExit(f"not every job is done: {states}")
    # An idle server: from POST to the first progress event.
    posted = time.monotonic()
    probe = post(base, "/api/jobs", {"prompt": PROMPTS[0], "seed": 1, "steps": args.steps, "cutn": args.cutn})
    first_event_of(base, probe["id"], "progress")
    first_progress = time.monotonic() - posted
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=120)
    return seconds, out, first_progress


def same_pictures(batch_out, serve_out, jobs):
    from PIL import Image
    import numpy as np
    served = sorted(name for name in os.listdir(serve_out) if name.endswith(".png"))
    for job, name in zip(jobs, served):
        a = np.asarray(Image.open(os.path.join(batch_out, job["file"])).convert("RGB"))
        b = np.asarray(Image.open(os.path.join(serve_out, name)).convert("RGB"))
        if not np.array_equal(a, b):
            return False
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--cutn", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--exe", default=os.environ.get("VQCLIP_EXE", "build/bin/vqclip"))
    parser.add_argument("--models", default="models/tiny-shapes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        with open(os.path.join(work, "prompts.txt"), "w") as f:
            f.writelines(PROMPTS[i % len(PROMPTS)] + "\n" for i in range(args.jobs))
        batch_times, serve_times, first_progress, equal = [], [], [], True
        for run in range(args.runs):
            seconds, batch_out, jobs = batch_run(args, work, run)
            batch_times.append(seconds)
            seconds, serve_out, first = serve_run(args, work, run, jobs)
            serve_times.append(seconds)
            first_progress.append(first)
            equal = equal and same_pictures(batch_out, serve_out, jobs)
        batch, serve = statistics.median(batch_times), statistics.median(serve_times)
        print(f"{args.jobs} jobs, {args.steps} steps, {args.cutn} cutouts, {args.threads} threads, "
              f"median of {args.runs} runs taken in turn")
        print(f"--prompts-file: {batch:.2f} s ({batch / args.jobs:.3f} s a picture), runs {batch_times}")
        print(f"serve:          {serve:.2f} s ({serve / args.jobs:.3f} s a picture), runs {serve_times}")
        print(f"server overhead: {100 * (serve - batch) / batch:+.1f}%; pictures equal: {equal}")
        print(f"POST to first progress event, idle server: median {1000 * statistics.median(first_progress):.0f} ms")


if __name__ == "__main__":
    main()
