#!/usr/bin/python3
"""Generate tests/reference/model_copy_gate.safetensors and model_refine.safetensors: the MVG model with the
decoder's pixel skip and, in turn, its copy gate and its refinement stage (include/mvg/nn/conv_decoder.hpp),
in PyTorch.

Run with Debian's interpreter (it has torch):  /usr/bin/python3 tests/reference/make_decoder_options_reference.py

The model is make_pixel_skip_reference.py's, with decoder.conv2's output v changed per pixel:
  refine: v + refine_out(gelu(refine(y) + refine_skip(s))), refine a Conv2d(C, 16, 3, padding 1),
          refine_skip a Conv2d(3, 16, 3, padding 1, bias False) on the pixel skip's input s, refine_out a
          Conv2d(16, 1, 3, padding 1); y are the features decoder.conv2 reads (after the norm and GELU).
  copy gate: (1 - g) * v + g * c, g = sigmoid(gate(y)), gate a Conv2d(C, 1, 1), c = s's channel 1 (slot t-2
          of the slot t a decoded slot predicts; zeros before the sequence's start).
Init as make_model_reference.init_weights, the gate's weights then times 25 and the refinement's times 5,
so that they move the output (the library starts the gate and refine_out at zero). Inputs and losses are
make_pixel_skip_reference.py's.

Stored tensors (F32) per file: param.<name> (initial parameters), input.pixels / token_mask / target / weight
/ roles, and for mode in full, causal: <mode>.pred [2,4,16,16], <mode>.loss [], <mode>.grad.<name>.
"""
import json
import os
import sys
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_model_reference as base  # noqa: E402
import make_pixel_skip_reference as skip_ref  # noqa: E402
from safetensors_py import save_file, load_file  # noqa: E402

REFINE = 16


class Conv2WithOptions(nn.Conv2d):
    """decoder.conv2, then the refinement and the copy gate where the decoder has them."""

    def forward(self, y):
        d = self.decoder
        v = super().forward(y)
        if hasattr(d, "refine"):
            v = v + d.refine_out(F.gelu(d.refine(y) + d.refine_skip(self.skip_input)))
        if hasattr(d, "gate"):
            g = torch.sigmoid(d.gate(y))
            v = (1 - g) * v + g * self.skip_input[:, 1:2]
        return v


def build(gate, refine):
    m = skip_ref.build()
    C = base.CONFIG["decoder_channels"]
    old = m.decoder.conv2
    m.decoder.conv2 = Conv2WithOptions(C, 1, 1)
    m.decoder.conv2.load_state_dict(old.state_dict())
    object.__setattr__(m.decoder.conv2, "decoder", m.decoder)  # a reference, not a submodule
    if refine:
        m.decoder.refine = nn.Conv2d(C, REFINE, 3, padding=1)
        m.decoder.refine_skip = nn.Conv2d(3, REFINE, 3, padding=1, bias=False)
        m.decoder.refine_out = nn.Conv2d(REFINE, 1, 3, padding=1)
    if gate:
        m.decoder.gate = nn.Conv2d(C, 1, 1)
    base.init_weights(m)
    with torch.no_grad():  # trunc-normal 0.02 would leave both nearly inert: make them matter to the output
        for n, p in m.named_parameters():
            part = n.split(".")[1] if n.startswith("decoder.") else ""
            p.mul_({"gate": 25, "refine": 5, "refine_skip": 5, "refine_out": 5}.get(part, 1))
    return m


def run(m, pixels, roles, token_mask, keep, causal):
    src = skip_ref.skip_input(pixels, causal)
    m.decoder.conv1.add_skip = lambda: m.decoder.skip(src)
    m.decoder.conv2.skip_input = src
    return m(pixels, roles, token_mask=token_mask, keep=keep)


def write(name, gate, refine):
    model32 = build(gate, refine)
    names = [n for n, _ in model32.named_parameters()]
    g = torch.Generator().manual_seed(1234)
    B, S, HW = 2, 4, base.CONFIG["image_size"]
    G = (HW // base.CONFIG["patch"]) ** 2
    pixels = torch.rand(B, S, HW, HW, generator=g, dtype=torch.float32)
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
        m = build(gate, refine).double()
        m.load_state_dict(model32.state_dict())
        causal = mode == "causal"
        pred = run(m, px64, roles, None if causal else token_mask.double(), keep_causal if causal else None, causal)
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


if __name__ == "__main__":
    write("model_copy_gate.safetensors", gate=True, refine=False)
    write("model_refine.safetensors", gate=False, refine=True)
