#!/usr/bin/env python3
"""Turns the raw results bench/compare.sh collected into the markdown report.

    report.py RESULTS_DIR

RESULTS_DIR holds machine.txt, fma_peak.txt, placement.txt (one line per record:
label, one-thread and two-thread FMA peak in GFLOP/s, a cache line's round trip
between the two CPUs in ns, tab-separated) and, per OpenBLAS setting S (preset,
unset) and configuration C (tensorgrad, torch1, torch2p):
  S/C/<program>.r<round>.json   Google Benchmark JSON (all repetitions)
  S/C/fashion.r<round>.txt      bench_train_fashion_mnist mlp output + /usr/bin/time -v
  S/C/fashion_cnn.r<round>.txt  the same for the CNN (round 1 only)
Every figure is the minimum over all repetitions and rounds (the machine is
shared: the minimum is the run least disturbed by others). Prints the report.
"""
import glob
import json
import os
import re
import sys

CONFIGS = [("tensorgrad", "tensorgrad (defaults, 2 threads)"),
           ("torch1", "libtorch OMP_NUM_THREADS=1"),
           ("torch2p", "libtorch 2 threads, OMP_WAIT_POLICY=passive")]

# (benchmark name, workload label, per-item divisor, unit, target ratio or None).
# Times are per iteration; a divisor turns them into per-op times.
WORKLOADS = [
    ("BM_MulNoGrad/1/real_time", "per-op, x * 2, 1 element, no grad", 1, "us", 0.1),
    ("BM_MulNoGrad/16/real_time", "per-op, x * 2, 16 elements, no grad", 1, "us", 0.1),
    ("BM_AddTensorsNoGrad/1/real_time", "per-op, x + y, 1 element, no grad", 1, "us", 0.1),
    ("BM_AddTensorsNoGrad/16/real_time", "per-op, x + y, 16 elements, no grad", 1, "us", 0.1),
    ("BM_AddRowBroadcastNoGrad/4096/16/real_time", "x + row broadcast, [4096, 16] + [16], no grad", 1, "us", None),
    ("BM_AddRowBroadcastNoGrad/256/256/real_time", "x + row broadcast, [256, 256] + [256], no grad", 1, "us", None),
    ("BM_RecordedOpWithBackward/1/real_time", "per-op, recorded, forward + backward, 1 element", 10, "us", 0.1),
    ("BM_RecordedOpWithBackward/16/real_time", "per-op, recorded, forward + backward, 16 elements", 10, "us", 0.1),
    ("BM_Chain/10000/real_time", "chain of 10,000 ops, forward + backward", 1, "ms", None),
    ("BM_Chain/100000/real_time", "chain of 100,000 ops, forward + backward", 1, "ms", 0.1),
    ("BM_Ladder/200/real_time", "ladder, 200 shared-subgraph steps, forward + backward", 1, "ms", None),
    ("BM_MlpTrainStep/32/real_time", "MLP 784-256-128-10 train step, batch 32 (SGD momentum)", 1, "ms", 0.35),
    ("BM_MlpTrainStep/128/real_time", "MLP train step, batch 128", 1, "ms", 0.4),
    ("BM_MlpTrainStep/512/real_time", "MLP train step, batch 512", 1, "ms", 0.6),
    ("BM_MlpInference/512/real_time", "MLP inference, batch 512 (no grad)", 1, "ms", 0.7),
    ("BM_CnnTrainStep/64/real_time", "CNN train step, batch 64 (Adam)", 1, "ms", 0.5),
]
MATMUL_SIZES = [256, 512, 1024, 2048]
MATMUL_TARGET_SIZES = {1024, 2048}

TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def load_times(root, setting, config):
    """Minimum real time (ns per iteration) of every benchmark of one configuration."""
    best = {}
    for path in glob.glob(os.path.join(root, setting, config, "*.json")):
        with open(path) as f:
            try:
                data = json.load(f)
            except json.JSONDecodeError:
                continue
        for b in data.get("benchmarks", []):
            if b.get("run_type") != "iteration" or "error_occurred" in b:
                continue
            t = b["real_time"] * TO_NS[b["time_unit"]]
            name = b["run_name"]
            best[name] = min(best.get(name, t), t)
    return best


def load_fashion(root, setting, config, stem="fashion"):
    """(min epoch seconds, final test accuracy %, max RSS MiB) over the rounds."""
    epoch, accuracy, rss = None, None, None
    for path in sorted(glob.glob(os.path.join(root, setting, config, f"{stem}.r*.txt"))):
        text = open(path).read()
        for s in re.findall(r"epoch \d+: ([0-9.]+) s\b", text):
            epoch = float(s) if epoch is None else min(epoch, float(s))
        m = re.search(r"final test accuracy ([0-9.]+)%", text)
        if m:
            accuracy = float(m.group(1))
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
        if m:
            r = int(m.group(1)) / 1024
            rss = r if rss is None else min(rss, r)
    return epoch, accuracy, rss


def fmt_time(ns, unit):
    if ns is None:
        return "n/a"
    v = ns / TO_NS[unit]
    digits = 3 if v < 10 else 2 if v < 100 else 1 if v < 1000 else 0
    return f"{v:.{digits}f} {'µs' if unit == 'us' else unit}"


def verdict(ratio, target, higher_is_better=False):
    if ratio is None or target is None:
        return ""
    ok = ratio >= target if higher_is_better else ratio <= target
    return "yes" if ok else "**no**"


def epoch_ratio(runs):
    """(tensorgrad's epoch time / the faster libtorch configuration's, that configuration)."""
    ep = {c: v[0] for c, v in runs.items()}
    best_c = min((c for c in ("torch1", "torch2p") if ep[c] is not None), key=lambda c: ep[c], default=None)
    return (ep["tensorgrad"] / ep[best_c] if best_c and ep["tensorgrad"] else None), best_c


def training_row(label, runs, ratio, target, met):
    def cell(c):
        e, a, _ = runs[c]
        return "n/a" if e is None else f"{e:.2f} s, {a:.2f}%"
    return (f"| {label} | {cell('tensorgrad')} | {cell('torch1')} | {cell('torch2p')} "
            f"| {'n/a' if ratio is None else f'{ratio:.3f}'} | {target} | {met} |")


def table(root, setting, peak):
    times = {c: load_times(root, setting, c) for c, _ in CONFIGS}
    lines = ["| workload | tensorgrad | libtorch 1 thread | libtorch 2 threads passive | ratio tg / best libtorch "
             "| target | met |",
             "|---|---|---|---|---|---|---|"]

    def best_torch(name):
        vals = [times[c].get(name) for c in ("torch1", "torch2p")]
        vals = [v for v in vals if v is not None]
        return min(vals) if vals else None

    for name, label, div, unit, target in WORKLOADS:
        tg = times["tensorgrad"].get(name)
        t1, t2 = times["torch1"].get(name), times["torch2p"].get(name)
        best = best_torch(name)
        ratio = tg / best if tg is not None and best else None
        per = lambda v: None if v is None else v / div  # noqa: E731
        lines.append(f"| {label} | {fmt_time(per(tg), unit)} | {fmt_time(per(t1), unit)} | {fmt_time(per(t2), unit)} "
                     f"| {'n/a' if ratio is None else f'{ratio:.3f}'} | {'' if target is None else f'≤ {target}'} "
                     f"| {verdict(ratio, target)} |")

    # Linearity of the chain: 10x the length must cost at most 11x the time.
    c1, c2 = times["tensorgrad"].get("BM_Chain/10000/real_time"), times["tensorgrad"].get("BM_Chain/100000/real_time")
    t1, t2 = best_torch("BM_Chain/10000/real_time"), best_torch("BM_Chain/100000/real_time")
    if c1 and c2:
        torch_growth = f"{t2 / t1:.1f}x" if t1 and t2 else "n/a"
        lines.append(f"| chain growth, 100,000 vs 10,000 ops (time ratio) | {c2 / c1:.1f}x | {torch_growth} | "
                     f"| | ≤ 11x | {'yes' if c2 / c1 <= 11 else '**no**'} |")

    for n in MATMUL_SIZES:
        name = f"BM_Matmul/{n}/real_time"
        flops = 2.0 * n ** 3
        g = {c: (flops / times[c][name] if name in times[c] else None) for c, _ in CONFIGS}
        best = max([v for v in (g["torch1"], g["torch2p"]) if v is not None], default=None)

        def cell(v):
            if v is None:
                return "n/a"
            return f"{v:.0f} GFLOP/s ({100 * v / peak:.0f}% of peak)" if peak else f"{v:.0f} GFLOP/s"
        ratio = g["tensorgrad"] / best if g["tensorgrad"] and best else None
        target = 1.0 if n in MATMUL_TARGET_SIZES else None
        lines.append(f"| float32 matmul {n}x{n} (GFLOP/s; ratio = tg / libtorch GFLOP/s) | {cell(g['tensorgrad'])} "
                     f"| {cell(g['torch1'])} | {cell(g['torch2p'])} | {'n/a' if ratio is None else f'{ratio:.2f}'} "
                     f"| {'' if target is None else '≥ 1.0'} | {verdict(ratio, target, True)} |")

    fash = {c: load_fashion(root, setting, c) for c, _ in CONFIGS}
    if any(v[0] is not None for v in fash.values()):
        ratio, best_c = epoch_ratio(fash)
        acc_ok = False
        if best_c and fash["tensorgrad"][1] is not None and fash[best_c][1] is not None:
            acc_ok = abs(fash["tensorgrad"][1] - fash[best_c][1]) <= 1.0
        met = "" if ratio is None else ("yes" if ratio <= 0.5 and acc_ok else "**no**")
        lines.append(training_row("Fashion-MNIST MLP epoch (s, test accuracy after 3 epochs)", fash, ratio,
                                  "≤ 0.5, accuracy ±1 point", met))
        cnn = {c: load_fashion(root, setting, c, "fashion_cnn") for c, _ in CONFIGS}
        if any(v[0] is not None for v in cnn.values()):
            lines.append(training_row("Fashion-MNIST CNN epoch (s, test accuracy after 2 epochs; Adam, batch 64)", cnn,
                                      epoch_ratio(cnn)[0], "", ""))
        rs = {c: v[2] for c, v in fash.items()}
        best_r = min([rs[c] for c in ("torch1", "torch2p") if rs[c] is not None], default=None)
        rr = rs["tensorgrad"] / best_r if best_r and rs["tensorgrad"] else None
        rcell = lambda v: "n/a" if v is None else f"{v:.0f} MiB"  # noqa: E731
        lines.append(f"| peak RSS of the training process | {rcell(rs['tensorgrad'])} | {rcell(rs['torch1'])} "
                     f"| {rcell(rs['torch2p'])} | {'n/a' if rr is None else f'{rr:.3f}'} | ≤ 0.3 "
                     f"| {verdict(rr, 0.3)} |")
    return "\n".join(lines)


def checkpoint_section(root, setting):
    """bench_checkpoint_memory's peak-memory lines and step times (tensorgrad only)."""
    logs = sorted(glob.glob(os.path.join(root, setting, "tensorgrad", "checkpoint_memory.r*.log")))
    if not logs:
        return ""
    memory = [line.rstrip() for line in open(logs[0]) if line.startswith(("tensorgrad:", "  plain", "  checkpointed"))]
    times = load_times(root, setting, "tensorgrad")
    plain, ckpt = times.get("BM_TrainingStep/0/real_time"), times.get("BM_TrainingStep/4/real_time")
    out = ["Gradient checkpointing (bench_checkpoint_memory; libtorch's C++ frontend has no checkpoint):", "", "```"]
    out += memory
    if plain and ckpt:
        out.append(f"  step time: plain {fmt_time(plain, 'ms')}, checkpointed {fmt_time(ckpt, 'ms')} "
                   f"({ckpt / plain:.2f}x)")
    out.append("```")
    return "\n".join(out)


def number(text):
    try:
        return float(text)
    except ValueError:
        return None


def placements(root):
    """placement.txt's records: (label, one-thread peak, two-thread peak, round trip ns)."""
    path = os.path.join(root, "placement.txt")
    if not os.path.exists(path):
        return []
    records = []
    for line in open(path):
        fields = line.rstrip("\n").split("\t")
        if len(fields) == 4:
            records.append((fields[0], number(fields[1]), number(fields[2]), number(fields[3])))
    return records


def placement_section(records):
    """The vCPUs' placement over the run, as a table (empty without records)."""
    if not records:
        return ""
    out = ["Where the two vCPUs were before each program ran under each setting "
           "(bench_fma_peak at one and two threads, bench_line_round_trip). Two threads "
           "near twice one thread's peak: two cores; near one thread's: the two hyperthreads "
           "of one core. A round trip of hundreds of ns: two cores far apart, every line "
           "the threads share crosses slowly.",
           "",
           "| before | 1 thread GFLOP/s | 2 threads GFLOP/s | 2 / 1 | line round trip |",
           "|---|---|---|---|---|"]
    for label, one, two, trip in records:
        ratio = f"{two / one:.2f}" if one and two else "?"
        cells = [f"{one:.0f}" if one else "?", f"{two:.0f}" if two else "?", ratio,
                 f"{trip:.0f} ns" if trip else "?"]
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main():
    root = sys.argv[1]
    machine = open(os.path.join(root, "machine.txt")).read().strip()
    peak_text = open(os.path.join(root, "fma_peak.txt")).read().strip() if os.path.exists(
        os.path.join(root, "fma_peak.txt")) else ""
    records = placements(root)
    # The machine's peak is the best two-thread figure of the run: the host may
    # have put the vCPUs on one core's hyperthreads for some of the measurements.
    peaks = [float(x) for x in re.findall(r"([0-9.]+) GFLOP/s", peak_text)] + [r[2] for r in records if r[2]]
    peak = max(peaks) if peaks else None
    settings = [s for s in ("unset", "preset") if os.path.isdir(os.path.join(root, s))]
    print(machine)
    print()
    if peak_text:
        print(f"Peak FMA throughput (bench_fma_peak, best of 15 trials): `{peak_text}`"
              + (f"; best two-thread figure of the run {peak:.1f} GFLOP/s, the peak used below." if records else ""))
        print()
    section = placement_section(records)
    if section:
        print(section)
        print()
    titles = {"unset": "OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (`env -u`, the benchmark command only)",
              "preset": "OpenBLAS variables as this machine presets them"}
    for s in settings:
        # The environment each configuration ran in (compare.sh's run()).
        envs = []
        for config in ("tensorgrad", "torch1", "torch2p"):
            env_file = os.path.join(root, s, config, "env.txt")
            if os.path.exists(env_file):
                envs.append(f"{config}: `{open(env_file).read().strip() or '(none)'}`")
        print(f"### {titles[s]}")
        print()
        if envs:
            print("OPENBLAS_ and OMP_ variables of the runs: " + "; ".join(envs) + ".")
            print()
        print(table(root, s, peak))
        print()
        section = checkpoint_section(root, s)
        if section:
            print(section)
            print()


if __name__ == "__main__":
    main()
