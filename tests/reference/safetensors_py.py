"""Minimal safetensors writer/reader (the `safetensors` package is not available here).

File layout (https://github.com/huggingface/safetensors):
  8 bytes   little-endian uint64 N = header length
  N bytes   UTF-8 JSON: {"name": {"dtype": "F32"|"F64"|"I64", "shape": [...],
                                  "data_offsets": [begin, end]}, ...,
                         "__metadata__": {str: str}}
            padded with spaces so that 8 + N is a multiple of 8
  data      raw little-endian tensor bytes, tensors contiguous in the order listed
            (offsets are relative to the start of the data section)

Usage:
  save_file({"a": np_array_or_torch_tensor, ...}, path, metadata={"k": "v"})
  tensors, metadata = load_file(path)      # dict name -> numpy array (insertion order kept)

Run `/usr/bin/python3 tests/reference/safetensors_py.py` for a self-check.
"""
import json
import struct
from collections import OrderedDict

import numpy as np

_DTYPES = {
    "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"),
    "I64": np.dtype("<i8"),
}
_NP_TO_ST = {np.dtype("float32"): "F32", np.dtype("float64"): "F64", np.dtype("int64"): "I64"}


def _to_numpy(t):
    try:  # torch tensor without importing torch at module level
        import torch  # noqa: F401
        if hasattr(t, "detach"):
            t = t.detach().cpu().numpy()
    except ImportError:
        pass
    a = np.asarray(t)
    if a.dtype not in _NP_TO_ST:
        raise TypeError("unsupported dtype %s (use float32, float64 or int64)" % a.dtype)
    return a


def save_file(tensors, path, metadata=None):
    """Write an ordered mapping name -> array to `path`."""
    header = OrderedDict()
    blobs = []
    offset = 0
    for name, t in tensors.items():
        if name == "__metadata__":
            raise ValueError("reserved name")
        a = _to_numpy(t)
        st = _NP_TO_ST[a.dtype]
        raw = np.ascontiguousarray(a, dtype=_DTYPES[st]).tobytes(order="C")
        header[name] = {"dtype": st, "shape": [int(s) for s in a.shape],
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        md = OrderedDict()
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError("metadata must map str to str")
            md[k] = v
        header["__metadata__"] = md
    hbytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    pad = (-(8 + len(hbytes))) % 8
    hbytes += b" " * pad
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for b in blobs:
            f.write(b)


def load_file(path):
    """Return (OrderedDict name -> numpy array, metadata dict)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"), object_pairs_hook=OrderedDict)
    metadata = header.pop("__metadata__", {}) or {}
    base = 8 + n
    out = OrderedDict()
    expected = 0
    for name, info in header.items():
        dt = _DTYPES[info["dtype"]]
        b, e = info["data_offsets"]
        shape = tuple(info["shape"])
        count = int(np.prod(shape)) if shape else 1
        if e - b != count * dt.itemsize:
            raise ValueError("bad byte size for %s" % name)
        if b != expected:
            raise ValueError("tensors not contiguous at %s" % name)
        expected = e
        out[name] = np.frombuffer(data, dtype=dt, count=count, offset=base + b).reshape(shape).copy()
    if base + expected != len(data):
        raise ValueError("trailing bytes / size mismatch")
    return out, metadata


def _self_check():
    import os
    import tempfile
    rng = np.random.default_rng(0)
    t = OrderedDict()
    t["a"] = rng.standard_normal((2, 3)).astype(np.float64)
    t["b.scalar"] = np.array(3.5, dtype=np.float32)
    t["c"] = np.arange(5, dtype=np.int64)
    t["d.empty"] = np.zeros((0, 4), dtype=np.float32)
    t["e"] = rng.standard_normal((3, 1, 2)).astype(np.float32)
    md = {"hello": "world", "json": json.dumps({"x": [1, 2]})}
    fd, p = tempfile.mkstemp(suffix=".safetensors")
    os.close(fd)
    try:
        save_file(t, p, md)
        with open(p, "rb") as f:
            raw = f.read()
        (n,) = struct.unpack("<Q", raw[:8])
        assert (8 + n) % 8 == 0
        back, md2 = load_file(p)
        assert list(back) == list(t), (list(back), list(t))
        for k in t:
            assert back[k].dtype == t[k].dtype and back[k].shape == t[k].shape, k
            assert np.array_equal(back[k], t[k]), k
        assert md2 == md
    finally:
        os.remove(p)
    print("safetensors_py self-check OK")


if __name__ == "__main__":
    _self_check()
