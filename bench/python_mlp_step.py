"""One training step of the Fashion-MNIST MLP (784-256-128-10, SGD with momentum,
cross-entropy) from Python: tensorgrad beside PyTorch (python3-torch 1.13) with the
same thread count, on the same batch of real Fashion-MNIST images.

    PYTHONPATH=build/python /usr/bin/python3 bench/python_mlp_step.py [--batch-size 128] [--threads 2]

Reports the median and the best step time of each over alternating rounds.
"""
import argparse
import statistics
import time

import numpy as np
import tensorgrad as tg
import torch


def model(m):
    nn = m.nn
    return nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                         nn.Linear(128, 10))


def trainer(m, images, labels):
    net = model(m)
    opt = m.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    x = m.from_numpy(images)
    y = m.from_numpy(labels)

    def step():
        opt.zero_grad()
        loss = m.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=50, help="steps per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    tg.set_num_threads(args.threads)
    torch.set_num_threads(args.threads)

    train = tg.data.MNIST(args.data, train=True)
    images = train.images[:args.batch_size].numpy().copy()
    labels = train.targets[:args.batch_size].numpy().copy()
    steps = {name: trainer(m, images, labels) for name, m in (("tensorgrad", tg), ("torch", torch))}
    times = {name: [] for name in steps}
    for name, step in steps.items():
        for _ in range(5):
            step()
    for _ in range(args.rounds):
        for name, step in steps.items():
            for _ in range(args.steps):
                start = time.perf_counter()
                step()
                times[name].append(time.perf_counter() - start)

    print("MLP 784-256-128-10, batch {}, {} threads, {} steps each".format(
        args.batch_size, args.threads, args.steps * args.rounds))
    print("{:<12} {:>12} {:>10}".format("", "median ms", "best ms"))
    for name, t in times.items():
        print("{:<12} {:>12.3f} {:>10.3f}".format(name, 1000 * statistics.median(t), 1000 * min(t)))
    print("tensorgrad / torch (median): {:.2f}".format(
        statistics.median(times["tensorgrad"]) / statistics.median(times["torch"])))
    assert np.isfinite(steps["tensorgrad"]()) and np.isfinite(steps["torch"]())


if __name__ == "__main__":
    main()
