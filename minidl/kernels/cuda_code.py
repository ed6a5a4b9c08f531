"""CUDA source shared by the families' GPU kernels: the split of a flat channels-last index, the window gather.

Strings only: each family's ``cuda_kernels(cupy)`` pastes them into its cupy ``ElementwiseKernel`` bodies.
"""

from __future__ import annotations

# Decomposes the flat index i of a channels-last element (b, r, c, ch) of shape (n, rows, columns, channels).
SPLIT_IMAGE_INDEX = """
    long long rest = i;
    const int ch = rest % channels; rest /= channels;
    const int c = rest % columns; rest /= columns;
    const int r = rest % rows;
    const long long b = rest / rows;
"""


def sum_over_windows(height: str, width: str, row_step: str, column_step: str, term: str) -> str:
    """CUDA code that adds ``term`` into ``sum`` for every window (oh, ow) and kernel position (k, j) that
    read input element (r, c): the gather that replaces a scatter in the windowed backwards."""
    return f"""
    T sum = 0;
    for (int k = 0; k < {height}; ++k) {{
        const int row = r + top - k * {row_step};  // = oh * sh for the window that read row r at kernel row k
        if (row < 0 || row % sh != 0 || row / sh >= out_h) continue;
        const int oh = row / sh;
        for (int j = 0; j < {width}; ++j) {{
            const int column = c + left - j * {column_step};
            if (column < 0 || column % sw != 0 || column / sw >= out_w) continue;
            const int ow = column / sw;
            {term}
        }}
    }}
    gx = sum;
"""
