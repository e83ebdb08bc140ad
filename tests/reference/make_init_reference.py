#!/usr/bin/python3
"""Generate tests/reference/init_sincos.safetensors: MAE's 2-D sine-cosine position embedding.

Run with Debian's interpreter:  /usr/bin/python3 tests/reference/make_init_reference.py

mvg initialises pos_embed [1, G, D] with this table (the paper follows MAE's setting). The functions
below are MAE's get_2d_sincos_pos_embed (models_mae / util/pos_embed.py, no class token), written
out in numpy: the first D/2 channels encode the column (meshgrid(w, h)[0]), the last D/2 the row;
each half is [sin(pos * omega), cos(pos * omega)] with omega_k = 1 / 10000^(k / (D/4)).

Stored (F64): sincos.<side>x<side>.d<D>  [side*side, D] for the cases below.
"""
import os
import numpy as np

import safetensors_py


def get_1d_sincos_pos_embed_from_grid(embed_dim, pos):
    assert embed_dim % 2 == 0
    omega = np.arange(embed_dim // 2, dtype=np.float64)
    omega /= embed_dim / 2.0
    omega = 1.0 / 10000 ** omega
    out = np.einsum("m,d->md", pos.reshape(-1), omega)
    return np.concatenate([np.sin(out), np.cos(out)], axis=1)


def get_2d_sincos_pos_embed(embed_dim, grid_size):
    grid_h = np.arange(grid_size, dtype=np.float64)
    grid_w = np.arange(grid_size, dtype=np.float64)
    grid = np.meshgrid(grid_w, grid_h)  # w goes first
    grid = np.stack(grid, axis=0).reshape([2, 1, grid_size, grid_size])
    emb_h = get_1d_sincos_pos_embed_from_grid(embed_dim // 2, grid[0])
    emb_w = get_1d_sincos_pos_embed_from_grid(embed_dim // 2, grid[1])
    return np.concatenate([emb_h, emb_w], axis=1)


CASES = [(4, 16), (8, 192)]  # (side, D): a test model's size and the tiny preset's

if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "init_sincos.safetensors")
    tensors = {f"sincos.{s}x{s}.d{d}": get_2d_sincos_pos_embed(d, s) for s, d in CASES}
    safetensors_py.save_file(tensors, out, metadata={"numpy_version": np.__version__})
    back = safetensors_py.load_file(out)
    for k, v in tensors.items():
        assert np.array_equal(back[0][k], v), k
    print("wrote", out)
