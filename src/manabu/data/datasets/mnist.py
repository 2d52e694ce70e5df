"""MNIST and Fashion-MNIST: 28x28 grey images in 10 classes, from their IDX files.

MNIST (Yann LeCun, Corinna Cortes, Christopher J.C. Burges; CC BY-SA 3.0): handwritten
digits 0-9, 60,000 training and 10,000 test images. Fashion-MNIST (Zalando Research, MIT):
the same layout with ten kinds of clothing.

Files are looked up in ``<root>/mnist/`` and ``<root>/fashion-mnist/`` (root: the argument,
else ``$MANABU_DATA``, else ``~/.cache/manabu``); when missing there, the two MNIST test
files come from the copy embedded in the package (``datasets/embedded/mnist/``), so
``load_mnist("test")`` and ``load_mnist_10k`` need no network; the MNIST training files and
Fashion-MNIST are downloaded from the mirrors below. Every file is checked against the
SHA-256 sums below.

SHA-256 sources: the MNIST test files match the embedded copies (see
``embedded/README.md``; their md5s match torchvision's). The MNIST training files and all Fashion-MNIST files are
the values published by TensorFlow Datasets and many independent download scripts, whose md5
counterparts are the ones torchvision lists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from manabu import backend
from manabu.data.datasets.download import data_root, ensure_files
from manabu.data.datasets.idx import IMAGES_MAGIC, LABELS_MAGIC, read_idx

if TYPE_CHECKING:
    import os

    Root = str | os.PathLike[str] | None

MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

FASHION_MNIST_MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://fashion-mnist.s3.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)

MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz":
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz":
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz":
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz":
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

FASHION_MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz":
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "train-labels-idx1-ubyte.gz":
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "t10k-images-idx3-ubyte.gz":
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    "t10k-labels-idx1-ubyte.gz":
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
}

FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

_PREFIX = {"train": "train", "test": "t10k"}


def _load_idx_pair(title: str, folder_name: str, checksums: dict[str, str],
                   mirrors: tuple[str, ...], split: str, root: Root,
                   download: bool) -> tuple[np.ndarray, np.ndarray]:
    """Raw (images uint8 (N, 28, 28), labels uint8 (N,)) of one split, checked."""
    if split not in _PREFIX:
        raise ValueError(f"{title}: split must be 'train' or 'test', got {split!r}")
    prefix = _PREFIX[split]
    names = [f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"]
    wanted = {name: checksums[name] for name in names}
    folder = data_root(root) / folder_name
    paths = ensure_files(f"{title} ({split})", folder, wanted, mirrors, download=download)
    images = read_idx(paths[names[0]], expected_magic=IMAGES_MAGIC)
    labels = read_idx(paths[names[1]], expected_magic=LABELS_MAGIC)
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{title}: {paths[names[0]]} holds images of shape {images.shape} but "
            f"{paths[names[1]]} holds labels of shape {labels.shape}"
        )
    return images, labels


def _prepare(images: np.ndarray, labels: np.ndarray, normalize: bool,
             flatten: bool) -> tuple[np.ndarray, np.ndarray]:
    """Images as (N, 1, H, W) or (N, H*W), scaled to [0, 1] or raw uint8; labels int64."""
    n, height, width = images.shape
    if normalize:
        x = images.astype(backend.get_default_dtype())
        x /= 255
    else:
        x = images
    if flatten:
        x = x.reshape(n, height * width)  # (N, 784)
    else:
        x = x.reshape(n, 1, height, width)  # (N, 1, 28, 28): NCHW with one channel
    return x, labels.astype(np.int64)


def load_mnist(split: str = "train", root: Root = None, download: bool = True,
               normalize: bool = True, flatten: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """MNIST handwritten digits: ``(x, y)`` for ``split`` 'train' (60,000) or 'test' (10,000).

    x: (N, 1, 28, 28), or (N, 784) with ``flatten=True``; default float dtype scaled to
    [0, 1] with ``normalize=True``, else uint8 in 0..255. y: (N,) int64 digits 0-9.
    Files: ``<root>/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz``.

    torchvision's ``MNIST`` is a Dataset of PIL images; here the whole split comes as two
    arrays (wrap them in ``TensorDataset``).

    Args:
        split: 'train' or 'test'. Default: 'train'
        root: the data folder; None: ``$MANABU_DATA``, else ``~/.cache/manabu``
        download: download missing files (the training files; the test files are
            embedded). Default: True
        normalize: floats in [0, 1] instead of uint8. Default: True
        flatten: rows (N, 784) instead of images (N, 1, 28, 28). Default: False

    Example:
        >>> x, y = data.load_mnist("test")            # embedded in the package: no download
        >>> x.shape, x.dtype, y[:5].tolist()
        ((10000, 1, 28, 28), dtype('float32'), [7, 2, 1, 0, 4])
    """
    images, labels = _load_idx_pair(
        "MNIST", "mnist", MNIST_SHA256, MNIST_MIRRORS, split, root, download
    )
    return _prepare(images, labels, normalize, flatten)


def load_fashion_mnist(split: str = "train", root: Root = None, download: bool = True,
                       normalize: bool = True,
                       flatten: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST clothing images: ``(x, y)`` with the shapes and dtypes of ``load_mnist``.

    Class names are in ``FASHION_MNIST_CLASSES``. Files: ``<root>/fashion-mnist/``.

    Args:
        split: 'train' (60,000) or 'test' (10,000). Default: 'train'
        root: the data folder; None: ``$MANABU_DATA``, else ``~/.cache/manabu``
        download: download missing files (none are embedded). Default: True
        normalize: floats in [0, 1] instead of uint8. Default: True
        flatten: rows (N, 784) instead of images (N, 1, 28, 28). Default: False
    """
    images, labels = _load_idx_pair(
        "Fashion-MNIST", "fashion-mnist", FASHION_MNIST_SHA256, FASHION_MNIST_MIRRORS,
        split, root, download,
    )
    return _prepare(images, labels, normalize, flatten)


def load_mnist_10k(
    root: Root = None, download: bool = True, normalize: bool = True, flatten: bool = False,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The project's standard "mnist-10k" split of the 10,000 MNIST test images.

    Returns ``((x_train, y_train), (x_test, y_test))``: the first 8,000 test images for
    training and the last 2,000 for evaluation, shaped as in ``load_mnist`` (x_train
    (8000, 1, 28, 28) float in [0, 1], y_train (8000,) int64; x_test (2000, ...)). Only the
    two small t10k files are needed, and the package embeds them: this works offline.

    Args:
        root: the data folder; None: ``$MANABU_DATA``, else ``~/.cache/manabu``
        download: download the files when neither the folder nor the package has them.
            Default: True
        normalize: floats in [0, 1] instead of uint8. Default: True
        flatten: rows (N, 784) instead of images. Default: False

    Example:
        >>> (x_train, y_train), (x_test, y_test) = data.load_mnist_10k(flatten=True)
        >>> x_train.shape, x_test.shape
        ((8000, 784), (2000, 784))
    """
    x, y = load_mnist("test", root=root, download=download, normalize=normalize, flatten=flatten)
    return (x[:8000], y[:8000]), (x[8000:], y[8000:])
