#!/usr/bin/env python3
"""Parity fixtures: what the float64 PyTorch executor (spkm.run) computes for a model file on
given Fashion-MNIST test images, for the C reference inference to reproduce.

Subcommands:
  random-checkpoint  write a random-weight Meta-SpikeFormer checkpoint (our format) whose BN
                     statistics are randomised around the real activation statistics, so that
                     every population fires some but not all of the time (for tests)
  make               run a model file on N test images and write the fixture (text, below)

The shipped fixture tests/data/fixtures/tiny-fmnist-t2.{spkm,fixture} was made with
  fixtures.py random-checkpoint --out /tmp/tiny.pt
  export.py /tmp/tiny.pt --time-steps 2 --out tests/data/fixtures/tiny-fmnist-t2.spkm
  fixtures.py make --model tests/data/fixtures/tiny-fmnist-t2.spkm --images 8 \\
      --out tests/data/fixtures/tiny-fmnist-t2.fixture

Fixture format (text, one record per line, fields separated by single spaces; reals printed
with 17 significant digits, so they read back to the same float64):
  spikechip-fixture 1
  model NAME CRC        model file name and CRC-32 of the whole file (8 hex digits)
  dataset fashion-mnist test
  time_steps T
  classes K
  pops P                then P lines: pop INDEX NAME (model file order)
  images N              then per image:
    image I INDEX LABEL   I = 0..N-1, INDEX into the test set, LABEL its true class
    logits K reals        (1/T) sum_t logit_t
    spikes t P counts     one line per timestep t = 0..T-1: spikes of each population
    margin P reals        per population, min over neurons and timesteps of |H - threshold|;
                          a different implementation may flip a spike only where this is tiny
                          (populations reading an ATTN site see exact multiples of its scale,
                          so 0 there is an exact tie, not a rounding risk)
  end
"""

import argparse
import os
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deps  # noqa: E402,F401  (numpy and torch, or a clear message)

import numpy as np  # noqa: E402
import torch  # noqa: E402

import idx  # noqa: E402
import spikeformer  # noqa: E402
import spkm  # noqa: E402
import train  # noqa: E402

FORMAT = "spikechip-fixture"
FORMAT_VERSION = 1
TINY = dict(embed_dims=(8, 16, 24, 32), num_heads=2, depths=(6, 2), strides=(2, 1, 2, 1, 1), in_channels=1,
            num_classes=10, img_size=28)


# ---------------------------------------------------------------------------------------------
# Random-weight models

@torch.no_grad()
def random_model(seed=1, T=1, **overrides):
    """A float64 MetaSpikeFormer (eval mode) with random weights and randomised BN parameters.

    Running statistics start from the batch statistics of random images (one train-mode pass
    per BN, in forward order), then are perturbed; BN gains and biases are random, so folding
    is really exercised and neurons fire at moderate rates.
    """
    cfg = spikeformer.model_config(None, **dict(TINY, T=T, **overrides))
    torch.manual_seed(seed)
    net = spikeformer.MetaSpikeFormer(**cfg).double()
    g = torch.Generator().manual_seed(seed)
    bns = [m for m in net.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for m in net.modules():
        if isinstance(m, (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Linear)):
            m.weight.normal_(0.0, 1.0, generator=g)
            m.weight.mul_(1.0 / (m.weight[0].numel() ** 0.5))
            if m.bias is not None:
                m.bias.normal_(0.0, 0.5, generator=g)
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average: one pass sets the batch statistics
    images = torch.randint(0, 256, (16, cfg["in_channels"], cfg["img_size"], cfg["img_size"]), generator=g)
    x = ((images.double() / 255.0 - 0.3) / 0.35)
    net.train()
    net(x)
    for bn in bns:
        n = bn.num_features
        bn.running_mean.add_(0.2 * bn.running_var.sqrt() * torch.randn(n, generator=g, dtype=torch.float64))
        bn.running_var.mul_(torch.empty(n, dtype=torch.float64).uniform_(0.6, 1.6, generator=g))
        bn.weight.copy_(torch.empty(n, dtype=torch.float64).uniform_(0.8, 2.0, generator=g))
        bn.bias.copy_(torch.randn(n, generator=g, dtype=torch.float64) * 0.8 + 0.6)
        bn.momentum = 0.1
    net.eval()
    return net


def write_random_checkpoint(path, seed=1, T=1, **overrides):
    """A checkpoint in our format (as models/train.py writes best.pt) of random_model()."""
    net = random_model(seed, T, **overrides).float()
    ckpt = dict(model=net.state_dict(), config=net.config, epoch=0,
                data=dict(mean=train.FMNIST_MEAN, std=train.FMNIST_STD), random_seed=seed)
    train.save_atomic(ckpt, path)
    return net


# ---------------------------------------------------------------------------------------------
# Fixtures

def compute(model, images_uint8):
    """(logits [B,K] float64, spikes [B,T,P] int64, margin [B,P] float64) numpy arrays."""
    logits, st = spkm.run(model, torch.as_tensor(images_uint8), counts=True)
    return logits.numpy(), st["spikes"].numpy(), st["margin"].numpy()


def _r(x):
    return f"{float(x):.17g}"


def format_fixture(model, model_name, model_crc, indices, labels, logits, spikes, margin):
    for p in model.pops:
        if not p.name or any(ch.isspace() for ch in p.name):
            raise ValueError(f"population name {p.name!r} cannot go into a fixture (whitespace)")
    lines = [f"{FORMAT} {FORMAT_VERSION}", f"model {model_name} {model_crc:08x}", "dataset fashion-mnist test",
             f"time_steps {model.time_steps}", f"classes {model.classes}", f"pops {len(model.pops)}"]
    lines += [f"pop {i} {p.name}" for i, p in enumerate(model.pops)]
    lines.append(f"images {len(indices)}")
    for i, (ix, lab) in enumerate(zip(indices, labels)):
        lines.append(f"image {i} {int(ix)} {int(lab)}")
        lines.append("logits " + " ".join(_r(v) for v in logits[i]))
        for t in range(model.time_steps):
            lines.append(f"spikes {t} " + " ".join(str(int(c)) for c in spikes[i, t]))
        lines.append("margin " + " ".join(_r(v) for v in margin[i]))
    lines.append("end")
    return "\n".join(lines) + "\n"


def read_fixture(path):
    """Parse a fixture file into a dict (the inverse of format_fixture)."""
    with open(path) as f:
        toks = [line.split() for line in f if line.strip()]
    it = iter(toks)

    def expect(word, n=None):
        t = next(it)
        if t[0] != word or (n is not None and len(t) != n + 1):
            raise ValueError(f"{path}: expected {word!r}, got {' '.join(t)[:80]!r}")
        return t[1:]

    fmt = next(it)
    if fmt != [FORMAT, str(FORMAT_VERSION)]:
        raise ValueError(f"{path}: not a {FORMAT} {FORMAT_VERSION} file")
    name, crc = expect("model", 2)
    dataset = expect("dataset", 2)
    T = int(expect("time_steps", 1)[0])
    K = int(expect("classes", 1)[0])
    P = int(expect("pops", 1)[0])
    pops = [expect("pop", 2)[1] for _ in range(P)]
    N = int(expect("images", 1)[0])
    out = dict(model=name, model_crc=int(crc, 16), dataset=dataset, time_steps=T, classes=K, pops=pops,
               indices=[], labels=[], logits=np.zeros((N, K)), spikes=np.zeros((N, T, P), dtype=np.int64),
               margin=np.zeros((N, P)))
    for i in range(N):
        _, ix, lab = expect("image", 3)
        out["indices"].append(int(ix))
        out["labels"].append(int(lab))
        out["logits"][i] = [float(v) for v in expect("logits", K)]
        for t in range(T):
            rec = expect("spikes", P + 1)
            out["spikes"][i, int(rec[0])] = [int(v) for v in rec[1:]]
        out["margin"][i] = [float(v) for v in expect("margin", P)]
    expect("end", 0)
    return out


def make_fixture(model_path, indices, out_path, data_dir=idx.FASHION_MNIST_DIR):
    with open(model_path, "rb") as f:
        data = f.read()
    model = spkm.decode(data, model_path)
    x, y = idx.load_fashion_mnist("test", data_dir)
    sel = np.asarray(indices, dtype=np.int64)
    images = torch.from_numpy(x[sel]).unsqueeze(1)
    if (model.in_channels, model.in_height, model.in_width) != (1, 28, 28):
        raise ValueError(f"{model_path}: not a 1x28x28 (Fashion-MNIST) model")
    logits, spikes, margin = compute(model, images)
    text = format_fixture(model, os.path.basename(model_path), zlib.crc32(data), sel, y[sel], logits, spikes, margin)
    tmp = f"{out_path}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, out_path)
    return text


def _ints(text):
    return [int(v) for v in text.split(",")]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("random-checkpoint", help="write a random-weight checkpoint (our format)")
    r.add_argument("--out", required=True, metavar="FILE.pt", help="checkpoint to write")
    r.add_argument("--seed", type=int, default=1, help="random seed (default: %(default)s)")
    r.add_argument("--time-steps", type=int, default=2, metavar="T",
                   help="T stored in its config (default: %(default)s)")
    r.add_argument("--embed-dims", type=_ints, default=list(TINY["embed_dims"]), metavar="E0,E1,E2,E3",
                   help="stage widths (default: %(default)s)")
    r.add_argument("--heads", type=int, default=TINY["num_heads"], help="attention heads (default: %(default)s)")
    r.add_argument("--depths", type=_ints, default=list(TINY["depths"]), metavar="D3,D4",
                   help="MS_Blocks in block3, block4 (default: %(default)s)")
    r.add_argument("--strides", type=_ints, default=list(TINY["strides"]), metavar="S1,...,S5",
                   help="downsampling strides (default: %(default)s, as the fmnist config)")
    m = sub.add_parser("make", help="write a fixture for a model file")
    m.add_argument("--model", required=True, metavar="FILE.spkm", help="model file (1x28x28 input)")
    g = m.add_mutually_exclusive_group()
    g.add_argument("--images", type=int, default=8, metavar="N", help="use test images 0..N-1 (default: %(default)s)")
    g.add_argument("--indices", type=_ints, metavar="I1,I2,...", help="use these test-set indices")
    m.add_argument("--out", required=True, metavar="FILE", help="fixture file to write")
    m.add_argument("--data-dir", default=idx.FASHION_MNIST_DIR, help="Fashion-MNIST folder (default: %(default)s)")
    args = p.parse_args(argv)
    if args.cmd == "random-checkpoint":
        net = write_random_checkpoint(args.out, args.seed, args.time_steps, embed_dims=args.embed_dims,
                                      num_heads=args.heads, depths=args.depths, strides=args.strides)
        print(f"wrote {args.out}: {spikeformer.count_parameters(net)} parameters, config {net.config}")
        return 0
    indices = args.indices if args.indices is not None else list(range(args.images))
    try:
        make_fixture(args.model, indices, args.out, args.data_dir)
    except (OSError, ValueError) as e:
        print(f"fixtures: error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}: {len(indices)} images")
    return 0


if __name__ == "__main__":
    sys.exit(main())
