"""Trains the Fashion-MNIST MLP (784-256-128-10, the `tensorgrad train` default
model) from Python with tensorgrad, and reports the test accuracy after each epoch.

    PYTHONPATH=build/python /usr/bin/python3 python/examples/mlp_fashion_mnist.py --epochs 3

The data comes from Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist).
"""
import argparse
import time

import tensorgrad as tg
import tensorgrad.nn.functional as F
from tensorgrad import nn

# The training images' pixel mean and standard deviation: images are standardised
# with them, as `tensorgrad train` does, so the saved weights suit `tensorgrad evaluate`.
PIXEL_MEAN, PIXEL_STD = 0.2860, 0.3530


def standardised(images):
    return (images - PIXEL_MEAN) / PIXEL_STD

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(28 * 28, 256)
        self.fc2 = nn.Linear(256, 128)
        self.fc3 = nn.Linear(128, 10)

    def forward(self, x):
        x = x.flatten(1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


@tg.no_grad()
def accuracy(model, dataset, batch_size=1000):
    model.eval()
    correct = 0
    for images, labels in tg.data.DataLoader(dataset, batch_size=batch_size):
        correct += model(standardised(images)).argmax(1).eq(labels).sum().item()
    model.train()
    return correct / len(dataset)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="0 keeps tensorgrad's default")
    parser.add_argument("--save", help="write the trained weights here (safetensors)")
    args = parser.parse_args()

    if args.threads:
        tg.set_num_threads(args.threads)
    tg.manual_seed(args.seed)
    train = tg.data.MNIST(args.data, train=True)
    test = tg.data.MNIST(args.data, train=False)
    model = MLP()
    optimizer = tg.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    loader = tg.data.DataLoader(train, batch_size=args.batch_size, shuffle=True, seed=args.seed)
    print("training {} on {} images ({} steps per epoch), {} threads".format(
        type(model).__name__, len(train), len(loader), tg.get_num_threads()))

    for epoch in range(1, args.epochs + 1):
        start, total, steps = time.perf_counter(), 0.0, 0
        for images, labels in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(standardised(images)), labels)
            loss.backward()
            optimizer.step()
            total += loss.item()
            steps += 1
        seconds = time.perf_counter() - start
        print("epoch {}: loss {:.4f}, test accuracy {:.2%}, {:.2f} ms/step".format(
            epoch, total / steps, accuracy(model, test), 1000 * seconds / steps))

    with tg.no_grad():
        image, label = test[0]
        guess = model(standardised(image.unsqueeze(0))).argmax(1).item()
    print("first test image: {} (predicted {})".format(CLASSES[label.item()], CLASSES[guess]))
    if args.save:
        tg.save(model, args.save)
        print("weights written to", args.save)


if __name__ == "__main__":
    main()
