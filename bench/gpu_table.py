#!/usr/bin/env python3
"""One table from a scripts/gpu/measure.sh results folder: the machine, every GPU suite's checks passed
and failed (the counts of Catch2's JUnit report), and bench_model_cuda against PyTorch (bench/gpu_peer.py) case by case.

    python3 bench/gpu_table.py RESULTS_DIR      # markdown on stdout

Reads RESULTS_DIR/machine.txt, steps.log, <suite>.xml (Catch2 JUnit), mvg_bench.json (Google Benchmark,
median aggregates) and torch.jsonl. A missing or partial file leaves its cells as "-" and says why
(a suite killed by a signal writes no report: its exit status from steps.log is shown).
Ratio columns are PyTorch's time over mvg's: above 1, mvg is faster.
"""
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

PRODUCTS = {0: "fp32", 1: "tf32", 2: "bf16"}  # bench/model.cpp's third argument on mvg::cuda
PEER_MODE = {"fp32": "fp32", "tf32": "tf32", "bf16": "bf16sdpa"}  # the PyTorch mode each is compared with
NAME = re.compile(r"^BM_(\w+?)_(inference|train_step)_cuda/(\d+)/(\d)/(\d)")


def suites(d):
    exits = {}
    if os.path.exists(os.path.join(d, "steps.log")):
        for line in open(os.path.join(d, "steps.log")):
            m = re.match(r"suite (\S+): (.*)", line.strip())
            if m:
                exits[m.group(1)] = m.group(2)
    rows = []
    for name, exit_text in exits.items():
        path = os.path.join(d, name + ".xml")
        passed = failed = "-"
        try:
            root = ET.parse(path).getroot()
            suite = root if root.tag == "testsuite" else root.find("testsuite")
            tests = int(suite.get("tests", 0))
            bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            passed, failed = str(tests - bad), str(bad)
        except (OSError, ET.ParseError, AttributeError, ValueError):
            pass  # no report: the binary died before writing it
        rows.append((name, passed, failed, exit_text))
    return rows


def mvg_times(d):
    t = {}
    try:
        data = json.load(open(os.path.join(d, "mvg_bench.json")))
    except (OSError, ValueError):
        return t
    for b in data.get("benchmarks", []):
        if b.get("aggregate_name", "median") != "median":
            continue
        m = NAME.match(b["name"])
        if not m:
            continue
        preset, kind, batch, ar, prod = m.group(1), m.group(2), int(m.group(3)), m.group(4) == "1", int(m.group(5))
        scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b.get("time_unit", "ms")]
        t[(preset, kind, "ar" if ar else "mim", batch, PRODUCTS[prod])] = b["real_time"] * scale
    return t


def torch_times(d):
    t = {}
    try:
        lines = open(os.path.join(d, "torch.jsonl")).read().splitlines()
    except OSError:
        return t
    for line in lines:
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if "ms" in r:
            t[(r["preset"], r["kind"], r["obj"], r["batch"], r["mode"])] = r["ms"]
    return t


def cell(x):
    return "-" if x is None else ("%.2f" % x if x < 10 else "%.1f" % x)


def ratio(peer, mine):
    return "-" if peer is None or mine is None or mine <= 0 else "%.2f×" % (peer / mine)


def main():
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        sys.exit("usage: gpu_table.py RESULTS_DIR")
    d = sys.argv[1]
    out = ["# mvg on a GPU (scripts/gpu/measure.sh)", ""]
    if os.path.exists(os.path.join(d, "machine.txt")):
        out += ["```"] + open(os.path.join(d, "machine.txt")).read().strip().splitlines() + ["```", ""]
    out += ["| suite | checks passed | checks failed | exit |", "|---|---:|---:|---|"]
    for name, p, f, e in suites(d):
        out.append("| %s | %s | %s | %s |" % (name, p, f, e))
    mine, peer = mvg_times(d), torch_times(d)
    cases = sorted({k[:4] for k in list(mine) + [(*k[:4],) for k in peer]},
                   key=lambda k: (k[0] != "tiny", k[1], k[2], k[3]))
    out += ["", "Median ms per step; ratio = PyTorch / mvg (above 1: mvg faster). PyTorch fp32 has TF32 off; "
            "its bf16 is autocast + scaled_dot_product_attention.", "",
            "| case | mvg fp32 | PyTorch fp32 | ratio | mvg tf32 | PyTorch tf32 | ratio | mvg bf16 | PyTorch bf16+SDPA | ratio |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for c in cases:
        row = ["%s %s %s b%d" % (c[0], "infer" if c[1] == "inference" else "train", c[2].upper(), c[3])]
        for prod in ("fp32", "tf32", "bf16"):
            m, p = mine.get((*c, prod)), peer.get((*c, PEER_MODE[prod]))
            row += [cell(m), cell(p), ratio(p, m)]
        out.append("| " + " | ".join(row) + " |")
    if not cases:
        out.append("| (no timings: see bench.log and torch.log) |" + " |" * 9)
    print("\n".join(out))


if __name__ == "__main__":
    main()
