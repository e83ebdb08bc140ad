#!/usr/bin/python3
"""Side-by-side comparison of mvg and PyTorch (CPU) on the tiny preset (issue 9, item 2).

Run with Debian's interpreter, which has python3-torch:

    /usr/bin/python3 bench/compare_pytorch.py --threads 2

What it measures, all in one run:
  * mvg: build/bench/bench_model (Google Benchmark), each case in its own process with
    --benchmark_format=json --benchmark_repetitions=3 --benchmark_min_time=1, three times: fp32 through
    Eigen (mvg before oneDNN), fp32 through oneDNN (today's fp32) and bf16 (oneDNN on AMX/AVX512-BF16;
    on a CPU without them it runs fp32 and the table says so); the median of the repetitions is taken,
    and the processes' peak RSS (wait4 rusage) is recorded.
  * the machine's peaks: bench_matmul's oneDNN fp32 sgemm of 2048^2 matrices right before and right
    after each case ("beside"), Eigen's fp32 and the bf16 peak once per run (GFLOP/s, fastest repetition).
  * PyTorch: the same model (the module definition of tests/reference/make_model_reference.py,
    which follows SPEC §2) at the tiny preset's config, torch.set_num_threads(T), in fp32 and under CPU
    autocast bf16 (PyTorch's mixed precision, the split mvg's bf16 follows); each case in its own
    subprocess of this script (so its peak RSS is that case's alone), warmed up, then 3 repetitions of at
    least --min-time seconds each; the median repetition mean is reported. Debian's torch runs fp32 on
    the system BLAS: the script refuses the reference BLAS (an unfair peer) unless told otherwise;
    `scripts/setup.sh bench` installs OpenBLAS.

The cases are exactly those of bench/model.cpp:
  inference (torch.no_grad):  MIM  4 slots [Px,Py,X,Y], full attention, every token of slot 3
                                   replaced by the mask token, only slot 3 decoded;
                              AR   3 slots [Px,Py,X], block-causal attention, only slot 2 decoded.
  training step (zero_grad, forward, smooth-L1 beta 0.01 (mean), backward, AdamW step):
                              MIM  4 slots, full attention, no token mask, every slot decoded;
                              AR   3 slots, block-causal, slots 0 and 2 decoded.
  at batch 1 and 8. Ratio columns are time / time (> 1: the second named is faster).

Useful FLOPs are counted analytically (see flops_forward); a training step counts 3x forward.
"""
import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The tiny preset (SPEC §2, mvg::presets::tiny).
TINY = {"image_size": 64, "patch": 8, "embed_dim": 192, "depth": 8, "heads": 3, "mlp_ratio": 4,
        "decoder_channels": 64}

# (kind, objective, batch) in the order of bench/model.cpp; the Google Benchmark name of each.
CASES = [(kind, obj, b) for kind in ("inference", "train_step") for obj in ("mim", "ar") for b in (1, 8)]


# bench/model.cpp's third argument: the products mvg computes.
MVG_PRODUCTS = [(0, "fp32 Eigen"), (1, "fp32 oneDNN"), (2, "bf16")]


def gbench_name(kind, obj, batch, products):
    return "BM_tiny_%s/%d/%d/%d" % (kind, batch, 1 if obj == "ar" else 0, products)


def case_label(kind, obj, batch):
    return "%s %s b%d" % ("infer" if kind == "inference" else "train", obj.upper(), batch)


def case_shape(kind, obj):
    """(slots, decoded slots, block-causal?, token mask on slot 3?) exactly as bench/model.cpp."""
    slots = 3 if obj == "ar" else 4
    if kind == "inference":
        decode = [2] if obj == "ar" else [3]
        return slots, decode, obj == "ar", obj == "mim"
    decode = [0, 2] if obj == "ar" else [0, 1, 2, 3]
    return slots, decode, obj == "ar", False


# ----------------------------------------------------------------------------------------------
# FLOP model (multiply-add = 2 FLOPs; only the matrix products / convolutions are counted, not
# LayerNorm, GELU, softmax, residual adds or the optimizer).
#   B batch, S slots, G = (image/patch)^2 tokens per slot, T = S*G, D embed dim, L depth,
#   p patch, C decoder channels, Sd decoded slots, HW = image^2 pixels per slot.
#   patch embed   2 * B*S*G * D * p*p                       (Conv2d(1, D, p, stride p))
#   per block     2 * B*T * (3D*D + D*D + 4D*D + 4D*D)       (qkv, proj, fc1, fc2) = 24*B*T*D^2
#                 + 2 * 2 * B * D * pairs                    (q k^T and attn v over all heads;
#                   pairs = T^2 for full attention, G^2 * S(S+1)/2 visible (query, key) pairs
#                   for block-causal: a token of slot s sees the (s+1)*G tokens of slots <= s)
#   decoder embed 2 * B*Sd*G * 4D * p*p*C
#   conv3x3       2 * B*Sd * HW * C*C*9
#   conv1x1       2 * B*Sd * HW * C
#   training step = 3 * forward (backward ~ 2x forward)
# ----------------------------------------------------------------------------------------------
def flops_forward(cfg, batch, slots, decoded, block_causal):
    B, S, D, L, p, C = batch, slots, cfg["embed_dim"], cfg["depth"], cfg["patch"], cfg["decoder_channels"]
    G = (cfg["image_size"] // p) ** 2
    HW = cfg["image_size"] ** 2
    T = S * G
    pairs = G * G * S * (S + 1) // 2 if block_causal else T * T
    f = 2.0 * B * S * G * D * p * p                                   # patch embed
    f += L * (24.0 * B * T * D * D + 4.0 * B * D * pairs)             # blocks
    f += 2.0 * B * decoded * G * 4 * D * p * p * C                    # decoder embed
    f += 2.0 * B * decoded * HW * C * C * 9                           # conv3x3
    f += 2.0 * B * decoded * HW * C                                   # conv1x1
    return f


def case_flops(kind, obj, batch):
    slots, decode, causal, _ = case_shape(kind, obj)
    f = flops_forward(TINY, batch, slots, len(decode), causal)
    return 3.0 * f if kind == "train_step" else f


def decoded_forward(ref, m, cfg, pixels, roles, token_mask, keep, decode):
    """ref.MVG.forward (tests/reference/make_model_reference.py), but decoding only the slots in `decode`,
    like mvg::model::forward with decode_slots: the encoder and the final norm run on every token, the
    decoder only on the decoded slots' tokens. The GPU peer (bench/gpu_peer.py) runs it too."""
    import torch
    import torch.nn.functional as F
    B, slots, n = pixels.shape[0], pixels.shape[1], pixels.shape[2]
    p, D, C = cfg["patch"], cfg["embed_dim"], cfg["decoder_channels"]
    gh = n // p
    G = gh * gh
    x = m.patch_embed.proj(pixels.reshape(B * slots, 1, n, n))
    x = x.flatten(2).transpose(1, 2).reshape(B, slots * G, D)
    if token_mask is not None:
        x = torch.where(token_mask[..., None] > 0.5, m.mask_token.expand(B, slots * G, D), x)
    pos = m.pos_embed.expand(slots, G, D).reshape(1, slots * G, D)
    role = m.role_embed[roles][:, None, :].expand(slots, G, D).reshape(1, slots * G, D)
    x = x + pos + role
    outs = []
    for i, blk in enumerate(m.blocks):
        x = blk(x, keep)
        if i in m.taps:
            outs.append(m.norm(x))
    feats = torch.cat(outs, dim=-1).reshape(B, slots, G, 4 * D)
    if len(decode) != slots:
        feats = feats[:, decode]
    sd = feats.shape[1]
    y = m.decoder.embed(feats)                                            # [B, Sd, G, p*p*C]
    y = ref.pixel_shuffle_mvg(y.reshape(B * sd, gh, gh, p * p * C), p, C)
    y = m.decoder.conv1(y)
    # .float(): LayerNorm in fp32 under autocast (torch 1.13's CPU autocast leaves it to the caller;
    # a no-op in fp32)
    y = m.decoder.norm(y.float().permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
    y = F.gelu(y)
    y = m.decoder.conv2(y)
    return y.reshape(B, sd, n, n)


# ----------------------------------------------------------------------------------------------
# PyTorch side (runs in a subprocess: `--worker KIND OBJ BATCH`)
# ----------------------------------------------------------------------------------------------
def torch_worker(args):
    try:
        import torch
        import torch.nn.functional as F
    except ImportError as e:
        sys.stderr.write("compare_pytorch: cannot import torch (%s); run with Debian's /usr/bin/python3 "
                         "(package python3-torch)\n" % e)
        return 3
    sys.path.insert(0, os.path.join(REPO, "tests", "reference"))
    import make_model_reference as ref

    kind, obj, batch, prec = args.worker[0], args.worker[1], int(args.worker[2]), args.worker[3]
    torch.set_num_threads(args.threads)
    # bf16: CPU autocast (bf16 operands for linear, conv and matmul; LayerNorm, softmax, losses in fp32).
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=prec == "bf16")
    cfg = dict(TINY)
    model = ref.MVG(cfg)
    ref.init_weights(model)
    model = model.float()
    slots, decode, causal, masked = case_shape(kind, obj)
    n, p, D, C = cfg["image_size"], cfg["patch"], cfg["embed_dim"], cfg["decoder_channels"]
    gh = n // p
    G = gh * gh
    roles = torch.arange(slots, dtype=torch.int64)  # == mvg::sequence_roles(1, slots)
    g = torch.Generator().manual_seed(1)
    pixels = torch.rand(batch, slots, n, n, generator=g)
    token_mask = None
    if masked:
        token_mask = torch.zeros(batch, slots * G)
        token_mask[:, 3 * G:4 * G] = 1.0
    keep = None
    if causal:
        slot = torch.arange(slots * G) // G
        keep = slot[None, :] <= slot[:, None]

    def forward(m):
        return decoded_forward(ref, m, cfg, pixels, roles, token_mask, keep, decode)

    if kind == "inference":
        model.eval()

        def step():
            with torch.no_grad(), autocast:
                return forward(model)
    else:
        target = torch.rand(batch, len(decode), n, n, generator=g)
        no_decay_names = {"pos_embed", "role_embed", "mask_token"}
        decay, no_decay = [], []
        for name, prm in model.named_parameters():
            (decay if prm.dim() >= 2 and name not in no_decay_names else no_decay).append(prm)
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05},
                                 {"params": no_decay, "weight_decay": 0.0}],
                                lr=1e-4, betas=(0.9, 0.999), eps=1e-8)

        def step():
            opt.zero_grad()
            with autocast:
                pred = forward(model)
                loss = F.smooth_l1_loss(pred.float(), target, beta=0.01)
            loss.backward()
            opt.step()
            return loss

    # Warm-up (at least one step, up to 3 while under 0.5 s), then repetitions shaped like Google Benchmark's: each runs >= min_time seconds,
    # its time is the mean per iteration; the median over repetitions is reported.
    t0 = time.perf_counter()
    warm = 0
    while warm < 1 or (time.perf_counter() - t0 < 0.5 and warm < 3):
        step()
        warm += 1
    reps = []
    for _ in range(args.repetitions):
        iters, start = 0, time.perf_counter()
        while True:
            step()
            iters += 1
            el = time.perf_counter() - start
            if el >= args.min_time:
                break
        reps.append(el / iters)
    print(json.dumps({"reps_s": reps, "median_s": median(reps), "torch": torch.__version__,
                      "threads": torch.get_num_threads(), "blas": torch_blas()}))
    return 0


def torch_blas():
    """The BLAS Debian's torch runs its fp32 products on: the libblas.so.3 alternative it links."""
    link = "/etc/alternatives/libblas.so.3-x86_64-linux-gnu"
    try:
        target = os.path.realpath(link)
    except OSError:
        return "unknown"
    if "openblas" in target:
        return "OpenBLAS (%s)" % target
    if "mkl" in target:
        return "MKL (%s)" % target
    if "blis" in target:
        return "BLIS (%s)" % target
    return "reference BLAS (%s)" % target if os.path.exists(link) else "bundled"


def median(xs):
    s = sorted(xs)
    k = len(s)
    return s[k // 2] if k % 2 else 0.5 * (s[k // 2 - 1] + s[k // 2])


# ----------------------------------------------------------------------------------------------
# Driver
# ----------------------------------------------------------------------------------------------
class Failure(Exception):
    pass


def run_measured(cmd, env, what):
    """Runs cmd to completion; returns (stdout, stderr, peak RSS in MiB) of that process alone."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=REPO)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        so, se = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if proc.returncode != 0:
        raise Failure("%s failed (exit %d): %s\n%s" % (what, proc.returncode, " ".join(cmd), se[-2000:]))
    return so, se, usage.ru_maxrss / 1024.0  # Linux: kilobytes


def gbench_median(stdout, name, what):
    try:
        data = json.loads(stdout)
    except ValueError as e:
        raise Failure("%s: cannot parse Google Benchmark JSON (%s)" % (what, e))
    rows = [b for b in data.get("benchmarks", []) if b.get("run_name", b.get("name")) == name]
    med = [b for b in rows if b.get("aggregate_name") == "median"]
    if not med:  # a single repetition has no aggregates
        med = [b for b in rows if b.get("run_type", "iteration") == "iteration"]
    if not med:
        raise Failure("%s: no result for %s in the benchmark output" % (what, name))
    return med[0], data.get("context", {})


def to_seconds(row):
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[row.get("time_unit", "ns")]
    return row["real_time"] * scale


def ensure_build(build_dir, rebuild):
    targets = ["bench_model", "bench_matmul"]
    paths = {t: os.path.join(build_dir, "bench", t) for t in targets}
    missing = [t for t, pth in paths.items() if not os.access(pth, os.X_OK)]
    if missing or rebuild:
        if shutil.which("cmake") is None:
            raise Failure("missing %s and no cmake on PATH to build it" % ", ".join(missing or targets))
        sys.stderr.write("building %s in %s ...\n" % (" ".join(targets), build_dir))
        for cmd in (["cmake", "-S", REPO, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release"],
                    ["cmake", "--build", build_dir, "-j2", "--target"] + targets):
            r = subprocess.run(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            if r.returncode != 0:
                raise Failure("build failed: %s\n%s" % (" ".join(cmd), r.stdout.decode(errors="replace")[-3000:]))
        missing = [t for t, pth in paths.items() if not os.access(pth, os.X_OK)]
        if missing:
            raise Failure("build finished but %s is still missing under %s/bench" % (", ".join(missing), build_dir))
    return paths


def fmt_ms(s):
    if s != s:  # NaN: not measured
        return "—"
    return "%.2f ms" % (s * 1e3) if s < 1 else "%.3f s" % s


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode()
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def write_atomic(path, text):
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".compare_pytorch.", suffix=".tmp", dir=d)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main_driver(args):
    # torch must be importable by this interpreter (the workers use it); fail early and clearly.
    r = subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__)"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise Failure("torch is not importable by %s; run this script with Debian's /usr/bin/python3 "
                      "(apt package python3-torch)" % sys.executable)
    torch_version = r.stdout.decode().strip()

    build_dir = os.path.abspath(args.build_dir)
    bins = ensure_build(build_dir, args.rebuild)
    env = dict(os.environ)
    for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[k] = str(args.threads)
    gb_flags = ["--benchmark_format=json", "--benchmark_repetitions=%d" % args.repetitions,
                "--benchmark_min_time=%g" % args.min_time]

    # Machine sgemm peak (plain Eigen product of 2048^2 matrices), same thread count, the fastest
    # repetition of a run. It is measured right before and right after each mvg case, and the case's
    # "% of peak" uses the higher of the two: on a shared machine the neighbours' load moves both the
    # case and the peak, so the peak beside the case is the fair yardstick. The run's best peak is
    # reported too, in its own column, as the stricter reading.
    def measure_peak(name="sgemm_peak_onednn_2048"):
        so, _, _ = run_measured([bins["bench_matmul"], "--benchmark_filter=^%s/" % name] + gb_flags, env,
                                "bench_matmul " + name)
        data = json.loads(so)
        reps = [b for b in data.get("benchmarks", []) if name in b.get("name", "")
                and b.get("run_type") != "aggregate" and "GFLOP/s" in b]
        if not reps:
            raise Failure("bench_matmul: no %s GFLOP/s counter in its output" % name)
        return max(b["GFLOP/s"] / 1e9 if b["GFLOP/s"] > 1e6 else b["GFLOP/s"] for b in reps)

    blas = torch_blas()
    if blas.startswith("reference") and not args.allow_reference_blas:
        raise Failure("torch would run on the reference BLAS (%s), not an honest peer: install OpenBLAS "
                      "(scripts/setup.sh bench) or pass --allow-reference-blas" % blas)
    peak_eigen, peak_bf16 = measure_peak("sgemm_peak_square_2048"), measure_peak("bf16_peak_2048")

    peaks = []
    rows = []
    for kind, obj, batch in CASES:
        if args.only and not any(s in case_label(kind, obj, batch) for s in args.only):
            continue
        label = case_label(kind, obj, batch)
        peak_before = measure_peak()
        times, labels, mvg_rss = [], [], 0.0
        for products, _ in MVG_PRODUCTS:
            name = gbench_name(kind, obj, batch, products)
            so, _, rss = run_measured([bins["bench_model"], "--benchmark_filter=^%s$" % name] + gb_flags, env,
                                      "bench_model " + name)
            row, _ = gbench_median(so, name, "bench_model")
            times.append(to_seconds(row))
            labels.append(row.get("label", ""))
            mvg_rss = max(mvg_rss, rss)
        peak_after = measure_peak()
        peak_beside = max(peak_before, peak_after)
        peaks += [peak_before, peak_after]
        pt_times, pt_rss = [], 0.0
        for prec in ("fp32", "bf16") if args.torch_bf16 else ("fp32",):
            so, _, rss = run_measured([sys.executable, os.path.abspath(__file__), "--worker", kind, obj, str(batch),
                                       prec, "--threads", str(args.threads), "--repetitions", str(args.repetitions),
                                       "--min-time", str(args.min_time)], env, "PyTorch worker %s %s" % (label, prec))
            pt_times.append(json.loads(so.strip().splitlines()[-1])["median_s"])
            pt_rss = max(pt_rss, rss)
        if not args.torch_bf16:
            pt_times.append(float("nan"))
        gflops = case_flops(kind, obj, batch) / times[1] / 1e9
        rows.append([label] + times + pt_times + [gflops, peak_beside, mvg_rss, pt_rss, labels[2]])
        sys.stderr.write("%-14s mvg eigen %s onednn %s bf16 %s [%s] | torch fp32 %s bf16 %s | torch fp32 / mvg fp32 "
                         "%.2f\n" % (label, fmt_ms(times[0]), fmt_ms(times[1]), fmt_ms(times[2]), labels[2],
                                     fmt_ms(pt_times[0]), fmt_ms(pt_times[1]), pt_times[0] / times[1]))

    if not rows:
        raise Failure("no case matches --only %s" % args.only)
    peak = max(peaks)

    head = ["case", "mvg fp32 Eigen (before)", "mvg fp32 oneDNN", "mvg bf16", "PyTorch fp32", "PyTorch bf16 autocast",
            "oneDNN / Eigen", "PT fp32 / mvg fp32", "PT fp32 / mvg bf16", "PT bf16 / mvg bf16", "mvg fp32 GFLOP/s",
            "% of fp32 peak beside", "mvg RSS", "PyTorch RSS"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
    bf16_labels = set()
    for label, me, mo, mb, pf, pb, gf, peak_b, mr, pr, bl in rows:
        bf16_labels.add(bl)
        lines.append("| %s | %s | %s | %s | %s | %s | %.2f× | %.2f× | %.2f× | %.2f× | %.1f | %.0f%% | %.0f MiB | "
                     "%.0f MiB |" % (label, fmt_ms(me), fmt_ms(mo), fmt_ms(mb), fmt_ms(pf), fmt_ms(pb), me / mo,
                                     pf / mo, pf / mb, pb / mb, gf, 100.0 * gf / peak_b, mr, pr))
    try:
        commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL).stdout.decode().strip()
    except OSError:
        commit = "?"
    info = ("threads %d; mvg bf16 cases ran as: %s; fp32 peak: bench_matmul sgemm_peak_onednn_2048, fastest "
            "repetition, measured right before and after each mvg case (the higher of the two is 'beside'; the run's "
            "best %.1f GFLOP/s, its lowest %.1f); Eigen's fp32 peak %.1f GFLOP/s, bf16 peak %.1f GFLOP/s "
            "(bench_matmul bf16_peak_2048); medians of %d repetitions of >= %gs; %s; torch %s on %s; mvg binaries %s "
            "(repo HEAD %s); %s" % (
                args.threads, ", ".join(sorted(bf16_labels)), peak, min(peaks), peak_eigen, peak_bf16,
                args.repetitions, args.min_time, cpu_model(), torch_version, blas, build_dir, commit,
                time.strftime("%Y-%m-%d %H:%M:%S %Z")))
    table = "\n".join(lines) + "\n\n" + info + "\n"
    print(table, end="")
    if args.out:
        write_atomic(args.out, table)
    return 0


def main():
    ap = argparse.ArgumentParser(
        description="Time mvg (build/bench/bench_model) against the same model in PyTorch CPU: tiny preset, "
                    "inference and a full training step, MIM and AR, batch 1 and 8; prints a markdown table "
                    "(time, ratio, mvg GFLOP/s, percent of sgemm peak, peak RSS) and writes it to --out. "
                    "Run with /usr/bin/python3 (Debian's python3-torch).")
    ap.add_argument("--threads", type=int, default=2, help="threads on both sides: torch.set_num_threads and "
                    "OMP_NUM_THREADS for mvg (default 2)")
    ap.add_argument("--out", default=os.path.join(REPO, "bench", "compare_pytorch.md"),
                    help="markdown file for the table, written atomically (default bench/compare_pytorch.md; "
                         "'' to skip)")
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build"),
                    help="CMake build directory holding bench/bench_model and bench/bench_matmul (default build/); "
                         "configured and built there if they are missing")
    ap.add_argument("--rebuild", action="store_true", help="run cmake --build for the two targets even if present")
    ap.add_argument("--repetitions", type=int, default=3, help="repetitions per case on both sides (default 3)")
    ap.add_argument("--min-time", type=float, default=1.0, help="minimum seconds per repetition (default 1)")
    ap.add_argument("--only", action="append", help="run only cases whose label contains this text "
                    "(e.g. 'train', 'AR b8'); repeatable")
    ap.add_argument("--no-torch-bf16", dest="torch_bf16", action="store_false",
                    help="skip PyTorch's autocast bf16 cases (on a CPU without bf16 they are emulated and take "
                         "minutes)")
    ap.add_argument("--allow-reference-blas", action="store_true",
                    help="run even if torch's fp32 products would use the reference BLAS (not an honest peer)")
    ap.add_argument("--worker", nargs=4, metavar=("KIND", "OBJ", "BATCH", "PRECISION"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.threads < 1 or args.repetitions < 1 or args.min_time <= 0:
        ap.error("--threads and --repetitions must be >= 1 and --min-time > 0")
    if args.worker:
        return torch_worker(args)
    try:
        return main_driver(args)
    except Failure as e:
        sys.stderr.write("compare_pytorch: error: %s\n" % e)
        return 2


if __name__ == "__main__":
    sys.exit(main())
