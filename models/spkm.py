#!/usr/bin/env python3
"""The spikechip model file (`.spkm`): in-memory form, writer, reader, float64 executor.

The format is specified in doc/formats.md ("Model file"); this module implements it
exactly. A model is a small program: `ops`, executed in order once per timestep, that
add into accumulation `sites` and fire LIF `pops` (populations).

  model = spkm.read("net.spkm")          # raises ModelFileError (a ValueError) on a bad file
  logits = spkm.run(model, images_uint8) # [B, C, H, W] uint8 -> [B, classes] float64
  logits, stats = spkm.run(model, images_uint8, counts=True)

Run as a script, it prints a summary of each model file named (exit 1 on a bad file).
"""

import argparse
import dataclasses
import math
import os
import struct
import sys
import zlib
from dataclasses import dataclass, field
from typing import List

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deps  # noqa: E402,F401  (numpy and torch, or a clear message)

import numpy as np  # noqa: E402

MAGIC = b"SPKMODEL"
VERSION = 1
# magic, version, flags, payload_bytes, payload_raw_bytes, payload_crc32, header_crc32
HEADER = struct.Struct("<8sIIIIII")
HEADER_SIZE = HEADER.size  # 32
MAX_RAW_BYTES = 1 << 30
MAX_STR_BYTES = 4096
MAX_DIM = 65535  # largest height, width, kernel, stride, pad
MAX_NEURONS = 1 << 28  # largest channels x height x width of a site or of the input

OP_ENCODER, OP_FIRE, OP_CONV, OP_ATTN, OP_LINEAR = 1, 2, 3, 4, 5
OP_NAMES = {OP_ENCODER: "ENCODER", OP_FIRE: "FIRE", OP_CONV: "CONV", OP_ATTN: "ATTN", OP_LINEAR: "LINEAR"}
KIND_NEURON, KIND_MEAN = 0, 1


class ModelFileError(ValueError):
    """A model file (or in-memory model) breaks the format: names the file, where, and what."""

    def __init__(self, path, where, problem):
        self.path, self.where, self.problem = str(path), where, problem
        super().__init__(f"{self.path}: {where}: {problem}")


# ---------------------------------------------------------------------------------------------
# In-memory representation. Arrays are numpy: float64 as the exporter folded them, float32 as
# read from a file (as_stored() rounds a model to what its file holds).

@dataclass
class Site:
    name: str
    channels: int
    height: int
    width: int

    @property
    def shape(self):
        return (self.channels, self.height, self.width)


@dataclass
class Pop:
    name: str
    site: int
    kind: int = KIND_NEURON
    threshold: float = 1.0


@dataclass
class Encoder:
    name: str
    dst_site: int
    kernel: int
    stride: int
    pad: int
    weight: np.ndarray  # [C_out][in_channels][kernel][kernel]
    bias: np.ndarray  # [C_out]
    TYPE = OP_ENCODER


@dataclass
class Fire:
    name: str
    pop: int
    TYPE = OP_FIRE


@dataclass
class Conv:
    name: str
    src_pop: int
    dst_site: int
    kernel: int
    stride: int
    pad: int
    weight: np.ndarray  # [C_out][C_in][kernel][kernel]
    bias: np.ndarray  # [C_out]
    TYPE = OP_CONV


@dataclass
class Attn:
    name: str
    q_pop: int
    k_pop: int
    v_pop: int
    dst_site: int
    heads: int
    scale: float = 0.125
    TYPE = OP_ATTN


@dataclass
class Linear:
    name: str
    src_pop: int
    weight: np.ndarray  # [classes][C_in]
    bias: np.ndarray  # [classes]
    TYPE = OP_LINEAR


@dataclass
class Model:
    config: str
    dataset: str
    time_steps: int
    in_channels: int
    in_height: int
    in_width: int
    classes: int
    mean: List[float]
    std: List[float]
    float_accuracy: float = math.nan
    sites: List[Site] = field(default_factory=list)
    pops: List[Pop] = field(default_factory=list)
    ops: list = field(default_factory=list)

    def summary(self):
        n_w = sum(op.weight.size + op.bias.size for op in self.ops if hasattr(op, "weight"))
        kinds = {}
        for op in self.ops:
            kinds[OP_NAMES[op.TYPE]] = kinds.get(OP_NAMES[op.TYPE], 0) + 1
        acc = "not measured" if math.isnan(self.float_accuracy) else f"{100 * self.float_accuracy:.2f}%"
        return (f"config {self.config!r}, dataset {self.dataset!r}, T={self.time_steps}, input "
                f"{self.in_channels}x{self.in_height}x{self.in_width}, {self.classes} classes; "
                f"{len(self.sites)} sites, {len(self.pops)} populations, {len(self.ops)} ops ("
                + ", ".join(f"{v} {k}" for k, v in kinds.items())
                + f"); {n_w} weights; float accuracy {acc}")


def as_stored(model):
    """A copy of `model` with every weight and bias rounded to float32, as its file holds them."""
    ops = []
    for op in model.ops:
        if hasattr(op, "weight"):
            with np.errstate(over="ignore"):  # out-of-range values become inf; validate() reports them
                op = dataclasses.replace(op, weight=np.asarray(op.weight, dtype=np.float32),
                                         bias=np.asarray(op.bias, dtype=np.float32))
        else:
            op = dataclasses.replace(op)
        ops.append(op)
    return dataclasses.replace(model, mean=[float(m) for m in model.mean], std=[float(s) for s in model.std],
                               sites=[dataclasses.replace(s) for s in model.sites],
                               pops=[dataclasses.replace(p) for p in model.pops], ops=ops)


def same(a, b):
    """True if two models are identical (arrays compared element-wise, bit for bit; NaN == NaN)."""
    def eq(x, y):
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            x, y = np.asarray(x), np.asarray(y)
            return x.shape == y.shape and x.dtype == y.dtype and x.tobytes() == y.tobytes()
        if isinstance(x, float) and isinstance(y, float):
            return (math.isnan(x) and math.isnan(y)) or struct.pack("<d", x) == struct.pack("<d", y)
        if isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
            return len(x) == len(y) and all(eq(u, v) for u, v in zip(x, y))
        if dataclasses.is_dataclass(x) and dataclasses.is_dataclass(y):
            return type(x) is type(y) and all(eq(getattr(x, f.name), getattr(y, f.name))
                                              for f in dataclasses.fields(x))
        return type(x) is type(y) and x == y
    return eq(a, b)


# ---------------------------------------------------------------------------------------------
# Validation: the constraints of doc/formats.md, "Constraints a reader checks".

def _op_where(i, op):
    return f"op {i} ({OP_NAMES[op.TYPE]} {op.name!r})"


def conv_out(size, kernel, stride, pad):
    """Output size of a convolution, or 0 if the kernel does not fit the padded input."""
    if size + 2 * pad < kernel:
        return 0
    return (size + 2 * pad - kernel) // stride + 1


def validate(model, path="<model>"):
    """Raise ModelFileError naming the first record that breaks a constraint of the format."""
    def fail(where, problem):
        raise ModelFileError(path, where, problem)

    def u32(where, v, lo=0):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or not lo <= int(v) <= 0xFFFFFFFF:
            fail(where, f"{v!r} is not an integer in [{lo}, 2^32-1]")

    def text(where, s):
        if not isinstance(s, str):
            fail(where, "not a string")
        n = len(s.encode("utf-8", "surrogatepass"))
        if n > MAX_STR_BYTES:
            fail(where, f"string of {n} bytes is longer than {MAX_STR_BYTES}")
        try:
            s.encode("utf-8")
        except UnicodeEncodeError:
            fail(where, "string is not valid UTF-8")

    def finite_array(where, a, shape):
        a = np.asarray(a)
        if a.shape != tuple(shape):
            fail(where, f"shape {tuple(a.shape)}, expected {tuple(shape)}")
        if a.dtype not in (np.float32, np.float64):
            fail(where, f"dtype {a.dtype}, expected float32 or float64")
        if not np.all(np.isfinite(a)):
            fail(where, "contains a non-finite value")

    m = model
    text("config", m.config)
    text("dataset", m.dataset)
    for name in ("time_steps", "in_channels", "in_height", "in_width", "classes"):
        u32(name, getattr(m, name), 1)
    if max(m.in_height, m.in_width) > MAX_DIM or m.in_channels * m.in_height * m.in_width > MAX_NEURONS:
        fail("in_channels/in_height/in_width", f"input {m.in_channels}x{m.in_height}x{m.in_width} is too large "
             f"(height, width at most {MAX_DIM}, at most 2^28 values)")
    if len(m.mean) != m.in_channels or len(m.std) != m.in_channels:
        fail("mean/std", f"{len(m.mean)} means and {len(m.std)} stds for {m.in_channels} input channels")
    for c in range(m.in_channels):
        if not math.isfinite(m.mean[c]):
            fail(f"mean[{c}]", f"{m.mean[c]!r} is not finite")
        if not (math.isfinite(m.std[c]) and m.std[c] > 0):
            fail(f"std[{c}]", f"{m.std[c]!r} is not a finite positive number")
    fa = m.float_accuracy
    if not (math.isnan(fa) or 0.0 <= fa <= 1.0):
        fail("float_accuracy", f"{fa!r} is neither NaN nor in [0, 1]")
    for n in ("sites", "pops", "ops"):
        if len(getattr(m, n)) > 0xFFFFFFFF:
            fail(f"n_{n}", "too many records")

    for i, s in enumerate(m.sites):
        where = f"site {i} ({s.name!r})"
        text(where + " name", s.name)
        for f in ("channels", "height", "width"):
            u32(f"{where} {f}", getattr(s, f), 1)
        if max(s.height, s.width) > MAX_DIM or s.channels * s.height * s.width > MAX_NEURONS:
            fail(where, f"{s.channels}x{s.height}x{s.width} is too large (height, width at most {MAX_DIM}, "
                 "at most 2^28 values)")

    def site_ok(where, idx):
        u32(where, idx)
        if idx >= len(m.sites):
            fail(where, f"site index {idx} out of range (the model has {len(m.sites)} sites)")
        return m.sites[idx]

    def pop_ok(where, idx, kind):
        u32(where, idx)
        if idx >= len(m.pops):
            fail(where, f"population index {idx} out of range (the model has {len(m.pops)} populations)")
        p = m.pops[idx]
        if p.kind != kind:
            fail(where, f"population {idx} ({p.name!r}) is of kind {p.kind}, this operation reads kind {kind}")
        return p

    for i, p in enumerate(m.pops):
        where = f"population {i} ({p.name!r})"
        text(where + " name", p.name)
        site_ok(where + " site", p.site)
        if p.kind not in (KIND_NEURON, KIND_MEAN):
            fail(where + " kind", f"unknown kind {p.kind!r} (0 = per neuron, 1 = spatial mean)")
        if not (isinstance(p.threshold, (float, int)) and math.isfinite(p.threshold) and p.threshold > 0):
            fail(where + " threshold", f"{p.threshold!r} is not a finite positive number")

    if not m.ops:
        fail("ops", "the program is empty (it needs an ENCODER first and a LINEAR last)")
    fired_at = {}
    written = set()
    for i, op in enumerate(m.ops):
        if type(op) not in (Encoder, Fire, Conv, Attn, Linear):
            fail(f"op {i}", f"unknown operation {op!r}")
        where = _op_where(i, op)
        text(where + " name", op.name)
        if (op.TYPE == OP_ENCODER) != (i == 0):
            fail(where, "the ENCODER must be the first operation, and only the first")
        if (op.TYPE == OP_LINEAR) != (i == len(m.ops) - 1):
            fail(where, "the LINEAR must be the last operation, and only the last")

        def reads(field_name, kind=KIND_NEURON):
            idx = getattr(op, field_name)
            p = pop_ok(f"{where} {field_name}", idx, kind)
            if idx not in fired_at:
                fail(f"{where} {field_name}", f"reads population {idx} ({p.name!r}) before its FIRE")
            return p

        if op.TYPE in (OP_ENCODER, OP_CONV):
            dst = site_ok(f"{where} dst_site", op.dst_site)
            for f in ("kernel", "stride", "pad"):
                u32(f"{where} {f}", getattr(op, f), 0 if f == "pad" else 1)
                if getattr(op, f) > MAX_DIM:
                    fail(f"{where} {f}", f"{getattr(op, f)} exceeds {MAX_DIM}")
            if op.TYPE == OP_ENCODER:
                c_in, h_in, w_in = m.in_channels, m.in_height, m.in_width
            else:
                src = m.sites[reads("src_pop").site]
                c_in, h_in, w_in = src.shape
            ho, wo = (conv_out(h_in, op.kernel, op.stride, op.pad), conv_out(w_in, op.kernel, op.stride, op.pad))
            if (ho, wo) != (dst.height, dst.width):
                fail(where, f"a {op.kernel}x{op.kernel} stride {op.stride} pad {op.pad} conv of a {h_in}x{w_in} "
                     f"input gives {ho}x{wo}, destination site {op.dst_site} ({dst.name!r}) is "
                     f"{dst.height}x{dst.width}")
            finite_array(where + " weight", op.weight, (dst.channels, c_in, op.kernel, op.kernel))
            finite_array(where + " bias", op.bias, (dst.channels,))
            written.add(op.dst_site)
        elif op.TYPE == OP_FIRE:
            pop_idx = op.pop
            u32(where + " pop", pop_idx)
            if pop_idx >= len(m.pops):
                fail(where + " pop", f"population index {pop_idx} out of range (the model has {len(m.pops)})")
            if pop_idx in fired_at:
                fail(where, f"population {pop_idx} ({m.pops[pop_idx].name!r}) is already fired by op "
                     f"{fired_at[pop_idx]}; each population fires exactly once per timestep")
            if m.pops[pop_idx].site not in written:
                fail(where, f"reads site {m.pops[pop_idx].site} ({m.sites[m.pops[pop_idx].site].name!r}), "
                     "which no earlier operation writes")
            fired_at[pop_idx] = i
        elif op.TYPE == OP_ATTN:
            dst = site_ok(f"{where} dst_site", op.dst_site)
            for f in ("q_pop", "k_pop", "v_pop"):
                p = reads(f)
                if m.sites[p.site].shape != dst.shape:
                    fail(f"{where} {f}", f"site {p.site} ({m.sites[p.site].name!r}) is "
                         f"{'x'.join(map(str, m.sites[p.site].shape))}, destination "
                         f"{'x'.join(map(str, dst.shape))}")
            u32(where + " heads", op.heads, 1)
            if dst.channels % op.heads:
                fail(where + " heads", f"{dst.channels} channels are not divisible by {op.heads} heads")
            if not (isinstance(op.scale, (float, int)) and math.isfinite(op.scale) and op.scale > 0):
                fail(where + " scale", f"{op.scale!r} is not a finite positive number")
            written.add(op.dst_site)
        elif op.TYPE == OP_LINEAR:
            src = m.sites[reads("src_pop", KIND_MEAN).site]
            finite_array(where + " weight", op.weight, (m.classes, src.channels))
            finite_array(where + " bias", op.bias, (m.classes,))
    for i, p in enumerate(m.pops):
        if i not in fired_at:
            fail(f"population {i} ({p.name!r})", "no FIRE operation fires it")


# ---------------------------------------------------------------------------------------------
# Writer

def _str(s):
    b = s.encode("utf-8")
    return struct.pack("<I", len(b)) + b


def _f32(a):
    return np.ascontiguousarray(a, dtype="<f4").tobytes()


def encode_payload(model):
    """The uncompressed payload bytes of a (valid) model."""
    m = model
    out = [_str(m.config), _str(m.dataset),
           struct.pack("<5I", m.time_steps, m.in_channels, m.in_height, m.in_width, m.classes),
           struct.pack(f"<{m.in_channels}d", *m.mean), struct.pack(f"<{m.in_channels}d", *m.std),
           struct.pack("<d", m.float_accuracy), struct.pack("<3I", len(m.sites), len(m.pops), len(m.ops))]
    for s in m.sites:
        out += [_str(s.name), struct.pack("<3I", s.channels, s.height, s.width)]
    for p in m.pops:
        out += [_str(p.name), struct.pack("<2Id", p.site, p.kind, p.threshold)]
    for op in m.ops:
        out += [struct.pack("<I", op.TYPE), _str(op.name)]
        if op.TYPE == OP_ENCODER:
            out += [struct.pack("<4I", op.dst_site, op.kernel, op.stride, op.pad), _f32(op.weight), _f32(op.bias)]
        elif op.TYPE == OP_FIRE:
            out.append(struct.pack("<I", op.pop))
        elif op.TYPE == OP_CONV:
            out += [struct.pack("<5I", op.src_pop, op.dst_site, op.kernel, op.stride, op.pad),
                    _f32(op.weight), _f32(op.bias)]
        elif op.TYPE == OP_ATTN:
            out.append(struct.pack("<5Id", op.q_pop, op.k_pop, op.v_pop, op.dst_site, op.heads, op.scale))
        elif op.TYPE == OP_LINEAR:
            out += [struct.pack("<I", op.src_pop), _f32(op.weight), _f32(op.bias)]
    return b"".join(out)


def encode(model, path="<model>", level=9):
    """The bytes of the model file of `model` (validated after rounding to float32)."""
    stored = as_stored(model)
    validate(stored, path)
    raw = encode_payload(stored)
    if len(raw) > MAX_RAW_BYTES:
        raise ModelFileError(path, "payload", f"{len(raw)} bytes exceed the limit of {MAX_RAW_BYTES}")
    comp = zlib.compress(raw, level)
    head = HEADER.pack(MAGIC, VERSION, 0, len(comp), len(raw), zlib.crc32(raw), 0)[:28]
    return head + struct.pack("<I", zlib.crc32(head)) + comp


def write(model, path):
    """Write `model` to `path` atomically (PATH.tmp.<pid>, then rename)."""
    data = encode(model, path)
    tmp = f"{path}.tmp.{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return len(data)


# ---------------------------------------------------------------------------------------------
# Reader

class _Cursor:
    def __init__(self, data, path):
        self.data, self.pos, self.path = data, 0, path

    def fail(self, where, problem, pos=None):
        raise ModelFileError(self.path, f"payload byte {self.pos if pos is None else pos}, {where}", problem)

    def take(self, n, where):
        left = len(self.data) - self.pos
        if n > left:
            self.fail(where, f"payload ends: {n} bytes needed, {left} left")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def u32(self, where):
        return struct.unpack("<I", self.take(4, where))[0]

    def f64(self, where):
        return struct.unpack("<d", self.take(8, where))[0]

    def f64s(self, n, where):
        return list(struct.unpack(f"<{n}d", self.take(8 * n, where)))

    def str(self, where):
        start = self.pos
        n = self.u32(where + " length")
        if n > MAX_STR_BYTES:
            self.fail(where, f"string length {n} exceeds {MAX_STR_BYTES}", start)
        b = self.take(n, where)
        try:
            return b.decode("utf-8")
        except UnicodeDecodeError as e:
            self.fail(where, f"string is not valid UTF-8 ({e.reason})", start)

    def f32s(self, shape, where):
        n = 1
        for d in shape:
            n *= int(d)
        b = self.take(4 * n, where)
        return np.frombuffer(b, dtype="<f4").astype(np.float32).reshape(shape)


def decode_payload(raw, path="<model>"):
    """Parse and validate uncompressed payload bytes into a Model."""
    c = _Cursor(raw, path)
    config = c.str("config")
    dataset = c.str("dataset")
    t, cin, h, w, classes = (c.u32(n) for n in ("time_steps", "in_channels", "in_height", "in_width", "classes"))
    if cin == 0:
        c.fail("in_channels", "0 input channels", c.pos - 8)
    mean = c.f64s(cin, "mean")
    std = c.f64s(cin, "std")
    fa = c.f64("float_accuracy")
    n_sites, n_pops, n_ops = c.u32("n_sites"), c.u32("n_pops"), c.u32("n_ops")
    m = Model(config, dataset, t, cin, h, w, classes, mean, std, fa)
    for i in range(n_sites):
        where = f"site {i}"
        name = c.str(where + " name")
        where = f"site {i} ({name!r})"
        m.sites.append(Site(name, c.u32(where + " channels"), c.u32(where + " height"), c.u32(where + " width")))
    for i in range(n_pops):
        name = c.str(f"population {i} name")
        where = f"population {i} ({name!r})"
        site = c.u32(where + " site")
        if site >= n_sites:
            c.fail(where + " site", f"site index {site} out of range (the model has {n_sites} sites)", c.pos - 4)
        m.pops.append(Pop(name, site, c.u32(where + " kind"), c.f64(where + " threshold")))

    def site_of(where, idx):
        if idx >= len(m.sites):
            c.fail(where, f"site index {idx} out of range (the model has {len(m.sites)} sites)", c.pos - 4)
        return m.sites[idx]

    def pop_site(where, idx):
        if idx >= len(m.pops):
            c.fail(where, f"population index {idx} out of range (the model has {len(m.pops)} populations)",
                   c.pos - 4)
        return site_of(f"{where}: population {idx} site", m.pops[idx].site)

    def geometry(where, h_in, w_in, dst):
        """kernel, stride, pad; checked against the input and destination sizes before any
        weight is read, so that a wrong kernel is reported as such rather than as garbage later."""
        start = c.pos
        vals = [c.u32(f"{where} {f}") for f in ("kernel", "stride", "pad")]
        for j, (f, v, lo) in enumerate(zip(("kernel", "stride", "pad"), vals, (1, 1, 0))):
            if not lo <= v <= MAX_DIM:
                c.fail(f"{where} {f}", f"{v} is outside [{lo}, {MAX_DIM}]", start + 4 * j)
        k, s, p = vals
        ho, wo = conv_out(h_in, k, s, p), conv_out(w_in, k, s, p)
        if (ho, wo) != (dst.height, dst.width):
            c.fail(where, f"a {k}x{k} stride {s} pad {p} conv of a {h_in}x{w_in} input gives {ho}x{wo}, "
                   f"destination site {dst.name!r} is {dst.height}x{dst.width}", start)
        return vals

    for i in range(n_ops):
        start = c.pos
        typ = c.u32(f"op {i} type")
        if typ not in OP_NAMES:
            c.fail(f"op {i} type", f"unknown operation type {typ} (known: 1..5)", start)
        name = c.str(f"op {i} name")
        where = f"op {i} ({OP_NAMES[typ]} {name!r})"
        if typ == OP_ENCODER:
            dst = c.u32(where + " dst_site")
            dsite = site_of(where + " dst_site", dst)
            k, s, p = geometry(where, h, w, dsite)
            cout = dsite.channels
            m.ops.append(Encoder(name, dst, k, s, p, c.f32s((cout, cin, k, k), where + " weight"),
                                 c.f32s((cout,), where + " bias")))
        elif typ == OP_FIRE:
            m.ops.append(Fire(name, c.u32(where + " pop")))
        elif typ == OP_CONV:
            src = c.u32(where + " src_pop")
            ssite = pop_site(where + " src_pop", src)
            c_in = ssite.channels
            dst = c.u32(where + " dst_site")
            dsite = site_of(where + " dst_site", dst)
            cout = dsite.channels
            k, s, p = geometry(where, ssite.height, ssite.width, dsite)
            m.ops.append(Conv(name, src, dst, k, s, p, c.f32s((cout, c_in, k, k), where + " weight"),
                              c.f32s((cout,), where + " bias")))
        elif typ == OP_ATTN:
            q, k, v, dst, heads = (c.u32(f"{where} {f}") for f in ("q_pop", "k_pop", "v_pop", "dst_site", "heads"))
            m.ops.append(Attn(name, q, k, v, dst, heads, c.f64(where + " scale")))
        else:
            src = c.u32(where + " src_pop")
            c_in = pop_site(where + " src_pop", src).channels
            m.ops.append(Linear(name, src, c.f32s((classes, c_in), where + " weight"),
                                c.f32s((classes,), where + " bias")))
    if c.pos != len(raw):
        c.fail("end", f"{len(raw) - c.pos} bytes left after the last operation")
    validate(m, path)
    return m


def decode(data, path="<model>"):
    """Parse the bytes of a whole model file."""
    if len(data) < HEADER_SIZE:
        raise ModelFileError(path, "header", f"file of {len(data)} bytes is shorter than the {HEADER_SIZE}-byte header")
    magic, version, flags, nbytes, nraw, pcrc, hcrc = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise ModelFileError(path, "header byte 0 (magic)", f"magic {magic!r} is not {MAGIC!r}: not a model file")
    if zlib.crc32(data[:28]) != hcrc:
        raise ModelFileError(path, "header byte 28 (header_crc32)",
                             f"header CRC mismatch: stored 0x{hcrc:08x}, computed 0x{zlib.crc32(data[:28]):08x}")
    if version != VERSION:
        raise ModelFileError(path, "header byte 8 (version)",
                             f"version {version} is {'newer than' if version > VERSION else 'not'} the version "
                             f"this reader knows ({VERSION})")
    if flags != 0:
        raise ModelFileError(path, "header byte 12 (flags)", f"flags 0x{flags:08x} are not 0")
    if nraw > MAX_RAW_BYTES:
        raise ModelFileError(path, "header byte 20 (payload_raw_bytes)", f"{nraw} exceeds the limit {MAX_RAW_BYTES}")
    if len(data) < HEADER_SIZE + nbytes:
        raise ModelFileError(path, f"byte {len(data)}", f"file truncated: header announces {nbytes} payload bytes, "
                             f"file has {len(data) - HEADER_SIZE}")
    if len(data) > HEADER_SIZE + nbytes:
        raise ModelFileError(path, f"byte {HEADER_SIZE + nbytes}",
                             f"{len(data) - HEADER_SIZE - nbytes} trailing bytes after the payload")
    d = zlib.decompressobj()
    try:
        raw = d.decompress(data[HEADER_SIZE:], nraw + 1)
    except zlib.error as e:
        raise ModelFileError(path, f"payload (bytes {HEADER_SIZE}..{len(data)})", f"corrupt zlib stream: {e}")
    if len(raw) != nraw or not d.eof or d.unused_data or d.unconsumed_tail:
        why = (f"decompresses to more than the {nraw} bytes announced" if len(raw) > nraw
               else f"zlib stream ends early or incomplete ({len(raw)} of {nraw} bytes)" if not d.eof
               else f"decompresses to {len(raw)} bytes, header announces {nraw}" if len(raw) != nraw
               else "bytes after the end of the zlib stream")
        raise ModelFileError(path, f"payload (bytes {HEADER_SIZE}..{len(data)})", why)
    if zlib.crc32(raw) != pcrc:
        raise ModelFileError(path, "payload", f"payload CRC mismatch: header 0x{pcrc:08x}, "
                             f"data 0x{zlib.crc32(raw):08x} (corrupt file)")
    return decode_payload(raw, path)


def read(path):
    """Read and validate a model file; raises ModelFileError (or OSError if it cannot be opened)."""
    with open(path, "rb") as f:
        data = f.read()
    return decode(data, path)


# ---------------------------------------------------------------------------------------------
# Float64 executor (PyTorch), the reference meaning of the op program.

def run(model, images, counts=False, dtype=None):
    """Execute the program on uint8 images [B, C, H, W]; returns float64 logits [B, classes].

    `dtype` (default torch.float64, the reference meaning) may be torch.float32 for speed
    measurements (models/bench_torch.py); float32 may flip threshold decisions.

    With counts=True returns (logits, stats), stats a dict of
      spikes  int64 [B, T, n_pops]: spikes of each population at each timestep;
      margin  float64 [B, n_pops]: min over neurons and timesteps of |H - threshold|
              (how close the population came to a different spike decision).
    """
    import torch
    import torch.nn.functional as F

    m = model
    x = torch.as_tensor(images)
    if x.dtype != torch.uint8:
        raise ValueError(f"images must be uint8, got {x.dtype}")
    if x.dim() != 4 or tuple(x.shape[1:]) != (m.in_channels, m.in_height, m.in_width):
        raise ValueError(f"images must be [B, {m.in_channels}, {m.in_height}, {m.in_width}], got {tuple(x.shape)}")
    f64 = torch.float64 if dtype is None else dtype
    mean = torch.tensor(m.mean, dtype=f64).view(1, -1, 1, 1)
    std = torch.tensor(m.std, dtype=f64).view(1, -1, 1, 1)
    x = (x.to(f64) / 255.0 - mean) / std
    B, T, P = x.shape[0], m.time_steps, len(m.pops)

    def t64(a):
        return torch.from_numpy(np.asarray(a, dtype=np.float64)).to(f64)

    params = [(t64(op.weight), t64(op.bias)) if hasattr(op, "weight") else None for op in m.ops]
    enc = m.ops[0]
    enc_out = F.conv2d(x, params[0][0], params[0][1], stride=enc.stride, padding=enc.pad)

    v = [None] * P
    spikes_now = [None] * P
    logits = torch.zeros(B, m.classes, dtype=f64)
    spikes = torch.zeros(B, T, P, dtype=torch.int64)
    margin = torch.full((B, P), math.inf, dtype=f64)
    for t in range(T):
        site = [None] * len(m.sites)

        def add(idx, val):
            site[idx] = val if site[idx] is None else site[idx] + val

        for i, op in enumerate(m.ops):
            if op.TYPE == OP_ENCODER:
                add(op.dst_site, enc_out)
            elif op.TYPE == OP_FIRE:
                p = m.pops[op.pop]
                xin = site[p.site]
                if p.kind == KIND_MEAN:
                    xin = xin.mean(dim=(2, 3))
                h = xin * 0.5 if v[op.pop] is None else (v[op.pop] + xin) * 0.5
                s = h >= p.threshold
                v[op.pop] = torch.where(s, torch.zeros((), dtype=f64), h)
                spikes_now[op.pop] = s.to(f64)
                if counts:
                    spikes[:, t, op.pop] = s.flatten(1).sum(1)
                    margin[:, op.pop] = torch.minimum(margin[:, op.pop], (h - p.threshold).abs().flatten(1).amin(1))
            elif op.TYPE == OP_CONV:
                w, b = params[i]
                add(op.dst_site, F.conv2d(spikes_now[op.src_pop], w, b, stride=op.stride, padding=op.pad))
            elif op.TYPE == OP_ATTN:
                dst = m.sites[op.dst_site]
                C, H, W = dst.shape
                d = C // op.heads
                q, k, vv = (spikes_now[j].reshape(B, op.heads, d, H * W) for j in (op.q_pop, op.k_pop, op.v_pop))
                kv = k @ vv.transpose(-1, -2)  # [B, heads, d(i), d(j)]: sum_n K[n,i] V[n,j]
                o = kv.transpose(-1, -2) @ q  # [B, heads, d(j), N]: sum_i Q[n,i] KV[i,j]
                add(op.dst_site, (o * op.scale).reshape(B, C, H, W))
            else:
                w, b = params[i]
                logits = logits + (spikes_now[op.src_pop] @ w.t() + b)
    logits = logits / T
    if counts:
        return logits, dict(spikes=spikes, margin=margin)
    return logits


# ---------------------------------------------------------------------------------------------

def main(argv=None):
    p = argparse.ArgumentParser(description="Check spikechip model files (.spkm) and print a summary of each; "
                                "with --ops, list the sites, populations and operations too. Exit status 1 "
                                "if any file is unreadable or breaks the format.")
    p.add_argument("files", nargs="+", metavar="FILE.spkm", help="model files to check")
    p.add_argument("--ops", action="store_true", help="also list every site, population and operation")
    args = p.parse_args(argv)
    status = 0
    for path in args.files:
        try:
            m = read(path)
        except (OSError, ModelFileError) as e:
            print(f"spkm: {e}", file=sys.stderr)
            status = 1
            continue
        print(f"{path}: {m.summary()}")
        if args.ops:
            for i, s in enumerate(m.sites):
                print(f"  site {i} {s.name} {s.channels}x{s.height}x{s.width}")
            for i, q in enumerate(m.pops):
                print(f"  pop {i} {q.name} site {q.site} kind {q.kind} threshold {q.threshold:g}")
            for i, op in enumerate(m.ops):
                fields = {f.name: getattr(op, f.name) for f in dataclasses.fields(op) if f.name != "name"}
                desc = " ".join(f"{k}={tuple(v.shape) if isinstance(v, np.ndarray) else v}" for k, v in fields.items())
                print(f"  op {i} {OP_NAMES[op.TYPE]} {op.name} {desc}")
    return status


if __name__ == "__main__":
    sys.exit(main())
