#!/usr/bin/env python3
"""Compare the C float reference with PyTorch, image by image, and explain the differences.

  compare_engines.py --model M.spkm --checkpoint best.pt --predictions best_test_predictions.json \\
      --logits float-logits.json [more logits files, in image order] [--int-logits int8-logits.json]

--predictions: the per-image classes of the training-form network (models/train.py writes
best_test_predictions.json beside best.pt); --logits: `spikechip ref --float --logits` output
for the same images (several files are concatenated in order, for runs split over processes).
Prints both accuracies and the images whose class differs; for each of those it runs, in
PyTorch, the folded program in float64 (models/spkm.py, what the C float engine computes) and
the training-form network in float32 and float64, and names the population whose membrane came
closest to its threshold: a difference is a threshold flip when the folded float64 program
agrees with C and some membrane sits on (or within rounding of) its threshold.
With --int-logits, also compares the integer engine with the float one.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deps  # noqa: E402,F401  (numpy and torch, or a clear message)

import numpy as np  # noqa: E402
import torch  # noqa: E402

import export  # noqa: E402
import idx  # noqa: E402
import spikeformer  # noqa: E402
import spkm  # noqa: E402


def classes(paths):
    out = []
    for p in paths:
        with open(p) as f:
            out += [int(np.argmax(row)) for row in json.load(f)]
    return np.array(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="the model file the C engine ran (.spkm)")
    ap.add_argument("--checkpoint", required=True, help="the checkpoint it was exported from")
    ap.add_argument("--predictions", required=True, help="JSON list: the training-form network's class per image")
    ap.add_argument("--logits", required=True, nargs="+", help="`spikechip ref --float --logits` file(s), in order")
    ap.add_argument("--int-logits", nargs="*", default=[], help="`spikechip ref --logits` file(s) of the integer engine")
    ap.add_argument("--data-dir", default=idx.FASHION_MNIST_DIR, help="Fashion-MNIST folder (default: %(default)s)")
    a = ap.parse_args(argv)

    images, labels = idx.load_fashion_mnist("test", a.data_dir)
    with open(a.predictions) as f:
        torch_p = np.array(json.load(f))
    c_p = classes(a.logits)
    if len(c_p) != len(torch_p) or len(c_p) > len(labels):
        print(f"compare_engines.py: {len(c_p)} logits rows, {len(torch_p)} predictions: not the same images",
              file=sys.stderr)
        return 2
    lab = labels[:len(c_p)]
    print(f"images {len(c_p)}")
    print(f"PyTorch training-form network, float32: {100 * (torch_p == lab).mean():.2f} %")
    print(f"C float64 folded program:               {100 * (c_p == lab).mean():.2f} %")
    diff = np.nonzero(c_p != torch_p)[0]
    print(f"images with another class: {len(diff)} (C right on {int((c_p[diff] == lab[diff]).sum())}, "
          f"PyTorch on {int((torch_p[diff] == lab[diff]).sum())})")

    if len(diff):
        m = spkm.read(a.model)
        x = torch.from_numpy(images[diff].copy()).unsqueeze(1)
        folded, st = spkm.run(m, x, counts=True)
        state, meta = export.load_checkpoint(a.checkpoint)
        cfg = dict(meta.get("config") or {})
        cfg["T"] = m.time_steps
        net = spikeformer.MetaSpikeFormer(**cfg).eval()
        net.load_state_dict(state)
        mean = torch.tensor(m.mean, dtype=torch.float64).view(1, -1, 1, 1)
        std = torch.tensor(m.std, dtype=torch.float64).view(1, -1, 1, 1)
        xn = (x.double() / 255.0 - mean) / std
        with torch.no_grad():
            u32 = net(xn.float()).argmax(1)
            u64 = net.double()(xn).argmax(1)
        for j, i in enumerate(diff):
            margin = st["margin"][j]
            p = int(torch.argmin(margin))
            print(f"  image {i}: label {lab[i]}; C {c_p[i]}; folded float64 (PyTorch) {int(folded[j].argmax())}; "
                  f"training form float32 {int(u32[j])} (saved {torch_p[i]}), float64 {int(u64[j])}; "
                  f"closest |H - threshold| {float(margin[p]):.3g} in {m.pops[p].name}")

    if a.int_logits:
        i_p = classes(a.int_logits)
        if len(i_p) != len(c_p):
            print("compare_engines.py: the integer logits are not for the same images", file=sys.stderr)
            return 2
        d = i_p != c_p
        print(f"C integer:                              {100 * (i_p == lab).mean():.2f} %")
        print(f"integer vs float64: {int(d.sum())} images with another class (integer right on "
              f"{int((i_p[d] == lab[d]).sum())}, float on {int((c_p[d] == lab[d]).sum())})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
