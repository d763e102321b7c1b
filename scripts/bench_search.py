"""Indexing throughput and query latency of `vqclip index` / `vqclip search`
on synthetic collections (shapes-world scenes, 256x256 JPEG), against a Python
baseline with the same TorchScript image encoder (Debian's python3-torch), PIL
preprocessing (CLIP's: bicubic resize of the shorter side, centre crop) and a
SQLite table, at the same thread count, run one after the other.

Prints one table row per collection size: images a second in-process (model
loading excluded on both sides) and whole process, peak memory, index size,
and query latency (whole process and the index read + ranking inside it).

Usage: /usr/bin/python3 scripts/bench_search.py [--sizes 1000,10000,100000]
       [--bundle models/tiny-shapes] [--threads 2] [--baseline-up-to 10000]
       [--work /tmp/vqclip-bench-search]"""
import argparse
import io
import json
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import time

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shapes_world  # noqa: E402

SIDE = 256
QUERY = "a red circle on a blue background"


def make_master(folder, count):
    """`count` pictures in `folder`, written once and reused by later runs."""
    os.makedirs(folder, exist_ok=True)
    have = len([name for name in os.listdir(folder) if name.endswith(".jpg")])
    rng = random.Random(have)
    triples = shapes_world.all_triples()
    for i in range(have, count):
        scene = shapes_world.random_scene(rng, rng.choice(triples))
        picture = Image.fromarray(shapes_world.render(scene)).resize((SIDE, SIDE), Image.NEAREST)
        picture.save(os.path.join(folder, f"{i:06d}.jpg"), quality=90)
        if (i + 1) % 10000 == 0:
            print(f"  made {i + 1}/{count} pictures", file=sys.stderr, flush=True)


def linked_collection(master, folder, count):
    """The first `count` master pictures, hard-linked (real files, no copy)."""
    os.makedirs(folder, exist_ok=True)
    for i in range(count):
        target = os.path.join(folder, f"{i:06d}.jpg")
        if not os.path.exists(target):
            os.link(os.path.join(master, f"{i:06d}.jpg"), target)


def timed(args):
    """(wall seconds, peak RSS MiB, stdout, stderr) of a whole process."""
    start = time.monotonic()
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = process.communicate()
    _, status, usage = os.wait4(process.pid, 0) if False else (None, process.returncode, None)
    wall = time.monotonic() - start
    if status != 0:
        raise SystemExit(f"{' '.join(args)}: exit {status}\n{err}")
    return wall, out, err


def with_peak(args):
    """Runs under /usr/bin/time: (wall, peak MiB, stdout, stderr)."""
    wall, out, err = timed(["/usr/bin/time", "-f", "PEAK_KIB %M", *args])
    peak = int(re.search(r"PEAK_KIB (\d+)", err).group(1)) / 1024
    return wall, peak, out, err


def index_size_mib(path):
    return sum(os.path.getsize(path + suffix) for suffix in ("", "-wal") if os.path.exists(path + suffix)) / 2**20


def vqclip_index(exe, bundle, folder, threads):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(os.path.join(folder, ".vqclip-index.sqlite" + suffix)):
            os.remove(os.path.join(folder, ".vqclip-index.sqlite" + suffix))
    wall, peak, out, _ = with_peak([exe, "index", folder, "--models", bundle, "--threads", str(threads),
                                    "--progress", "json"])
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    inside = events[-1]["elapsed"] if events else float("nan")
    return wall, inside, peak, index_size_mib(os.path.join(folder, ".vqclip-index.sqlite"))


def vqclip_query(exe, bundle, folder, threads, index_only, runs=5):
    walls, insides = [], []
    for _ in range(runs):
        args = [exe, "search", folder, QUERY, "--models", bundle, "--threads", str(threads), "--top", "10", "-v"]
        if index_only:
            args.append("--index-only")
        wall, _, err = timed(args)
        found = re.search(r"read from \S+ in ([\d.]+) ms, ranked in ([\d.]+) ms", err)
        walls.append(wall)
        insides.append(float(found.group(1)) + float(found.group(2)))
    return statistics.median(walls), statistics.median(insides)


def baseline_index(bundle, folder, threads, out_db):
    """The Python loop, in a child process so its memory is measured alone."""
    wall, peak, out, _ = with_peak([sys.executable, os.path.abspath(__file__), "--baseline-child", bundle, folder,
                                    str(threads), out_db])
    return wall, float(out.strip().splitlines()[-1]), peak


def baseline_child(bundle, folder, threads, out_db):
    import torch
    from vqclip_models.bundle import read_manifest
    torch.set_num_threads(threads)
    clip = read_manifest(bundle)["clip"]
    resolution, mean, std = clip["input_resolution"], clip["mean"], clip["std"]
    encoder = torch.jit.load(os.path.join(bundle, clip["image_encoder"]), map_location="cpu").eval()
    mean_t = torch.tensor(mean).view(1, 3, 1, 1)
    std_t = torch.tensor(std).view(1, 3, 1, 1)

    def preprocess(path):
        picture = Image.open(path).convert("RGB")
        scale = resolution / min(picture.size)
        width, height = max(resolution, round(picture.width * scale)), max(resolution, round(picture.height * scale))
        picture = picture.resize((width, height), Image.BICUBIC)
        left, top = (width - resolution) // 2, (height - resolution) // 2
        picture = picture.crop((left, top, left + resolution, top + resolution))
        return torch.from_numpy(np.asarray(picture, dtype=np.float32) / 255).permute(2, 0, 1)

    if os.path.exists(out_db):
        os.remove(out_db)
    db = sqlite3.connect(out_db)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE images(path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, embedding BLOB)")
    start = time.monotonic()
    names = sorted(name for name in os.listdir(folder) if name.endswith(".jpg"))
    for begin in range(0, len(names), 32):
        batch = names[begin:begin + 32]
        paths = [os.path.join(folder, name) for name in batch]
        inputs = (torch.stack([preprocess(path) for path in paths]) - mean_t) / std_t
        with torch.no_grad():
            embeddings = torch.nn.functional.normalize(encoder(inputs).float(), dim=1).numpy()
        with db:
            db.executemany("INSERT INTO images VALUES (?, ?, ?, ?)",
                           [(name, os.stat(path).st_size, os.stat(path).st_mtime_ns, row.tobytes())
                            for name, path, row in zip(batch, paths, embeddings)])
    print(time.monotonic() - start)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--baseline-child":
        baseline_child(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--bundle", default="models/tiny-shapes")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--baseline-up-to", type=int, default=10000, help="largest size the Python loop runs on")
    parser.add_argument("--work", default="/tmp/vqclip-bench-search")
    parser.add_argument("--exe", default=os.environ.get("VQCLIP_EXE", "build/bin/vqclip"))
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    master = os.path.join(args.work, "master")
    make_master(master, max(sizes))

    print(f"bundle {args.bundle}, {args.threads} threads, {SIDE}x{SIDE} JPEG shapes-world pictures")
    print("| images | vqclip img/s (in-process / whole) | Python img/s (in-process / whole) | ratio (in-process) "
          "| vqclip peak MiB | Python peak MiB | index MiB | query, whole process: index-only / rescan (s) "
          "| query in-process: read + rank (ms) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for size in sizes:
        folder = os.path.join(args.work, f"n{size}")
        linked_collection(master, folder, size)
        wall, inside, peak, mib = vqclip_index(args.exe, args.bundle, folder, args.threads)
        index_only, inside_query = vqclip_query(args.exe, args.bundle, folder, args.threads, True)
        rescan, _ = vqclip_query(args.exe, args.bundle, folder, args.threads, False, runs=3)
        if size <= args.baseline_up_to:
            base_wall, base_inside, base_peak = baseline_index(args.bundle, folder, args.threads,
                                                               os.path.join(args.work, f"baseline-{size}.sqlite"))
            python = f"{size / base_inside:.0f} / {size / base_wall:.0f}"
            ratio = f"{base_inside / inside:.2f}x"
            base_peak_text = f"{base_peak:.0f}"
        else:
            python, ratio, base_peak_text = "not run", "", ""
        print(f"| {size} | {size / inside:.0f} / {size / wall:.0f} | {python} | {ratio} | {peak:.0f} | "
              f"{base_peak_text} | {mib:.1f} | {index_only:.2f} / {rescan:.2f} | {inside_query:.1f} |", flush=True)


if __name__ == "__main__":
    main()
