#!/usr/bin/python3
"""Reference values for tests/eval: MAE, PSNR, SSIM (scikit-image) and set-level mIoU/Dice (numpy).

Run with Debian's interpreter, which has python3-skimage and python3-numpy:
    /usr/bin/python3 tests/reference/make_metrics_reference.py
It writes tests/reference/metrics_reference.json (committed): the small input arrays, generated here
from fixed seeds, and the expected values. The C++ tests (tests/eval/metrics_test.cpp) read the arrays
from the JSON, so they never depend on this script's random generator.
"""
import json
import os

import numpy as np
import skimage
from skimage.metrics import peak_signal_noise_ratio, structural_similarity


def smooth_image(rng, h, w):
    """A blurred random field in [0, 1]: structure at several scales, like a slice."""
    x = rng.random((h, w))
    k = np.array([1, 4, 6, 4, 1], dtype=np.float64) / 16
    for _ in range(3):
        x = np.apply_along_axis(lambda r: np.convolve(np.pad(r, 2, mode="reflect"), k, "valid"), 1, x)
        x = np.apply_along_axis(lambda c: np.convolve(np.pad(c, 2, mode="reflect"), k, "valid"), 0, x)
    x = (x - x.min()) / (x.max() - x.min())
    return x


def image_pairs(rng):
    pairs = []
    for h, w, noise in [(32, 32, 0.05), (24, 40, 0.15), (11, 17, 0.02), (48, 33, 0.3)]:
        a = smooth_image(rng, h, w)
        b = np.clip(a + noise * rng.standard_normal((h, w)), 0, 1)
        pairs.append((a, b))
    a = smooth_image(rng, 20, 20)
    pairs.append((a, 1 - a))  # anti-correlated: SSIM near or below 0
    return pairs


def seg_set(rng, n_classes, n_slices, h, w, flip):
    truths, preds = [], []
    for _ in range(n_slices):
        t = rng.integers(0, n_classes, size=(h, w))
        p = t.copy()
        m = rng.random((h, w)) < flip
        p[m] = rng.integers(0, n_classes, size=m.sum())
        truths.append(t)
        preds.append(p)
    return truths, preds


def set_scores(truths, preds, n_classes):
    t = np.concatenate([x.ravel() for x in truths])
    p = np.concatenate([x.ravel() for x in preds])
    cm = np.bincount(t * n_classes + p, minlength=n_classes * n_classes).reshape(n_classes, n_classes)
    tp = np.diag(cm).astype(np.float64)
    fp = cm.sum(0) - tp
    fn = cm.sum(1) - tp
    present = [c for c in range(1, n_classes) if cm[c, :].sum() + cm[:, c].sum() > 0]
    iou = [tp[c] / (tp[c] + fp[c] + fn[c]) for c in present]
    dice = [2 * tp[c] / (2 * tp[c] + fp[c] + fn[c]) for c in present]
    return float(np.mean(iou)), float(np.mean(dice)), present


def main():
    rng = np.random.default_rng(20240517)
    images = []
    for a, b in image_pairs(rng):
        images.append({
            "a": a.tolist(), "b": b.tolist(),
            "mae": float(np.mean(np.abs(a - b))),
            "psnr": float(peak_signal_noise_ratio(a, b, data_range=1)),
            "ssim": float(structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
                                                use_sample_covariance=False, data_range=1)),
        })
    segs = []
    for n_classes, n_slices, h, w, flip in [(2, 3, 16, 16, 0.2), (5, 4, 12, 20, 0.4), (9, 2, 10, 10, 0.6)]:
        truths, preds = seg_set(rng, n_classes, n_slices, h, w, flip)
        if n_classes == 9:  # a class absent from truth and prediction must not count in the mean
            for t, p in zip(truths, preds):
                t[t == 7] = 0
                p[p == 7] = 0
        miou, mdice, present = set_scores(truths, preds, n_classes)
        segs.append({"classes": n_classes, "truth": [t.tolist() for t in truths],
                     "prediction": [p.tolist() for p in preds], "miou": miou, "dice": mdice,
                     "present": present})
    out = {"generator": "tests/reference/make_metrics_reference.py", "skimage": skimage.__version__,
           "numpy": np.__version__, "images": images, "segmentation": segs}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metrics_reference.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
