"""Reader for IDX files (the MNIST / Fashion-MNIST format), optionally gzip-compressed.

Format: 2 zero bytes, a type code byte, the number of dimensions n, then n
big-endian uint32 sizes, then the data, big-endian, row-major.
"""

import gzip
import os

import numpy as np

# IDX type code -> numpy dtype (big-endian)
_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def parse_idx(data):
    """Parse the bytes of an IDX file into a numpy array (native byte order)."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError("not an IDX file (bad magic)")
    code, ndim = data[2], data[3]
    if code not in _DTYPES:
        raise ValueError(f"unknown IDX type code 0x{code:02x}")
    dtype = _DTYPES[code]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError("truncated IDX header")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    count = int(np.prod(shape, dtype=np.int64)) if ndim else 1
    if len(data) != header + count * dtype.itemsize:
        raise ValueError(f"IDX size mismatch: shape {shape} needs {header + count * dtype.itemsize} bytes, "
                         f"file has {len(data)}")
    arr = np.frombuffer(data, dtype=dtype, count=count, offset=header).reshape(shape)
    return arr.astype(dtype.newbyteorder("="))


def read_idx(path):
    """Read an IDX file; gzip-compressed if the name ends in .gz."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return parse_idx(f.read())


def load_fashion_mnist(split, root=FASHION_MNIST_DIR):
    """(images uint8 [N,28,28], labels int64 [N]) of split 'train' (60000) or 'test' (10000)."""
    prefix = {"train": "train", "test": "t10k"}[split]
    images = read_idx(os.path.join(root, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(root, f"{prefix}-labels-idx1-ubyte.gz")).astype(np.int64)
    if images.ndim != 3 or labels.shape != (images.shape[0],):
        raise ValueError(f"unexpected shapes {images.shape}, {labels.shape}")
    return images, labels
