"""tensorgrad.data: the MNIST / Fashion-MNIST reader (IDX files, plain or gzip) and
a seeded batching DataLoader, both in C++; batches are (data, target) pairs.

    train = tensorgrad.data.MNIST("/usr/share/datasets/fashion-mnist", train=True)
    for images, labels in tensorgrad.data.DataLoader(train, batch_size=128, shuffle=True):
        ...                                     # images [B, 1, 28, 28] float32, labels [B] int64

A DataLoader over an MNIST dataset converts each batch from the pixel bytes (as
`MNIST.batch(indices)` does), so the float32 copy of the whole set is made only if
`images` is accessed; from then on batches are read from it, in-place edits
(normalisation) included.
"""
from . import _C

MNIST = _C._data.MNIST
FashionMNIST = MNIST


class TensorDataset:
    """Samples are the rows of `images` and `targets` (equal first dimensions)."""

    def __init__(self, images, targets):
        if images.shape[0] != targets.shape[0]:
            raise ValueError("Size mismatch between tensors: {} images for {} targets"
                             .format(images.shape[0], targets.shape[0]))
        self.images = images
        self.targets = targets

    def __len__(self):
        return self.images.shape[0]

    def __getitem__(self, i):
        return self.images[i], self.targets[i]


class DataLoader:
    """Batches of a dataset with `images` and `targets` tensors (MNIST, TensorDataset).
    Each iteration is an epoch; with shuffle, epoch e's order depends on (seed, e) only."""

    def __init__(self, dataset, batch_size=1, shuffle=False, seed=0, drop_last=False):
        self.dataset = dataset
        if isinstance(dataset, MNIST):
            # Batches straight from the pixel bytes: no float32 copy of the whole set
            # (which even hasattr(dataset, "images") would make).
            self._impl = _C._data.DataLoader(dataset, batch_size, shuffle, seed, drop_last)
            return
        if not (hasattr(dataset, "images") and hasattr(dataset, "targets")):
            raise TypeError("DataLoader needs a dataset with `images` and `targets` tensors (MNIST, TensorDataset)")
        self._impl = _C._data.DataLoader(dataset.images, dataset.targets, batch_size, shuffle, seed, drop_last)

    @property
    def batch_size(self):
        return self._impl.batch_size

    def __len__(self):
        return len(self._impl)

    def __iter__(self):
        return iter(self._impl)
