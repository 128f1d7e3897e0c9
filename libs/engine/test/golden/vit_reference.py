"""Independent NumPy forward pass of timm's VisionTransformer, for the engine's golden ViT test.

Weights are generated in timm's own layout ([out, in] linears, [dim, c, p, p] patch conv) from a
closed-form rule that the TypeScript test reproduces; the printed CLS features are pasted into
vit-forward-golden.spec.ts. Run: python3 libs/engine/test/golden/vit_reference.py
"""
import json
import math

import numpy as np
from scipy.special import erf

ARCH = dict(imageSize=8, patchSize=4, dim=8, depth=2, heads=2, mlpDim=16)


def value(name, i):
    # Deterministic pseudo-weights: smooth in i, different per tensor name.
    return 0.3 * math.sin(1.7 * i + 0.37 * len(name) + 0.11 * sum(map(ord, name)))


def tensor(name, shape, kind):
    n = int(np.prod(shape))
    v = np.array([value(name, i) for i in range(n)], dtype=np.float64).reshape(shape)
    if kind == "norm_weight":
        v = 1.0 + v
    return v


def timm_params(a):
    d, m, p = a["dim"], a["mlpDim"], a["patchSize"]
    t = (a["imageSize"] // p) ** 2 + 1
    P = {}
    P["cls_token"] = tensor("cls_token", (1, 1, d), "")
    P["pos_embed"] = tensor("pos_embed", (1, t, d), "")
    P["patch_embed.proj.weight"] = tensor("patch_embed.proj.weight", (d, 3, p, p), "")
    P["patch_embed.proj.bias"] = tensor("patch_embed.proj.bias", (d,), "")
    for b in range(a["depth"]):
        for nm in ("norm1", "norm2"):
            P[f"blocks.{b}.{nm}.weight"] = tensor(f"blocks.{b}.{nm}.weight", (d,), "norm_weight")
            P[f"blocks.{b}.{nm}.bias"] = tensor(f"blocks.{b}.{nm}.bias", (d,), "")
        for nm, (o, i) in {"attn.qkv": (3 * d, d), "attn.proj": (d, d), "mlp.fc1": (m, d), "mlp.fc2": (d, m)}.items():
            P[f"blocks.{b}.{nm}.weight"] = tensor(f"blocks.{b}.{nm}.weight", (o, i), "")
            P[f"blocks.{b}.{nm}.bias"] = tensor(f"blocks.{b}.{nm}.bias", (o,), "")
    P["norm.weight"] = tensor("norm.weight", (d,), "norm_weight")
    P["norm.bias"] = tensor("norm.bias", (d,), "")
    return P


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def forward(P, images, a, final_eps):
    n, s = images.shape[0], a["imageSize"]
    p, d, h = a["patchSize"], a["dim"], a["heads"]
    # NCHW strided convolution = patch embedding.
    x = images.transpose(0, 3, 1, 2)
    g = s // p
    patches = x.reshape(n, 3, g, p, g, p).transpose(0, 2, 4, 1, 3, 5).reshape(n, g * g, 3 * p * p)
    w = P["patch_embed.proj.weight"].reshape(d, 3 * p * p)
    tok = patches @ w.T + P["patch_embed.proj.bias"]
    tok = np.concatenate([np.repeat(P["cls_token"], n, 0), tok], 1) + P["pos_embed"]
    for b in range(a["depth"]):
        pre = f"blocks.{b}."
        y = layer_norm(tok, P[pre + "norm1.weight"], P[pre + "norm1.bias"], 1e-6)
        qkv = y @ P[pre + "attn.qkv.weight"].T + P[pre + "attn.qkv.bias"]
        t = tok.shape[1]
        qkv = qkv.reshape(n, t, 3, h, d // h).transpose(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        att = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d // h)
        att = np.exp(att - att.max(-1, keepdims=True))
        att = att / att.sum(-1, keepdims=True)
        o = (att @ v).transpose(0, 2, 1, 3).reshape(n, t, d)
        tok = tok + o @ P[pre + "attn.proj.weight"].T + P[pre + "attn.proj.bias"]
        y = layer_norm(tok, P[pre + "norm2.weight"], P[pre + "norm2.bias"], 1e-6)
        hdn = y @ P[pre + "mlp.fc1.weight"].T + P[pre + "mlp.fc1.bias"]
        hdn = 0.5 * hdn * (1 + erf(hdn / math.sqrt(2)))
        tok = tok + hdn @ P[pre + "mlp.fc2.weight"].T + P[pre + "mlp.fc2.bias"]
    return layer_norm(tok[:, 0], P["norm.weight"], P["norm.bias"], final_eps)


def images(a, n=2):
    s = a["imageSize"]
    idx = np.arange(n * s * s * 3, dtype=np.float64)
    return (0.5 + 0.5 * np.sin(0.31 * idx)).reshape(n, s, s, 3)


if __name__ == "__main__":
    P = timm_params(ARCH)
    feats = forward(P, images(ARCH), ARCH, 1e-6)
    print(json.dumps([[round(float(v), 6) for v in row] for row in feats]))
