#!/usr/bin/env python3
"""Average the weights of several checkpoints of one run (stochastic weight averaging).

The learnable parameters of the given checkpoints are averaged element-wise; the
batch-norm running statistics, which do not average meaningfully, are then measured
again on training images (no augmentation) with the averaged weights. The result is
written as a checkpoint that `train.py --init-from` and `export.py` read like any
other, and its test accuracy is measured and recorded in it.

Typical use (the last epochs of a cosine schedule, then a T=4 fine-tune):

  average.py runs/fmnist_t1/epoch27.pt runs/fmnist_t1/epoch28.pt runs/fmnist_t1/epoch29.pt \\
             --out runs/fmnist_t1_swa/best.pt --threads 0
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deps  # noqa: E402,F401  (numpy and torch, or a clear message)

import torch  # noqa: E402

import idx  # noqa: E402
import spikeformer  # noqa: E402
from train import FMNIST_MEAN, FMNIST_STD, FashionMNIST, evaluate, save_atomic  # noqa: E402


def make_parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoints", nargs="+", metavar="CKPT",
                   help="checkpoints of train.py (best.pt, last.pt or copies) with the same configuration")
    p.add_argument("--out", required=True, metavar="FILE", help="averaged checkpoint to write")
    p.add_argument("--time-steps", type=int, default=0, metavar="T",
                   help="timesteps of the averaged model, 0 = the checkpoints' (default: %(default)s)")
    p.add_argument("--bn-batches", type=int, default=200, metavar="N",
                   help="training batches used to re-measure the batch-norm statistics (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=64, help="batch size of those batches (default: %(default)s)")
    p.add_argument("--eval-batch-size", type=int, default=256, help="test batch size (default: %(default)s)")
    p.add_argument("--limit-test-batches", type=int, default=-1, metavar="N",
                   help="evaluate only N test batches, -1 = all 10,000 images (default: %(default)s)")
    p.add_argument("--seed", type=int, default=1, help="seed of the order of the BN batches (default: %(default)s)")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads, 0 = all cores (default: %(default)s)")
    p.add_argument("--data-dir", default=idx.FASHION_MNIST_DIR,
                   help="folder with the Fashion-MNIST *-ubyte.gz files (default: %(default)s)")
    return p


def load(path):
    try:
        ck = torch.load(path, map_location="cpu")
    except Exception as e:  # torch raises many kinds for a damaged file
        raise SystemExit(f"average.py: {path}: cannot read checkpoint: {e}")
    if not isinstance(ck, dict) or "model" not in ck or "config" not in ck:
        raise SystemExit(f"average.py: {path}: not a train.py checkpoint (needs 'model' and 'config')")
    return ck


def is_bn_buffer(name):
    return name.endswith(("running_mean", "running_var", "num_batches_tracked"))


def average_states(states, names):
    """Element-wise mean of the learnable tensors; BN buffers are taken from the first."""
    keys = list(states[0])
    for s, n in zip(states[1:], names[1:]):
        if list(s) != keys:
            raise SystemExit(f"average.py: {n}: its parameters differ from those of {names[0]}")
        for k in keys:
            if s[k].shape != states[0][k].shape:
                raise SystemExit(f"average.py: {n}: {k} has shape {tuple(s[k].shape)}, "
                                 f"{names[0]} has {tuple(states[0][k].shape)}")
    out = {}
    for k in keys:
        if is_bn_buffer(k) or not states[0][k].is_floating_point():
            out[k] = states[0][k].clone()
        else:
            out[k] = torch.stack([s[k].double() for s in states]).mean(0).to(states[0][k].dtype)
    return out


@torch.no_grad()
def recalibrate_bn(model, data, batches, batch_size, seed):
    """Re-measure every BatchNorm's running mean/variance as a plain average over the batches."""
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
    order, offsets = data.epoch_plan(seed, 0, augment=False)
    model.train()
    for b in range(batches):
        sel = order[b * batch_size:(b + 1) * batch_size]
        x, _ = data.train_batch(sel, offsets[sel])
        model(x)
    for m, mom in zip(bns, saved):
        m.momentum = mom
    model.eval()


def main(argv=None):
    args = make_parser().parse_args(argv)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    cks = [load(p) for p in args.checkpoints]
    cfg = dict(cks[0]["config"])
    for ck, p in zip(cks[1:], args.checkpoints[1:]):
        if ck["config"] != cks[0]["config"]:
            raise SystemExit(f"average.py: {p}: configuration {json.dumps(ck['config'])} differs from "
                             f"{args.checkpoints[0]}'s {json.dumps(cks[0]['config'])}")
    if args.time_steps > 0:
        cfg["T"] = args.time_steps
    model = spikeformer.MetaSpikeFormer(**cfg)
    model.load_state_dict(average_states([ck["model"] for ck in cks], args.checkpoints))

    data = FashionMNIST(args.data_dir)
    n_max = data.train_y.shape[0] // args.batch_size
    if not 1 <= args.bn_batches <= n_max:
        raise SystemExit(f"average.py: --bn-batches must be 1..{n_max}, not {args.bn_batches}")
    t0 = time.time()
    recalibrate_bn(model, data, args.bn_batches, args.batch_size, args.seed)
    print(f"averaged {len(cks)} checkpoints; batch norm re-measured on {args.bn_batches} batches "
          f"in {time.time() - t0:.0f} s", flush=True)
    t0 = time.time()
    acc, rate, _ = evaluate(model, data, args.eval_batch_size, args.limit_test_batches)
    print(f"T={cfg['T']} test accuracy {acc:.2f}% firing rate {rate:.4f} ({time.time() - t0:.0f} s)", flush=True)
    last_epoch = max((ck["epoch"] for ck in cks if ck.get("epoch") is not None), default=None)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    save_atomic(dict(model=model.state_dict(), config=cfg, epoch=last_epoch, test_acc=acc,
                     averaged_from=list(args.checkpoints), args=vars(args),
                     data=dict(mean=FMNIST_MEAN, std=FMNIST_STD)), args.out)
    print(f"wrote {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
