"""Per-op overhead from Python: one call of a 1-element op on a tensor that requires
grad (so each call also records a graph node), tensorgrad beside PyTorch
(python3-torch 1.13), and the ratio. The target is tensorgrad <= 0.5x PyTorch.

    PYTHONPATH=build/python /usr/bin/python3 bench/python_op_overhead.py [--number N]

Each op is timed in alternating rounds of N calls (min over rounds), one thread.
"""
import argparse
import timeit

import tensorgrad as tg
import torch

OPS = {
    "a + b": lambda a, b: a + b,
    "a * 2": lambda a, b: a * 2,
    "a.exp()": lambda a, b: a.exp(),
    "a.sum()": lambda a, b: a.sum(),
    "a.relu()": lambda a, b: a.relu(),
    "a[0]": lambda a, b: a[0],
    "a @ b (1x1)": lambda a, b: a @ b,
}


def operands(module, op):
    shape = (1, 1) if "@" in op or "[0]" in op else ()
    return module.ones(shape, requires_grad=True), module.ones(shape)


def backward_of_tiny_graph(module):
    a = module.ones((), requires_grad=True)
    b = module.ones(())

    def step():
        ((a * b + b).exp() * b).backward()
    return step


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--number", type=int, default=100000, help="calls per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    tg.set_num_threads(1)
    torch.set_num_threads(1)

    rows = []
    cases = [(op, {m: (lambda f, x: lambda: f(*x))(fn, operands(m, op)) for m in (tg, torch)})
             for op, fn in OPS.items()]
    cases.append(("forward+backward, 4 ops", {m: backward_of_tiny_graph(m) for m in (tg, torch)}))
    for name, calls in cases:
        best = {tg: float("inf"), torch: float("inf")}
        number = args.number if "backward" not in name else args.number // 10
        for _ in range(args.rounds):
            for m in (tg, torch):
                best[m] = min(best[m], timeit.timeit(calls[m], number=number) / number * 1e6)
        rows.append((name, best[tg], best[torch]))

    print("{:<26} {:>14} {:>11} {:>7}".format("op (requires_grad)", "tensorgrad us", "torch us", "ratio"))
    for name, t, p in rows:
        print("{:<26} {:>14.3f} {:>11.3f} {:>7.2f}".format(name, t, p, t / p))


if __name__ == "__main__":
    main()
