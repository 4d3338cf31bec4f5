"""Tests of models/spikeformer.py, models/idx.py and models/train.py.

Run: /usr/bin/python3 -m pytest tests/python -q   (needs an interpreter that can import torch)
"""

import gzip
import json
import os
import struct
import sys

import numpy as np
import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "models"))

import idx  # noqa: E402
import spikeformer as sf  # noqa: E402
import train  # noqa: E402

TSV_NAME = "official-state-dict-8_512.tsv"


def reference_tsv():
    """The official key list: the copy in tests/data, else ../shared/reference (or $SPIKECHIP_SHARED)."""
    candidates = [os.path.join(ROOT, "tests", "data", TSV_NAME)]
    for d in (os.environ.get("SPIKECHIP_SHARED"), os.path.join(ROOT, "..", "shared")):
        if d:
            candidates.append(os.path.join(d, "reference", TSV_NAME))
    for path in candidates:
        if os.path.exists(path):
            return path
    return None


def read_reference_tsv(path):
    ref = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            key, shape, dtype = line.split("\t")
            ref[key] = (shape, dtype)
    return ref


# ---------------------------------------------------------------- structure

def test_state_dict_matches_official_8_512():
    path = reference_tsv()
    assert path is not None, f"{TSV_NAME} missing from tests/data"
    ref = read_reference_tsv(path)
    assert len(ref) == 825
    sd = sf.build_model("metaspikformer_8_512").state_dict()
    mine = {k: (str(tuple(v.shape)), str(v.dtype)) for k, v in sd.items()}
    assert sorted(set(ref) - set(mine)) == []
    assert sorted(set(mine) - set(ref)) == []
    assert list(mine) == list(ref)  # same order too
    assert {k for k in ref if ref[k] != mine[k]} == set()


@pytest.mark.parametrize("name,count", [
    ("15M", 15_112_208),
    ("metaspikformer_8_384", 31_333_864),
    ("metaspikformer_8_512", 55_350_248),
])
def test_paper_parameter_counts(name, count):
    assert sf.count_parameters(sf.build_model(name)) == count


def test_kd_head_adds_only_head_kd():
    m = sf.build_model("fmnist", kd=True)
    extra = set(m.state_dict()) - set(sf.build_model("fmnist").state_dict())
    assert extra == {"head_kd.weight", "head_kd.bias"}


# ---------------------------------------------------------------- neuron

def run_lif(threshold, xs):
    x = torch.tensor(xs, dtype=torch.float32).reshape(len(xs), 1)
    return sf.MultiStepLIF(threshold)(x).reshape(-1).tolist()


def test_lif_threshold_1():
    # H = (V + X) / 2, spike if H >= 1, V = 0 after a spike else H.
    # X=2: H=1 -> spike (>=), V=0.  X=1: H=0.5, V=0.5.  X=1: H=0.75.  X=1.5: H=1.125 -> spike.
    assert run_lif(1.0, [2.0, 1.0, 1.0, 1.5]) == [1.0, 0.0, 0.0, 1.0]
    # just below: X = 1.99 -> H = 0.995, no spike; then X = 1.01: H = (0.995 + 1.01) / 2 = 1.0025 -> spike
    assert run_lif(1.0, [1.99, 1.01]) == [0.0, 1.0]
    # hard reset: after a spike the huge membrane is forgotten
    assert run_lif(1.0, [100.0, 0.0, 1.9]) == [1.0, 0.0, 0.0]
    # leak: constant X = 1 gives H = 0.5, 0.75, 0.875, 0.9375, never reaching 1
    assert run_lif(1.0, [1.0, 1.0, 1.0, 1.0]) == [0.0, 0.0, 0.0, 0.0]
    # a negative membrane carries over: H = -2, then (-2 + 4) / 2 = 1.0 -> spike
    assert run_lif(1.0, [-4.0, 4.0]) == [0.0, 1.0]


def test_lif_threshold_half():
    # attention LIF: X = 1 -> H = 0.5 >= 0.5 spike (the same input stays silent at threshold 1)
    assert run_lif(0.5, [1.0]) == [1.0]
    assert run_lif(1.0, [1.0]) == [0.0]
    # H = 0.5 spike, V = 0; H = 0.495 no; H = (0.495 + 0.5) / 2 = 0.4975 no
    assert run_lif(0.5, [1.0, 0.99, 0.5]) == [1.0, 0.0, 0.0]
    # H = 0.3, 0.45, 0.525 -> spike on the third step, then reset: H = 0.3
    assert run_lif(0.5, [0.6, 0.6, 0.6, 0.6]) == [0.0, 0.0, 1.0, 0.0]


def reference_lif(x, threshold, alpha=4.0):
    """Naive spikingjelly-style LIF with straight-through sigmoid surrogate."""
    v = torch.zeros_like(x[0])
    out = []
    for t in range(x.shape[0]):
        h = v + (x[t] - v) / 2.0
        u = h - threshold
        sg = torch.sigmoid(alpha * u)
        s = (u >= 0).float() + (sg - sg.detach())
        out.append(s)
        v = h * (1.0 - s.detach())
    return torch.stack(out)


@pytest.mark.parametrize("T", [1, 2, 4])
@pytest.mark.parametrize("threshold", [1.0, 0.5])
def test_lif_matches_reference_forward_and_surrogate(T, threshold):
    g = torch.Generator().manual_seed(T)
    x = (torch.randn(T, 3, 11, generator=g) * 2).requires_grad_()
    x_ref = x.detach().clone().requires_grad_()
    w = torch.randn(T, 3, 11, generator=g)
    s = sf.MultiStepLIF(threshold)(x)
    s_ref = reference_lif(x_ref, threshold)
    assert torch.equal(s, s_ref.detach())
    (s * w).sum().backward()
    (s_ref * w).sum().backward()
    assert torch.allclose(x.grad, x_ref.grad, atol=1e-6)


def test_surrogate_gradient_value():
    # d/dx heaviside(x - 1) at x = 1: alpha * sig(0) * (1 - sig(0)) = 4 * 0.25 = 1
    h = torch.tensor([1.0], requires_grad=True)
    sf.spike_fn(h, 1.0).sum().backward()
    assert h.grad.item() == pytest.approx(1.0)
    # first LIF step: H = X / 2, so dS/dX = 0.5 * 1 at X = 2
    x = torch.tensor([[2.0]], requires_grad=True)
    sf.MultiStepLIF(1.0)(x).sum().backward()
    assert x.grad.item() == pytest.approx(0.5)


def test_firing_rate_recording():
    m = sf.MultiStepLIF(1.0)
    sf.set_recording(m, True)
    m(torch.tensor([[2.0, 0.0], [0.0, 2.0]]))
    assert sf.firing_rate(m) == pytest.approx(0.5)  # spikes at (0,0) and (1,1) of 4
    sf.set_recording(m, False)


# ---------------------------------------------------------------- layers and forward

def test_bn_and_pad_equals_bn_of_zero_padded_input():
    layer = sf.BNAndPadLayer(1, 4)
    bn = layer.bn
    with torch.no_grad():
        bn.weight.uniform_(0.5, 2)
        bn.bias.uniform_(-1, 1)
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
    layer.eval()
    x = torch.randn(2, 4, 5, 5)
    expect = bn(torch.nn.functional.pad(x, [1, 1, 1, 1]))
    assert torch.allclose(layer(x), expect, atol=1e-6)


@pytest.mark.parametrize("T", [1, 2])
def test_fmnist_forward(T):
    torch.manual_seed(0)
    m = sf.build_model("fmnist", T=T)
    m.eval()
    with torch.no_grad():
        out = m(torch.randn(3, 1, 28, 28))
    assert out.shape == (3, 10)
    assert torch.isfinite(out).all()


def test_fmnist_training_step_gives_gradients():
    torch.manual_seed(0)
    m = sf.build_model("fmnist", embed_dims=(8, 16, 16, 16), num_heads=2, T=2)
    out = m(torch.randn(4, 1, 28, 28))
    torch.nn.functional.cross_entropy(out, torch.tensor([0, 1, 2, 3])).backward()
    assert m.downsample1_1.encode_conv.weight.grad.abs().sum() > 0


# ---------------------------------------------------------------- IDX reader

def idx_bytes(code, dims, payload):
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + payload


def test_idx_uint8_and_gzip(tmp_path):
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    raw = idx_bytes(0x08, arr.shape, arr.tobytes())
    np.testing.assert_array_equal(idx.parse_idx(raw), arr)
    p = tmp_path / "a-idx3-ubyte.gz"
    with gzip.open(p, "wb") as f:
        f.write(raw)
    np.testing.assert_array_equal(idx.read_idx(str(p)), arr)
    p2 = tmp_path / "a-idx3-ubyte"
    p2.write_bytes(raw)
    np.testing.assert_array_equal(idx.read_idx(str(p2)), arr)


def test_idx_big_endian_int32():
    vals = np.array([1, -2, 70000], dtype=">i4")
    out = idx.parse_idx(idx_bytes(0x0C, (3,), vals.tobytes()))
    assert out.tolist() == [1, -2, 70000]


def test_idx_rejects_bad_files():
    with pytest.raises(ValueError):
        idx.parse_idx(b"\x01\x00\x08\x01\x00\x00\x00\x01\x00")
    with pytest.raises(ValueError):
        idx.parse_idx(idx_bytes(0x08, (3,), b"\x00\x01"))  # truncated


@pytest.mark.skipif(not os.path.exists(os.path.join(idx.FASHION_MNIST_DIR, "t10k-labels-idx1-ubyte.gz")),
                    reason="dataset-fashion-mnist not installed")
def test_fashion_mnist_test_split():
    x, y = idx.load_fashion_mnist("test")
    assert x.shape == (10000, 28, 28) and x.dtype == np.uint8
    assert np.bincount(y).tolist() == [1000] * 10


# ---------------------------------------------------------------- train.py

SMOKE = ["--embed-dims", "8,16,16,16", "--heads", "2", "--depths", "1,1", "--batch-size", "16",
         "--epochs", "2", "--limit-batches", "2", "--limit-test-batches", "1", "--eval-batch-size", "32",
         "--threads", "1", "--log-every", "0", "--seed", "3"]

needs_data = pytest.mark.skipif(
    not os.path.exists(os.path.join(idx.FASHION_MNIST_DIR, "train-images-idx3-ubyte.gz")),
    reason="dataset-fashion-mnist not installed")


@needs_data
def test_train_smoke_resume_and_init_from(tmp_path):
    full, cut = str(tmp_path / "full"), str(tmp_path / "cut")
    assert train.main(SMOKE + ["--out", full]) == 0
    ck = torch.load(os.path.join(full, "last.pt"))
    assert (ck["epoch"], ck["batch"]) == (2, 0)
    assert os.path.exists(os.path.join(full, "best.pt"))
    with open(os.path.join(full, "metrics.jsonl")) as f:
        assert len(f.readlines()) == 2
    with open(os.path.join(full, "best_test_predictions.json")) as f:
        preds = json.load(f)  # one class per evaluated test image
    assert preds and all(isinstance(p, int) and 0 <= p < 10 for p in preds)

    # The same run, killed after 3 batches (epoch 2, batch 1) and resumed, ends identical.
    assert train.main(SMOKE + ["--out", cut, "--stop-after-batches", "3"]) == 0
    ck = torch.load(os.path.join(cut, "last.pt"))
    assert (ck["epoch"], ck["batch"]) == (1, 1)
    assert train.main(["--out", cut, "--resume", "--threads", "1", "--log-every", "0"]) == 0
    with open(os.path.join(cut, "train.log")) as f:
        assert "resumed from" in f.read()
    a = torch.load(os.path.join(full, "last.pt"))
    b = torch.load(os.path.join(cut, "last.pt"))
    assert (b["epoch"], b["batch"]) == (2, 0)
    for k, v in a["model"].items():
        assert torch.equal(v, b["model"][k]), k

    # --change-epochs on resume: the run continues under the new total.
    assert train.main(["--out", cut, "--resume", "--change-epochs", "3", "--threads", "1", "--log-every", "0"]) == 0
    ck = torch.load(os.path.join(cut, "last.pt"))
    assert (ck["epoch"], ck["batch"]) == (3, 0) and ck["args"]["epochs"] == 3
    with open(os.path.join(cut, "train.log")) as f:
        assert "total epochs changed from 2 to 3" in f.read()

    # A second phase at T=2 from the first run's weights.
    t2 = str(tmp_path / "t2")
    assert train.main(["--out", t2, "--init-from", os.path.join(full, "best.pt"), "--time-steps", "2",
                       "--epochs", "1", "--limit-batches", "1", "--limit-test-batches", "1",
                       "--batch-size", "8", "--eval-batch-size", "16", "--threads", "1", "--log-every", "0"]) == 0
    ck = torch.load(os.path.join(t2, "last.pt"))
    assert ck["config"]["T"] == 2 and ck["config"]["embed_dims"] == [8, 16, 16, 16]


def test_thread_tuner_switches_to_faster_count():
    saved = torch.get_num_threads()
    msgs = []
    try:
        tuner = train.ThreadTuner(lambda m, file_too=True: msgs.append(m), first=3, interval=10, probe_len=2)
        tuner.options, tuner.current = [1, 2], 2
        speed = {1: 1.0, 2: 5.0}  # a contended second thread: 1 thread is faster
        for _ in range(3):
            tuner.record(speed[2])
        assert tuner.probe == 1 and torch.get_num_threads() == 1
        for _ in range(2):
            tuner.record(speed[1])
        assert tuner.current == 1 and tuner.probe is None and msgs
        # the next probe (2 threads, still slower) fails and doubles the interval
        for _ in range(10):
            tuner.record(speed[1])
        assert tuner.probe == 2
        tuner.record(speed[2])  # 5x slower: the probe ends after one batch
        assert tuner.current == 1 and tuner.probe is None and tuner.interval == 20
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(saved)


# ---------------------------------------------------------------- average.py

@needs_data
def test_average_means_weights_and_remeasures_bn(tmp_path):
    import average
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    assert train.main(SMOKE + ["--out", a]) == 0
    assert train.main(SMOKE + ["--out", b, "--seed", "4"]) == 0
    ca, cb = (torch.load(os.path.join(d, "last.pt")) for d in (a, b))
    out = str(tmp_path / "avg" / "best.pt")
    assert average.main([os.path.join(a, "last.pt"), os.path.join(b, "last.pt"), "--out", out,
                         "--bn-batches", "2", "--batch-size", "16", "--limit-test-batches", "1",
                         "--eval-batch-size", "32", "--threads", "1", "--time-steps", "2"]) == 0
    ck = torch.load(out)
    assert ck["config"]["T"] == 2 and ck["averaged_from"] == [os.path.join(a, "last.pt"), os.path.join(b, "last.pt")]
    assert 0.0 <= ck["test_acc"] <= 100.0
    w = "downsample1_1.encode_conv.weight"
    assert torch.allclose(ck["model"][w], (ca["model"][w] + cb["model"][w]) / 2, atol=1e-7)
    assert not torch.equal(ck["model"][w], ca["model"][w])
    # batch norm statistics are measured again (cumulative over 2 batches), not averaged
    bn_means = [k for k in ck["model"] if k.endswith("running_mean")]
    assert bn_means
    for k in bn_means:
        assert int(ck["model"][k.replace("running_mean", "num_batches_tracked")]) == 2
    k = bn_means[0]
    assert not torch.allclose(ck["model"][k], (ca["model"][k] + cb["model"][k]) / 2)
    # the result starts a new phase like any other checkpoint
    t = str(tmp_path / "t")
    assert train.main(["--out", t, "--init-from", out, "--time-steps", "1", "--epochs", "1", "--limit-batches", "1",
                       "--limit-test-batches", "1", "--batch-size", "8", "--eval-batch-size", "16",
                       "--threads", "1", "--log-every", "0"]) == 0


@needs_data
def test_average_rejects_mismatched_and_bad_checkpoints(tmp_path):
    import average
    a, c = str(tmp_path / "a"), str(tmp_path / "c")
    assert train.main(SMOKE + ["--out", a]) == 0
    assert train.main([v if v != "8,16,16,16" else "8,16,16,24" for v in SMOKE] + ["--out", c]) == 0
    out = str(tmp_path / "avg.pt")
    with pytest.raises(SystemExit, match="differs from"):
        average.main([os.path.join(a, "last.pt"), os.path.join(c, "last.pt"), "--out", out])
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(SystemExit, match="bad.pt: cannot read checkpoint"):
        average.main([str(bad), "--out", out])
    torch.save({"weights": {}}, str(tmp_path / "other.pt"))
    with pytest.raises(SystemExit, match="not a train.py checkpoint"):
        average.main([str(tmp_path / "other.pt"), "--out", out])
    with pytest.raises(SystemExit, match="--bn-batches must be"):
        average.main([os.path.join(a, "last.pt"), "--out", out, "--bn-batches", "0"])
    assert not os.path.exists(out)


@pytest.mark.parametrize("script,missing", [("train.py", "torch"), ("export.py", "numpy"), ("spkm.py", "torch")])
def test_missing_python_dependency_is_one_clear_line(tmp_path, script, missing):
    """A Python without numpy/torch (a pyenv python3 first on PATH, say): a message, exit 2, no traceback."""
    import subprocess
    fake = tmp_path / missing
    fake.mkdir()
    (fake / "__init__.py").write_text(f"raise ImportError(\"No module named '{missing}'\", name='{missing}')\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    r = subprocess.run([sys.executable, os.path.join(ROOT, "models", script), "--help"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert f"{script}: Python module '{missing}' not found" in r.stderr, r.stderr
    assert "python3-torch" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert r.stdout == ""
