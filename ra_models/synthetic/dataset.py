"""Write phantom data sets to disk (folder-per-class, masks, manifest) and contact sheets."""

from __future__ import annotations

import csv
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from . import generator
from .sheets import save_tile_sheet
from .svh import EROSION_AREAS, JSN_AREAS

MANIFEST_NAME = "manifest.csv"
_COMMON = ["file", "label", "subtype", "severity", "side", "age", "sex", "seed", "dataset_seed",
           "generator_version", "signs", "mask"]


def manifest_fields(version: str = generator.LATEST) -> list[str]:
    """Manifest columns: per-joint grades; from 2.0 also the per-hand SvH totals and each SvH
    area's landmark (``lm_<area>`` = "x;y" as fractions of the image width and height)."""
    g = generator.get(version)
    cols = _COMMON + [f"ero_{j}" for j in g.erosion_joints] + [f"jsn_{j}" for j in g.narrowing_joints]
    if version != "1.1.0":
        cols += ["svh_erosion", "svh_jsn", "svh_total"]
        cols += [f"lm_{a}" for a in dict.fromkeys([*EROSION_AREAS, *JSN_AREAS])]
    return cols


MANIFEST_FIELDS = manifest_fields()


def item_seed(dataset_seed: int, index: int) -> int:
    """The phantom seed of item ``index`` in the data set made with ``dataset_seed``."""
    return int(np.random.SeedSequence([int(dataset_seed), int(index)]).generate_state(1)[0])


def dataset_labels(n: int, seed: int, ra_fraction: float = 0.5) -> list[str]:
    """Exactly round(n * ra_fraction) RA labels, shuffled by ``seed``."""
    n_ra = int(round(n * ra_fraction))
    labels = np.array(["RA"] * n_ra + ["Normal"] * (n - n_ra))
    np.random.default_rng(np.random.SeedSequence([int(seed), 0x4C])).shuffle(labels)
    return [str(x) for x in labels]


def to_uint8(img: np.ndarray) -> np.ndarray:
    return np.round(np.clip(img, 0, 1) * 255).astype(np.uint8)


def write_dicom(path, img: np.ndarray, *, monochrome1: bool = False,
                bits: int = 12, patient_id: str = "PHANTOM", instance_uid: str | None = None) -> None:
    """Save a [0, 1] image as an uncompressed CR DICOM (synthetic; no patient data).

    ``path``: a path or a binary file object; ``instance_uid``: a fixed SOP instance UID for
    byte-identical files (a fresh one by default)."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    maxv = (1 << bits) - 1
    px = np.round(np.clip(img, 0, 1) * maxv).astype(np.uint16)
    if monochrome1:
        px = (maxv - px).astype(np.uint16)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1"  # CR Image Storage
    meta.MediaStorageSOPInstanceUID = instance_uid or generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "CR"
    ds.BodyPartExamined = "HAND"
    ds.PatientID = patient_id
    ds.PatientName = "Synthetic^Phantom"
    ds.Rows, ds.Columns = px.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME1" if monochrome1 else "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, bits, bits - 1
    ds.PixelRepresentation = 0
    ds.PixelData = px.tobytes()
    ds.save_as(path, enforce_file_format=True)


def _manifest_row(spec, rel: str, mask_rel: str, dataset_seed: int, meta: dict | None) -> dict:
    g = generator.for_spec(spec)
    row = {
        "file": rel, "label": spec.label, "subtype": spec.subtype,
        "severity": f"{spec.severity:.4f}", "side": spec.side, "age": f"{spec.age:.1f}",
        "sex": spec.sex, "seed": spec.seed, "dataset_seed": dataset_seed,
        "generator_version": g.version, "signs": ";".join(spec.signs()), "mask": mask_rel,
    }
    for j in g.erosion_joints:
        row[f"ero_{j}"] = int(spec.erosion.get(j, 0))
    for j in g.narrowing_joints:
        row[f"jsn_{j}"] = int(spec.narrowing.get(j, 0))
    if meta is not None:
        tot = spec.svh()["totals"]
        row.update(svh_erosion=tot["erosion"], svh_jsn=tot["narrowing"], svh_total=tot["total"])
        for area, (x, y) in meta["landmarks"].items():
            row[f"lm_{area}"] = f"{x:.4f};{y:.4f}"
    return row


def _write_items(args) -> list[dict]:
    out, indices, labels, seed, size, fmt, version = args
    out = Path(out)
    gen = generator.get(version)
    rows = []
    for i, label in zip(indices, labels):
        spec = gen.sample_spec(item_seed(seed, i), label)
        meta = None
        if version == "1.1.0":
            img, mask = gen.render(spec, size)
        else:
            img, mask, meta = gen.render(spec, size, meta=True)
        stem = f"phantom_{seed}_{i:05d}"
        ext = ".dcm" if fmt == "dicom" else ".png"
        rel = f"{label}/{stem}{ext}"
        if fmt == "dicom":
            write_dicom(out / rel, img)
        else:
            Image.fromarray(to_uint8(img)).save(out / rel, optimize=False, compress_level=1)
        mask_rel = f"masks/{stem}_mask.png"
        Image.fromarray(mask).save(out / mask_rel, compress_level=1)
        rows.append(_manifest_row(spec, rel, mask_rel, seed, meta))
    return rows


def generate_dataset(out: str | os.PathLike, n: int, seed: int, *, size: int = 256,
                     fmt: str = "png", ra_fraction: float = 0.5, workers: int | None = None,
                     progress=None, version: str = generator.LATEST) -> Path:
    """Generate ``n`` phantoms under ``out`` (``RA/``, ``Normal/``, ``masks/``, ``manifest.csv``).

    The same (n, seed, size, fmt, ra_fraction, version) gives the same bytes, whatever
    ``workers`` is.
    """
    generator.get(version)  # an unknown version fails before anything is written
    if fmt not in ("png", "dicom"):
        raise ValueError(f"format must be 'png' or 'dicom', not {fmt!r}")
    out = Path(out)
    for sub in ("RA", "Normal", "masks"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    labels = dataset_labels(n, seed, ra_fraction)
    workers = workers or (min(os.cpu_count() or 1, 4) if n >= 200 else 1)
    chunk = 50
    jobs = [(str(out), list(range(a, min(a + chunk, n))), labels[a: a + chunk], seed, size, fmt,
             version) for a in range(0, n, chunk)]
    rows: list[dict] = []
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            for part in pool.map(_write_items, jobs):
                rows += part
                if progress:
                    progress(len(rows), n)
    else:
        for job in jobs:
            rows += _write_items(job)
            if progress:
                progress(len(rows), n)
    with open(out / MANIFEST_NAME, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=manifest_fields(version))
        w.writeheader()
        w.writerows(rows)
    return out


def read_manifest(data_dir: str | os.PathLike) -> list[dict] | None:
    path = Path(data_dir) / MANIFEST_NAME
    if not path.exists():
        return None
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def contact_sheet(path: str | os.PathLike, seed: int = 7, *, size: int = 384, grid: int = 4,
                  version: str = generator.LATEST) -> Path:
    """A labelled grid of phantoms (RA and Normal mixed) for the README and teaching."""
    from PIL import ImageDraw, ImageFont

    gen = generator.get(version)
    labels = dataset_labels(grid * grid, seed)
    tiles = []
    for i, label in enumerate(labels):
        spec = gen.sample_spec(item_seed(seed, i), label)
        img, _ = gen.render(spec, size)
        tile = Image.fromarray(to_uint8(img)).convert("RGB")
        d = ImageDraw.Draw(tile)
        font = ImageFont.load_default(size=max(size // 22, 10))
        name = gen.SUBTYPE_NAMES[spec.subtype]
        text = (f"RA · {name} (sev {spec.severity:.2f})" if spec.label == "RA"
                else f"Not RA · {name}")
        colour = (255, 120, 90) if spec.label == "RA" else (120, 200, 255)
        d.rectangle([0, size - size // 13, size, size], fill=(0, 0, 0))
        d.text((6, size - size // 14), text, fill=colour, font=font)
        tiles.append(tile)
    return save_tile_sheet(tiles, grid, path)


#: The shipped samples: (file stem, label, subtype wanted), drawn from seed 2026 onwards.
SAMPLE_SET = (("ra-established", "RA", "established_ra"), ("ra-early", "RA", "early_ra"),
              ("ra-late", "RA", "established_ra"), ("normal-healthy", "Normal", "healthy"),
              ("normal-osteoarthritis", "Normal", "oa"), ("normal-older", "Normal", "healthy"),
              ("normal-psoriatic", "Normal", "psa"), ("normal-gout", "Normal", "gout"))


def write_samples(out: str | os.PathLike, *, seed: int = 2026, size: int = 256) -> list[Path]:
    """A handful of labelled phantoms for the apps' sample pickers (plus one DICOM)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    gen = generator.get(generator.LATEST)
    paths, s = [], seed
    for stem, label, subtype in SAMPLE_SET:
        while True:
            spec = gen.sample_spec(s, label)
            s += 1
            late_ok = stem != "ra-late" or spec.severity > 0.75
            older_ok = stem != "normal-older" or spec.age > 70
            if spec.subtype == subtype and late_ok and older_ok:
                break
        img, _ = gen.render(spec, size)
        p = out / f"{stem}.png"
        Image.fromarray(to_uint8(img)).save(p, optimize=True)
        paths.append(p)
        if stem == "ra-established":
            d = out / f"{stem}.dcm"
            write_dicom(d, img, monochrome1=True)
            paths.append(d)
    return paths
