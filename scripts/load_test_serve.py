"""Load test of `vqclip serve` on loopback: REQUESTS requests from CLIENTS
concurrent clients, with malformed, oversized, invalid, OpenAI-style and
cancelled ones mixed in at fixed shares (seeded). Prints the answers by status
code, the jobs accepted, finished, cancelled and failed, checks that no job was
lost or duplicated and that the server survived, and samples the server's
resident memory through the run (flat: the last quarter's peak against the
first quarter's). Exit 1 when a check fails.

Usage: /usr/bin/python3 scripts/load_test_serve.py [--requests 300] [--clients 16]
       [--exe build/bin/vqclip] [--models models/tiny-shapes]"""
import argparse
import collections
import concurrent.futures
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

SMALL = {"prompt": "a red circle on a blue background", "steps": 2, "cutn": 2}


def call(base, method, path, body=None, raw=None, timeout=300):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def one_request(base, kind, seed):
    """(kind, status, job id or None)."""
    if kind == "job":
        status, body = call(base, "POST", "/api/jobs", {**SMALL, "seed": seed})
    elif kind == "openai":
        status, body = call(base, "POST", "/v1/images/generations",
                            {"prompt": "a green square", "steps": 2, "cutn": 2, "seed": seed,
                             "response_format": "b64_json"})
        return kind, status, None
    elif kind == "malformed":
        status, body = call(base, "POST", "/api/jobs", raw=b'{"prompt": "a red circle", "steps": ')
    elif kind == "oversized":
        status, body = call(base, "POST", "/api/jobs", raw=json.dumps({**SMALL, "prompt": "x" * 200_000}).encode())
    elif kind == "invalid":
        status, body = call(base, "POST", "/api/jobs", {**SMALL, "cutn": -3})
    else:  # cancelled: submitted, then cancelled at once
        status, body = call(base, "POST", "/api/jobs", {**SMALL, "steps": 50, "seed": seed})
        if status == 201:
            job = json.loads(body)["id"]
            call(base, "DELETE", f"/api/jobs/{job}")
            return kind, status, job
        return kind, status, None
    job = json.loads(body)["id"] if status == 201 else None
    return kind, status, job


def resident_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--exe", default=os.environ.get("VQCLIP_EXE", "build/bin/vqclip"))
    parser.add_argument("--models", default="models/tiny-shapes")
    args = parser.parse_args()

    out = tempfile.mkdtemp(prefix="vqclip-load-")
    server = subprocess.Popen([args.exe, "serve", "--listen", "127.0.0.1:0", "--out-dir", out, "--models", args.models,
                               "--threads", "1", "--max-queue", "64", "--max-body", "64K", "--preview-every", "0",
                               "-q"], stdout=subprocess.PIPE, text=True)
    base = server.stdout.readline().split("listening on ")[1].split()[0]
    samples = []
    sampling = threading.Event()

    def sample():
        while not sampling.is_set():
            samples.append(resident_mib(server.pid))
            time.sleep(0.25)

    sampler = threading.Thread(target=sample)
    sampler.start()

    shares = [("job", 0.55), ("openai", 0.10), ("malformed", 0.10), ("oversized", 0.05), ("invalid", 0.05),
              ("cancelled", 0.15)]
    rng = random.Random(0)
    kinds = rng.choices([kind for kind, _ in shares], [share for _, share in shares], k=args.requests)
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(args.clients) as pool:
        answers = list(pool.map(lambda item: one_request(base, item[1], item[0]), enumerate(kinds)))
    # Wait for every accepted job to finish.
    accepted = [job for _, status, job in answers if job is not None]
    while True:
        _, body = call(base, "GET", "/api/jobs")
        listed = json.loads(body)["jobs"]
        if all(job["state"] in ("done", "failed", "cancelled") for job in listed):
            break
        time.sleep(0.2)
    seconds = time.monotonic() - start
    sampling.set()
    sampler.join()
    alive = server.poll() is None
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=60)

    by_code = collections.Counter((kind, status) for kind, status, _ in answers)
    states = collections.Counter(job["state"] for job in listed)
    openai_jobs = sum(1 for kind, status, _ in answers if kind == "openai" and status == 200)
    ids = [job["id"] for job in listed]
    quarter = max(1, len(samples) // 4)
    first, last = max(samples[:quarter]), max(samples[-quarter:])
    print(f"{args.requests} requests from {args.clients} clients in {seconds:.1f} s")
    print("| request | status | count |\n|---|---|---|")
    for (kind, status), count in sorted(by_code.items()):
        print(f"| {kind} | {status} | {count} |")
    print(f"jobs listed {len(listed)} ({dict(states)}); accepted through /api/jobs {len(accepted)}, "
          f"OpenAI pictures {openai_jobs}")
    print(f"server resident memory: first quarter peak {first:.0f} MiB, last quarter peak {last:.0f} MiB, "
          f"max {max(samples):.0f} MiB")
    checks = {
        "the server survived": alive,
        "no job lost or duplicated": len(ids) == len(set(ids)) == len(accepted) + openai_jobs,
        "every accepted job is listed": set(accepted) <= set(ids),
        "malformed, oversized and invalid requests were refused": all(
            status in (400, 413) for kind, status, _ in answers if kind in ("malformed", "oversized", "invalid")),
        "every done job has its picture": all(os.path.exists(os.path.join(out, job["file"]))
                                              for job in listed if job["state"] == "done"),
        "memory flat (last quarter within 10% of the first)": last <= first * 1.10,
    }
    for name, passed in checks.items():
        print(f"{'ok  ' if passed else 'FAIL'} {name}")
    sys.exit(0 if all(checks.values()) else 1)


if __name__ == "__main__":
    main()
