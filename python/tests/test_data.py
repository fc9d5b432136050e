"""tensorgrad.data: the Fashion-MNIST reader and the batching DataLoader."""
import os
import subprocess
import sys

import numpy as np
import pytest

import tensorgrad as tg

FASHION = "/usr/share/datasets/fashion-mnist"


def test_dataloader_batches_a_tensor_dataset():
    images = tg.arange(10, dtype=tg.float32).reshape(10, 1)
    targets = tg.arange(10)
    ds = tg.data.TensorDataset(images, targets)
    assert len(ds) == 10 and ds[3][1].item() == 3
    loader = tg.data.DataLoader(ds, batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[0][0].shape == (4, 1)
    assert len(tg.data.DataLoader(ds, batch_size=4, drop_last=True)) == 2


def test_shuffle_is_a_seeded_permutation_per_epoch():
    ds = tg.data.TensorDataset(tg.zeros(8, 1), tg.arange(8))
    a = tg.data.DataLoader(ds, batch_size=8, shuffle=True, seed=3)
    b = tg.data.DataLoader(ds, batch_size=8, shuffle=True, seed=3)
    first, second = [t.tolist() for _, t in a], [t.tolist() for _, t in a]
    assert sorted(first[0]) == list(range(8)) and first != second
    assert [t.tolist() for _, t in b] == first


def test_dataloader_needs_images_and_targets():
    with pytest.raises(TypeError, match="images"):
        tg.data.DataLoader([1, 2, 3])
    with pytest.raises(ValueError, match="Size mismatch"):
        tg.data.TensorDataset(tg.zeros(3), tg.zeros(2))


@pytest.mark.skipif(not os.path.isdir(FASHION), reason="dataset-fashion-mnist is not installed")
def test_fashion_mnist():
    test = tg.data.MNIST(FASHION, train=False)
    assert len(test) == 10000 and test.images.shape == (10000, 1, 28, 28) and test.targets.dtype is tg.int64
    image, label = test[0]
    assert image.shape == (1, 28, 28) and 0 <= label.item() <= 9
    pixels = test.images.numpy()
    assert pixels.min() >= 0 and pixels.max() <= 1
    assert np.bincount(test.targets.numpy(), minlength=10).tolist() == [1000] * 10
    with pytest.raises(RuntimeError, match="nowhere"):
        tg.data.MNIST("/nowhere")


@pytest.mark.skipif(not os.path.isdir(FASHION), reason="dataset-fashion-mnist is not installed")
def test_mnist_batches_come_from_the_pixel_bytes_with_the_same_values():
    test = tg.data.MNIST(FASHION, train=False)
    data, target = test.batch([9999, 0, 17])
    assert data.shape == (3, 1, 28, 28) and data.dtype is tg.float32 and target.dtype is tg.int64
    byte_loader = tg.data.DataLoader(test, batch_size=500, shuffle=True, seed=5)
    float_loader = tg.data.DataLoader(tg.data.TensorDataset(test.images, test.targets), batch_size=500, shuffle=True,
                                      seed=5)
    images = test.images.numpy()
    assert np.array_equal(data.numpy(), images[[9999, 0, 17]])
    assert target.tolist() == test.targets.numpy()[[9999, 0, 17]].tolist()
    batches = 0
    for (a, la), (b, lb) in zip(byte_loader, float_loader):
        assert np.array_equal(a.numpy(), b.numpy()) and la.tolist() == lb.tolist()
        batches += 1
    assert batches == len(byte_loader) == 20
    with pytest.raises((IndexError, RuntimeError), match="10000"):
        test.batch([10000])


@pytest.mark.skipif(not os.path.isdir(FASHION), reason="dataset-fashion-mnist is not installed")
def test_a_loader_over_mnist_never_makes_the_float_copy_of_the_set():
    # The training set as float32 is 188 MB; the process that batches it from the
    # pixel bytes peaked at 86 MiB here, and at 264 MiB through the float copy.
    # (VmHWM, not getrusage's maxrss, which also counts the forking parent's pages.)
    script = (
        "import re, tensorgrad as tg\n"
        "train = tg.data.MNIST({!r}, train=True)\n"
        "for i, (x, y) in enumerate(tg.data.DataLoader(train, batch_size=128, shuffle=True)):\n"
        "    if i == 20: break\n"
        "print(int(re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read()).group(1)) // 1024)\n"
    ).format(FASHION)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert int(out.stdout) < 150


@pytest.mark.skipif(not os.path.isdir(FASHION), reason="dataset-fashion-mnist is not installed")
def test_a_loader_over_mnist_sees_in_place_edits_of_images():
    test = tg.data.MNIST(FASHION, train=False)
    test.images.sub_(0.5).mul_(2)  # normalised in place, as many training scripts do
    data, _ = next(iter(tg.data.DataLoader(test, batch_size=64)))
    assert np.array_equal(data.numpy(), test.images.numpy()[:64]) and data.numpy().min() == -1.0
