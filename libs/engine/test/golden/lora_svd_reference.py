"""Golden values for libs/engine/src/methods/slcapp/lora-init.spec.ts, computed independently with numpy.

The weight is the engine's [in, out] qkv layout, w[i, o] = sin(0.7 n + 1) · cos(0.013 n²) with n = i·out + o;
PyTorch's weight is its transpose, and SLCA++ takes A = Vh[:r] of torch.linalg.svd(W_torch). The sign of
each vector is fixed as the engine does (largest-magnitude component positive).

    python3 lora_svd_reference.py > ../fixtures/lora-svd.json
"""
import json

import numpy as np


def case(d, out, rank):
    n = np.arange(d * out, dtype=np.float64)
    w = (np.sin(0.7 * n + 1) * np.cos(0.013 * n * n)).reshape(d, out)
    _, s, vh = np.linalg.svd(w.T)
    vectors = vh[:rank].copy()
    for row in vectors:
        if row[np.argmax(np.abs(row))] < 0:
            row *= -1
    return {"inDim": d, "outDim": out, "rank": rank, "singularValues": s[:rank].tolist(),
            "vectors": vectors.tolist()}


print(json.dumps({"numpy": np.__version__, "cases": [case(8, 24, 4), case(40, 120, 4)]}, indent=1))
