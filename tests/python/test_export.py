"""Tests of the exporter (models/export.py), the model file (models/spkm.py) and the parity
fixtures (models/fixtures.py). Everything is written under pytest's tmp_path: the source tree
is read-only under `make distcheck`."""

import os
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
import torch

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODELS = os.path.join(TOP, "models")
FIXTURES = os.path.join(TOP, "tests", "data", "fixtures")
sys.path.insert(0, MODELS)

import export  # noqa: E402
import fixtures  # noqa: E402
import idx  # noqa: E402
import spikeformer  # noqa: E402
import spkm  # noqa: E402

TINY_ARGS = ["--embed-dims", "8,16,24,32", "--heads", "2", "--depths", "6,2", "--strides", "2,1,2,1,1",
             "--in-channels", "1", "--classes", "10", "--img-size", "28"]
FLIP_MARGIN = 1e-9


def images(n, seed=7):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 1, 28, 28), generator=g, dtype=torch.uint8)


def unfolded_spikes(net, x):
    """(logits, {LIF module path: spikes per image and timestep [B, T]}) of the PyTorch model."""
    rec, hooks = {}, []
    for name, m in net.named_modules():
        if isinstance(m, spikeformer.MultiStepLIF):
            hooks.append(m.register_forward_hook(
                lambda mod, inp, out, name=name: rec.__setitem__(name, out.detach().flatten(2).sum(2).t())))
    try:
        with torch.no_grad():
            logits = net(x)
    finally:
        for h in hooks:
            h.remove()
    return logits, rec


def check_parity(model, logits, spikes, margin, ref_logits, ref_spikes, tol=1e-12):
    """Per image: the same spikes ([B, T, P] counts) and logits, or else the first difference (in
    timestep, then program order) is in a population whose membrane came within FLIP_MARGIN of its
    threshold: a rounding-explained flip, after which anything downstream may differ.
    Returns the number of images that agree exactly."""
    fire_order = [op.pop for op in model.ops if op.TYPE == spkm.OP_FIRE]
    exact = 0
    for b in range(len(logits)):
        first = next(((t, p) for t in range(model.time_steps) for p in fire_order
                      if spikes[b, t, p] != ref_spikes[b, t, p]), None)
        if first is None:
            np.testing.assert_allclose(logits[b], ref_logits[b], rtol=tol, atol=tol)
            exact += 1
        else:
            t, p = first
            assert margin[b, p] < FLIP_MARGIN, \
                f"image {b}: unexplained spike flip in {model.pops[p].name} at t={t} (margin {margin[b, p]:.3g})"
    return exact


@pytest.fixture(scope="module")
def small():
    """A random float64 net (T=2, depths 1,1) and its folded model: for the file-format tests."""
    net = fixtures.random_model(seed=11, T=2, depths=(1, 1))
    return net, export.fold(net, 2, [0.3], [0.35], "fashion-mnist", "small")


# ---------------------------------------------------------------------------------------------
# Folding is exact

@pytest.mark.parametrize("T,kd", [(1, False), (4, True)])
def test_folded_program_equals_unfolded_model(T, kd):
    net = fixtures.random_model(seed=3 + T, T=T, kd=kd)
    model = export.fold(net, T, [0.3], [0.35], "fashion-mnist")
    assert model.ops[-1].name == ("head+head_kd" if kd else "head")
    x = images(6)
    logits, st = spkm.run(model, x, counts=True)
    ref_logits, ref = unfolded_spikes(net, (x.double() / 255.0 - 0.3) / 0.35)
    assert ref_logits.dtype == torch.float64

    pop_names = [p.name for p in model.pops]
    assert sorted(pop_names) == sorted(ref), "every LIF module is exactly one population"
    spikes = st["spikes"]
    ref_spikes = torch.stack([ref[n] for n in pop_names], 2).long()  # [B, T, P]
    exact = check_parity(model, logits.numpy(), spikes.numpy(), st["margin"].numpy(), ref_logits.numpy(),
                         ref_spikes.numpy())
    assert exact >= x.shape[0] - 1  # a float64 flip is rare; more than one would be suspicious

    # The test means something only if the neurons neither all stay silent nor all fire.
    sizes = torch.tensor([model.sites[p.site].channels * (1 if p.kind else model.sites[p.site].height *
                                                          model.sites[p.site].width) for p in model.pops])
    total = spikes.sum(dim=(0, 1))
    assert bool((total > 0).all()) and bool((total < sizes * x.shape[0] * T).all())
    # BN statistics are far from the identity, so a missed BN would show.
    assert any(float((bn.running_var - 1).abs().max()) > 0.1 for bn in net.modules()
               if isinstance(bn, torch.nn.BatchNorm2d))


def test_program_layout(small):
    _, model = small
    names = [op.name for op in model.ops]
    assert names[0] == "downsample1_1.encode_conv" and model.ops[0].kernel == 7
    assert names[-1] == "head" and model.pops[model.ops[-1].src_pop].kind == spkm.KIND_MEAN
    attn = [op for op in model.ops if op.TYPE == spkm.OP_ATTN]
    assert len(attn) == 2 and all(op.scale == 0.125 and op.heads == 2 for op in attn)
    assert [model.pops[i].threshold for i in range(len(model.pops))
            if model.pops[i].name.endswith("attn_lif")] == [0.5, 0.5]
    stream = next(i for i, s in enumerate(model.sites) if s.name == "downsample3")
    writers = [op.name for op in model.ops if getattr(op, "dst_site", None) == stream]
    assert writers == ["downsample3.encode_conv", "block3.0.attn.proj_conv", "block3.0.mlp.fc2_conv"]
    sizes = {s.name: s.shape for s in model.sites}
    assert sizes["downsample1_1"] == (4, 14, 14) and sizes["downsample2"] == (16, 7, 7)
    assert sizes["ConvBlock1_1.0.Conv.pwconv1"] == (8, 14, 14) and sizes["block4.0.mlp.fc1_conv"] == (128, 7, 7)
    sep = next(op for op in model.ops if op.name == "ConvBlock1_2.0.Conv.dwconv+pwconv2")
    assert sep.weight.shape == (8, 16, 7, 7) and sep.pad == 3


# ---------------------------------------------------------------------------------------------
# Model file round trip

def test_write_read_round_trip(small, tmp_path):
    _, model = small
    path = tmp_path / "m.spkm"
    size = spkm.write(model, str(path))
    assert os.listdir(tmp_path) == ["m.spkm"] and path.stat().st_size == size
    back = spkm.read(str(path))
    assert spkm.same(back, spkm.as_stored(model))
    assert not spkm.same(back, model)  # the in-memory model is float64, the file float32
    assert spkm.encode(back) == path.read_bytes()
    x = images(3)
    torch.testing.assert_close(spkm.run(back, x), spkm.run(spkm.as_stored(model), x), rtol=0, atol=0)


# ---------------------------------------------------------------------------------------------
# Exporter CLI

def run_export(argv, capsys):
    rc = export.main([str(a) for a in argv])
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.fixture(scope="module")
def tiny_ckpt(tmp_path_factory):
    d = tmp_path_factory.mktemp("ckpt")
    path = d / "tiny.pt"
    net = fixtures.write_random_checkpoint(str(path), seed=5, T=2)
    return path, net


def test_export_our_checkpoint(tiny_ckpt, tmp_path, capsys):
    path, _ = tiny_ckpt
    out = tmp_path / "ours.spkm"
    rc, stdout, err = run_export([path, "--out", out, "--float-accuracy", "0.5"], capsys)
    assert rc == 0, err
    m = spkm.read(str(out))
    assert (m.time_steps, m.dataset, m.mean, m.std, m.float_accuracy) == (
        2, "fashion-mnist", [0.2860], [0.3530], 0.5)
    assert m.config.startswith("custom(embed_dims=8,16,24,32,heads=2")
    # The same weights as folding the checkpoint's model directly.
    ck = torch.load(str(path))
    net = spikeformer.MetaSpikeFormer(**ck["config"]).double()
    net.load_state_dict(ck["model"])
    net.eval()
    direct = export.fold(net, 2, [0.2860], [0.3530], "fashion-mnist", m.config, 0.5)
    assert spkm.same(m, spkm.as_stored(direct))


def test_export_official_layouts(tiny_ckpt, tmp_path, capsys):
    path, _ = tiny_ckpt
    sd = torch.load(str(path))["model"]
    ours = tmp_path / "ours.spkm"
    assert run_export([path, "--out", ours, "--time-steps", "3", "--dataset", "x", "--mean", "0.5",
                       "--std", "0.25", "--name", "n"], capsys)[0] == 0
    for i, obj in enumerate(({"model": sd, "epoch": 3}, sd, {"module." + k: v for k, v in sd.items()})):
        ck = tmp_path / f"official{i}.pth"
        torch.save(obj, str(ck))
        out = tmp_path / f"official{i}.spkm"
        rc, _, err = run_export([ck, "--out", out, "--time-steps", "3", "--dataset", "x", "--mean", "0.5",
                                 "--std", "0.25", "--name", "n"] + TINY_ARGS, capsys)
        assert rc == 0, err
        assert out.read_bytes() == ours.read_bytes()
    # A KD checkpoint: head and head_kd are averaged into one LINEAR.
    kd = fixtures.random_model(seed=2, T=1, kd=True).float()
    torch.save({"model": kd.state_dict()}, str(tmp_path / "kd.pth"))
    kd_args = [tmp_path / "kd.pth", "--out", tmp_path / "kd.spkm", "--time-steps", "1"] + TINY_ARGS
    rc, _, err = run_export(kd_args, capsys)
    assert rc == 2 and "no input normalisation known for dataset ''" in err and "give --mean and --std" in err
    rc, _, err = run_export(kd_args + ["--mean", "0.5", "--std", "0.25"], capsys)
    assert rc == 0, err
    m = spkm.read(str(tmp_path / "kd.spkm"))
    assert m.ops[-1].name == "head+head_kd" and m.dataset == "" and (m.mean, m.std) == ([0.5], [0.25])
    w = (kd.head.weight.double() + kd.head_kd.weight.double()) / 2
    assert np.array_equal(m.ops[-1].weight, w.detach().float().numpy())
    # Without a configuration the exporter cannot guess the model.
    rc, _, err = run_export([tmp_path / "official1.pth", "--out", tmp_path / "x.spkm", "--time-steps", "1"], capsys)
    assert rc == 2 and "carries no model configuration" in err
    rc, _, err = run_export([tmp_path / "official1.pth", "--out", tmp_path / "x.spkm"] + TINY_ARGS, capsys)
    assert rc == 2 and "--time-steps is required" in err
    # A named config fixes the dataset and its normalisation: shapes of the fmnist config differ.
    rc, _, err = run_export([tmp_path / "official1.pth", "--out", tmp_path / "x.spkm", "--config", "fmnist",
                             "--time-steps", "1"], capsys)
    assert rc == 2 and "shape mismatches" in err and "downsample1_1.encode_conv.weight: checkpoint (4, 1, 7, 7), " \
        "model (16, 1, 7, 7)" in err
    assert not (tmp_path / "x.spkm").exists()


def _bad(tmp_path, name, obj=None, raw=None):
    p = tmp_path / name
    if raw is not None:
        p.write_bytes(raw)
    else:
        torch.save(obj, str(p))
    return p


def test_malformed_checkpoints(tiny_ckpt, tmp_path, capsys):
    path, _ = tiny_ckpt
    ck = torch.load(str(path))
    sd = ck["model"]
    missing = dict(ck, model={k: v for k, v in sd.items() if k != "block3.2.attn.q_conv.1.running_var"})
    unexpected = dict(ck, model=dict(sd, **{"block9.extra.weight": torch.zeros(3)}))
    shape = dict(ck, model=dict(sd, **{"head.weight": torch.zeros(10, 31)}))
    cases = [
        (_bad(tmp_path, "missing.pt", missing), ["missing keys (1):", "  block3.2.attn.q_conv.1.running_var"]),
        (_bad(tmp_path, "unexpected.pt", unexpected), ["unexpected keys (1):", "  block9.extra.weight"]),
        (_bad(tmp_path, "shape.pt", shape), ["shape mismatches (1):",
                                             "head.weight: checkpoint (10, 31), model (10, 32)"]),
        (_bad(tmp_path, "list.pt", [1, 2, 3]), ["holds a list, expected a dict"]),
        (_bad(tmp_path, "notsd.pt", {"model": {"a": 1}}), ["not a state_dict"]),
        (_bad(tmp_path, "garbage.pt", raw=b"\x00garbage" * 50), ["cannot read as a PyTorch checkpoint"]),
        (tmp_path / "absent.pt", ["cannot read as a PyTorch checkpoint"]),
    ]
    for p, needles in cases:
        rc, _, err = run_export([p, "--out", tmp_path / "out.spkm"], capsys)
        assert rc == 2, (p, err)
        assert err.startswith(f"export: error: {p}"), err
        for n in needles:
            assert n in err, (p, n, err)
    assert not (tmp_path / "out.spkm").exists()


def test_cli_help_and_exit_status(tmp_path):
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    r = subprocess.run([sys.executable, os.path.join(MODELS, "export.py"), "--help"], capture_output=True,
                       text=True, env=env)
    assert r.returncode == 0
    for opt in ("--config", "--embed-dims", "--heads", "--depths", "--in-channels", "--classes", "--img-size",
                "--strides", "--time-steps", "--mean", "--std", "--dataset", "--float-accuracy", "--eval", "--out"):
        assert opt in r.stdout
    garbage = _bad(tmp_path, "garbage.pt", raw=b"not a checkpoint")
    r = subprocess.run([sys.executable, os.path.join(MODELS, "export.py"), str(garbage), "--out",
                        str(tmp_path / "o.spkm"), "--config", "fmnist"], capture_output=True, text=True, env=env)
    assert r.returncode == 2 and "cannot read as a PyTorch checkpoint" in r.stderr


# ---------------------------------------------------------------------------------------------
# Malformed model files

def wrap(raw, version=spkm.VERSION, flags=0, crc=None):
    """A model file around payload bytes `raw`, with correct sizes and header CRC."""
    comp = zlib.compress(raw)
    head = struct.pack("<8s5I", spkm.MAGIC, version, flags, len(comp), len(raw),
                       zlib.crc32(raw) if crc is None else crc)
    return head + struct.pack("<I", zlib.crc32(head)) + comp


def read_error(tmp_path, data, name="bad.spkm"):
    p = tmp_path / name
    p.write_bytes(data)
    with pytest.raises(spkm.ModelFileError) as e:
        spkm.read(str(p))
    assert isinstance(e.value, ValueError)
    msg = str(e.value)
    assert msg.startswith(f"{p}: "), msg
    return msg


def test_malformed_model_files(small, tmp_path):
    _, model = small
    good = spkm.encode(model)
    raw = spkm.encode_payload(spkm.as_stored(model))
    assert wrap(raw) == spkm.encode(model, level=6)

    assert "not a model file" in read_error(tmp_path, b"SPKTRACE" + good[8:])
    assert "shorter than the 32-byte header" in read_error(tmp_path, good[:20])
    msg = read_error(tmp_path, wrap(raw, version=2))
    assert "version 2 is newer" in msg and "header byte 8" in msg
    assert "flags" in read_error(tmp_path, wrap(raw, flags=1))
    hdr = bytearray(good)
    hdr[16] ^= 1
    assert "header CRC mismatch" in read_error(tmp_path, bytes(hdr))
    msg = read_error(tmp_path, good[:-100])
    assert "file truncated" in msg and f"byte {len(good) - 100}" in msg
    msg = read_error(tmp_path, good + b"\0\0\0")
    assert "3 trailing bytes" in msg and f"byte {len(good)}" in msg
    # A flipped byte of the payload: the payload CRC catches it.
    flipped = bytearray(raw)
    flipped[len(raw) // 2] ^= 0x10
    assert "payload CRC mismatch" in read_error(tmp_path, wrap(bytes(flipped), crc=zlib.crc32(raw)))
    # A flipped byte of the compressed stream: zlib or the CRC catches it.
    comp = bytearray(good)
    comp[len(good) // 2] ^= 0x10
    assert any(s in read_error(tmp_path, bytes(comp)) for s in ("corrupt zlib stream", "payload CRC mismatch",
                                                                "zlib stream"))
    # A payload cut short inside a record, with a correct header: named by record and offset.
    msg = read_error(tmp_path, wrap(raw[:-7]))
    assert "payload byte" in msg and "op " in msg and "LINEAR 'head'" in msg and "payload ends" in msg
    msg = read_error(tmp_path, wrap(raw + b"\0"))
    assert "1 bytes left after the last operation" in msg


def _edited(model, **changes):
    """Payload bytes of an edited copy of `model` (bypassing the writer's validation)."""
    import copy
    m = copy.deepcopy(spkm.as_stored(model))
    for path, value in changes.items():
        obj = m
        parts = path.split(".")
        for p in parts[:-1]:
            obj = obj[int(p)] if p.isdigit() else getattr(obj, p)
        if parts[-1].isdigit():
            obj[int(parts[-1])] = value
        else:
            setattr(obj, parts[-1], value)
    return spkm.encode_payload(m)


def test_invalid_programs(small, tmp_path):
    _, model = small
    ops = model.ops
    fire_q = next(i for i, op in enumerate(ops) if op.name == "block3.0.attn.q_lif")
    conv_q = next(i for i, op in enumerate(ops) if op.name == "block3.0.attn.q_conv")
    attn = next(i for i, op in enumerate(ops) if op.TYPE == spkm.OP_ATTN)
    swapped = list(ops)
    swapped[fire_q], swapped[attn] = swapped[attn], swapped[fire_q]
    unwritten = list(ops)
    unwritten[conv_q], unwritten[fire_q] = unwritten[fire_q], unwritten[conv_q]
    twice = list(ops[:-1]) + [ops[1], ops[-1]]
    cases = [
        (dict(**{"pops.3.site": 999}), ["population 3", "site index 999 out of range"]),
        (dict(**{f"ops.{fire_q}.pop": len(model.pops)}), [f"op {fire_q} (FIRE", "out of range"]),
        (dict(**{f"ops.{attn}.dst_site": 10 ** 6}), [f"op {attn} (ATTN", "site index 1000000 out of range"]),
        (dict(ops=swapped), [f"op {fire_q} (ATTN", "before its FIRE"]),
        (dict(ops=unwritten), ["FIRE 'block3.0.attn.q_lif'", "which no earlier operation writes"]),
        (dict(ops=twice), ["already fired by op 1"]),
        (dict(ops=ops[1:]), ["op 0 (FIRE", "ENCODER must be the first"]),
        (dict(ops=ops[:-1]), ["LINEAR must be the last"]),
        (dict(**{"pops.0.threshold": float("nan")}), ["population 0", "threshold"]),
        (dict(**{"pops.0.kind": 2}), ["population 0", "unknown kind 2"]),
        (dict(**{"pops.2.kind": 1}), ["is of kind 1, this operation reads kind 0"]),
        (dict(**{f"ops.{attn}.heads": 5}), ["not divisible by 5 heads"]),
        (dict(**{"std.0": 0.0}), ["std[0]"]),
        (dict(time_steps=0), ["time_steps"]),
        (dict(float_accuracy=1.5), ["float_accuracy"]),
        (dict(**{"sites.1.height": 13}), ["gives 14x14", "is 13x14"]),
    ]
    for changes, needles in cases:
        msg = read_error(tmp_path, wrap(_edited(model, **changes)))
        for n in needles:
            assert n in msg, (changes.keys(), n, msg)
    # A CONV whose weights do not fit the payload: a record-precise truncation message.
    msg = read_error(tmp_path, wrap(_edited(model, **{"ops.2.kernel": 3})))
    assert "op 2 (CONV 'ConvBlock1_1.0.Conv.pwconv1')" in msg and "gives 12x12" in msg


def test_writer_refuses_invalid_model(small, tmp_path):
    import copy
    _, model = small
    m = copy.deepcopy(model)
    m.ops[0].weight[0, 0, 0, 0] = np.inf
    with pytest.raises(spkm.ModelFileError, match="non-finite"):
        spkm.write(m, str(tmp_path / "x.spkm"))
    m = copy.deepcopy(model)
    m.ops[0].weight[0, 0, 0, 0] = 1e300  # finite in float64, infinite in the file's float32
    with pytest.raises(spkm.ModelFileError, match="non-finite"):
        spkm.write(m, str(tmp_path / "x.spkm"))
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------------------------------
# Parity fixtures

def test_fixture_format_round_trip(small, tmp_path):
    _, model = small
    x = images(2)
    logits, spikes, margin = fixtures.compute(spkm.as_stored(model), x)
    text = fixtures.format_fixture(model, "m.spkm", 0xDEADBEEF, [5, 9], [1, 2], logits, spikes, margin)
    p = tmp_path / "f.fixture"
    p.write_text(text)
    f = fixtures.read_fixture(str(p))
    assert f["indices"] == [5, 9] and f["labels"] == [1, 2] and f["model_crc"] == 0xDEADBEEF
    assert f["pops"] == [q.name for q in model.pops]
    assert np.array_equal(f["logits"], logits) and np.array_equal(f["spikes"], spikes)
    assert np.array_equal(f["margin"], margin)


@pytest.mark.skipif(not os.path.exists(os.path.join(idx.FASHION_MNIST_DIR, "t10k-images-idx3-ubyte.gz")),
                    reason="Fashion-MNIST (dataset-fashion-mnist) is not installed")
def test_shipped_fixture_matches_executor():
    mpath = os.path.join(FIXTURES, "tiny-fmnist-t2.spkm")
    with open(mpath, "rb") as f:
        data = f.read()
    fx = fixtures.read_fixture(os.path.join(FIXTURES, "tiny-fmnist-t2.fixture"))
    assert fx["model"] == "tiny-fmnist-t2.spkm" and fx["model_crc"] == zlib.crc32(data)
    model = spkm.decode(data, mpath)
    assert model.time_steps == 2 and fx["pops"] == [p.name for p in model.pops]
    x, y = idx.load_fashion_mnist("test")
    sel = np.array(fx["indices"])
    assert fx["labels"] == y[sel].tolist()
    logits, spikes, margin = fixtures.compute(model, torch.from_numpy(x[sel]).unsqueeze(1))
    assert check_parity(model, logits, spikes, fx["margin"], fx["logits"], fx["spikes"]) == len(sel)
