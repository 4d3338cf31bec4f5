#!/usr/bin/env python3
"""Derives the float line of fmnist-t4-200.txt without spikechip's C code (tests/data/ref/README.md).

The shipped model file is executed in float64 by PyTorch (models/spkm.py `run`: the model file's
operations as tensor ops, an implementation independent of models/ref.c) on the first N
Fashion-MNIST test images; the images classified correctly and the spikes per image must be the
golden file's float line. Prints both and exits 1 if they differ.

    /usr/bin/python3 tests/data/ref/derive_float.py [SRCDIR]     (make check-golden)
"""
import os
import sys
import time

SRC = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../.."))
sys.path.insert(0, os.path.join(SRC, "models"))

import torch  # noqa: E402

import idx  # noqa: E402
import spkm  # noqa: E402


def main():
    golden = os.path.join(SRC, "tests/data/ref/fmnist-t4-200.txt")
    want = [line.split() for line in open(golden) if line.startswith("float ")]
    if len(want) != 1:
        print(f"{golden}: no float line", file=sys.stderr)
        return 1
    f = dict(zip(want[0][1::2], want[0][2::2]))
    n = int(f["images"])
    t0 = time.time()
    m = spkm.read(os.path.join(SRC, "models/fmnist_t4.spkm"))
    images, labels = idx.load_fashion_mnist("test")
    x = torch.from_numpy(images[:n][:, None].copy())
    correct = spikes = 0
    for b in range(0, n, 50):
        logits, st = spkm.run(m, x[b:b + 50], counts=True)
        correct += int((logits.argmax(1).numpy() == labels[b:b + 50]).sum())
        spikes += int(st["spikes"].sum())
    got = f"correct {correct} spikes_per_image {spikes / n:.2f}"
    print(f"PyTorch float64, {n} images, {time.time() - t0:.0f} s: {got}")
    print(f"golden float line:                 correct {f['correct']} spikes_per_image {f['spikes_per_image']}")
    return 0 if got == f"correct {f['correct']} spikes_per_image {f['spikes_per_image']}" else 1


if __name__ == "__main__":
    sys.exit(main())
