#!/usr/bin/env python3
"""Sums a Chrome trace of libtorch's legacy profiler (vqclip_bench --profile)
per operator: self time (the operator's time less that of the operators it
called), calls, and share of the whole. The autograd engine's backward
functions show as their own rows (`...Backward0`).

  profile_ops.py TRACE.json [--steps N] [--top 30]"""
import argparse
import collections
import json
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trace")
    parser.add_argument("--steps", type=int, default=1, help="steps the trace holds, to print per-step figures")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    with open(args.trace) as f:
        events = [e for e in json.load(f) if e.get("ph") == "X"]
    by_thread = collections.defaultdict(list)
    for event in events:
        by_thread[event.get("tid")].append(event)
    self_us = collections.Counter()
    calls = collections.Counter()
    for thread_events in by_thread.values():
        thread_events.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack = []  # [end, name, child time]
        for event in thread_events:
            while stack and stack[-1][0] <= event["ts"]:
                end, name, children, dur = stack.pop()
                self_us[name] += dur - children
            if stack:
                stack[-1][2] += event["dur"]
            stack.append([event["ts"] + event["dur"], event["name"], 0, event["dur"]])
            calls[event["name"]] += 1
        while stack:
            end, name, children, dur = stack.pop()
            self_us[name] += dur - children
    total = sum(self_us.values())
    print(f"{len(events)} operator calls, {total / 1e3 / args.steps:.2f} ms of self time a step")
    print(f"  {'operator':<44} {'ms/step':>8} {'share':>6} {'calls/step':>10}")
    for name, us in self_us.most_common(args.top):
        print(f"  {name[:44]:<44} {us / 1e3 / args.steps:>8.2f} {100 * us / total:>5.1f}% {calls[name] / args.steps:>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
