#!/usr/bin/python3
"""Generate tests/reference/model_copy_gate.safetensors, model_refine.safetensors,
model_label_fusion.safetensors and model_fusion_holes.safetensors: the MVG model with the decoder's pixel skip
and, in turn, its copy gate, its refinement stage, its label fusion and label fusion with fusion holes
(include/mvg/nn/conv_decoder.hpp), in PyTorch.

Run with Debian's interpreter (it has torch):  /usr/bin/python3 tests/reference/make_decoder_options_reference.py

The model is make_pixel_skip_reference.py's, with decoder.conv2's output v changed per pixel:
  refine: v + refine_out(gelu(refine(y) + refine_skip(s))), refine a Conv2d(C, 16, 3, padding 1),
          refine_skip a Conv2d(3, 16, 3, padding 1, bias False) on the pixel skip's input s, refine_out a
          Conv2d(16, 1, 3, padding 1); y are the features decoder.conv2 reads (after the norm and GELU).
  copy gate: (1 - g) * v + g * c, g = sigmoid(gate(y)), gate a Conv2d(C, 1, 1), c = s's channel 1 (slot t-2
          of the slot t a decoded slot predicts; zeros before the sequence's start).
  label fusion: decoder.conv1's output also gets fusion(f), fusion a Conv2d(1, C, 3, padding 1, bias False),
          f = label_fusion(s[:, 0], s[:, 2], s[:, 1]) (include/mvg/ops/label_fusion.hpp), written here with
          replicate padding, average pooling and a softmax over the search window's offsets.
  fusion holes: label fusion, plus fusion_holes(f0), fusion_holes a Conv2d(1, C, 3, padding 1, bias False),
          f0 = label_fusion(..., zero_is_missing=True): the query's pixels that are exactly 0 do not count in
          the patch distance (a patch with none scores 0 at every offset). Its inputs have a box of pixels
          set to 0 in every slot, so that the two channels differ.
Init as make_model_reference.init_weights, the gate's weights then times 25 and the refinement's times 5,
and the fusion's (both channels) times 25, so that they move the output (the library starts the gate, refine_out and the
fusion at zero). Inputs and losses are
make_pixel_skip_reference.py's.

Stored tensors (F32) per file: param.<name> (initial parameters), input.pixels / token_mask / target / weight
/ roles, and for mode in full, causal: <mode>.pred [2,4,16,16], <mode>.loss [], <mode>.grad.<name>.
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_model_reference as base  # noqa: E402
import make_pixel_skip_reference as skip_ref  # noqa: E402

REFINE = 16


def label_fusion(q, g, v, radius=3, patch=2, h=0.05, zero_is_missing=False):
    """[N, H, W] each -> [N, H, W]: per pixel, the softmax over offsets d in the (2 radius + 1)^2 window of
    -mean((q patch - g patch at +d)^2) / h^2 weighs v at +d; coordinates clamp (replicate padding). With
    zero_is_missing the mean is over the patch's pixels where q is not 0 (score 0 where there are none)."""
    N, H, W = q.shape
    R, P = radius, patch
    qp = F.pad(q[:, None], (P, P, P, P), mode="replicate")
    gp = F.pad(g[:, None], (R + P,) * 4, mode="replicate")
    vp = F.pad(v[:, None], (R,) * 4, mode="replicate")
    scores, values = [], []
    for dy in range(-R, R + 1):
        for dx in range(-R, R + 1):
            gs = gp[:, :, R + dy:R + dy + H + 2 * P, R + dx:R + dx + W + 2 * P]
            if zero_is_missing:
                keep = (qp != 0).to(q.dtype)
                total = F.avg_pool2d(keep * (qp - gs) ** 2, 2 * P + 1, stride=1)
                counted = F.avg_pool2d(keep, 2 * P + 1, stride=1)
                mean = torch.where(counted > 0, total / counted.clamp_min(1e-12), torch.zeros_like(total))
            else:
                mean = F.avg_pool2d((qp - gs) ** 2, 2 * P + 1, stride=1)
            scores.append(-mean / h ** 2)
            values.append(vp[:, :, R + dy:R + dy + H, R + dx:R + dx + W])
    w = torch.softmax(torch.cat(scores, 1), 1)
    return (w * torch.cat(values, 1)).sum(1)


def punch_boxes(pixels):
    """A box of pixels set to exactly 0 in every slot (an inpainting hole), bigger than a fusion patch."""
    out = pixels.clone()
    out[:, :, 4:11, 5:12] = 0.0
    return out


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


def build(gate, refine, fusion=False, holes=False):
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
    if fusion:
        m.decoder.fusion = nn.Conv2d(1, C, 3, padding=1, bias=False)
    if holes:
        m.decoder.fusion_holes = nn.Conv2d(1, C, 3, padding=1, bias=False)
    base.init_weights(m)
    with torch.no_grad():  # trunc-normal 0.02 would leave both nearly inert: make them matter to the output
        for n, p in m.named_parameters():
            part = n.split(".")[1] if n.startswith("decoder.") else ""
            p.mul_({"gate": 25, "refine": 5, "refine_skip": 5, "refine_out": 5, "fusion": 25,
                     "fusion_holes": 25}.get(part, 1))
    return m


def run(m, pixels, roles, token_mask, keep, causal):
    src = skip_ref.skip_input(pixels, causal)
    if hasattr(m.decoder, "fusion"):
        fused = label_fusion(src[:, 0], src[:, 2], src[:, 1])[:, None]
        if hasattr(m.decoder, "fusion_holes"):
            holes = label_fusion(src[:, 0], src[:, 2], src[:, 1], zero_is_missing=True)[:, None]
            m.decoder.conv1.add_skip = lambda: (m.decoder.skip(src) + m.decoder.fusion(fused) +
                                                m.decoder.fusion_holes(holes))
        else:
            m.decoder.conv1.add_skip = lambda: m.decoder.skip(src) + m.decoder.fusion(fused)
    else:
        m.decoder.conv1.add_skip = lambda: m.decoder.skip(src)
    m.decoder.conv2.skip_input = src
    return m(pixels, roles, token_mask=token_mask, keep=keep)


if __name__ == "__main__":
    skip_ref.write("model_copy_gate.safetensors", lambda: build(gate=True, refine=False), run)
    skip_ref.write("model_refine.safetensors", lambda: build(gate=False, refine=True), run)
    skip_ref.write("model_label_fusion.safetensors", lambda: build(gate=False, refine=False, fusion=True), run)
    skip_ref.write("model_fusion_holes.safetensors", lambda: build(gate=False, refine=False, fusion=True, holes=True),
                   run, punch=punch_boxes)
