"""Writes the PyTorch checkpoint fixtures read by torch-pickle.spec.ts and torch-checkpoint.spec.ts.

The TypeScript tests never run Python: they read the files committed in libs/engine/test/fixtures/torch/.
This script made them with real PyTorch (torch.save), and can check that it still makes the same ones:

    python3 -m venv /tmp/torchvenv && /tmp/torchvenv/bin/pip install torch   # CPU wheel is enough
    /tmp/torchvenv/bin/python libs/engine/scripts/make-torch-fixtures.py           # (re)write the fixtures
    /tmp/torchvenv/bin/python libs/engine/scripts/make-torch-fixtures.py --check   # compare, write nothing

--check regenerates everything into a temporary folder and compares it with the committed files: the
safetensors and raw pickle files byte for byte; expected.json by value (prettier formats the committed
copy); the torch.save zips record by record (every record's bytes except `.data/serialization_id`, an id
whose recipe is PyTorch's own and may change between versions); the legacy file, whose storage keys are
memory addresses, by loading both copies with torch.load. It exits with status 1 naming every file that
differs. The tests read the committed files and need no Python; run --check by hand after changing this
script or upgrading PyTorch. The fixtures were made with torch 2.13.0+cpu.

The weights are a closed-form rule (no random generator), so any PyTorch version makes the same values.
Files (all tiny; the ViT is imageSize 8, patchSize 4, dim 8, depth 1, heads 2, mlpDim 16):
  vit-tiny.pt              timm-named state dict (an OrderedDict with _metadata, as module.state_dict()
                           makes it) plus a classifier head.*
  vit-tiny-moco.pth.tar    MoCo v3 layout: {'epoch', 'arch', 'state_dict': {'module.base_encoder.*',
                           'module.momentum_encoder.*', 'module.predictor.*'}, 'optimizer', 'scaler'}
  vit-tiny-f16.pt          the same weights as float16
  vit-tiny-strided.pt      the same weights saved as non-contiguous views (transposed, channels-last,
                           offset into shared storages)
  vit-tiny-missing.pt      the state dict without blocks.0.attn.proj.bias
  vit-tiny.safetensors     the float32 weights of vit-tiny.pt, written by the few lines below
  vit-tiny-f16.safetensors float32 copies of the float16 weights (torch's own half -> float conversion)
  views.pt                 small tensors with strides, offsets, a zero stride and shared storage
  dtypes.pt                float32 / float16 / bfloat16 / float64 tensors with edge values
  malicious.pt             a state dict holding an object whose __reduce__ calls os.system
  bad-entry.pt             a state dict with an int among its tensors
  list.pt                  a list of tensors, not a dict
  legacy.pt                torch.save(..., _use_new_zipfile_serialization=False)
  data-p2.pkl, data-p4.pkl a plain (torch-free) object pickled with protocols 2 and 4
  expected.json            sums, first values and full values for the tests
"""

import argparse
import collections
import filecmp
import json
import math
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import zipfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "test", "fixtures", "torch")

ARCH = dict(imageSize=8, patchSize=4, dim=8, depth=1, heads=2, mlpDim=16)
HEAD_CLASSES = 3


def value(name, i):
    # Smooth in i, different per tensor name; float64, rounded to float32 by torch below.
    return 0.3 * math.sin(1.7 * i + 0.11 * sum(map(ord, name)) + 0.37 * len(name))


def tensor(name, shape, offset=0.0):
    n = math.prod(shape)
    return torch.tensor([offset + value(name, i) for i in range(n)], dtype=torch.float64).reshape(shape).float()


def timm_weights(a):
    """A timm ViT's tensors (timm layout: [out, in] linears, [dim, c, p, p] patch conv), in timm order."""
    d, m, p = a["dim"], a["mlpDim"], a["patchSize"]
    t = (a["imageSize"] // p) ** 2 + 1
    w = collections.OrderedDict()
    w["cls_token"] = tensor("cls_token", (1, 1, d))
    w["pos_embed"] = tensor("pos_embed", (1, t, d))
    w["patch_embed.proj.weight"] = tensor("patch_embed.proj.weight", (d, 3, p, p))
    w["patch_embed.proj.bias"] = tensor("patch_embed.proj.bias", (d,))

    def linear(name, n_in, n_out):
        w[f"{name}.weight"] = tensor(f"{name}.weight", (n_out, n_in))
        w[f"{name}.bias"] = tensor(f"{name}.bias", (n_out,))

    def norm(name):
        w[f"{name}.weight"] = tensor(f"{name}.weight", (d,), 1.0)
        w[f"{name}.bias"] = tensor(f"{name}.bias", (d,))

    for b in range(a["depth"]):
        norm(f"blocks.{b}.norm1")
        linear(f"blocks.{b}.attn.qkv", d, 3 * d)
        linear(f"blocks.{b}.attn.proj", d, d)
        norm(f"blocks.{b}.norm2")
        linear(f"blocks.{b}.mlp.fc1", d, m)
        linear(f"blocks.{b}.mlp.fc2", m, d)
    norm("norm")
    linear("head", d, HEAD_CLASSES)
    return w


def as_state_dict(tensors):
    """An OrderedDict with `_metadata`, pickled like nn.Module.state_dict() (REDUCE, SETITEMS, BUILD)."""
    sd = collections.OrderedDict(tensors)
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("blocks.0", {"version": 1})])
    return sd


def strided_copy(tensors):
    """The same values held as non-contiguous views, as a converted or channels-last model saves them."""
    out = collections.OrderedDict()
    vectors = [k for k, v in tensors.items() if v.dim() == 1]
    shared = torch.cat([torch.full((5,), -7.0)] + [tensors[k] for k in vectors])  # one storage, offsets
    at = 5
    for k, v in tensors.items():
        if v.dim() == 2:
            out[k] = v.t().contiguous().t()  # stride (1, rows)
        elif v.dim() == 4:
            out[k] = v.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)  # channels-last
        elif k == "pos_embed":
            big = torch.full((1, v.shape[1] + 3, v.shape[2]), 9.0)
            big[:, 3:] = v
            out[k] = big[:, 3:]  # storage offset 3 * dim
        elif v.dim() == 1:
            out[k] = shared[at : at + v.numel()]
            at += v.numel()
        else:
            out[k] = v.clone()
    for k, v in out.items():
        assert torch.equal(v, tensors[k]), k
    assert not out["blocks.0.attn.qkv.weight"].is_contiguous()
    return out


def moco_checkpoint(tensors):
    backbone = [(k, v) for k, v in tensors.items() if not k.startswith("head.")]
    d = ARCH["dim"]
    sd = collections.OrderedDict()
    for k, v in backbone:
        sd["module.base_encoder." + k] = v
    # MoCo v3's projection MLP sits in base_encoder.head, with a BatchNorm (int64 num_batches_tracked).
    sd["module.base_encoder.head.0.weight"] = tensor("proj0", (16, d))
    sd["module.base_encoder.head.1.weight"] = tensor("bn1w", (16,), 1.0)
    sd["module.base_encoder.head.1.bias"] = tensor("bn1b", (16,))
    sd["module.base_encoder.head.1.running_mean"] = tensor("bn1m", (16,))
    sd["module.base_encoder.head.1.running_var"] = tensor("bn1v", (16,), 1.0)
    sd["module.base_encoder.head.1.num_batches_tracked"] = torch.tensor(300, dtype=torch.int64)
    for k, v in backbone:
        sd["module.momentum_encoder." + k] = v * 0.5  # different values: the test checks which one is read
    sd["module.momentum_encoder.head.0.weight"] = tensor("mproj0", (16, d))
    sd["module.predictor.0.weight"] = tensor("pred0", (16, 16))
    sd["module.predictor.1.num_batches_tracked"] = torch.tensor(300, dtype=torch.int64)
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("module", {"version": 1})])
    params = [v for k, v in backbone][:3]
    optimizer = {
        "state": {
            i: {"step": torch.tensor(10.0), "exp_avg": torch.zeros_like(p), "exp_avg_sq": torch.ones_like(p)}
            for i, p in enumerate(params)
        },
        "param_groups": [
            {"lr": 1.5e-4, "betas": (0.9, 0.95), "weight_decay": 0.1, "params": [0, 1, 2], "nesterov": False}
        ],
    }
    scaler = {"scale": 65536.0, "growth_factor": 2.0, "backoff_factor": 0.5, "_growth_tracker": 7}
    return {"epoch": 1, "arch": "vit_tiny", "state_dict": sd, "optimizer": optimizer, "scaler": scaler}


class Evil:
    """Pickles as a call to os.system: a reader that executed it would print 'pwned'."""

    def __reduce__(self):
        return (os.system, ("echo pwned",))


def write_safetensors(path, tensors):
    """The safetensors format by hand: u64 header length, JSON header padded to 8 bytes, raw F32 data."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        blob = tensors[name].contiguous().numpy().astype("<f4").tobytes()
        shape = list(tensors[name].shape)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def dtype_tensors():
    base = [1.0, -2.5, 1 / 3, 65504.0, 6e-8, -0.0, 3.14159, 1e-3]
    return collections.OrderedDict(
        [
            ("f32", torch.tensor(base, dtype=torch.float32).reshape(2, 4)),
            ("f16", torch.tensor(base, dtype=torch.float16).reshape(4, 2)),
            ("bf16", torch.tensor(base + [3e38], dtype=torch.bfloat16)),
            ("f64", torch.tensor(base + [1e-50, 1 + 2**-30], dtype=torch.float64).reshape(2, 5)),
        ]
    )


def view_tensors():
    a = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    b = torch.arange(20, dtype=torch.float32).reshape(4, 5) / 4
    c = torch.arange(10, dtype=torch.float32)
    base = torch.arange(6, dtype=torch.float32).reshape(2, 3) - 2.5
    return collections.OrderedDict(
        [
            ("transposed", a.t()),
            ("offset_slice", b[1:, 2:]),
            ("expanded", torch.arange(3, dtype=torch.float32).expand(2, 3)),
            ("every_other", c[1::2]),
            ("shared_base", base),
            ("shared_row", base[1]),
            ("scalar", torch.tensor(4.25)),
            ("empty", torch.zeros(0, 3)),
        ]
    )


def plain_object():
    shared = [1, 2]
    return {
        "int": 7,
        "negative": -300,
        "int32": 2**31 - 1,
        "big": 2**70,
        "negative_big": -(2**40),
        "float": 1.5,
        "text": "héllo ✓",
        "tuple": (1, "two", 3.0),
        "empty_tuple": (),
        "list": [1, [2, 3], None],
        "true": True,
        "false": False,
        "none": None,
        "ordered": collections.OrderedDict([("b", 1), ("a", 2)]),
        "int_keys": {0: "zero", 1: "one"},
        "shared": [shared, shared],
        "long_text": "x" * 300,
    }


def described(t):
    return {"shape": list(t.shape), "values": t.float().flatten().tolist()}


def generate(out):
    os.makedirs(out, exist_ok=True)
    w = timm_weights(ARCH)
    half = collections.OrderedDict((k, v.half()) for k, v in w.items())
    missing = collections.OrderedDict((k, v) for k, v in w.items() if k != "blocks.0.attn.proj.bias")

    torch.save(as_state_dict(w), os.path.join(out, "vit-tiny.pt"))
    torch.save(moco_checkpoint(w), os.path.join(out, "vit-tiny-moco.pth.tar"))
    torch.save(as_state_dict(half), os.path.join(out, "vit-tiny-f16.pt"))
    torch.save(strided_copy(w), os.path.join(out, "vit-tiny-strided.pt"))
    torch.save(as_state_dict(missing), os.path.join(out, "vit-tiny-missing.pt"))
    write_safetensors(os.path.join(out, "vit-tiny.safetensors"), w)
    write_safetensors(os.path.join(out, "vit-tiny-f16.safetensors"), {k: v.float() for k, v in half.items()})
    torch.save(view_tensors(), os.path.join(out, "views.pt"))
    torch.save(dtype_tensors(), os.path.join(out, "dtypes.pt"))
    torch.save({"x": torch.ones(2), "evil": Evil()}, os.path.join(out, "malicious.pt"))
    bad_entry = collections.OrderedDict([("cls_token", w["cls_token"]), ("step", 3)])
    torch.save(bad_entry, os.path.join(out, "bad-entry.pt"))
    torch.save([w["cls_token"]], os.path.join(out, "list.pt"))
    legacy = collections.OrderedDict([("x", torch.ones(2))])
    torch.save(legacy, os.path.join(out, "legacy.pt"), _use_new_zipfile_serialization=False)
    for protocol in (2, 4):
        with open(os.path.join(out, f"data-p{protocol}.pkl"), "wb") as f:
            pickle.dump(plain_object(), f, protocol=protocol)

    expected = {
        "arch": ARCH,
        "sums": {k: float(v.double().sum()) for k, v in w.items()},
        "first": {k: float(v.flatten()[0]) for k, v in w.items()},
        "f16_sums": {k: float(v.double().sum()) for k, v in half.items()},
        "views": {k: described(v.contiguous()) for k, v in view_tensors().items()},
        "dtypes": {k: described(v) for k, v in dtype_tensors().items()},
    }
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


def zip_records(path):
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist() if not i.filename.endswith("/.data/serialization_id")}


def same_loaded(a, b):
    if isinstance(a, torch.Tensor):
        return (
            isinstance(b, torch.Tensor)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and a.stride() == b.stride()
            and torch.equal(a, b)
        )
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same_loaded(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same_loaded(x, y) for x, y in zip(a, b))
    return a == b


def check():
    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp)
        names = sorted(set(os.listdir(tmp)) | set(os.listdir(OUT)))
        bad = []
        for name in names:
            ours, committed = os.path.join(tmp, name), os.path.join(OUT, name)
            if not os.path.exists(committed) or not os.path.exists(ours):
                problem = "missing from the repository" if os.path.exists(ours) else "no longer generated"
                bad.append(f"{name}: {problem}")
            elif filecmp.cmp(ours, committed, shallow=False):
                continue
            elif name.endswith(".json"):
                # The committed copy is formatted by prettier; compare what it says.
                with open(ours) as a, open(committed) as b:
                    if json.load(a) != json.load(b):
                        bad.append(f"{name}: values differ")
            elif name == "legacy.pt":
                if not same_loaded(torch.load(ours, weights_only=True), torch.load(committed, weights_only=True)):
                    bad.append(f"{name}: loads to different values")
            elif zipfile.is_zipfile(committed) and zipfile.is_zipfile(ours):
                # Record names carry the file's stem, identical here; only the serialization id may differ.
                if zip_records(ours) != zip_records(committed):
                    bad.append(f"{name}: records differ")
            else:
                bad.append(f"{name}: bytes differ")
        for line in bad:
            print(f"make-torch-fixtures --check: {line}", file=sys.stderr)
        if bad:
            print(f"regenerate with: {sys.executable} {os.path.relpath(__file__)}", file=sys.stderr)
            return 1
        print(f"make-torch-fixtures --check: {len(names)} files match (torch {torch.__version__})")
        return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed fixtures, write nothing")
    args = parser.parse_args()
    if args.check:
        sys.exit(check())
    generate(OUT)
    # The repository's format check covers JSON: hand expected.json to its prettier (best effort).
    root = os.path.join(HERE, "..", "..", "..")
    try:
        command = ["npx", "--no-install", "prettier", "--write", os.path.join(OUT, "expected.json")]
        subprocess.run(command, cwd=root, check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        note = "note: could not run prettier; run `npx prettier --write libs/engine/test/fixtures/torch`"
        print(note, file=sys.stderr)
    total = 0
    for name in sorted(os.listdir(OUT)):
        size = os.path.getsize(os.path.join(OUT, name))
        total += size
        print(f"{size:8d}  {name}")
    print(f"{total:8d}  total")


if __name__ == "__main__":
    main()
