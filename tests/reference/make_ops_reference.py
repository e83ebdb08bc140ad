#!/usr/bin/python3
"""Generate tests/reference/ops.safetensors: PyTorch reference values for mvg's tensor ops.

Run with Debian's interpreter (it has torch):  /usr/bin/python3 tests/reference/make_ops_reference.py

Every case <c> stores (all F64):
  <c>.in.<k>    the k-th input, in the op's argument order (k = 0, 1, ...)
  <c>.mask      (only mask cases) the mask; not an input, gets no gradient
  <c>.out       the op's output (0-d for reductions and losses)
  <c>.proj      a fixed normal(0,1) tensor with the output's shape
  <c>.grad.<k>  dL/d in.<k> for L = sum(out * proj), for every k in the case's "grad_inputs"

__metadata__["cases"] is a JSON list, one object per case, in file order:
  {"name": ..., "op": ..., "inputs": [[shape], ...], "grad_inputs": [k, ...], "params": {...}}
__metadata__["torch_version"] is the torch version used.

Conventions (op parameters are in "params"):
  matmul        out = op(a) @ op(b), op = transpose of the last two axes when trans_a / trans_b;
                batch axes broadcast (b may be 2-D and shared across the batch).
  linear        out = x @ w^T + b (torch.nn.functional.linear).
  softmax masks "mask_kind": "additive" -> softmax(x + mask); "keep" -> mask is 0/1,
                positions with 0 get probability exactly 0 (masked_fill(-inf) before softmax).
  attention     qkv [B,T,3D] -> q,k,v = qkv.reshape(B,T,3,H,dh).permute(2,0,3,1,4);
                out = (softmax(q k^T / sqrt(dh) + mask) v).transpose(1,2).reshape(B,T,D).
                attention_block_causal stores its mask as a 0/1 keep mask [T,T]
                (keep iff t_k // tokens_per_slot <= t_q // tokens_per_slot).
  conv2d        torch.nn.functional.conv2d, NCHW, weight [out,in,kh,kw], bias [out].
  pixel_shuffle mvg's order: x [N,gh,gw,p*p*C] -> out [N,C,gh*p,gw*p],
                out[n,c,h*p+dy,w*p+dx] = x[n,h,w,(dy*p+dx)*C+c]  (NOT torch.nn.PixelShuffle).
  channel_layer_norm  NCHW, normalise over C per pixel (biased variance), eps 1e-6.
  losses        0-d mean over all elements; weighted: sum(w*l)/sum(w) with w = in.2 (no grad).
                smooth_l1(d) = 0.5 d^2/beta if |d| < beta else |d| - 0.5 beta  (torch's).
"""
import json
import math
import os
import sys
from collections import OrderedDict

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_py import save_file, load_file  # noqa: E402

torch.manual_seed(0)
DT = torch.float64

tensors = OrderedDict()
cases = []


def randn(*shape):
    return torch.randn(*shape, dtype=DT)


def add_case(name, op, inputs, fn, params=None, grad_inputs=None, mask=None):
    """inputs: list of tensors; fn(*inputs) -> output. grad_inputs: indices needing grads."""
    if grad_inputs is None:
        grad_inputs = list(range(len(inputs)))
    leaves = []
    for k, t in enumerate(inputs):
        t = t.detach().clone().to(DT)
        if k in grad_inputs:
            t.requires_grad_(True)
        leaves.append(t)
    out = fn(*leaves)
    proj = torch.randn(out.shape, dtype=DT)
    L = (out * proj).sum()
    grads = torch.autograd.grad(L, [leaves[k] for k in grad_inputs], allow_unused=False)
    for k, t in enumerate(leaves):
        tensors["%s.in.%d" % (name, k)] = t.detach()
    if mask is not None:
        tensors["%s.mask" % name] = mask.detach().to(DT)
    tensors["%s.out" % name] = out.detach()
    tensors["%s.proj" % name] = proj
    for k, g in zip(grad_inputs, grads):
        tensors["%s.grad.%d" % (name, k)] = g.detach()
    cases.append(OrderedDict([
        ("name", name), ("op", op),
        ("inputs", [list(t.shape) for t in leaves]),
        ("grad_inputs", list(grad_inputs)),
        ("params", params or {}),
    ]))


# ---------------------------------------------------------------- matmul
def mm(ta, tb):
    def f(a, b):
        if ta:
            a = a.transpose(-1, -2)
        if tb:
            b = b.transpose(-1, -2)
        return torch.matmul(a, b)
    return f


add_case("matmul_batched", "matmul", [randn(2, 3, 4, 5), randn(2, 3, 5, 6)], mm(False, False),
         {"trans_a": False, "trans_b": False})
add_case("matmul_shared_b", "matmul", [randn(2, 4, 5), randn(5, 6)], mm(False, False),
         {"trans_a": False, "trans_b": False})
add_case("matmul_trans_a", "matmul", [randn(2, 5, 4), randn(2, 5, 6)], mm(True, False),
         {"trans_a": True, "trans_b": False})
add_case("matmul_trans_b", "matmul", [randn(2, 4, 5), randn(2, 6, 5)], mm(False, True),
         {"trans_a": False, "trans_b": True})
add_case("matmul_trans_ab", "matmul", [randn(5, 4), randn(6, 5)], mm(True, True),
         {"trans_a": True, "trans_b": True})

# ---------------------------------------------------------------- linear
add_case("linear", "linear", [randn(2, 3, 5), randn(4, 5), randn(4)], lambda x, w, b: F.linear(x, w, b))

# ---------------------------------------------------------------- broadcasting elementwise
add_case("add_bias", "add", [randn(2, 3, 4), randn(4)], lambda a, b: a + b)
add_case("sub_bcast", "sub", [randn(2, 1, 4), randn(3, 1)], lambda a, b: a - b)
add_case("mul_bcast", "mul", [randn(2, 3, 4), randn(1, 3, 1)], lambda a, b: a * b)
add_case("mul_same", "mul", [randn(3, 4), randn(3, 4)], lambda a, b: a * b)
add_case("scale", "scale", [randn(3, 4)], lambda x: x * 0.7, {"factor": 0.7})

# ---------------------------------------------------------------- shape ops
add_case("permute", "permute", [randn(2, 3, 4, 5)], lambda x: x.permute(2, 0, 3, 1).contiguous(),
         {"perm": [2, 0, 3, 1]})
add_case("concat", "concat", [randn(2, 3, 4), randn(2, 2, 4)], lambda a, b: torch.cat([a, b], dim=1),
         {"axis": 1})
add_case("slice", "slice", [randn(2, 3, 6, 2)], lambda x: x[:, :, 1:4, :].contiguous(),
         {"axis": 2, "begin": 1, "end": 4})

# ---------------------------------------------------------------- reductions
add_case("sum_all", "sum", [randn(3, 4, 5)], lambda x: x.sum(), {"axis": None})
add_case("mean_all", "mean", [randn(3, 4, 5)], lambda x: x.mean(), {"axis": None})
add_case("sum_axis", "sum", [randn(3, 4, 5)], lambda x: x.sum(dim=1), {"axis": 1, "keepdim": False})
add_case("mean_axis", "mean", [randn(3, 4, 5)], lambda x: x.mean(dim=-1), {"axis": -1, "keepdim": False})

# ---------------------------------------------------------------- activations / norms
add_case("gelu", "gelu", [randn(4, 6) * 3], lambda x: F.gelu(x), {"approximate": "none"})
add_case("layer_norm", "layer_norm", [randn(2, 5, 8), 1 + 0.1 * randn(8), randn(8)],
         lambda x, w, b: F.layer_norm(x, (8,), w, b, eps=1e-6), {"eps": 1e-6, "axis": -1})

# ---------------------------------------------------------------- softmax
add_case("softmax", "softmax", [randn(2, 5, 5)], lambda x: torch.softmax(x, dim=-1), {"axis": -1})

tri_keep = torch.tril(torch.ones(5, 5, dtype=torch.bool))
add_mask = torch.zeros(5, 5, dtype=DT).masked_fill(~tri_keep, -1e9)
add_case("softmax_additive_mask", "softmax", [randn(2, 5, 5)],
         lambda x: torch.softmax(x + add_mask, dim=-1),
         {"axis": -1, "mask_kind": "additive"}, mask=add_mask)

keep = torch.rand(5, 7) < 0.6
for r in range(5):
    if not keep[r].any():
        keep[r, torch.randint(0, 7, (1,)).item()] = True
keep[0, :] = False
keep[0, 3] = True  # one row with a single kept position
add_case("softmax_bool_mask", "softmax", [randn(2, 5, 7)],
         lambda x: torch.softmax(x.masked_fill(~keep, float("-inf")), dim=-1),
         {"axis": -1, "mask_kind": "keep"}, mask=keep.to(DT))

# ---------------------------------------------------------------- attention core
B_, T_, D_, H_ = 2, 12, 8, 2
DH_ = D_ // H_


def attention(mask_add=None, keep_mask=None):
    def f(qkv):
        B, T, _ = qkv.shape
        q, k, v = qkv.reshape(B, T, 3, H_, DH_).permute(2, 0, 3, 1, 4)
        s = q @ k.transpose(-2, -1) / math.sqrt(DH_)
        if mask_add is not None:
            s = s + mask_add
        if keep_mask is not None:
            s = s.masked_fill(~keep_mask, float("-inf"))
        a = torch.softmax(s, dim=-1)
        return (a @ v).transpose(1, 2).reshape(B, T, D_)
    return f


att_params = {"batch": B_, "tokens": T_, "dim": D_, "heads": H_, "head_dim": DH_,
              "scale": 1.0 / math.sqrt(DH_)}
add_case("attention_full", "attention", [randn(B_, T_, 3 * D_)], attention(),
         dict(att_params, mask_kind="none"))

slot = torch.arange(T_) // 4
bc_keep = slot[None, :] <= slot[:, None]  # [query, key]
add_case("attention_block_causal", "attention", [randn(B_, T_, 3 * D_)], attention(keep_mask=bc_keep),
         dict(att_params, mask_kind="keep", slots=3, tokens_per_slot=4), mask=bc_keep.to(DT))

am = torch.rand(T_, T_, dtype=DT) * 4 - 2
neg = torch.rand(T_, T_) < 0.15
for r in range(T_):
    if neg[r].all():
        neg[r, r] = False
neg[0, 1] = True
neg[5, 0] = True
am = am.masked_fill(neg, -1e9)
add_case("attention_additive", "attention", [randn(B_, T_, 3 * D_)], attention(mask_add=am),
         dict(att_params, mask_kind="additive"), mask=am)


# ---------------------------------------------------------------- conv2d
def conv(stride, pad):
    return lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=pad)


for name, xs, ws, s, p in [
    ("conv3x3", (2, 3, 7, 7), (4, 3, 3, 3), 1, 1),
    ("conv2x2_s2", (2, 3, 7, 7), (4, 3, 2, 2), 2, 0),
    ("conv1x1", (2, 6, 5, 5), (1, 6, 1, 1), 1, 0),
    ("conv_patch", (2, 1, 8, 8), (5, 1, 4, 4), 4, 0),
    ("conv3x3_s2_p1", (1, 2, 6, 5), (3, 2, 3, 3), 2, 1),
]:
    add_case(name, "conv2d", [randn(*xs), randn(*ws), randn(ws[0])], conv(s, p),
             {"stride": s, "padding": p})


# ---------------------------------------------------------------- pixel shuffle (mvg order)
def pixel_shuffle_mvg(p, C):
    def f(x):
        N, gh, gw, _ = x.shape
        # x[n,h,w,(dy*p+dx)*C+c] -> out[n,c,h*p+dy,w*p+dx]
        return x.reshape(N, gh, gw, p, p, C).permute(0, 5, 1, 3, 2, 4).reshape(N, C, gh * p, gw * p)
    return f


add_case("pixel_shuffle", "pixel_shuffle", [randn(2, 2, 3, 2 * 2 * 3)], pixel_shuffle_mvg(2, 3),
         {"p": 2, "C": 3, "order": "out[n,c,h*p+dy,w*p+dx] = x[n,h,w,(dy*p+dx)*C+c]"})


# ---------------------------------------------------------------- channel layer norm
def channel_ln(x, w, b):
    return F.layer_norm(x.permute(0, 2, 3, 1), (x.shape[1],), w, b, eps=1e-6).permute(0, 3, 1, 2)


add_case("channel_layer_norm", "channel_layer_norm", [randn(2, 6, 5, 5), 1 + 0.1 * randn(6), randn(6)],
         channel_ln, {"eps": 1e-6, "axis": 1})

# ---------------------------------------------------------------- losses
pred = randn(2, 3, 4, 4)
half = torch.zeros(pred.numel(), dtype=torch.bool)
half[torch.randperm(pred.numel())[: pred.numel() // 2]] = True
half = half.reshape(pred.shape)
target = torch.where(half, pred + 0.02 * randn(*pred.shape), pred + randn(*pred.shape))
wts = torch.where(torch.rand(pred.shape) < 0.5, torch.tensor(0.1, dtype=DT), torch.tensor(1.0, dtype=DT))


def sl1(beta):
    return lambda p, t: F.smooth_l1_loss(p, t, beta=beta, reduction="none")


def l1(p, t):
    return (p - t).abs()


def l2(p, t):
    return (p - t) ** 2


def weighted(elem):
    return lambda p, t, w: (w * elem(p, t)).sum() / w.sum()


def plain(elem):
    return lambda p, t: elem(p, t).mean()


add_case("smooth_l1_b001", "smooth_l1", [pred, target], plain(sl1(0.01)),
         {"beta": 0.01, "reduction": "mean"})
add_case("smooth_l1_b1", "smooth_l1", [pred, target], plain(sl1(1.0)), {"beta": 1.0, "reduction": "mean"})
add_case("l1", "l1", [pred, target], plain(l1), {"reduction": "mean"})
add_case("l2", "l2", [pred, target], plain(l2), {"reduction": "mean"})
add_case("smooth_l1_weighted", "smooth_l1", [pred, target, wts], weighted(sl1(0.01)),
         {"beta": 0.01, "reduction": "weighted_mean"}, grad_inputs=[0, 1])
add_case("l1_weighted", "l1", [pred, target, wts], weighted(l1), {"reduction": "weighted_mean"},
         grad_inputs=[0, 1])
add_case("l2_weighted", "l2", [pred, target, wts], weighted(l2), {"reduction": "weighted_mean"},
         grad_inputs=[0, 1])

# ---------------------------------------------------------------- write + verify
out_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ops.safetensors")
meta = {"cases": json.dumps(cases), "torch_version": torch.__version__, "dtype": "F64"}
save_file(tensors, out_path, meta)

back, md = load_file(out_path)
assert list(back) == list(tensors)
for k, v in tensors.items():
    assert (back[k] == v.numpy()).all(), k
assert json.loads(md["cases"]) == json.loads(json.dumps(cases))
print("wrote %s: %d cases, %d tensors, %d bytes" % (out_path, len(cases), len(tensors),
                                                  os.path.getsize(out_path)))
