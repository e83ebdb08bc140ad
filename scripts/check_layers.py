#!/usr/bin/env python3
"""The include order of include/mvg, checked: every #include "mvg/..." between two folders must go
down the layer order below, and docs/design.md's layer diagram must be the one these edges draw.
Also: device_access (the way from a GPU backend's device_ptr to a raw address, backend/device_ptr.hpp)
appears in include/mvg/backend/ only, so that no op, layer, test or program can dereference device
memory from the host.

  scripts/check_layers.py           check (the test command runs this); exit 1 on a violation
  scripts/check_layers.py --write   rewrite the diagram in docs/design.md from the edges
  scripts/check_layers.py --self-test   show that an upward include and a stale diagram are caught

A folder is a layer; data/ is split into its rooms, which are layers of their own. Headers directly
in include/mvg (mvg.hpp, ops.hpp) are umbrellas and may include anything.
"""
import pathlib
import re
import sys

# Bottom up. A header may include its own layer and the layers before it, never one after it.
LAYERS = [
    "core",            # errors, shapes, random numbers: no dependencies
    "backend",         # memory, kernels and products per device (cpu, cuda)
    "tensor",          # the n-d array over a backend
    "autograd",        # the tape
    "ops",             # differentiable operations
    "nn",              # layers and the model
    "optim",           # AdamW, schedules
    "io",              # safetensors, checkpoints, atomic files
    "data/prep",       # slices, geometry, intensity, labels, augmentation
    "data/formats",    # NIfTI, DICOM, inv3, PNG/JPEG, byte-level file access
    "data/simulate",   # CT physics, noise models, inpainting holes
    "data/benchmark",  # the manifest, the scans and the benchmark's tasks
    "data",            # prompt rules over the benchmark
    "objectives",      # samples, coloring, the AR/MIM/pretraining objectives, the sampler
    "eval",            # metrics and benchmark scoring
    "viz",             # pictures
]
BEGIN, END = "<!-- layers:begin (scripts/check_layers.py --write) -->", "<!-- layers:end -->"
INCLUDE = re.compile(r'^\s*#\s*include\s+"mvg/([^"]+)"', re.M)


def layer_of(rel: str):
    """Layer of a path relative to include/mvg ('data/prep/geometry.hpp' -> 'data/prep'); None for umbrellas."""
    parts = rel.split("/")
    if len(parts) == 1:
        return None
    if parts[0] == "data" and len(parts) > 2:
        return "data/" + parts[1]
    return parts[0]


def edges(root: pathlib.Path):
    """{(from_layer, to_layer): [example 'file -> include', ...]} over every header."""
    found = {}
    for path in sorted((root / "include/mvg").rglob("*.hpp")):
        rel = path.relative_to(root / "include/mvg").as_posix()
        src = layer_of(rel)
        if src is None:
            continue
        for inc in INCLUDE.findall(path.read_text(encoding="utf-8")):
            dst = layer_of(inc)
            if dst is None:
                sys.exit(f"{rel}: includes the umbrella header mvg/{inc}; include what it uses instead")
            if dst != src:
                found.setdefault((src, dst), []).append(f"{rel} -> mvg/{inc}")
    return found


def diagram(found) -> str:
    width = max(len(l) for l in LAYERS)
    lines = ["```", "layer (bottom up)  includes"]
    for layer in LAYERS:
        deps = sorted({d for (s, d) in found if s == layer}, key=LAYERS.index)
        lines.append(f"{layer:<{width}}     {', '.join(deps) if deps else '-'}")
    lines.append("```")
    return "\n".join(lines)


RAW_ACCESS = re.compile(r"\bdevice_access\b")


def raw_device_access(root: pathlib.Path):
    """Files outside include/mvg/backend that name device_access, as messages."""
    bad = []
    for folder in ("include", "tests", "examples", "bench"):
        for path in sorted((root / folder).rglob("*")):
            if path.suffix not in (".hpp", ".cpp", ".cu", ".h") or not path.is_file():
                continue
            rel = path.relative_to(root).as_posix()
            if rel.startswith("include/mvg/backend/"):
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                if RAW_ACCESS.search(line):
                    bad.append(f"{rel}:{n}: device_access outside include/mvg/backend/ (host code must not reach "
                               "device memory; use to_host/from_host or B::upload/download)")
    return bad


def check(root: pathlib.Path, write: bool, quiet: bool = False):
    """The violations under root (a repository layout), as messages."""
    found = edges(root)
    bad = raw_device_access(root)
    for (src, dst), where in sorted(found.items()):
        for l in (src, dst):
            if l not in LAYERS:
                bad.append(f"folder '{l}' is not in the layer list of scripts/check_layers.py ({where[0]})")
        if src in LAYERS and dst in LAYERS and LAYERS.index(dst) > LAYERS.index(src):
            bad += [f"{w}: '{src}' may not include the higher layer '{dst}'" for w in where]
    doc = root / "docs/design.md"
    text = doc.read_text(encoding="utf-8")
    want = diagram(found)
    if BEGIN not in text or END not in text:
        bad.append(f"docs/design.md: no layer diagram between '{BEGIN}' and '{END}'")
    else:
        head, rest = text.split(BEGIN, 1)
        have, tail = rest.split(END, 1)
        if have.strip() != want:
            if write:
                doc.write_text(f"{head}{BEGIN}\n{want}\n{END}{tail}", encoding="utf-8")
                if not quiet:
                    print("docs/design.md: layer diagram rewritten")
            else:
                bad.append("docs/design.md: the layer diagram differs from the include edges "
                           "(scripts/check_layers.py --write redraws it):\n" + want)
    return found, bad


def self_test() -> int:
    """A tree with one upward include (core -> nn) and a stale diagram must fail on both; fixed, pass."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        for rel, body in {"core/a.hpp": '#include "mvg/nn/b.hpp"\n', "nn/b.hpp": '#include "mvg/core/c.hpp"\n',
                          "core/c.hpp": ""}.items():
            (root / "include/mvg" / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / "include/mvg" / rel).write_text(body)
        (root / "docs").mkdir()
        (root / "docs/design.md").write_text(f"{BEGIN}\n{END}\n")
        _, bad = check(root, write=False)
        (root / "tests").mkdir()
        (root / "tests/t.cpp").write_text("auto* p = mvg::device_access::raw(t.data());\n")
        _, bad = check(root, write=False)
        ok = any("'core' may not include the higher layer 'nn'" in b for b in bad) and \
            any("diagram differs" in b for b in bad) and any("tests/t.cpp:1: device_access" in b for b in bad)
        (root / "include/mvg/core/a.hpp").write_text('#include "mvg/core/c.hpp"\n')
        (root / "tests/t.cpp").write_text("auto v = t.to_host();\n")
        check(root, write=True, quiet=True)
        ok = ok and check(root, write=False)[1] == []
    print("check_layers self-test:", "passed" if ok else "FAILED")
    return 0 if ok else 1


def main() -> int:
    if "--self-test" in sys.argv[1:]:
        return self_test()
    found, bad = check(pathlib.Path(__file__).resolve().parent.parent, "--write" in sys.argv[1:])
    for b in bad:
        print(b, file=sys.stderr)
    if not bad:
        print(f"layers: {len(found)} include edges between {len(LAYERS)} layers, all downward; "
              "docs/design.md's diagram matches")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
