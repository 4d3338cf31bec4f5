"""Meta-SpikeFormer (Spike-Driven Transformer V2) in plain PyTorch.

Module structure and attribute names follow BICLab/Spike-Driven-Transformer-V2
`classification/models.py`, so `state_dict()` keys and shapes equal those of the
official checkpoints (see ../shared/reference/official-state-dict-8_512.tsv) and
an official checkpoint loads with `load_state_dict(ckpt["model"])`.
No spikingjelly or timm: the multi-step LIF neuron is written out here.

All spiking tensors are laid out [T, B, ...] (time first).
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

SURROGATE_ALPHA = 4.0


class _SpikeSigmoidSurrogate(torch.autograd.Function):
    """S = heaviside(scale * x - threshold) with heaviside(0) = 1, forward.

    Backward: sigmoid surrogate as spikingjelly's `surrogate.Sigmoid(alpha)`:
    dS/dx = scale * alpha * sig(u) * (1 - sig(u)), u = alpha * (scale * x - threshold).
    `scale` (1 or 0.5) lets the first LIF step read X directly: H = X / 2, and
    X / 2 >= thr is evaluated exactly as X >= 2 thr.
    """

    @staticmethod
    def forward(ctx, x, threshold, alpha, scale):
        ctx.save_for_backward(x)
        ctx.consts = (threshold, alpha, scale)
        return (x >= threshold / scale).to(x.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        threshold, alpha, scale = ctx.consts
        sg = torch.sigmoid(x * (alpha * scale) - alpha * threshold)
        return grad_out * (sg * (1.0 - sg)).mul_(alpha * scale), None, None, None


def spike_fn(h, threshold=1.0, alpha=SURROGATE_ALPHA):
    """heaviside(h - threshold) with the sigmoid surrogate gradient."""
    return _SpikeSigmoidSurrogate.apply(h, threshold, alpha, 1.0)


class MultiStepLIF(nn.Module):
    """Multi-step LIF neuron, tau = 2, decay_input, hard reset to 0, detached reset.

    Per timestep: H = (V + X) / 2; S = (H >= threshold); V = H * (1 - S).
    This equals spikingjelly's MultiStepLIFNode(tau=2., v_reset=0., detach_reset=True)
    (V + (X - V) / tau). It has no parameters or buffers, so it adds nothing to
    the state_dict, like the official neuron.

    When `record` is set, the module accumulates the number of spikes and of
    neuron-timesteps it has produced (for firing-rate statistics).
    """

    def __init__(self, threshold=1.0, alpha=SURROGATE_ALPHA):
        super().__init__()
        self.threshold = threshold
        self.alpha = alpha
        self.record = False
        self.spike_sum = 0.0
        self.spike_count = 0

    def extra_repr(self):
        return f"threshold={self.threshold}, tau=2, hard_reset=0, surrogate=sigmoid(alpha={self.alpha})"

    def forward(self, x):
        T = x.shape[0]
        # t = 0: V = 0, so H = X / 2 (fused into the spike function).
        s = _SpikeSigmoidSurrogate.apply(x[0], self.threshold, self.alpha, 0.5)
        out = [s]
        if T > 1:
            v = (x[0] * 0.5) * (1.0 - s.detach())
            for t in range(1, T):
                h = (v + x[t]) * 0.5
                s = spike_fn(h, self.threshold, self.alpha)
                out.append(s)
                if t < T - 1:
                    v = h * (1.0 - s.detach())
        s = torch.stack(out, 0) if T > 1 else s.unsqueeze(0)
        if self.record:
            self.spike_sum += float(s.detach().sum())
            self.spike_count += s.numel()
        return s


class MS_DownSampling(nn.Module):
    """(LIF →) Conv2d(bias) → BN. The first layer reads the image directly (no LIF)."""

    def __init__(self, in_channels=2, embed_dims=256, kernel_size=3, stride=2, padding=1, first_layer=True):
        super().__init__()
        self.encode_conv = nn.Conv2d(in_channels, embed_dims, kernel_size=kernel_size, stride=stride, padding=padding)
        self.encode_bn = nn.BatchNorm2d(embed_dims)
        if not first_layer:
            self.encode_lif = MultiStepLIF()

    def forward(self, x):
        T, B = x.shape[:2]
        if hasattr(self, "encode_lif"):
            x = self.encode_lif(x)
        x = self.encode_conv(x.flatten(0, 1))
        _, _, H, W = x.shape
        return self.encode_bn(x).reshape(T, B, -1, H, W).contiguous()


class SepConv(nn.Module):
    """Inverted separable conv (MobileNetV2 style): LIF, pw 1x1, BN, LIF, dw kxk, pw 1x1, BN."""

    def __init__(self, dim, expansion_ratio=2, bias=False, kernel_size=7, padding=3):
        super().__init__()
        med_channels = int(expansion_ratio * dim)
        self.lif1 = MultiStepLIF()
        self.pwconv1 = nn.Conv2d(dim, med_channels, kernel_size=1, stride=1, bias=bias)
        self.bn1 = nn.BatchNorm2d(med_channels)
        self.lif2 = MultiStepLIF()
        self.dwconv = nn.Conv2d(med_channels, med_channels, kernel_size=kernel_size, padding=padding,
                                groups=med_channels, bias=bias)
        self.pwconv2 = nn.Conv2d(med_channels, dim, kernel_size=1, stride=1, bias=bias)
        self.bn2 = nn.BatchNorm2d(dim)

    def forward(self, x):
        T, B, C, H, W = x.shape
        x = self.lif1(x)
        x = self.bn1(self.pwconv1(x.flatten(0, 1))).reshape(T, B, -1, H, W)
        x = self.lif2(x)
        x = self.dwconv(x.flatten(0, 1))
        x = self.bn2(self.pwconv2(x)).reshape(T, B, -1, H, W)
        return x


class MS_ConvBlock(nn.Module):
    """x = SepConv(x) + x; x = x + BN(conv3x3(LIF(BN(conv3x3(LIF(x))))))."""

    def __init__(self, dim, mlp_ratio=4.0):
        super().__init__()
        hidden = int(dim * mlp_ratio)
        self.Conv = SepConv(dim=dim)
        self.mlp_ratio = mlp_ratio
        self.lif1 = MultiStepLIF()
        self.conv1 = nn.Conv2d(dim, hidden, kernel_size=3, padding=1, groups=1, bias=False)
        self.bn1 = nn.BatchNorm2d(hidden)
        self.lif2 = MultiStepLIF()
        self.conv2 = nn.Conv2d(hidden, dim, kernel_size=3, padding=1, groups=1, bias=False)
        self.bn2 = nn.BatchNorm2d(dim)

    def forward(self, x):
        T, B, C, H, W = x.shape
        x = self.Conv(x) + x
        x_feat = x
        x = self.bn1(self.conv1(self.lif1(x).flatten(0, 1))).reshape(T, B, -1, H, W)
        x = self.bn2(self.conv2(self.lif2(x).flatten(0, 1))).reshape(T, B, C, H, W)
        return x_feat + x


class BNAndPadLayer(nn.Module):
    """BatchNorm, then pad with the value BN gives a zero input (so the pad equals
    the BN of a zero-padded input; lets RepConv fold into one 3x3 conv)."""

    def __init__(self, pad_pixels, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True):
        super().__init__()
        self.bn = nn.BatchNorm2d(num_features, eps, momentum, affine, track_running_stats)
        self.pad_pixels = pad_pixels

    def forward(self, x):
        out = self.bn(x)
        p = self.pad_pixels
        if p > 0:
            bn = self.bn
            if bn.affine:
                pad_values = bn.bias.detach() - bn.running_mean * bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
            else:
                pad_values = -bn.running_mean / torch.sqrt(bn.running_var + bn.eps)
            out = F.pad(out, [p] * 4)
            pad_values = pad_values.view(1, -1, 1, 1)
            out[:, :, 0:p, :] = pad_values
            out[:, :, -p:, :] = pad_values
            out[:, :, :, 0:p] = pad_values
            out[:, :, :, -p:] = pad_values
        return out


class RepConv(nn.Module):
    """1x1 conv → BN with pad → (dw 3x3 → 1x1 → BN): re-parameterizable into one 3x3 conv."""

    def __init__(self, in_channel, out_channel, bias=False):
        super().__init__()
        conv1x1 = nn.Conv2d(in_channel, in_channel, 1, 1, 0, bias=False, groups=1)
        bn = BNAndPadLayer(pad_pixels=1, num_features=in_channel)
        conv3x3 = nn.Sequential(
            nn.Conv2d(in_channel, in_channel, 3, 1, 0, groups=in_channel, bias=False),
            nn.Conv2d(in_channel, out_channel, 1, 1, 0, groups=1, bias=False),
            nn.BatchNorm2d(out_channel),
        )
        self.body = nn.Sequential(conv1x1, bn, conv3x3)

    def forward(self, x):
        return self.body(x)


class MS_Attention_RepConv_qkv_id(nn.Module):
    """Spike-driven linear self-attention: (Q @ (K^T @ V)) * 0.125 per head, attn LIF threshold 0.5."""

    def __init__(self, dim, num_heads=8):
        super().__init__()
        assert dim % num_heads == 0, f"dim {dim} should be divided by num_heads {num_heads}."
        self.dim = dim
        self.num_heads = num_heads
        self.scale = 0.125
        self.head_lif = MultiStepLIF()
        self.q_conv = nn.Sequential(RepConv(dim, dim, bias=False), nn.BatchNorm2d(dim))
        self.k_conv = nn.Sequential(RepConv(dim, dim, bias=False), nn.BatchNorm2d(dim))
        self.v_conv = nn.Sequential(RepConv(dim, dim, bias=False), nn.BatchNorm2d(dim))
        self.q_lif = MultiStepLIF()
        self.k_lif = MultiStepLIF()
        self.v_lif = MultiStepLIF()
        self.attn_lif = MultiStepLIF(threshold=0.5)
        self.proj_conv = nn.Sequential(RepConv(dim, dim, bias=False), nn.BatchNorm2d(dim))

    def _heads(self, x, T, B, C, N):
        # [T,B,C,N] -> [T,B,heads,N,C/heads]
        return x.transpose(-1, -2).reshape(T, B, N, self.num_heads, C // self.num_heads).permute(0, 1, 3, 2, 4).contiguous()

    def forward(self, x):
        T, B, C, H, W = x.shape
        N = H * W
        x = self.head_lif(x)
        xf = x.flatten(0, 1)
        q = self.q_lif(self.q_conv(xf).reshape(T, B, C, H, W)).flatten(3)
        k = self.k_lif(self.k_conv(xf).reshape(T, B, C, H, W)).flatten(3)
        v = self.v_lif(self.v_conv(xf).reshape(T, B, C, H, W)).flatten(3)
        q = self._heads(q, T, B, C, N)
        k = self._heads(k, T, B, C, N)
        v = self._heads(v, T, B, C, N)
        x = k.transpose(-2, -1) @ v
        x = (q @ x) * self.scale
        x = x.transpose(3, 4).reshape(T, B, C, N).contiguous()
        x = self.attn_lif(x).reshape(T, B, C, H, W)
        x = self.proj_conv(x.flatten(0, 1)).reshape(T, B, C, H, W)
        return x


class MS_MLP(nn.Module):
    """LIF → 1x1 (C→hidden, bias) → BN → LIF → 1x1 (hidden→C, bias) → BN."""

    def __init__(self, in_features, hidden_features=None, out_features=None):
        super().__init__()
        out_features = out_features or in_features
        hidden_features = hidden_features or in_features
        self.fc1_conv = nn.Conv1d(in_features, hidden_features, kernel_size=1, stride=1)
        self.fc1_bn = nn.BatchNorm1d(hidden_features)
        self.fc1_lif = MultiStepLIF()
        self.fc2_conv = nn.Conv1d(hidden_features, out_features, kernel_size=1, stride=1)
        self.fc2_bn = nn.BatchNorm1d(out_features)
        self.fc2_lif = MultiStepLIF()
        self.c_hidden = hidden_features
        self.c_output = out_features

    def forward(self, x):
        T, B, C, H, W = x.shape
        N = H * W
        x = self.fc1_lif(x.flatten(3))
        x = self.fc1_bn(self.fc1_conv(x.flatten(0, 1))).reshape(T, B, self.c_hidden, N).contiguous()
        x = self.fc2_lif(x)
        x = self.fc2_bn(self.fc2_conv(x.flatten(0, 1))).reshape(T, B, C, H, W).contiguous()
        return x


class MS_Block(nn.Module):
    def __init__(self, dim, num_heads, mlp_ratio=4.0):
        super().__init__()
        self.attn = MS_Attention_RepConv_qkv_id(dim=dim, num_heads=num_heads)
        self.mlp = MS_MLP(in_features=dim, hidden_features=int(dim * mlp_ratio))

    def forward(self, x):
        x = x + self.attn(x)
        x = x + self.mlp(x)
        return x


# Named configurations. Paper sizes take 3x224x224 ImageNet images.
CONFIGS = {
    "15M": dict(embed_dims=(64, 128, 256, 360), num_heads=8, in_channels=3, num_classes=1000, img_size=224),
    "metaspikformer_8_384": dict(embed_dims=(96, 192, 384, 480), num_heads=8, in_channels=3, num_classes=1000,
                                 img_size=224),
    "metaspikformer_8_512": dict(embed_dims=(128, 256, 512, 640), num_heads=8, in_channels=3, num_classes=1000,
                                 img_size=224),
    # Shipped default: Fashion-MNIST, 1x28x28, 10 classes. Spatial sizes 28 → 14 (stage 1) → 7 (stages 2-4).
    "fmnist": dict(embed_dims=(32, 64, 96, 128), num_heads=8, in_channels=1, num_classes=10, img_size=28,
                   strides=(2, 1, 2, 1, 1)),
}

DEFAULTS = dict(embed_dims=(64, 128, 256, 360), num_heads=8, depths=(6, 2), mlp_ratio=4.0,
                strides=(2, 2, 2, 2, 1), in_channels=3, num_classes=1000, img_size=224, T=1, kd=False)


class MetaSpikeFormer(nn.Module):
    """Spiking_vit_MetaFormer of the official code.

    strides: of downsample1_1, downsample1_2, downsample2, downsample3, downsample4.
    depths: number of MS_Blocks in block3 and block4.
    Input [B, C, H, W] is repeated over T timesteps; output [B, num_classes] is the
    head's output averaged over T (with kd, training returns (head, head_kd) and
    eval returns their mean, as the official KD variant).
    """

    def __init__(self, embed_dims=DEFAULTS["embed_dims"], num_heads=8, depths=(6, 2), mlp_ratio=4.0,
                 strides=(2, 2, 2, 2, 1), in_channels=3, num_classes=1000, img_size=224, T=1, kd=False):
        super().__init__()
        embed_dims = tuple(int(d) for d in embed_dims)
        strides = tuple(int(s) for s in strides)
        depths = tuple(int(d) for d in depths)
        assert len(embed_dims) == 4 and len(strides) == 5 and len(depths) == 2
        self.config = dict(embed_dims=list(embed_dims), num_heads=int(num_heads), depths=list(depths),
                           mlp_ratio=float(mlp_ratio), strides=list(strides), in_channels=int(in_channels),
                           num_classes=int(num_classes), img_size=int(img_size), T=int(T), kd=bool(kd))
        self.T = int(T)
        self.num_classes = num_classes
        e0, e1, e2, e3 = embed_dims
        s = strides

        self.downsample1_1 = MS_DownSampling(in_channels, e0 // 2, kernel_size=7, stride=s[0], padding=3,
                                             first_layer=True)
        self.ConvBlock1_1 = nn.ModuleList([MS_ConvBlock(dim=e0 // 2, mlp_ratio=mlp_ratio)])
        self.downsample1_2 = MS_DownSampling(e0 // 2, e0, kernel_size=3, stride=s[1], padding=1, first_layer=False)
        self.ConvBlock1_2 = nn.ModuleList([MS_ConvBlock(dim=e0, mlp_ratio=mlp_ratio)])
        self.downsample2 = MS_DownSampling(e0, e1, kernel_size=3, stride=s[2], padding=1, first_layer=False)
        self.ConvBlock2_1 = nn.ModuleList([MS_ConvBlock(dim=e1, mlp_ratio=mlp_ratio)])
        self.ConvBlock2_2 = nn.ModuleList([MS_ConvBlock(dim=e1, mlp_ratio=mlp_ratio)])
        self.downsample3 = MS_DownSampling(e1, e2, kernel_size=3, stride=s[3], padding=1, first_layer=False)
        self.block3 = nn.ModuleList([MS_Block(e2, num_heads, mlp_ratio) for _ in range(depths[0])])
        self.downsample4 = MS_DownSampling(e2, e3, kernel_size=3, stride=s[4], padding=1, first_layer=False)
        self.block4 = nn.ModuleList([MS_Block(e3, num_heads, mlp_ratio) for _ in range(depths[1])])

        self.lif = MultiStepLIF()
        self.head = nn.Linear(e3, num_classes) if num_classes > 0 else nn.Identity()
        self.kd = kd
        if kd:
            self.head_kd = nn.Linear(e3, num_classes) if num_classes > 0 else nn.Identity()
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(m):
        # As the official code: truncated normal for Linear, PyTorch defaults elsewhere.
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.constant_(m.bias, 0)
        elif isinstance(m, nn.LayerNorm):
            nn.init.constant_(m.bias, 0)
            nn.init.constant_(m.weight, 1.0)

    def forward_features(self, x):
        x = self.downsample1_1(x)
        for blk in self.ConvBlock1_1:
            x = blk(x)
        x = self.downsample1_2(x)
        for blk in self.ConvBlock1_2:
            x = blk(x)
        x = self.downsample2(x)
        for blk in self.ConvBlock2_1:
            x = blk(x)
        for blk in self.ConvBlock2_2:
            x = blk(x)
        x = self.downsample3(x)
        for blk in self.block3:
            x = blk(x)
        x = self.downsample4(x)
        for blk in self.block4:
            x = blk(x)
        return x  # [T, B, C, H, W]

    def forward(self, x):
        x = x.unsqueeze(0).repeat(self.T, 1, 1, 1, 1)
        x = self.forward_features(x)
        x = x.flatten(3).mean(3)
        x_lif = self.lif(x)
        x = self.head(x_lif).mean(0)
        if self.kd:
            x_kd = self.head_kd(x_lif).mean(0)
            if self.training:
                return x, x_kd
            return (x + x_kd) / 2
        return x


def model_config(name=None, **overrides):
    """Full constructor kwargs: DEFAULTS, then the named config, then non-None overrides."""
    cfg = dict(DEFAULTS)
    if name is not None:
        if name not in CONFIGS:
            raise KeyError(f"unknown config {name!r}; known: {', '.join(CONFIGS)}")
        cfg.update(CONFIGS[name])
    cfg.update({k: v for k, v in overrides.items() if v is not None})
    return cfg


def build_model(name=None, **overrides):
    return MetaSpikeFormer(**model_config(name, **overrides))


def count_parameters(model):
    """Learnable parameters (BN running statistics excluded)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def lif_modules(model):
    return [m for m in model.modules() if isinstance(m, MultiStepLIF)]


def set_recording(model, on=True):
    """Start (resetting the counters) or stop counting spikes in every LIF of `model`."""
    for m in lif_modules(model):
        m.record = on
        if on:
            m.spike_sum, m.spike_count = 0.0, 0


def firing_rate(model):
    """Spikes / neuron-timesteps over all LIFs since set_recording(model, True)."""
    mods = lif_modules(model)
    n = sum(m.spike_count for m in mods)
    return sum(m.spike_sum for m in mods) / n if n else math.nan
