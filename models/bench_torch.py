#!/usr/bin/env python3
"""PyTorch CPU float inference speed of a model, folded and unfolded, for orientation.

`make bench` runs this beside the C integer reference (models/bench_ref.c). It measures, on
the first N Fashion-MNIST test images in batches of 64 with 2 threads (by default):

  folded     the program of the model file (.spkm) executed by models/spkm.py in float32:
             the network the chip runs (merged 7x7 / 3x3 convolutions, BN folded);
  unfolded   the training-form network (models/spikeformer.py) of the checkpoint the model
             file was exported from, in float32, eval mode, at the model file's T.

Both count their dense multiply-accumulates per image (every conv tap, padded taps included,
attention products and head): the folded network does more of them than the unfolded one,
since a SepConv's pw 1x1 + dw 7x7 + pw 1x1 becomes one dense 7x7 and a RepConv one dense 3x3.
Images/s is the figure to compare across the two; the C reference counts only the synaptic
operations that spikes cause (SOPs), a much smaller number than either dense count.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deps  # noqa: E402,F401  (numpy and torch, or a clear message)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

import export  # noqa: E402
import idx  # noqa: E402
import spikeformer  # noqa: E402
import spkm  # noqa: E402


def folded_dense_macs(m):
    """Dense MACs per image of the folded program, counted from its operations."""
    total = 0
    for op in m.ops:
        if op.TYPE in (spkm.OP_ENCODER, spkm.OP_CONV):
            cout, cin, kh, kw = np.asarray(op.weight).shape
            c, h, w = m.sites[op.dst_site].shape
            total += kh * kw * cin * cout * h * w * (1 if op.TYPE == spkm.OP_ENCODER else m.time_steps)
        elif op.TYPE == spkm.OP_ATTN:
            c, h, w = m.sites[op.dst_site].shape
            total += 2 * (c // op.heads) * c * h * w * m.time_steps  # K^T V, then Q (K^T V)
        elif op.TYPE == spkm.OP_LINEAR:
            total += int(np.asarray(op.weight).size) * m.time_steps
    return total


def unfolded_dense_macs(net, x):
    """Dense MACs per image of the training-form network, counted with forward hooks."""
    count = [0]

    def hook(mod, inp, out):
        if isinstance(mod, nn.Linear):
            count[0] += mod.in_features * out.numel() // x.shape[0]
        else:
            k = int(np.prod(mod.kernel_size))
            count[0] += (mod.in_channels // mod.groups) * k * out.numel() // x.shape[0]

    hooks = [mod.register_forward_hook(hook) for mod in net.modules()
             if isinstance(mod, (nn.Conv1d, nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        net(x)
    for h in hooks:
        h.remove()
    return count[0]


def timed(fn, batches):
    fn(batches[0])  # warm-up (allocations, oneDNN primitive creation)
    t0 = time.perf_counter()
    for b in batches:
        fn(b)
    return time.perf_counter() - t0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="model file (.spkm): the folded network")
    p.add_argument("--checkpoint", help="the checkpoint the model file was exported from: the unfolded "
                   "network (default: skip the unfolded measurement)")
    p.add_argument("--images", type=int, default=512, help="test images to run (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=64, help="batch size (default: %(default)s)")
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads (default: %(default)s)")
    p.add_argument("--data-dir", default=idx.FASHION_MNIST_DIR, help="Fashion-MNIST directory "
                   "(default: %(default)s)")
    a = p.parse_args(argv)
    if a.images < 1 or a.batch_size < 1 or a.threads < 1:
        p.error("--images, --batch-size and --threads must be positive")
    torch.set_num_threads(a.threads)

    try:
        m = spkm.read(a.model)
    except (OSError, spkm.ModelFileError) as e:
        print(f"bench_torch.py: {e}", file=sys.stderr)
        return 2
    images, _ = idx.load_fashion_mnist("test", a.data_dir)
    images = torch.from_numpy(images[:a.images].copy()).unsqueeze(1)
    batches = list(torch.split(images, a.batch_size))
    n = images.shape[0]
    print(f"PyTorch {torch.__version__} CPU float32, {a.threads} threads, batch {a.batch_size}, "
          f"{n} Fashion-MNIST test images, T={m.time_steps}")

    dt = timed(lambda b: spkm.run(m, b, dtype=torch.float32), batches)
    print(f"folded   ({os.path.basename(a.model)}): {n / dt:8.1f} images/s, "
          f"{folded_dense_macs(m) / 1e6:8.1f} M dense MACs/image")

    if a.checkpoint:
        try:
            state, meta = export.load_checkpoint(a.checkpoint)
        except export.ExportError as e:
            print(f"bench_torch.py: {e}", file=sys.stderr)
            return 2
        cfg = dict(meta.get("config") or {})
        if not cfg:
            print(f"bench_torch.py: {a.checkpoint}: no 'config' (not one of ours)", file=sys.stderr)
            return 2
        cfg["T"] = m.time_steps
        net = spikeformer.MetaSpikeFormer(**cfg).eval()
        net.load_state_dict(state)
        mean = torch.tensor(m.mean, dtype=torch.float32).view(1, -1, 1, 1)
        std = torch.tensor(m.std, dtype=torch.float32).view(1, -1, 1, 1)

        def unfolded(b):
            with torch.no_grad():
                return net((b.float() / 255.0 - mean) / std)

        macs = unfolded_dense_macs(net, (batches[0][:1].float() / 255.0 - mean) / std)
        dt = timed(unfolded, batches)
        print(f"unfolded ({os.path.basename(a.checkpoint)}): {n / dt:8.1f} images/s, "
              f"{macs / 1e6:8.1f} M dense MACs/image")
    return 0


if __name__ == "__main__":
    sys.exit(main())
