#!/usr/bin/env python3
"""Train a Meta-SpikeFormer on Fashion-MNIST (CPU, plain PyTorch, resumable).

Typical use: train at T=1, then fine-tune the result at T=4:

  train.py --out runs/fmnist_t1 --epochs 40 --threads 0 --resume
  train.py --out runs/fmnist_t4 --init-from runs/fmnist_t1/best.pt --time-steps 4 \\
           --epochs 5 --lr 2e-4 --threads 0 --resume

Everything a run needs to continue exactly is in OUT/last.pt, written atomically at
the end of every epoch, every --ckpt-every-batches batches, and on SIGINT/SIGTERM.
Rerunning the same command with --resume continues where it stopped (the data order
and augmentation of an epoch depend only on --seed and the epoch number).
"""

import argparse
import json
import math
import os
import random
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deps  # noqa: E402,F401  (numpy and torch, or a clear message)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import idx  # noqa: E402
import spikeformer  # noqa: E402

# Fashion-MNIST training-set pixel statistics (pixels scaled to [0,1]).
FMNIST_MEAN = 0.2860
FMNIST_STD = 0.3530

# Options that only affect how this process runs, not what it computes: on --resume
# they come from the command line, all others from the checkpoint.
RUNTIME_OPTIONS = ("out", "resume", "threads", "ckpt_every_batches", "stop_after_batches", "data_dir",
                   "log_every", "change_epochs")


def int_list(text):
    return [int(v) for v in text.split(",") if v.strip()]


def make_parser():
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = p.add_argument_group("model (ignored with --init-from or --resume: taken from the checkpoint)")
    g.add_argument("--config", default="fmnist", choices=sorted(spikeformer.CONFIGS),
                   help="named model configuration to start from (default: %(default)s)")
    g.add_argument("--embed-dims", type=int_list, default=None, metavar="E0,E1,E2,E3",
                   help="channel widths of the four stages (stage 1 starts at E0/2), overrides --config")
    g.add_argument("--strides", type=int_list, default=None, metavar="S1,S2,S3,S4,S5",
                   help="strides of downsample1_1, downsample1_2, downsample2, downsample3, downsample4")
    g.add_argument("--heads", type=int, default=None, help="attention heads per MS_Block")
    g.add_argument("--depths", type=int_list, default=None, metavar="D3,D4",
                   help="number of MS_Blocks in block3 and block4 (official: 6,2)")
    g.add_argument("--time-steps", type=int, default=1, metavar="T",
                   help="timesteps per image, training and evaluation (default: %(default)s)")

    g = p.add_argument_group("training")
    g.add_argument("--epochs", type=int, default=40, help="epochs; the cosine schedule spans all of them "
                   "(default: %(default)s)")
    g.add_argument("--change-epochs", type=int, default=0, metavar="N",
                   help="with --resume: change the run's total epochs to N; the cosine schedule is "
                   "recomputed over N epochs and the learning rate follows it from the current step "
                   "(default: keep the checkpoint's)")
    g.add_argument("--batch-size", type=int, default=64, help="training batch size (default: %(default)s)")
    g.add_argument("--eval-batch-size", type=int, default=256, help="test batch size (default: %(default)s)")
    g.add_argument("--lr", type=float, default=1e-3, help="peak Adam learning rate (default: %(default)s)")
    g.add_argument("--min-lr", type=float, default=0.0, help="learning rate at the end of the cosine "
                   "(default: %(default)s)")
    g.add_argument("--warmup-batches", type=int, default=0,
                   help="linear learning-rate warm-up before the cosine (default: %(default)s)")
    g.add_argument("--weight-decay", type=float, default=0.0, help="Adam L2 weight decay (default: %(default)s)")
    g.add_argument("--label-smoothing", type=float, default=0.0, help="cross-entropy label smoothing "
                   "(default: %(default)s)")
    g.add_argument("--no-augment", action="store_true",
                   help="disable augmentation (default: random shift, pad 2 + random 28x28 crop)")
    g.add_argument("--seed", type=int, default=1, help="seed of init, data order and augmentation "
                   "(default: %(default)s)")
    g.add_argument("--init-from", metavar="CKPT", default=None,
                   help="start a new phase from the model weights (and architecture) of another run's "
                   "checkpoint; optimizer and schedule start fresh. Use with --time-steps to fine-tune at T>1")

    g = p.add_argument_group("run control")
    g.add_argument("--out", required=True, metavar="DIR",
                   help="output folder: last.pt, best.pt, train.log, metrics.jsonl")
    g.add_argument("--resume", action="store_true",
                   help="continue from DIR/last.pt if it exists (else start fresh); training options "
                   "come from the checkpoint, so the result equals an uninterrupted run")
    g.add_argument("--threads", type=int, default=0,
                   help="torch CPU threads; 0 = choose between 1 and all cores by measured batch time, "
                   "re-measured now and then: on a shared machine a second thread that only gets a "
                   "slice of a busy core stalls every parallel op (default: %(default)s)")
    g.add_argument("--ckpt-every-batches", type=int, default=200, metavar="N",
                   help="also write last.pt every N training batches, 0 = only per epoch (default: %(default)s)")
    g.add_argument("--log-every", type=int, default=50, metavar="N",
                   help="print a progress line every N batches, 0 = never (default: %(default)s)")
    g.add_argument("--data-dir", default=idx.FASHION_MNIST_DIR,
                   help="folder with the Fashion-MNIST *-ubyte.gz files (default: %(default)s)")

    g = p.add_argument_group("smoke tests and measurements")
    g.add_argument("--limit-batches", type=int, default=0, metavar="N",
                   help="train only the first N batches of each epoch, 0 = all (default: %(default)s)")
    g.add_argument("--limit-test-batches", type=int, default=-1, metavar="N",
                   help="evaluate only N test batches, 0 = skip evaluation, -1 = all 10,000 images "
                   "(default: %(default)s)")
    g.add_argument("--stop-after-batches", type=int, default=0, metavar="N",
                   help="checkpoint and exit after N training batches in this process, as if killed "
                   "(for testing --resume), 0 = never (default: %(default)s)")
    return p


class Logger:
    def __init__(self, out):
        self.path = os.path.join(out, "train.log")
        self.metrics = os.path.join(out, "metrics.jsonl")

    def __call__(self, msg, file_too=True):
        line = f"[{time.strftime('%Y-%m-%d %H:%M:%S')}] {msg}"
        print(line, flush=True)
        if file_too:
            with open(self.path, "a") as f:
                f.write(line + "\n")

    def record(self, rec):
        with open(self.metrics, "a") as f:
            f.write(json.dumps(rec) + "\n")


def save_atomic(obj, path):
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        torch.save(obj, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class FashionMNIST:
    """Both splits in memory as uint8; batches are normalized float [B,1,28,28]."""

    PAD = 2

    def __init__(self, root):
        x, y = idx.load_fashion_mnist("train", root)
        self.train_padded = torch.from_numpy(np.pad(x, ((0, 0), (self.PAD, self.PAD), (self.PAD, self.PAD))))
        self.train_y = torch.from_numpy(y)
        x, y = idx.load_fashion_mnist("test", root)
        self.test_x = torch.from_numpy(x)
        self.test_y = torch.from_numpy(y)
        self.size = x.shape[1]

    @staticmethod
    def normalize(x_uint8):
        return ((x_uint8.float() / 255.0 - FMNIST_MEAN) / FMNIST_STD).unsqueeze(1)

    def epoch_plan(self, seed, epoch, augment):
        """Sample order and per-sample crop offsets of an epoch: a function of (seed, epoch) only."""
        g = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
        n = self.train_y.shape[0]
        order = torch.randperm(n, generator=g)
        if augment:
            offsets = torch.randint(0, 2 * self.PAD + 1, (n, 2), generator=g)
        else:
            offsets = torch.full((n, 2), self.PAD, dtype=torch.long)
        return order, offsets

    def train_batch(self, sel, offsets):
        ar = torch.arange(self.size)
        rows = offsets[:, 0, None] + ar  # [B, 28]
        cols = offsets[:, 1, None] + ar
        x = self.train_padded[sel[:, None, None], rows[:, :, None], cols[:, None, :]]
        return self.normalize(x), self.train_y[sel]


class ThreadTuner:
    """--threads 0: use 1 or all cores, whichever trains faster now (starting with 1).

    After `first` batches, then every `interval` batches, it runs `probe_len`
    batches with the other count and switches if their median time beats the
    recent median by 10% (a probe batch twice as slow as that ends the probe).
    A failed probe doubles the interval (up to 16x), a switch resets it.
    """

    def __init__(self, log, first=5, interval=100, probe_len=3):
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:
            cores = os.cpu_count() or 1
        self.options = sorted({1, cores})
        self.current = 1  # robust start; more threads are tried after `first` batches
        self.log = log
        self.base_interval, self.interval = interval, first
        self.probe_len = probe_len
        self.recent, self.probe, self.probe_times, self.since = [], None, [], 0
        torch.set_num_threads(self.current)

    def record(self, seconds):
        if self.probe is None:
            self.recent = (self.recent + [seconds])[-5:]
            self.since += 1
            if len(self.options) > 1 and self.since >= self.interval:
                self.probe = [o for o in self.options if o != self.current][0]
                self.probe_times = []
                torch.set_num_threads(self.probe)
            return
        self.probe_times.append(seconds)
        new, old = float(np.median(self.probe_times)), float(np.median(self.recent))
        if len(self.probe_times) < self.probe_len and seconds < 2 * old:
            return  # a probe batch twice as slow ends the probe at once
        if len(self.probe_times) >= self.probe_len and new < 0.9 * old:
            self.log(f"threads {self.current} -> {self.probe} ({old:.2f} -> {new:.2f} s/batch)", file_too=False)
            self.current, self.recent = self.probe, list(self.probe_times)
            self.interval = self.base_interval
        else:
            self.interval = min(16 * self.base_interval, max(self.base_interval, 2 * self.interval))
        self.probe, self.since = None, 0
        torch.set_num_threads(self.current)


def lr_factor(step, warmup, total, min_ratio):
    if warmup > 0 and step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))


@torch.no_grad()
def evaluate(model, data, batch_size, limit_batches=-1):
    """(accuracy %, firing rate, predicted classes) on the test set, model in eval mode."""
    model.eval()
    spikeformer.set_recording(model, True)
    correct = seen = 0
    preds = []
    n = data.test_y.shape[0]
    for b, i in enumerate(range(0, n, batch_size)):
        if 0 <= limit_batches <= b:
            break
        x = data.normalize(data.test_x[i:i + batch_size])
        y = data.test_y[i:i + batch_size]
        p = model(x).argmax(1)
        preds += p.tolist()
        correct += int((p == y).sum())
        seen += y.shape[0]
    rate = spikeformer.firing_rate(model)
    spikeformer.set_recording(model, False)
    model.train()
    return (100.0 * correct / seen if seen else math.nan), rate, preds


def model_from_args(args):
    if args.init_from:
        src = torch.load(args.init_from, map_location="cpu")
        cfg = dict(src["config"])
        cfg["T"] = args.time_steps
        return cfg, src["model"]
    cfg = spikeformer.model_config(
        args.config, embed_dims=args.embed_dims, strides=args.strides, num_heads=args.heads,
        depths=args.depths, T=args.time_steps, in_channels=1, num_classes=10, img_size=28)
    return cfg, None


def rng_state():
    return dict(torch=torch.get_rng_state(), numpy=np.random.get_state(), python=random.getstate())


def set_rng_state(s):
    torch.set_rng_state(s["torch"])
    np.random.set_state(s["numpy"])
    random.setstate(s["python"])


def main(argv=None):
    parser = make_parser()
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    log = Logger(args.out)
    tuner = None
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    else:
        tuner = ThreadTuner(log)
    last_path = os.path.join(args.out, "last.pt")
    best_path = os.path.join(args.out, "best.pt")

    ckpt = None
    if args.resume and os.path.exists(last_path):
        ckpt = torch.load(last_path, map_location="cpu")
        saved = dict(ckpt["args"])
        for k in RUNTIME_OPTIONS:
            saved[k] = getattr(args, k)
        ignored = [k for k, v in vars(args).items()
                   if k not in RUNTIME_OPTIONS and v != parser.get_default(k) and saved.get(k) != v]
        if ignored:
            log(f"resume: using the checkpoint's values of {', '.join(ignored)}")
        if args.change_epochs > 0 and args.change_epochs != saved["epochs"]:
            log(f"resume: total epochs changed from {saved['epochs']} to {args.change_epochs}; "
                "the cosine schedule now spans the new total")
            saved["epochs"] = args.change_epochs
        args = argparse.Namespace(**saved)

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    random.seed(args.seed)

    if args.change_epochs > 0 and ckpt is None:
        parser.error("--change-epochs needs --resume and an existing checkpoint in --out")
    if ckpt is not None:
        cfg, init_state = ckpt["config"], None
    else:
        cfg, init_state = model_from_args(args)
    if cfg.get("kd"):
        raise SystemExit("training with the KD head is not supported")
    model = spikeformer.MetaSpikeFormer(**cfg)
    if init_state is not None:
        model.load_state_dict(init_state)

    data = FashionMNIST(args.data_dir)
    n_train = data.train_y.shape[0]
    batches_per_epoch = n_train // args.batch_size  # the ragged last batch is dropped
    if args.limit_batches > 0:
        batches_per_epoch = min(batches_per_epoch, args.limit_batches)
    total_steps = args.epochs * batches_per_epoch

    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    min_ratio = args.min_lr / args.lr
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(step, args.warmup_batches, total_steps, min_ratio))

    epoch, batch = 0, 0
    best_acc, best_epoch = -1.0, -1
    stats = dict(loss=0.0, correct=0, seen=0, spikes=0.0, neurons=0, seconds=0.0)
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        scheduler.load_state_dict(ckpt["scheduler"])
        epoch, batch = ckpt["epoch"], ckpt["batch"]
        best_acc, best_epoch = ckpt["best_acc"], ckpt["best_epoch"]
        stats = ckpt["epoch_stats"]
        set_rng_state(ckpt["rng"])
        log(f"resumed from {last_path}: epoch {epoch + 1}, batch {batch}/{batches_per_epoch}")
    else:
        start = f"from {args.init_from}" if args.init_from else "from scratch"
        log(f"start {start}: config {json.dumps(cfg)}; {spikeformer.count_parameters(model)} parameters; "
            f"{args.epochs} epochs x {batches_per_epoch} batches of {args.batch_size}; "
            f"args {json.dumps(vars(args))}")

    def checkpoint(ep, b, st):
        save_atomic(dict(model=model.state_dict(), optimizer=optimizer.state_dict(),
                         scheduler=scheduler.state_dict(), epoch=ep, batch=b, epoch_stats=st,
                         best_acc=best_acc, best_epoch=best_epoch, rng=rng_state(), config=cfg,
                         args=vars(args), data=dict(mean=FMNIST_MEAN, std=FMNIST_STD)),
                    last_path)

    stop_signal = []

    def on_signal(signum, _frame):
        stop_signal.append(signum)

    old_handlers = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    done_here = 0
    try:
        model.train()
        while epoch < args.epochs:
            order, offsets = data.epoch_plan(args.seed, epoch, not args.no_augment)
            t0 = time.time()
            while batch < batches_per_epoch:
                tb = time.time()
                sel = order[batch * args.batch_size:(batch + 1) * args.batch_size]
                x, y = data.train_batch(sel, offsets[sel])
                spikeformer.set_recording(model, True)
                out = model(x)
                loss = F.cross_entropy(out, y, label_smoothing=args.label_smoothing)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                scheduler.step()
                batch += 1
                done_here += 1
                if tuner is not None:
                    tuner.record(time.time() - tb)
                lifs = spikeformer.lif_modules(model)
                stats["spikes"] += sum(m.spike_sum for m in lifs)
                stats["neurons"] += sum(m.spike_count for m in lifs)
                stats["loss"] += float(loss) * y.shape[0]
                stats["correct"] += int((out.argmax(1) == y).sum())
                stats["seen"] += y.shape[0]
                if args.log_every and batch % args.log_every == 0:
                    el = stats["seconds"] + time.time() - t0
                    log(f"epoch {epoch + 1} batch {batch}/{batches_per_epoch} "
                        f"loss {stats['loss'] / stats['seen']:.4f} acc {100 * stats['correct'] / stats['seen']:.2f}% "
                        f"lr {scheduler.get_last_lr()[0]:.3g} {el / batch:.3f} s/batch "
                        f"threads {torch.get_num_threads()}", file_too=False)
                stop = (stop_signal or (args.stop_after_batches and done_here >= args.stop_after_batches))
                if stop or (args.ckpt_every_batches and batch % args.ckpt_every_batches == 0
                            and batch < batches_per_epoch):
                    st = dict(stats, seconds=stats["seconds"] + time.time() - t0)
                    checkpoint(epoch, batch, st)
                    if stop:
                        why = f"signal {stop_signal[0]}" if stop_signal else f"--stop-after-batches {done_here}"
                        log(f"stopped ({why}) at epoch {epoch + 1}, batch {batch}; checkpoint {last_path}")
                        return 128 + stop_signal[0] if stop_signal else 0
            spikeformer.set_recording(model, False)
            train_seconds = stats["seconds"] + time.time() - t0
            t1 = time.time()
            test_acc, test_fr, test_preds = evaluate(model, data, args.eval_batch_size, args.limit_test_batches)
            rec = dict(epoch=epoch + 1, epochs=args.epochs, T=cfg["T"],
                       train_loss=stats["loss"] / max(1, stats["seen"]),
                       train_acc=100.0 * stats["correct"] / max(1, stats["seen"]),
                       test_acc=test_acc, train_firing_rate=stats["spikes"] / max(1, stats["neurons"]),
                       test_firing_rate=test_fr, lr=scheduler.get_last_lr()[0],
                       train_seconds=train_seconds, test_seconds=time.time() - t1)
            is_best = not math.isnan(test_acc) and test_acc > best_acc
            if is_best:
                best_acc, best_epoch = test_acc, epoch + 1
                save_atomic(dict(model=model.state_dict(), config=cfg, epoch=epoch + 1, test_acc=test_acc,
                                 args=vars(args), data=dict(mean=FMNIST_MEAN, std=FMNIST_STD)), best_path)
                # the best model's class for each test image, in order (to compare other engines with)
                pred_path = os.path.join(args.out, "best_test_predictions.json")
                with open(pred_path + ".tmp", "w") as f:
                    json.dump(test_preds, f)
                os.replace(pred_path + ".tmp", pred_path)
            log(f"epoch {rec['epoch']}/{args.epochs} T={cfg['T']} train_loss {rec['train_loss']:.4f} "
                f"train_acc {rec['train_acc']:.2f}% test_acc {test_acc:.2f}% (best {best_acc:.2f}% @ {best_epoch}) "
                f"firing_rate train {rec['train_firing_rate']:.4f} test {test_fr:.4f} lr {rec['lr']:.3g} "
                f"time {train_seconds:.0f}+{rec['test_seconds']:.0f} s")
            log.record(rec)
            epoch, batch = epoch + 1, 0
            stats = dict(loss=0.0, correct=0, seen=0, spikes=0.0, neurons=0, seconds=0.0)
            checkpoint(epoch, batch, stats)
        log(f"finished {args.epochs} epochs; best test accuracy {best_acc:.2f}% at epoch {best_epoch}")
        return 0
    finally:
        for s, h in old_handlers.items():
            signal.signal(s, h)


if __name__ == "__main__":
    sys.exit(main())
