"""Seeded fuzz harness for the image intake (and, with ``--http``, the Flask upload API).

Mutant families, each built from small valid seed files made here (no file is shipped):

* ``flip``      — 1–16 random bytes replaced;
* ``truncate``  — the file cut at a random point;
* ``header``    — 4-byte integers in the first 512 bytes set to extreme values;
* ``bomb``      — format-aware: PNG IHDR / BMP / GIF / TIFF dimensions, TIFF IFD chains, DICOM
  Rows/Columns, the JPEG SOF, JPEG 2000 SIZ and RLE header inside compressed DICOM frames;
* ``dicom_tag`` — DICOM header values a decoder trips on (window, VOI function, rescale,
  photometric, bits, frame count, pixel-data length);
* ``preamble``  — DICOM files whose 128-byte preamble holds another format's signature.

Each mutant goes through :func:`ra_models.read_image` and, when accepted, through
:func:`ra_models.prepare_xray` (the model-input path a request takes). Outcomes: *accepted*,
*refused* (an ``InvalidImageError`` with a message), *crash* (any other exception), *slow*
(> 2 s), and the growth of peak RSS during the call.

    python -m bench.fuzz_intake --n 5000 --seed 0              # in-process table
    python -m bench.fuzz_intake --n 5000 --seed 0 --http 5     # + every 5th over HTTP (gunicorn)
    python -m bench.fuzz_intake --n 300 --json                 # machine-readable (tests)
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import struct
import sys
import time
import zlib
from collections import Counter

import numpy as np

SLOW_S = 2.0
FAMILIES = ("flip", "truncate", "header", "bomb", "dicom_tag", "preamble")


# --------------------------------------------------------------------------- seed files
def _gradient(h: int = 96, w: int = 128) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return ((x / (w - 1)) * 0.7 + (y / (h - 1)) * 0.3).astype(np.float32)


def _pil_bytes(fmt: str, **kw) -> bytes:
    from PIL import Image

    g = _gradient()
    img = Image.fromarray(np.round(g * 255).astype(np.uint8))
    if kw.pop("rgb", False):
        img = img.convert("RGB")
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _png16() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.round(_gradient() * 65535).astype(np.uint16)).save(buf, format="PNG")
    return buf.getvalue()


def dicom_bytes(img: np.ndarray | None = None, *, transfer_syntax: str | None = None,
                monochrome1: bool = False, bits: int = 12, window: bool = True) -> bytes:
    """A small synthetic CR DICOM with fixed UIDs (deterministic bytes), with rescale and
    window tags, optionally compressed."""
    import pydicom

    from ra_models.synthetic.dataset import write_dicom

    img = _gradient() if img is None else img
    buf = io.BytesIO()
    write_dicom(buf, img, monochrome1=monochrome1, bits=bits,
                instance_uid="1.2.826.0.1.3680043.8.498.1")
    ds = pydicom.dcmread(io.BytesIO(buf.getvalue()))
    maxv = (1 << bits) - 1
    ds.RescaleSlope, ds.RescaleIntercept = 1, 0
    if window:
        ds.WindowCenter, ds.WindowWidth = maxv // 2, maxv
    if transfer_syntax == "jpeg":  # 8-bit baseline JPEG, encapsulated by hand
        from PIL import Image
        from pydicom.encaps import encapsulate
        from pydicom.uid import JPEGBaseline8Bit

        buf = io.BytesIO()
        Image.fromarray(np.round(np.clip(img, 0, 1) * 255).astype(np.uint8)).save(
            buf, format="JPEG", quality=95)
        ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
        ds.WindowCenter, ds.WindowWidth = 128, 256
        ds.PixelData = encapsulate([buf.getvalue()])
        ds["PixelData"].VR = "OB"
    elif transfer_syntax is not None:
        ds.compress(transfer_syntax, generate_instance_uid=False)
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def seed_files() -> dict[str, bytes]:
    from pydicom.uid import JPEG2000Lossless, RLELossless

    return {
        "png": _pil_bytes("PNG"), "png16": _png16(), "png_rgb": _pil_bytes("PNG", rgb=True),
        "jpeg": _pil_bytes("JPEG", quality=90), "gif": _pil_bytes("GIF"), "bmp": _pil_bytes("BMP"),
        "tiff": _pil_bytes("TIFF"), "tiff_lzw": _pil_bytes("TIFF", compression="tiff_lzw"),
        "dicom": dicom_bytes(), "dicom_m1": dicom_bytes(monochrome1=True),
        "dicom_j2k": dicom_bytes(transfer_syntax=JPEG2000Lossless),
        "dicom_rle": dicom_bytes(transfer_syntax=RLELossless),
        "dicom_jpeg": dicom_bytes(transfer_syntax="jpeg"),
    }


# --------------------------------------------------------------------------- bombs
def png_header_bomb(width: int, height: int, bit_depth: int = 8, colour: int = 0,
                    rows: int = 0) -> bytes:
    """A PNG whose IHDR declares ``width``×``height`` but whose IDAT holds ``rows`` zero rows."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    row = b"\x00" + bytes(max(1, width * channels * bit_depth // 8))
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(row * rows, 9)) + chunk(b"IEND", b""))


def tiff_ifd_chain(n_ifds: int, *, empty_second: bool = False) -> bytes:
    """A little-endian TIFF: one valid 64×64 8-bit strip image, then ``n_ifds`` - 1 IFDs."""
    w = h = 64
    pixels = bytes(range(64)) * 64
    entries = [(256, 3, 1, w), (257, 3, 1, h), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
               (273, 4, 1, 0), (277, 3, 1, 1), (278, 3, 1, h), (279, 4, 1, len(pixels))]
    ifd_size = 2 + 12 * len(entries) + 4
    first_ifd = 8
    data_at = first_ifd + ifd_size
    next_at = data_at + len(pixels)
    out = bytearray(b"II*\x00" + struct.pack("<I", first_ifd))

    def ifd(ents, next_off):
        body = struct.pack("<H", len(ents))
        for tag, typ, cnt, val in ents:
            body += struct.pack("<HHI", tag, typ, cnt)
            body += struct.pack("<HH", val, 0) if typ == 3 else struct.pack("<I", val)
        return body + struct.pack("<I", next_off)

    entries = [(t, ty, c, data_at if t == 273 else v) for t, ty, c, v in entries]
    out += ifd(entries, next_at if n_ifds > 1 else 0)
    out += pixels
    for i in range(1, n_ifds):
        if empty_second:  # an IFD with no entries: no dimensions at all
            out += struct.pack("<HI", 0, 0)
            break
        nxt = next_at + ifd_size * i if i < n_ifds - 1 else 0
        out += ifd(entries, nxt)  # the same image again
    return bytes(out)


def _dicom_edit(data: bytes, **tags) -> bytes:
    import pydicom

    ds = pydicom.dcmread(io.BytesIO(data))
    for k, v in tags.items():
        if v is None:
            if k in ds:
                delattr(ds, k)
        else:
            setattr(ds, k, v)
    out = io.BytesIO()
    ds.save_as(out)
    return out.getvalue()


def _dicom_raw(data: bytes, keyword: str, text: str) -> bytes:
    """Set a DS/IS/CS value to raw ``text`` (≤ 10 characters) that pydicom would not write."""
    placeholder = "987654.321"
    vr_ok = _dicom_edit(data, **{keyword: placeholder if keyword != "VOILUTFunction" else "ZZZZZZZZZZ"})
    old = (placeholder if keyword != "VOILUTFunction" else "ZZZZZZZZZZ").encode()
    return vr_ok.replace(old, text.encode().ljust(len(old)), 1)


def jpeg_sof_patch(data: bytes, width: int, height: int) -> bytes:
    """Set the first SOF marker's dimensions (in a JPEG file or a DICOM holding one)."""
    b = bytearray(data)
    for m in (b"\xff\xc0", b"\xff\xc1", b"\xff\xc2"):
        at = b.find(m)
        if at >= 0:
            b[at + 5: at + 9] = struct.pack(">HH", height, width)
            return bytes(b)
    return bytes(b)


def j2k_siz_patch(data: bytes, width: int, height: int) -> bytes:
    b = bytearray(data)
    at = b.find(b"\xff\x4f\xff\x51")
    if at >= 0:
        b[at + 8: at + 16] = struct.pack(">II", width, height)
    return bytes(b)


def rle_segments_patch(data: bytes, n: int) -> bytes:
    """Change the RLE header's segment count (first uint32 after the first frame's item tag)."""
    b = bytearray(data)
    px = b.rfind(b"\xe0\x7f\x10\x00")  # (7FE0,0010) PixelData
    item = b.find(b"\xfe\xff\x00\xe0", px + 12)  # basic offset table item
    item = b.find(b"\xfe\xff\x00\xe0", item + 8)  # first fragment
    if item >= 0:
        b[item + 8: item + 12] = struct.pack("<I", n)
    return bytes(b)


def bomb_mutants(seeds: dict[str, bytes]) -> list[tuple[str, bytes]]:
    """Every format-aware bomb, once each (the random families draw from these too)."""
    from PIL import Image

    out = [
        ("png tall 256x65536", png_header_bomb(256, 65536)),
        ("png wide 65536x256", png_header_bomb(65536, 256)),
        ("png 6000x6000 zero rows", png_header_bomb(6000, 6000)),
        ("png 6000x6000 16-bit rgba", png_header_bomb(6000, 6000, 16, 6)),
        ("png 6000x6000 half rows", png_header_bomb(6000, 6000, rows=3000)),
        ("png 30000x30000", png_header_bomb(30000, 30000)),
        ("png 0x100", png_header_bomb(0, 100)),
        ("tiff 100000 IFDs", tiff_ifd_chain(100_000)),
        ("tiff 2 IFDs, second empty", tiff_ifd_chain(2, empty_second=True)),
        ("jpeg sof 30000", jpeg_sof_patch(seeds["jpeg"], 30000, 30000)),
        ("jpeg sof h=0", jpeg_sof_patch(seeds["jpeg"], 128, 0)),
        ("dicom rows 30000", _dicom_edit(seeds["dicom"], Rows=30000, Columns=30000)),
        ("dicom rows 16", _dicom_edit(seeds["dicom"], Rows=16)),
        ("dicom-jpeg sof 30000", jpeg_sof_patch(seeds["dicom_jpeg"], 30000, 30000)),
        ("dicom-jpeg sof 65000", jpeg_sof_patch(seeds["dicom_jpeg"], 65000, 65000)),
        ("dicom-jpeg sof h=0", jpeg_sof_patch(seeds["dicom_jpeg"], 128, 0)),
        ("dicom-j2k siz 30000", j2k_siz_patch(seeds["dicom_j2k"], 30000, 30000)),
        ("dicom-j2k siz 2x", j2k_siz_patch(seeds["dicom_j2k"], 256, 192)),
        ("dicom-rle 15 segments", rle_segments_patch(seeds["dicom_rle"], 15)),
        ("dicom-rle 0 segments", rle_segments_patch(seeds["dicom_rle"], 0)),
        ("dicom frames 1e6", _dicom_edit(seeds["dicom"], NumberOfFrames=1_000_000)),
    ]
    buf = io.BytesIO()
    Image.new("L", (6000, 6000)).save(buf, format="GIF")
    out.append(("gif 6000x6000", buf.getvalue()))
    return out


def dicom_tag_mutants(seeds: dict[str, bytes]) -> list[tuple[str, bytes]]:
    d = seeds["dicom"]
    return [
        ("WindowWidth 0", _dicom_edit(d, WindowWidth=0)),
        ("WindowWidth -5", _dicom_edit(d, WindowWidth=-5)),
        ("VOILUTFunction BOGUS", _dicom_edit(d, VOILUTFunction="BOGUS")),
        ("WindowCenter text", _dicom_raw(d, "WindowCenter", "abc")),
        ("WindowWidth text", _dicom_raw(d, "WindowWidth", "1\\x")),
        ("WindowCenter only", _dicom_edit(d, WindowWidth=None)),
        ("RescaleSlope nan", _dicom_raw(d, "RescaleSlope", "nan")),
        ("RescaleSlope inf", _dicom_raw(d, "RescaleSlope", "inf")),
        ("RescaleSlope 0", _dicom_edit(d, RescaleSlope=0)),
        ("RescaleIntercept 1e400", _dicom_raw(d, "RescaleIntercept", "1e400")),
        ("Rows too few", _dicom_edit(d, Rows=48)),
        ("Rows too many", _dicom_edit(d, Rows=200)),
        ("BitsAllocated 12", _dicom_edit(d, BitsAllocated=12)),
        ("BitsAllocated 64", _dicom_edit(d, BitsAllocated=64)),
        ("SamplesPerPixel 4", _dicom_edit(d, SamplesPerPixel=4)),
        ("Photometric PALETTE", _dicom_edit(d, PhotometricInterpretation="PALETTE COLOR")),
        ("Photometric RGB", _dicom_edit(d, PhotometricInterpretation="RGB", SamplesPerPixel=3)),
        ("NumberOfFrames 0", _dicom_edit(d, NumberOfFrames=0)),
        ("NumberOfFrames 3", _dicom_edit(d, NumberOfFrames=3)),
        ("PixelRepresentation 1", _dicom_edit(d, PixelRepresentation=1)),
        ("BitsStored 20", _dicom_edit(d, BitsStored=20)),
        ("no PixelData", _dicom_edit(d, PixelData=None)),
    ]


def preamble_mutants(seeds: dict[str, bytes]) -> list[tuple[str, bytes]]:
    d = seeds["dicom_m1"]
    return [(f"preamble {k}", (p + bytes(128))[:128] + d[128:]) for k, p in (
        ("tiff", b"II*\x00"), ("tiff-be", b"MM\x00*"), ("png", b"\x89PNG\r\n\x1a\n"),
        ("jpeg", b"\xff\xd8\xff\xe0"), ("gif", b"GIF89a"), ("bmp", b"BM" + bytes(30)),
        ("zero", b""))]


# --------------------------------------------------------------------------- mutants
def mutants(n: int, seed: int = 0) -> list[tuple[str, str, bytes]]:
    """``n`` (family, description, bytes) mutants, the same for the same (n, seed)."""
    rng = np.random.default_rng(seed)
    seeds = seed_files()
    names = sorted(seeds)
    fixed = {"bomb": bomb_mutants(seeds), "dicom_tag": dicom_tag_mutants(seeds),
             "preamble": preamble_mutants(seeds)}
    out: list[tuple[str, str, bytes]] = []
    for i in range(n):
        fam = FAMILIES[i % len(FAMILIES)]
        if fam in fixed:
            desc, data = fixed[fam][int(rng.integers(len(fixed[fam])))]
            if rng.random() < 0.5:  # and a random flip on top, half of the time
                data, how = _flip(data, rng, int(rng.integers(1, 4)))
                desc += f" + {how}"
            out.append((fam, desc, data))
            continue
        name = names[int(rng.integers(len(names)))]
        data = seeds[name]
        if fam == "flip":
            data, how = _flip(data, rng, int(rng.integers(1, 17)))
        elif fam == "truncate":
            cut = int(rng.integers(1, len(data)))
            data, how = data[:cut], f"cut at {cut}"
        else:
            data, how = _header_edit(data, rng)
        out.append((fam, f"{name} {how}", data))
    return out


def _flip(data: bytes, rng, k: int) -> tuple[bytes, str]:
    b = bytearray(data)
    pos = rng.integers(0, len(b), size=k)
    for p in pos:
        b[p] = int(rng.integers(0, 256))
    return bytes(b), f"{k} byte(s) flipped"


def _header_edit(data: bytes, rng) -> tuple[bytes, str]:
    b = bytearray(data)
    limit = min(len(b) - 4, 512)
    at = int(rng.integers(0, max(1, limit)))
    val = [0, 1, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 30000, 65536][int(rng.integers(7))]
    b[at: at + 4] = struct.pack("<I" if rng.random() < 0.5 else ">I", val)
    return bytes(b), f"uint32 {val:#x} at {at}"


# --------------------------------------------------------------------------- running
def _rss_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_in_process(cases) -> dict:
    from ra_models import prepare_xray, read_image
    from ra_models.errors import InvalidImageError

    counts: Counter = Counter()
    crashes, slow = [], []
    max_growth, by_family = 0.0, {f: Counter() for f in FAMILIES}
    for fam, desc, data in cases:
        before = _rss_peak_mb()
        t = time.perf_counter()
        try:
            img, _ = read_image(data)
            prepare_xray(img)
            outcome = "accepted"
        except InvalidImageError as e:
            outcome = "refused"
            if not str(e).strip():
                outcome = "crash"
                crashes.append(f"{desc}: empty message")
        except Exception as e:  # noqa: BLE001 - this is what the harness is looking for
            outcome = "crash"
            crashes.append(f"{fam} / {desc}: {type(e).__name__}: {str(e)[:120]}")
        dt = time.perf_counter() - t
        growth = _rss_peak_mb() - before
        max_growth = max(max_growth, growth)
        counts[outcome] += 1
        by_family[fam][outcome] += 1
        if dt > SLOW_S:
            slow.append(f"{fam} / {desc}: {dt:.1f} s")
    return {"n": len(cases), "accepted": counts["accepted"], "refused": counts["refused"],
            "crashes": len(crashes), "slow": len(slow), "max_rss_growth_mb": round(max_growth, 1),
            "crash_examples": crashes[:20], "slow_examples": slow[:20],
            "by_family": {f: dict(c) for f, c in by_family.items()}}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--http", type=int, default=0, metavar="K",
                    help="also POST every K-th mutant to a gunicorn server (0: off)")
    ap.add_argument("--labs", type=int, default=2000, help="fuzzed lab payloads with --http")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    args = ap.parse_args(argv)
    import warnings

    warnings.simplefilter("ignore")  # decoders warn about the mutants, which are invalid on purpose
    t0 = time.perf_counter()
    cases = mutants(args.n, args.seed)
    res = run_in_process(cases)
    res["seconds"] = round(time.perf_counter() - t0, 1)
    if args.http:
        from bench.fuzz_http import run_http

        res["http"] = run_http([c for i, c in enumerate(cases) if i % args.http == 0],
                               n_labs=args.labs, seed=args.seed)
    if args.json:
        print(json.dumps(res))
        return res
    from bench.common import table

    table(f"Intake fuzzing — {res['n']} mutants, seed {args.seed} (in-process read_image + "
          "prepare_xray)",
          ["family", "accepted", "refused cleanly", "crashes"],
          [[f, c.get("accepted", 0), c.get("refused", 0), c.get("crash", 0)]
           for f, c in res["by_family"].items()]
          + [["**all**", res["accepted"], res["refused"], res["crashes"]]],
          note=f"Calls over {SLOW_S:g} s: {res['slow']}. Largest peak-RSS growth in one call: "
               f"{res['max_rss_growth_mb']} MB. {res['seconds']} s in all.")
    for line in res["crash_examples"] + res["slow_examples"]:
        print("  -", line)
    if args.http:
        h = res["http"]
        table("Fuzzing over HTTP (gunicorn, committed gunicorn.conf.py)",
              ["probe", "requests", "2xx", "4xx", "5xx", "other"],
              [[k, v["n"], v["2xx"], v["4xx"], v["5xx"], v["other"]] for k, v in h.items()])
    return res


if __name__ == "__main__":
    r = main(sys.argv[1:])
    sys.exit(1 if r["crashes"] or r.get("http", {}).get("images", {}).get("5xx") else 0)
