#!/usr/bin/env python3
"""Export a Meta-SpikeFormer checkpoint to a spikechip model file (.spkm).

The checkpoint is ours (as models/train.py writes it: {'model': state_dict, 'config': ...,
'data': {'mean', 'std'}, ...}) or an official BICLab one ({'model': state_dict, ...} or a bare
state_dict). Its keys must match the model exactly; otherwise the missing and unexpected
keys are listed and the exit status is 2. A KD checkpoint (with `head_kd`) is recognised by its
keys.

Every BatchNorm is folded into the preceding convolution and every linear chain merged into
one spike-driven convolution, in float64, exactly (doc/formats.md, "Model file"):
  SepConv dw 7x7 -> pw 1x1 -> BN          one dense 7x7 conv (2d -> d)
  RepConv 1x1 -> BN+pad -> dw 3x3 -> 1x1 -> BN -> BN   one dense 3x3 conv with bias
  MLP Conv1d + BN1d                       a 1x1 conv
  downsample conv + BN                    a conv with bias (the first one is the ENCODER)
  head (+ head_kd, averaged)              the LINEAR
Weights are stored as float32.

Examples:
  export.py runs/fmnist_t4/best.pt --eval 1000 --out fmnist.spkm
  export.py 55M_kd_T4.pth --config metaspikformer_8_512 --time-steps 4 --out 55M.spkm

Exit status: 0 on success, 2 for a bad checkpoint or bad options, 1 if writing fails.
"""

import argparse
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deps  # noqa: E402,F401  (numpy and torch, or a clear message)

import numpy as np  # noqa: E402
import torch  # noqa: E402

import idx  # noqa: E402
import spikeformer  # noqa: E402
import spkm  # noqa: E402
import train  # noqa: E402  (for the Fashion-MNIST normalisation our training used)

# Input normalisation per dataset: (mean per channel, std per channel) of pixel/255.
DATASETS = {
    "fashion-mnist": ((train.FMNIST_MEAN,), (train.FMNIST_STD,)),
    "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),  # timm's IMAGENET_DEFAULT_*, as the official code
}
CONFIG_DATASET = {"fmnist": "fashion-mnist", "15M": "imagenet", "metaspikformer_8_384": "imagenet",
                  "metaspikformer_8_512": "imagenet"}
ARCH_KEYS = ("embed_dims", "num_heads", "depths", "mlp_ratio", "strides", "in_channels", "num_classes", "img_size")


class ExportError(Exception):
    """A bad checkpoint or inconsistent options: reported with exit status 2."""


# ---------------------------------------------------------------------------------------------
# Checkpoint loading

def load_checkpoint(path):
    """(state_dict, meta) of a checkpoint file; meta is the enclosing dict ({} for a bare state_dict)."""
    try:
        # weights_only is too narrow in torch 1.13 (no floats): checkpoints are pickles, load trusted files only.
        obj = torch.load(path, map_location="cpu")
    except Exception as e:  # torch raises many kinds (pickle, zip, EOF, OS errors)
        raise ExportError(f"{path}: cannot read as a PyTorch checkpoint: {type(e).__name__}: {e}")
    if not isinstance(obj, dict):
        raise ExportError(f"{path}: holds a {type(obj).__name__}, expected a dict (a state_dict, or a dict "
                          "with the state_dict under 'model')")
    meta = {}
    if "model" in obj:
        state, meta = obj["model"], obj
        if not isinstance(state, dict):
            raise ExportError(f"{path}: 'model' holds a {type(state).__name__}, expected a state_dict")
    elif "state_dict" in obj and isinstance(obj["state_dict"], dict):
        state, meta = obj["state_dict"], obj
    else:
        state = obj
    if not state:
        raise ExportError(f"{path}: the state_dict is empty")
    bad = [k for k, v in state.items() if not isinstance(k, str) or not torch.is_tensor(v)]
    if bad:
        raise ExportError(f"{path}: not a state_dict: {len(bad)} entries are not name -> tensor, first {bad[0]!r}")
    if all(k.startswith("module.") for k in state):  # saved from a DataParallel/DDP wrapper
        state = {k[len("module."):]: v for k, v in state.items()}
    return state, meta


def check_keys(net, state, path):
    """Raise ExportError listing missing keys, unexpected keys and shape mismatches, if any."""
    expected = net.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    shapes = [f"{k}: checkpoint {tuple(state[k].shape)}, model {tuple(v.shape)}"
              for k, v in expected.items() if k in state and tuple(state[k].shape) != tuple(v.shape)]
    if missing or unexpected or shapes:
        lines = [f"{path}: the checkpoint does not match the model "
                 f"({net.config['embed_dims']} dims, {net.config['num_heads']} heads, "
                 f"depths {net.config['depths']}, {net.config['num_classes']} classes)"]
        for title, items in (("missing keys", missing), ("unexpected keys", unexpected),
                             ("shape mismatches", shapes)):
            if items:
                lines.append(f"{title} ({len(items)}):")
                lines += [f"  {x}" for x in items]
        raise ExportError("\n".join(lines))


def config_name(cfg):
    """The named configuration `cfg` is (T and kd aside), or a description of it."""
    def norm(c):
        return tuple((k, tuple(c[k]) if isinstance(c[k], (list, tuple)) else c[k]) for k in ARCH_KEYS)
    for name in spikeformer.CONFIGS:
        if norm(spikeformer.model_config(name)) == norm(cfg):
            return name
    return ("custom(embed_dims={},heads={},depths={},strides={},mlp_ratio={:g},in_channels={},classes={},"
            "img_size={})".format(",".join(map(str, cfg["embed_dims"])), cfg["num_heads"],
                                  ",".join(map(str, cfg["depths"])), ",".join(map(str, cfg["strides"])),
                                  cfg["mlp_ratio"], cfg["in_channels"], cfg["num_classes"], cfg["img_size"]))


# ---------------------------------------------------------------------------------------------
# Folding (float64)

def _t(x):
    return x.detach().to(torch.float64)


def bn_affine(bn):
    """(g, h) with BN(x) = g * x + h per channel, in eval mode."""
    g = _t(bn.weight) / torch.sqrt(_t(bn.running_var) + bn.eps)
    return g, _t(bn.bias) - _t(bn.running_mean) * g


def _geometry(conv):
    k, s, p = conv.kernel_size, conv.stride, conv.padding
    if len(set(k)) != 1 or len(set(s)) != 1 or len(set(p)) != 1 or set(conv.dilation) != {1}:
        raise ExportError(f"unsupported conv geometry: kernel {k}, stride {s}, padding {p}, dilation {conv.dilation}")
    return k[0], s[0], p[0]


def fold_conv_bn(conv, bn):
    """Dense conv (groups 1, optional bias) followed by BN -> (weight, bias)."""
    if conv.groups != 1:
        raise ExportError(f"expected a dense conv, got groups={conv.groups}")
    g, h = bn_affine(bn)
    w = _t(conv.weight)
    if w.dim() == 3:  # Conv1d kernel 1 -> 1x1 Conv2d
        w = w.unsqueeze(-1)
    b = _t(conv.bias) if conv.bias is not None else torch.zeros(w.shape[0], dtype=torch.float64)
    return w * g.view(-1, 1, 1, 1), b * g + h


def fold_sepconv_tail(sep):
    """SepConv's dw kxk -> pw 1x1 -> bn2 (no neuron between) -> one dense kxk conv (2d -> d)."""
    dw, pw = sep.dwconv, sep.pwconv2
    g, h = bn_affine(sep.bn2)
    d = _t(dw.weight)[:, 0]  # [2d, k, k]
    p = _t(pw.weight)[:, :, 0, 0]  # [d, 2d]
    w = (g.view(-1, 1) * p)[:, :, None, None] * d[None]
    b = h.clone()
    if dw.bias is not None:
        b += g * (p @ _t(dw.bias))
    if pw.bias is not None:
        b += g * _t(pw.bias)
    return w, b


def fold_repconv(seq):
    """Sequential(RepConv, BN): 1x1 -> BN+pad -> dw 3x3 -> 1x1 -> BN -> BN, as one dense 3x3 conv
    with bias on zero-padded spikes. The pad value of BNAndPadLayer is BN(0), which is what a
    zero-padded input gives after the (bias-free) 1x1 and the BN, so the merge is exact."""
    rep, outer = seq[0], seq[1]
    conv1, bnpad, conv3 = rep.body
    dw, pw, bn2 = conv3
    if any(c.bias is not None for c in (conv1, dw, pw)) or bnpad.pad_pixels != 1 or _geometry(dw) != (3, 1, 0):
        raise ExportError("unexpected RepConv structure (biases or padding)")
    w1 = _t(conv1.weight)[:, :, 0, 0]  # [C, Cin]
    g1, h1 = bn_affine(bnpad.bn)
    d = _t(dw.weight)[:, 0]  # [C, 3, 3]
    p = _t(pw.weight)[:, :, 0, 0]  # [O, C]
    g2, h2 = bn_affine(bn2)
    g3, h3 = bn_affine(outer)
    m = p[:, :, None, None] * d[None]  # [O, C, 3, 3]: pw after dw
    w = torch.einsum("ocyx,c,ci->oiyx", m, g1, w1)
    b_inner = torch.einsum("ocyx,c->o", m, h1)
    s = g3 * g2
    return w * s.view(-1, 1, 1, 1), g3 * (g2 * b_inner + h2) + h3


class _Program:
    def __init__(self, net):
        self.net = net
        self.sites, self.pops, self.ops = [], [], []

    def site(self, name, c, h, w):
        self.sites.append(spkm.Site(name, int(c), int(h), int(w)))
        return len(self.sites) - 1

    def shape(self, site):
        return self.sites[site].shape

    def fire(self, path, site, kind=spkm.KIND_NEURON):
        lif = self.net.get_submodule(path)
        if not isinstance(lif, spikeformer.MultiStepLIF):
            raise ExportError(f"{path} is not a LIF neuron")
        self.pops.append(spkm.Pop(path, site, kind, float(lif.threshold)))
        self.ops.append(spkm.Fire(path, len(self.pops) - 1))
        return len(self.pops) - 1

    def conv(self, name, src, dst, wb, stride, pad):
        w, b = wb
        self.ops.append(spkm.Conv(name, src, dst, int(w.shape[-1]), int(stride), int(pad), w.numpy(), b.numpy()))

    def new_site_conv(self, name, src_pop, wb, stride, pad):
        """A CONV into a new site named like the op, sized by the conv; returns the site."""
        _, h, w = self.shape(self.pops[src_pop].site)
        k = int(wb[0].shape[-1])
        site = self.site(name, wb[0].shape[0], spkm.conv_out(h, k, stride, pad), spkm.conv_out(w, k, stride, pad))
        self.conv(name, src_pop, site, wb, stride, pad)
        return site


def _conv_block(prog, path, blk, stream):
    sep = blk.Conv
    a = prog.fire(f"{path}.Conv.lif1", stream)
    mid = prog.new_site_conv(f"{path}.Conv.pwconv1", a, fold_conv_bn(sep.pwconv1, sep.bn1), 1, 0)
    a = prog.fire(f"{path}.Conv.lif2", mid)
    _, stride, pad = _geometry(sep.dwconv)
    prog.conv(f"{path}.Conv.dwconv+pwconv2", a, stream, fold_sepconv_tail(sep), stride, pad)
    a = prog.fire(f"{path}.lif1", stream)
    _, stride, pad = _geometry(blk.conv1)
    hid = prog.new_site_conv(f"{path}.conv1", a, fold_conv_bn(blk.conv1, blk.bn1), stride, pad)
    a = prog.fire(f"{path}.lif2", hid)
    _, stride, pad = _geometry(blk.conv2)
    prog.conv(f"{path}.conv2", a, stream, fold_conv_bn(blk.conv2, blk.bn2), stride, pad)


def _ms_block(prog, path, blk, stream):
    at = blk.attn
    a = prog.fire(f"{path}.attn.head_lif", stream)
    qkv_sites = [prog.new_site_conv(f"{path}.attn.{n}_conv", a, fold_repconv(getattr(at, f"{n}_conv")), 1, 1)
                 for n in "qkv"]
    q, k, v = (prog.fire(f"{path}.attn.{n}_lif", s) for n, s in zip("qkv", qkv_sites))
    attn_site = prog.site(f"{path}.attn", *prog.shape(stream))
    prog.ops.append(spkm.Attn(f"{path}.attn", q, k, v, attn_site, int(at.num_heads), float(at.scale)))
    a = prog.fire(f"{path}.attn.attn_lif", attn_site)
    prog.conv(f"{path}.attn.proj_conv", a, stream, fold_repconv(at.proj_conv), 1, 1)
    mlp = blk.mlp
    a = prog.fire(f"{path}.mlp.fc1_lif", stream)
    hid = prog.new_site_conv(f"{path}.mlp.fc1_conv", a, fold_conv_bn(mlp.fc1_conv, mlp.fc1_bn), 1, 0)
    a = prog.fire(f"{path}.mlp.fc2_lif", hid)
    prog.conv(f"{path}.mlp.fc2_conv", a, stream, fold_conv_bn(mlp.fc2_conv, mlp.fc2_bn), 1, 0)


STAGES = ("downsample1_1", "ConvBlock1_1", "downsample1_2", "ConvBlock1_2", "downsample2", "ConvBlock2_1",
          "ConvBlock2_2", "downsample3", "block3", "downsample4", "block4")


@torch.no_grad()
def fold(net, time_steps, mean, std, dataset="", config=None, float_accuracy=math.nan):
    """The op program of a MetaSpikeFormer (eval-mode semantics) as an spkm.Model, float64 weights.

    Sites: one residual stream per stage, named after the downsampling layer that starts it
    (written by that layer and by the last projection of each branch), plus one site per other
    LIF input, named after the op that writes it. Populations and FIRE ops are named after
    their LIF module, other ops after the module(s) folded into them.
    """
    cfg = net.config
    size = cfg["img_size"]
    prog = _Program(net)
    stream = None
    for stage in STAGES:
        mod = getattr(net, stage)
        if stage == "downsample1_1":
            k, s, p = _geometry(mod.encode_conv)
            w, b = fold_conv_bn(mod.encode_conv, mod.encode_bn)
            stream = prog.site(stage, w.shape[0], spkm.conv_out(size, k, s, p), spkm.conv_out(size, k, s, p))
            prog.ops.append(spkm.Encoder(f"{stage}.encode_conv", stream, k, s, p, w.numpy(), b.numpy()))
        elif stage.startswith("downsample"):
            a = prog.fire(f"{stage}.encode_lif", stream)
            k, s, p = _geometry(mod.encode_conv)
            wb = fold_conv_bn(mod.encode_conv, mod.encode_bn)
            _, h, w = prog.shape(stream)
            stream = prog.site(stage, wb[0].shape[0], spkm.conv_out(h, k, s, p), spkm.conv_out(w, k, s, p))
            prog.conv(f"{stage}.encode_conv", a, stream, wb, s, p)
        else:
            for j, blk in enumerate(mod):
                (_conv_block if stage.startswith("ConvBlock") else _ms_block)(prog, f"{stage}.{j}", blk, stream)
    a = prog.fire("lif", stream, spkm.KIND_MEAN)
    w, b = _t(net.head.weight), _t(net.head.bias)
    name = "head"
    if getattr(net, "kd", False):
        w, b = (w + _t(net.head_kd.weight)) / 2, (b + _t(net.head_kd.bias)) / 2
        name = "head+head_kd"
    prog.ops.append(spkm.Linear(name, a, w.numpy(), b.numpy()))
    model = spkm.Model(config or config_name(cfg), dataset, int(time_steps), cfg["in_channels"], size, size,
                       cfg["num_classes"], [float(x) for x in mean], [float(x) for x in std],
                       float(float_accuracy), prog.sites, prog.pops, prog.ops)
    spkm.validate(model, "<exported model>")
    return model


# ---------------------------------------------------------------------------------------------

def evaluate(model, n, data_dir=idx.FASHION_MNIST_DIR, batch_size=100):
    """Accuracy of the model (as stored: float32 weights) on the first n Fashion-MNIST test images."""
    if (model.in_channels, model.in_height, model.in_width, model.classes) != (1, 28, 28, 10):
        raise ExportError("--eval needs a Fashion-MNIST-shaped model (1x28x28 input, 10 classes)")
    try:
        x, y = idx.load_fashion_mnist("test", data_dir)
    except (OSError, ValueError) as e:
        raise ExportError(f"--eval: cannot read the Fashion-MNIST test set in {data_dir}: {e}")
    n = min(n, len(y))
    stored = spkm.as_stored(model)
    correct = 0
    for i in range(0, n, batch_size):
        j = min(n, i + batch_size)
        logits = spkm.run(stored, torch.from_numpy(x[i:j]).unsqueeze(1))
        correct += int((logits.argmax(1).numpy() == y[i:j]).sum())
    return correct / n, n


def _ints(text):
    try:
        return [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}")


def _floats(text):
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", help="PyTorch checkpoint (a pickle: load only files you trust)")
    p.add_argument("--out", required=True, metavar="FILE.spkm", help="model file to write (atomically)")
    g = p.add_argument_group("model shape (default: the 'config' stored in our checkpoints; an official "
                             "checkpoint needs --config or --embed-dims ...); explicit options override "
                             "the named or stored configuration")
    g.add_argument("--config", choices=sorted(spikeformer.CONFIGS),
                   help="named configuration of models/spikeformer.py")
    g.add_argument("--embed-dims", type=_ints, metavar="E0,E1,E2,E3",
                   help="channel widths of the four stages (stage 1 starts at E0/2)")
    g.add_argument("--heads", type=int, metavar="H", help="attention heads per MS_Block")
    g.add_argument("--depths", type=_ints, metavar="D3,D4", help="MS_Blocks in block3 and block4 (official 6,2)")
    g.add_argument("--in-channels", type=int, metavar="C", help="input image channels")
    g.add_argument("--classes", type=int, metavar="K", help="number of classes of the head")
    g.add_argument("--img-size", type=int, metavar="S", help="input image height and width")
    g.add_argument("--strides", type=_ints, metavar="S1,S2,S3,S4,S5",
                   help="strides of downsample1_1, 1_2, 2, 3, 4 (official 2,2,2,2,1; fmnist 2,1,2,1,1)")
    g = p.add_argument_group("inference")
    g.add_argument("--time-steps", type=int, metavar="T",
                   help="timesteps per image (default: the T of our checkpoint's config; required otherwise)")
    g.add_argument("--dataset", metavar="NAME",
                   help="dataset the model was trained for, stored in the file (default: 'fashion-mnist' for "
                   "our checkpoints and the fmnist config, 'imagenet' for the paper configs, else '')")
    g.add_argument("--mean", type=_floats, metavar="M1,...",
                   help="input normalisation mean per channel, of pixel/255 (one value applies to all channels; "
                   "default: from our checkpoint, else the dataset's: fashion-mnist %s, imagenet %s)"
                   % (DATASETS["fashion-mnist"][0], DATASETS["imagenet"][0]))
    g.add_argument("--std", type=_floats, metavar="S1,...",
                   help="input normalisation std per channel (default as --mean: fashion-mnist %s, imagenet %s)"
                   % (DATASETS["fashion-mnist"][1], DATASETS["imagenet"][1]))
    g.add_argument("--name", help="configuration name stored in the file (default: the named config the "
                   "model matches, else a 'custom(...)' description)")
    g = p.add_argument_group("float accuracy stored in the file (default: our checkpoint's test accuracy if it "
                             "was measured at the same T, else not measured (NaN))")
    x = g.add_mutually_exclusive_group()
    x.add_argument("--float-accuracy", type=float, metavar="X", help="accuracy as a fraction in [0, 1]")
    x.add_argument("--eval", type=int, metavar="N",
                   help="measure it with the folded float program (float32 weights, float64 arithmetic) on the "
                   "first N Fashion-MNIST test images (10000 = all)")
    g.add_argument("--data-dir", default=idx.FASHION_MNIST_DIR,
                   help="folder of the Fashion-MNIST *-ubyte.gz files for --eval (default: %(default)s)")
    g.add_argument("--threads", type=int, default=0, help="torch CPU threads, 0 = torch's default")
    return p.parse_args(argv)


def _per_channel(name, values, channels):
    if len(values) == 1:
        return list(values) * channels
    if len(values) != channels:
        raise ExportError(f"--{name} has {len(values)} values for {channels} input channels")
    return list(values)


def build(args):
    """(net in float64 eval mode, spkm.Model) from parsed options; raises ExportError."""
    state, meta = load_checkpoint(args.checkpoint)
    ours = isinstance(meta.get("config"), dict)
    overrides = dict(embed_dims=args.embed_dims, num_heads=args.heads, depths=args.depths,
                     strides=args.strides, in_channels=args.in_channels, num_classes=args.classes,
                     img_size=args.img_size)
    if args.config:
        cfg = spikeformer.model_config(args.config)
    elif ours:
        cfg = dict(spikeformer.DEFAULTS, **meta["config"])
    elif args.embed_dims is not None:
        cfg = dict(spikeformer.DEFAULTS)
    else:
        raise ExportError(f"{args.checkpoint}: the checkpoint carries no model configuration: give --config NAME "
                          "or --embed-dims (and --heads, --in-channels, --classes, --img-size, --strides)")
    cfg.update({k: v for k, v in overrides.items() if v is not None})
    time_steps = args.time_steps if args.time_steps is not None else (meta["config"].get("T") if ours else None)
    if time_steps is None:
        raise ExportError("--time-steps is required (the checkpoint does not say T)")
    if time_steps < 1:
        raise ExportError(f"--time-steps {time_steps} must be at least 1")
    cfg["T"] = int(time_steps)
    cfg["kd"] = "head_kd.weight" in state or "head_kd.bias" in state
    try:
        net = spikeformer.MetaSpikeFormer(**cfg)
    except (AssertionError, TypeError, ValueError, RuntimeError) as e:
        raise ExportError(f"cannot build the model {cfg}: {type(e).__name__}: {e}")
    check_keys(net, state, args.checkpoint)
    net = net.double()
    net.load_state_dict({k: (v.double() if v.is_floating_point() else v) for k, v in state.items()})
    net.eval()

    name = args.name or config_name(cfg)
    if args.dataset is not None:
        dataset = args.dataset
    elif ours:
        dataset = "fashion-mnist"
    else:
        dataset = CONFIG_DATASET.get(name, "")
    channels = cfg["in_channels"]
    data = meta.get("data") if ours and isinstance(meta.get("data"), dict) else {}
    if args.mean is not None or args.std is not None:
        if args.mean is None or args.std is None:
            raise ExportError("give both --mean and --std")
        mean, std = args.mean, args.std
    elif "mean" in data and "std" in data:
        mean, std = np.atleast_1d(data["mean"]).tolist(), np.atleast_1d(data["std"]).tolist()
    elif dataset in DATASETS and len(DATASETS[dataset][0]) in (1, channels):
        mean, std = DATASETS[dataset]
    else:
        raise ExportError(f"no input normalisation known for dataset {dataset!r} with {channels} channels: "
                          "give --mean and --std")
    mean, std = _per_channel("mean", mean, channels), _per_channel("std", std, channels)
    if not all(math.isfinite(s) and s > 0 for s in std) or not all(math.isfinite(m) for m in mean):
        raise ExportError(f"bad normalisation mean {mean} std {std} (std must be positive)")

    acc = math.nan
    if args.float_accuracy is not None:
        acc = args.float_accuracy
        if not 0.0 <= acc <= 1.0:
            raise ExportError(f"--float-accuracy {acc} is not a fraction in [0, 1]")
    elif ours and args.eval is None and "test_acc" in meta and meta["config"].get("T") == cfg["T"]:
        acc = float(meta["test_acc"]) / 100.0  # train.py stores percent
    model = fold(net, cfg["T"], mean, std, dataset, name, acc)
    return net, model


def main(argv=None):
    args = parse_args(argv)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    try:
        _, model = build(args)
        if args.eval is not None:
            if args.eval < 1:
                raise ExportError(f"--eval {args.eval}: give a positive number of images")
            acc, n = evaluate(model, args.eval, args.data_dir)
            model.float_accuracy = acc
            print(f"float accuracy of the folded model on {n} Fashion-MNIST test images: {100 * acc:.2f}%")
    except ExportError as e:
        print(f"export: error: {e}", file=sys.stderr)
        return 2
    try:
        size = spkm.write(model, args.out)
    except (OSError, spkm.ModelFileError) as e:
        print(f"export: error: cannot write {args.out}: {e}", file=sys.stderr)
        return 1
    print(f"wrote {args.out} ({size} bytes): {model.summary()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
