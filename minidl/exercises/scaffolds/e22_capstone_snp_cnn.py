"""Exercise 22: capstone 3, a CNN telling constant size from growth on SNP images. Then run:

    python -m minidl.exercises check 22 this_file.py

train(x, y): x (600, 20, 48, 1) float32 images (haplotypes x SNPs), y (600,) 0 = constant, 1 = growth;
return a model whose predict gives (n, 2) class scores.
"""

from minidl import Sequential  # noqa: F401 - you will need them
from minidl.layers import Conv2D, Dense, GlobalAveragePooling2D, Input  # noqa: F401


def train(x, y):
    raise NotImplementedError("build a small CNN, compile it, fit it on (x, y), return it")
