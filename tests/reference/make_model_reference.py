#!/usr/bin/python3
"""Generate tests/reference/model_small.safetensors: a PyTorch reference of the whole MVG model.

Run with Debian's interpreter (it has torch):  /usr/bin/python3 tests/reference/make_model_reference.py

The model follows /work/shared/SPEC.md §2 "Forward pass, exactly" and "Parameter names".
Config: image_size 16, patch 4, embed_dim 32, depth 4, heads 2, mlp_ratio 4, decoder_channels 8.
Weights are created and stored in float32; the model is run in float64 (a float64 copy of the
float32 weights, which is exact) and every result is rounded to float32 when stored.

Conventions assumed (everything the SPEC fixes is restated so the C++ side can check it):
  * Pixels are fed as they are ([0,1], no normalisation). input.pixels is [B, S, H, W]; slot k of
    batch b is one single-channel H x W image.
  * Roles: slot k of [Px, Py, X, Y] has role id k: 0 = prompt image, 1 = prompt label,
    2 = query image, 3 = query label; role_embed[role] is added to every token of the slot.
  * Patch embedding: Conv2d(1, D, p, stride p) with bias on each slot; tokens row-major inside a
    slot (token j = (j // (W/p), j % (W/p)) patch), slots concatenated in order -> [B, S*G, D].
  * Token mask: input.token_mask [B, S*G] (1.0 = masked). A masked token's patch embedding is
    REPLACED by mask_token (before pos/role are added):
        tok = (masked ? mask_token : patch_embed(patch)) + pos_embed[j] + role_embed[role(k)].
    pos_embed [1, G, D] is shared by every slot (index j = token index inside its slot).
  * Blocks: pre-norm, x += proj(attn(LN1(x))); x += fc2(GELU_erf(fc1(LN2(x)))); LayerNorm eps 1e-6.
    qkv split timm-style: qkv(x).reshape(B, T, 3, heads, d_head).permute(2, 0, 3, 1, 4);
    attn = softmax(q k^T / sqrt(d_head) + mask); out = (attn v).transpose(1, 2).reshape(B, T, D).
  * Attention masks: "full" = no mask; "causal" = block-causal, token in slot s attends to all
    tokens of slots <= s (implemented with masked_fill(-inf) before the softmax).
  * Decoder taps: outputs of blocks depth/4, depth/2, 3*depth/4, depth (1-based; with depth 4
    these are blocks.0, blocks.1, blocks.2, blocks.3 i.e. every block), each passed through the
    final `norm`, concatenated along features in that order (shallow first) -> [B, S*G, 4D].
  * decoder.embed: Linear(4D -> p*p*C). Pixel shuffle (mvg's order, NOT torch.nn.PixelShuffle):
    for slot image with token (h, w), feature index (dy*p + dx)*C + c goes to pixel
    (h*p + dy, w*p + dx), channel c -> a [C, H, W] map per slot.
  * Per slot (batch*slots images, no bleed): conv1 Conv2d(C, C, 3, padding 1) -> LayerNorm over
    channels per pixel (decoder.norm, eps 1e-6) -> GELU (erf) -> conv2 Conv2d(C, 1, 1).
    The output is one channel, no activation: pred [B, S, H, W], every slot decoded.
  * Losses: smooth-L1 = F.smooth_l1_loss(reduction='none', beta=0.01).
    full:   sum(w * l(pred[:,3], target)) / sum(w),  w = input.weight.
    causal: 0.5 * (mean l(pred[:,0], pixels[:,1]) + mean l(pred[:,2], pixels[:,3])).
  * Init: torch.manual_seed(0); Linear/Conv weights, pos_embed, role_embed, mask_token ~
    trunc_normal(std 0.02, truncated at +-2 std); then biases += normal*0.02, LayerNorm weight =
    1 + normal*0.1, LayerNorm bias = normal*0.05 (so nothing is trivially 0 or 1).
  * AdamW: torch.optim.AdamW(lr 1e-3, betas (0.9, 0.999), eps 1e-8), two param groups:
    weight_decay 0.05 for params with ndim >= 2 except pos_embed, role_embed, mask_token;
    weight_decay 0 for the rest (biases, norm weights, those embeddings). 3 steps on the `full`
    loss; zero_grad, forward, backward, step each time. adamw3.losses[i] is the loss computed
    before step i+1 (so adamw3.losses[0] == full.loss).

Stored tensors (all F32 unless noted):
  param.<name>            initial parameters (SPEC names, PyTorch layouts)
  input.pixels [2,4,16,16], input.token_mask [2,64], input.target [2,16,16], input.weight [2,16,16],
  input.roles [4] (I64)
  full.pred [2,4,16,16], full.loss [] , full.grad.<name>
  causal.pred [2,4,16,16], causal.loss [], causal.grad.<name>  (causal.grad.mask_token is all 0)
  <mode>.tokens [2,64,32]      (debug) tokens after embedding (+ mask token, pos, role)
  <mode>.block.<i> [2,64,32]   (debug) output of blocks.<i> (before the final norm)
  <mode>.feats [2,64,128]      (debug) decoder input: concat of norm(tapped block outputs)
  <mode>.dec_embed [2,64,128]  (debug) decoder.embed output, before the pixel shuffle
  adamw3.<name>           parameters after 3 AdamW steps;  adamw3.losses [3]
__metadata__: "mvg.config" (JSON), "mvg.format": "1", "torch_version", "param_names" (JSON list),
  "decoder_taps" (JSON list of 0-based block indices).
"""
import copy
import json
import math
import os
import sys
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_py import save_file, load_file  # noqa: E402

CONFIG = OrderedDict([("image_size", 16), ("patch", 4), ("embed_dim", 32), ("depth", 4),
                      ("heads", 2), ("mlp_ratio", 4), ("decoder_channels", 8)])
LN_EPS = 1e-6


class PatchEmbed(nn.Module):
    def __init__(self, p, D):
        super().__init__()
        self.proj = nn.Conv2d(1, D, p, stride=p, bias=True)


class Attention(nn.Module):
    def __init__(self, D, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(D, 3 * D, bias=True)
        self.proj = nn.Linear(D, D, bias=True)

    def forward(self, x, keep=None):
        B, T, D = x.shape
        H = self.heads
        dh = D // H
        q, k, v = self.qkv(x).reshape(B, T, 3, H, dh).permute(2, 0, 3, 1, 4)
        s = q @ k.transpose(-2, -1) / math.sqrt(dh)
        if keep is not None:
            s = s.masked_fill(~keep, float("-inf"))
        a = torch.softmax(s, dim=-1)
        return self.proj((a @ v).transpose(1, 2).reshape(B, T, D))


class Mlp(nn.Module):
    def __init__(self, D, hidden):
        super().__init__()
        self.fc1 = nn.Linear(D, hidden)
        self.fc2 = nn.Linear(hidden, D)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, D, heads, mlp_ratio):
        super().__init__()
        self.norm1 = nn.LayerNorm(D, eps=LN_EPS)
        self.attn = Attention(D, heads)
        self.norm2 = nn.LayerNorm(D, eps=LN_EPS)
        self.mlp = Mlp(D, mlp_ratio * D)

    def forward(self, x, keep=None):
        x = x + self.attn(self.norm1(x), keep)
        x = x + self.mlp(self.norm2(x))
        return x


class Decoder(nn.Module):
    def __init__(self, D, p, C):
        super().__init__()
        self.embed = nn.Linear(4 * D, p * p * C)
        self.conv1 = nn.Conv2d(C, C, 3, padding=1)
        self.norm = nn.LayerNorm(C, eps=LN_EPS)  # applied over channels per pixel
        self.conv2 = nn.Conv2d(C, 1, 1)


def pixel_shuffle_mvg(x, p, C):
    """x [N, gh, gw, p*p*C] -> [N, C, gh*p, gw*p]; out[n,c,h*p+dy,w*p+dx] = x[n,h,w,(dy*p+dx)*C+c]."""
    N, gh, gw, _ = x.shape
    return x.reshape(N, gh, gw, p, p, C).permute(0, 5, 1, 3, 2, 4).reshape(N, C, gh * p, gw * p)


class MVG(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        D, p, S = cfg["embed_dim"], cfg["patch"], cfg["image_size"]
        self.grid = S // p
        G = self.grid * self.grid
        self.patch_embed = PatchEmbed(p, D)
        self.pos_embed = nn.Parameter(torch.zeros(1, G, D))
        self.role_embed = nn.Parameter(torch.zeros(4, D))
        self.mask_token = nn.Parameter(torch.zeros(1, 1, D))
        self.blocks = nn.ModuleList([Block(D, cfg["heads"], cfg["mlp_ratio"])
                                     for _ in range(cfg["depth"])])
        self.norm = nn.LayerNorm(D, eps=LN_EPS)
        self.decoder = Decoder(D, p, cfg["decoder_channels"])
        d = cfg["depth"]
        self.taps = [d // 4 - 1, d // 2 - 1, 3 * d // 4 - 1, d - 1]  # 0-based block indices

    def forward(self, pixels, roles, token_mask=None, keep=None, debug=None):
        B, S, H, W = pixels.shape
        p, D, C = self.cfg["patch"], self.cfg["embed_dim"], self.cfg["decoder_channels"]
        gh, gw = H // p, W // p
        G = gh * gw
        x = self.patch_embed.proj(pixels.reshape(B * S, 1, H, W))      # [B*S, D, gh, gw]
        x = x.flatten(2).transpose(1, 2).reshape(B, S * G, D)           # slot by slot, row-major
        if token_mask is not None:
            x = torch.where(token_mask[..., None] > 0.5, self.mask_token.expand(B, S * G, D), x)
        pos = self.pos_embed.expand(S, G, D).reshape(1, S * G, D)
        role = self.role_embed[roles][:, None, :].expand(S, G, D).reshape(1, S * G, D)
        x = x + pos + role
        if debug is not None:
            debug["tokens"] = x
        outs = []
        for i, blk in enumerate(self.blocks):
            x = blk(x, keep)
            if debug is not None:
                debug["block.%d" % i] = x
            if i in self.taps:
                outs.append(self.norm(x))
        feats = torch.cat(outs, dim=-1)                                  # [B, S*G, 4D]
        y = self.decoder.embed(feats)                                    # [B, S*G, p*p*C]
        if debug is not None:
            debug["feats"] = feats
            debug["dec_embed"] = y
        y = pixel_shuffle_mvg(y.reshape(B * S, gh, gw, p * p * C), p, C)  # [B*S, C, H, W]
        y = self.decoder.conv1(y)
        y = self.decoder.norm(y.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        y = F.gelu(y)
        y = self.decoder.conv2(y)                                        # [B*S, 1, H, W]
        return y.reshape(B, S, H, W)


def init_weights(model):
    torch.manual_seed(0)
    std = 0.02
    for name, prm in model.named_parameters():
        with torch.no_grad():
            if name.endswith(".weight") and prm.dim() >= 2 or name in ("pos_embed", "role_embed",
                                                                         "mask_token"):
                nn.init.trunc_normal_(prm, mean=0.0, std=std, a=-2 * std, b=2 * std)
    for name, mod in model.named_modules():
        with torch.no_grad():
            if isinstance(mod, nn.LayerNorm):
                mod.weight.copy_(1 + 0.1 * torch.randn_like(mod.weight))
                mod.bias.copy_(0.05 * torch.randn_like(mod.bias))
            elif isinstance(mod, (nn.Linear, nn.Conv2d)) and mod.bias is not None:
                mod.bias.copy_(0.02 * torch.randn_like(mod.bias))


def smooth_l1(a, b):
    return F.smooth_l1_loss(a, b, reduction="none", beta=0.01)


def full_loss(pred, target, weight):
    return (weight * smooth_l1(pred[:, 3], target)).sum() / weight.sum()


def causal_loss(pred, pixels):
    return 0.5 * (smooth_l1(pred[:, 0], pixels[:, 1]).mean() + smooth_l1(pred[:, 2], pixels[:, 3]).mean())


def main():
    cfg = CONFIG
    model32 = MVG(cfg)
    init_weights(model32)
    names = [n for n, _ in model32.named_parameters()]
    init_state = OrderedDict((n, p.detach().clone()) for n, p in model32.named_parameters())

    # inputs
    g = torch.Generator().manual_seed(1234)
    B, S, HW = 2, 4, cfg["image_size"]
    G = (HW // cfg["patch"]) ** 2
    pixels = torch.rand(B, S, HW, HW, generator=g, dtype=torch.float32)
    token_mask = torch.zeros(B, S * G, dtype=torch.float32)
    token_mask[0, 3 * G:4 * G] = 1.0
    sel3 = torch.randperm(G, generator=g)[:8]
    sel1 = torch.randperm(G, generator=g)[:3]
    token_mask[1, 3 * G + sel3] = 1.0
    token_mask[1, 1 * G + sel1] = 1.0
    target = torch.rand(B, HW, HW, generator=g, dtype=torch.float32)
    weight = torch.where(torch.rand(B, HW, HW, generator=g) < 0.5, torch.tensor(0.1), torch.tensor(1.0))
    roles = torch.arange(S, dtype=torch.int64)

    slot = torch.arange(S * G) // G
    keep_causal = slot[None, :] <= slot[:, None]

    px64, tm64, tg64, w64 = pixels.double(), token_mask.double(), target.double(), weight.double()

    out = OrderedDict()
    for n in names:
        out["param." + n] = init_state[n]
    out["input.pixels"] = pixels
    out["input.token_mask"] = token_mask
    out["input.target"] = target
    out["input.weight"] = weight
    out["input.roles"] = roles

    def fresh():
        m = copy.deepcopy(model32).double()
        return m

    # ---- full mode
    m = fresh()
    m.zero_grad(set_to_none=False)
    dbg = OrderedDict()
    pred = m(px64, roles, token_mask=tm64, keep=None, debug=dbg)
    loss = full_loss(pred, tg64, w64)
    loss.backward()
    out["full.pred"] = pred.detach().float()
    out["full.loss"] = loss.detach().float()
    for n, prm in m.named_parameters():
        out["full.grad." + n] = prm.grad.detach().float()
    for k, v in dbg.items():
        out["full." + k] = v.detach().float()
    full_loss_value = loss.item()

    # ---- causal mode
    m = fresh()
    m.zero_grad(set_to_none=False)
    dbg = OrderedDict()
    pred = m(px64, roles, token_mask=None, keep=keep_causal, debug=dbg)
    loss = causal_loss(pred, px64)
    loss.backward()
    out["causal.pred"] = pred.detach().float()
    out["causal.loss"] = loss.detach().float()
    for n, prm in m.named_parameters():
        # mask_token is unused without a token mask: its gradient is exactly zero
        grad = prm.grad if prm.grad is not None else torch.zeros_like(prm)
        out["causal.grad." + n] = grad.detach().float()
    for k, v in dbg.items():
        out["causal." + k] = v.detach().float()

    # ---- AdamW, 3 steps on the full loss
    m = fresh()
    no_decay_names = {"pos_embed", "role_embed", "mask_token"}
    decay, no_decay = [], []
    for n, prm in m.named_parameters():
        (decay if prm.dim() >= 2 and n not in no_decay_names else no_decay).append(prm)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.999), eps=1e-8, foreach=False)
    losses = []
    for _ in range(3):
        opt.zero_grad(set_to_none=False)
        pred = m(px64, roles, token_mask=tm64, keep=None)
        loss = full_loss(pred, tg64, w64)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[0] == full_loss_value
    for n, prm in m.named_parameters():
        out["adamw3." + n] = prm.detach().float()
    out["adamw3.losses"] = torch.tensor(losses, dtype=torch.float32)

    # make everything plain contiguous tensors
    out = OrderedDict((k, v.detach().contiguous()) for k, v in out.items())
    meta = {
        "mvg.config": json.dumps(cfg),
        "mvg.format": "1",
        "torch_version": torch.__version__,
        "param_names": json.dumps(names),
        "decoder_taps": json.dumps(m.taps),
        "weight_decay_params": json.dumps([n for n, p in m.named_parameters()
                                           if p.dim() >= 2 and n not in no_decay_names]),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "model_small.safetensors")
    save_file(out, path, meta)

    back, md = load_file(path)
    assert list(back) == list(out)
    for k, v in out.items():
        assert (back[k] == v.numpy()).all(), k
    assert json.loads(md["mvg.config"]) == cfg and md["mvg.format"] == "1"
    print("wrote %s: %d tensors, %d bytes" % (path, len(out), os.path.getsize(path)))
    print("full.loss %.8f  causal.loss %.8f  adamw3.losses %s" % (
        out["full.loss"].item(), out["causal.loss"].item(), losses))


if __name__ == "__main__":
    main()
