#!/usr/bin/env python3
"""Checks bench/report.py on a small results directory made here: the ratio and
verdict of a workload, the minimum over repetitions, a missing configuration, the
placement table (with a record whose probes printed nothing) and the peak the
matmul figures are a fraction of (the best two-thread figure of the run).
compare.sh's real runs take minutes and need libtorch; this keeps the report from
rotting in the CI's smoke run (ctest -L bench)."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

REPORT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "report.py")


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def benchmark_json(runs):
    """Google Benchmark's JSON for (name, real_time, time_unit) iteration runs."""
    return json.dumps({"benchmarks": [
        {"name": name, "run_name": name, "run_type": "iteration", "real_time": t, "time_unit": unit}
        for name, t, unit in runs]})


class ReportTest(unittest.TestCase):
    def report(self, root):
        return subprocess.run([sys.executable, REPORT, root], check=True, capture_output=True, text=True).stdout

    def make_results(self, root):
        write(os.path.join(root, "machine.txt"), "Machine: a test machine.")
        write(os.path.join(root, "fma_peak.txt"), "fma_peak avx512 2 threads: 400.0 GFLOP/s")
        write(os.path.join(root, "placement.txt"),
              "round 1, mlp, unset\t200.0\t410.0\t450\n"
              "round 1, mlp, preset\t210.0\t230.0\t74\n"
              "round 2, mlp, unset\t?\t?\t?\n")
        step = "BM_MlpTrainStep/32/real_time"
        write(os.path.join(root, "unset", "tensorgrad", "mlp.r1.json"),
              benchmark_json([(step, 180.0, "us"), (step, 150.0, "us")]))
        write(os.path.join(root, "unset", "torch1", "mlp.r1.json"), benchmark_json([(step, 0.45, "ms")]))
        # 2 * 1024^3 FLOP in 10.475 ms: 205 GFLOP/s, half of the 410 of the placement records.
        write(os.path.join(root, "unset", "tensorgrad", "matmul.r1.json"),
              benchmark_json([("BM_Matmul/1024/real_time", 2.0 * 1024 ** 3 / 205e9 * 1e3, "ms")]))

    def test_ratios_placement_and_peak(self):
        with tempfile.TemporaryDirectory() as root:
            self.make_results(root)
            text = self.report(root)
        self.assertIn("| MLP 784-256-128-10 train step, batch 32 (SGD momentum) | 0.150 ms | 0.450 ms | n/a "
                      "| 0.333 | ≤ 0.35 | yes |", text)
        self.assertIn("| round 1, mlp, unset | 200 | 410 | 2.05 | 450 ns |", text)
        self.assertIn("| round 1, mlp, preset | 210 | 230 | 1.10 | 74 ns |", text)
        self.assertIn("| round 2, mlp, unset | ? | ? | ? | ? |", text)
        self.assertIn("best two-thread figure of the run 410.0 GFLOP/s", text)
        self.assertIn("| float32 matmul 1024x1024 (GFLOP/s; ratio = tg / libtorch GFLOP/s) "
                      "| 205 GFLOP/s (50% of peak) | n/a | n/a | n/a | ≥ 1.0 |  |", text)

    def test_without_placement_records(self):
        with tempfile.TemporaryDirectory() as root:
            self.make_results(root)
            os.remove(os.path.join(root, "placement.txt"))
            text = self.report(root)
        self.assertNotIn("line round trip", text)
        self.assertNotIn("best two-thread figure", text)
        self.assertIn("| 205 GFLOP/s (51% of peak) |", text)  # of fma_peak.txt's 400


if __name__ == "__main__":
    unittest.main()
