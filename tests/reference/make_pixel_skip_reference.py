#!/usr/bin/python3
"""Generate tests/reference/model_pixel_skip.safetensors: the MVG model with the decoder's pixel skip
(include/mvg/nn/pixel_skip.hpp), in PyTorch.

Run with Debian's interpreter (it has torch):  /usr/bin/python3 tests/reference/make_pixel_skip_reference.py

The model, config, inputs, init and losses are make_model_reference.py's, plus one parameter:
  decoder.skip.weight [C, 3, 3, 3], a Conv2d(3, C, 3, padding 1, bias False) whose output is added to
  decoder.conv1's, before decoder.norm. Init: trunc_normal(std 0.02), drawn after every other weight.
Its input, per decoded slot k, is three slots' pixels, nearest first: the slots before the slot k
predicts, t = k under full attention (masked image modeling), t = k + 1 under the block-causal mask
(each slot predicts the next); channel c holds slot t-1-c, zeros where t-1-c < 0. Every slot is decoded.

Stored tensors (F32): param.<name> (initial parameters), input.pixels / token_mask / target / weight /
roles, and for mode in full, causal: <mode>.pred [2,4,16,16], <mode>.loss [], <mode>.grad.<name>.
"""
import json
import os
import sys
from collections import OrderedDict

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_model_reference as base  # noqa: E402
from safetensors_py import save_file, load_file  # noqa: E402


def skip_input(pixels, causal):
    """pixels [B, S, H, W] -> [B*S, 3, H, W]: for slot k, slots t-1, t-2, t-3 (t = k+1 if causal else k)."""
    B, S, H, W = pixels.shape
    zero = torch.zeros(B, H, W, dtype=pixels.dtype)
    per_slot = []
    for k in range(S):
        t = k + 1 if causal else k
        per_slot.append(torch.stack([pixels[:, t - 1 - c] if t - 1 - c >= 0 else zero for c in range(3)], 1))
    return torch.stack(per_slot, 1).reshape(B * S, 3, H, W)


class Conv1WithSkip(nn.Conv2d):
    """decoder.conv1, plus the skip's conv of the pixels the model sets before each forward."""

    def forward(self, y):
        return super().forward(y) + self.add_skip()


def build():
    m = base.MVG(base.CONFIG)
    C = base.CONFIG["decoder_channels"]
    old = m.decoder.conv1
    m.decoder.conv1 = Conv1WithSkip(C, C, 3, padding=1)
    m.decoder.conv1.load_state_dict(old.state_dict())
    m.decoder.skip = nn.Conv2d(3, C, 3, padding=1, bias=False)  # registered last: drawn last
    base.init_weights(m)
    return m


def run(m, pixels, roles, token_mask, keep, causal):
    m.decoder.conv1.add_skip = lambda: m.decoder.skip(skip_input(pixels, causal))
    return m(pixels, roles, token_mask=token_mask, keep=keep)


def write(name, build_fn, run_fn, punch=None):
    """Writes tests/reference/<name> for the model build_fn() makes, run_fn(m, pixels, roles, token_mask, keep,
    causal) runs: its initial parameters, this script's inputs (punch(pixels) where given), and both modes'
    predictions, losses and gradients (make_decoder_options_reference.py writes its files through this too)."""
    model32 = build_fn()
    names = [n for n, _ in model32.named_parameters()]
    g = torch.Generator().manual_seed(1234)
    B, S, HW = 2, 4, base.CONFIG["image_size"]
    G = (HW // base.CONFIG["patch"]) ** 2
    pixels = torch.rand(B, S, HW, HW, generator=g, dtype=torch.float32)
    if punch is not None:  # e.g. inpainting holes: pixels set to exactly 0
        pixels = punch(pixels)
    token_mask = torch.zeros(B, S * G, dtype=torch.float32)
    token_mask[0, 3 * G:4 * G] = 1.0
    token_mask[1, 3 * G + torch.randperm(G, generator=g)[:8]] = 1.0
    target = torch.rand(B, HW, HW, generator=g, dtype=torch.float32)
    weight = torch.where(torch.rand(B, HW, HW, generator=g) < 0.5, torch.tensor(0.1), torch.tensor(1.0))
    roles = torch.arange(S, dtype=torch.int64)
    slot = torch.arange(S * G) // G
    keep_causal = slot[None, :] <= slot[:, None]

    out = OrderedDict()
    for n, p in model32.named_parameters():
        out["param." + n] = p.detach().clone()
    out["input.pixels"], out["input.token_mask"] = pixels, token_mask
    out["input.target"], out["input.weight"], out["input.roles"] = target, weight, roles
    px64 = pixels.double()
    for mode in ("full", "causal"):
        m = build_fn().double()
        m.load_state_dict(model32.state_dict())
        causal = mode == "causal"
        pred = run_fn(m, px64, roles, None if causal else token_mask.double(), keep_causal if causal else None, causal)
        loss = base.causal_loss(pred, px64) if causal else base.full_loss(pred, target.double(), weight.double())
        loss.backward()
        out[mode + ".pred"], out[mode + ".loss"] = pred.detach().float(), loss.detach().float()
        for n, p in m.named_parameters():
            out[mode + ".grad." + n] = (p.grad if p.grad is not None else torch.zeros_like(p)).detach().float()

    out = OrderedDict((k, v.detach().contiguous()) for k, v in out.items())
    meta = {"mvg.config": json.dumps(base.CONFIG), "mvg.format": "1", "torch_version": torch.__version__,
            "param_names": json.dumps(names)}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    save_file(out, path, meta)
    back, _ = load_file(path)
    assert list(back) == list(out)
    print("wrote %s: %d tensors; full.loss %.8f causal.loss %.8f" % (
        path, len(out), out["full.loss"].item(), out["causal.loss"].item()))


def main():
    assert [n for n, _ in build().named_parameters()][-1] == "decoder.skip.weight"
    write("model_pixel_skip.safetensors", build, run)


if __name__ == "__main__":
    main()
