import numpy as np


def clip_by_norm(g, max_norm):
    norm = np.sqrt((g.astype(np.float64) ** 2).sum())
    return g * np.asarray(max_norm / max(norm, max_norm), dtype=g.dtype)


def clip_by_global_norm(gradients, max_norm):
    norm = np.sqrt(sum((g.astype(np.float64) ** 2).sum() for g in gradients))
    scale = max_norm / max(norm, max_norm)
    return [g * np.asarray(scale, dtype=g.dtype) for g in gradients]
