#!/usr/bin/env python3
"""PyTorch on a GPU, on bench_model_cuda's cases: the peer of scripts/gpu/measure.sh (issue 26).

    python3 bench/gpu_peer.py --presets tiny,base --modes fp32,bf16sdpa --batches 1,8

The model is the one the CPU comparison uses (tests/reference/make_model_reference.py, SPEC §2, with
bench/compare_pytorch.py's decoded_forward: encoder on every token, decoder on the decoded slots), at
the tiny or base preset, on `cuda`. Cases are bench/model.cpp's: inference (no grad) MIM (4 slots,
full attention, slot 3 all mask tokens, slot 3 decoded) and AR (3 slots, block-causal, slot 2
decoded); a training step (zero_grad, forward, smooth-L1 beta 0.01, backward, AdamW lr 1e-4, decay on
weights only) MIM (4 slots, all decoded) and AR (3 slots, slots 0 and 2 decoded).
Modes: fp32 (TF32 off: what mvg's fp32 computes), tf32 (TF32 matmuls and convolutions allowed),
bf16 (autocast), bf16sdpa (autocast + F.scaled_dot_product_attention: the fastest eager PyTorch a user
would write). Timing: CUDA events around each step after warm-up; the median of --reps steps.
One JSON line per case on stdout: preset, kind, obj, batch, mode, ms, mem_mb (peak allocated), or error.
"""
import argparse
import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "reference"))

PRESETS = {  # mvg::presets (include/mvg/nn/config.hpp)
    "tiny": {"image_size": 64, "patch": 8, "embed_dim": 192, "depth": 8, "heads": 3, "mlp_ratio": 4,
             "decoder_channels": 64},
    "base": {"image_size": 224, "patch": 16, "embed_dim": 768, "depth": 12, "heads": 12, "mlp_ratio": 4,
             "decoder_channels": 128},
}


def sdpa_forward(self, x, keep=None):
    """make_model_reference.Attention.forward through F.scaled_dot_product_attention (bool mask: True
    attends, as `keep`)."""
    import torch.nn.functional as F
    B, T, D = x.shape
    H = self.heads
    q, k, v = self.qkv(x).reshape(B, T, 3, H, D // H).permute(2, 0, 3, 1, 4)
    a = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
    return self.proj(a.transpose(1, 2).reshape(B, T, D))


def run_case(dev, preset, kind, obj, batch, mode, reps, warm):
    import torch
    import torch.nn.functional as F
    import make_model_reference as ref
    from compare_pytorch import case_shape, decoded_forward

    import time
    torch.backends.cuda.matmul.allow_tf32 = mode != "fp32"
    torch.backends.cudnn.allow_tf32 = mode != "fp32"
    ref.Attention.forward = sdpa_forward if mode == "bf16sdpa" else ATTENTION_WRITTEN_OUT
    cfg = dict(PRESETS[preset])
    model = ref.MVG(cfg)
    ref.init_weights(model)
    model = model.float().to(dev)
    slots, decode, causal, masked = case_shape(kind, obj)
    n, G = cfg["image_size"], (cfg["image_size"] // cfg["patch"]) ** 2
    roles = torch.arange(slots, dtype=torch.int64, device=dev)
    g = torch.Generator(device=dev).manual_seed(1)
    pixels = torch.rand(batch, slots, n, n, generator=g, device=dev)
    token_mask = None
    if masked:
        token_mask = torch.zeros(batch, slots * G, device=dev)
        token_mask[:, 3 * G:4 * G] = 1.0
    keep = None
    if causal:
        slot = torch.arange(slots * G, device=dev) // G
        keep = slot[None, :] <= slot[:, None]
    autocast = torch.autocast(dev, dtype=torch.bfloat16, enabled=mode.startswith("bf16"))
    gpu = dev == "cuda"

    def forward():
        return decoded_forward(ref, model, cfg, pixels, roles, token_mask, keep, decode)

    if kind == "inference":
        model.eval()

        def step():
            with torch.no_grad(), autocast:
                return forward()
    else:
        target = torch.rand(batch, len(decode), n, n, generator=g, device=dev)
        no_decay_names = {"pos_embed", "role_embed", "mask_token"}
        decay, no_decay = [], []
        for name, prm in model.named_parameters():
            (decay if prm.dim() >= 2 and name not in no_decay_names else no_decay).append(prm)
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
                                lr=1e-4, betas=(0.9, 0.999), eps=1e-8)

        def step():
            opt.zero_grad(set_to_none=False)
            with autocast:
                pred = forward()
            loss = F.smooth_l1_loss(pred.float(), target, beta=0.01)
            loss.backward()
            opt.step()
            return loss

    for _ in range(warm):
        step()
    if gpu:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(reps):
        if gpu:
            e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            e0.record()
            step()
            e1.record()
            torch.cuda.synchronize()
            times.append(e0.elapsed_time(e1))
        else:  # --device cpu: only to try the script where there is no GPU
            t0 = time.perf_counter()
            step()
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), torch.cuda.max_memory_allocated() / 2**20 if gpu else 0.0


ATTENTION_WRITTEN_OUT = None


def main():
    global ATTENTION_WRITTEN_OUT
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cuda", help="cuda; cpu only to try the script without a GPU")
    ap.add_argument("--presets", default="tiny,base")
    ap.add_argument("--modes", default="fp32,bf16sdpa")
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--warm", type=int, default=3)
    a = ap.parse_args()
    try:
        import torch
        import make_model_reference as ref
    except ImportError as e:
        sys.exit("gpu_peer: cannot import torch or the reference model (%s)" % e)
    if a.device == "cuda" and not torch.cuda.is_available():
        sys.exit("gpu_peer: torch sees no CUDA device")
    ATTENTION_WRITTEN_OUT = ref.Attention.forward
    for preset in a.presets.split(","):
        if preset not in PRESETS:
            sys.exit("gpu_peer: unknown preset '%s' (known: %s)" % (preset, ", ".join(PRESETS)))
        for mode in a.modes.split(","):
            for kind in ("inference", "train_step"):
                for obj in ("mim", "ar"):
                    for b in map(int, a.batches.split(",")):
                        row = {"preset": preset, "kind": kind, "obj": obj, "batch": b, "mode": mode, "device": a.device}
                        try:
                            ms, mem = run_case(a.device, preset, kind, obj, b, mode, a.reps, a.warm)
                            row.update(ms=round(ms, 3), mem_mb=round(mem, 1))
                        except Exception as e:  # noqa: BLE001 - one failed case is reported, the rest run
                            row["error"] = str(e)[:300]
                        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
