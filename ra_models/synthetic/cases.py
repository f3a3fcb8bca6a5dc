"""Generator 2.x cases: what one phantom shows (:class:`PhantomSpec`) and how cases are drawn.

Subtypes: ``healthy``, ``oa``, ``erosive_oa``, ``psa``, ``gout`` (label *Normal*, meaning
"not RA") and ``early_ra``, ``established_ra`` (label *RA*). RA grades follow Sharp/van der
Heijde areas (:mod:`.svh`); early RA shows one or two grade-1–2 erosions at the earliest sites
(MCP2/3, PIP3, ulnar styloid), swelling and periarticular osteopenia, DIPs spared.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import numpy as np

from .phantom import _age_osteopenia
from .phantom import _sample_nuisance as sample_nuisance  # the same film nuisance as 1.x
from .svh import EROSION_AREAS, JSN_AREAS, svh_totals

GENERATOR_VERSION = "2.2.0"
SUBTYPES = ("healthy", "oa", "erosive_oa", "psa", "gout", "early_ra", "established_ra")
#: Share of each "not RA" subtype among Normal films.
NOT_RA_MIX = {"healthy": 0.40, "oa": 0.24, "erosive_oa": 0.10, "psa": 0.12, "gout": 0.14}
SUBTYPE_NAMES = {"healthy": "healthy", "oa": "osteoarthritis", "erosive_oa": "erosive OA",
                 "psa": "psoriatic arthritis", "gout": "gout", "early_ra": "early RA",
                 "established_ra": "established RA"}
DIGITS = (2, 3, 4, 5)
#: Earliest erosion sites (gentili.net; URMC) get more weight in early disease.
_EARLY_SITES = {"MCP2": 4.0, "MCP3": 4.0, "PIP3": 3.0, "ULNA": 3.0, "MCP5": 1.5, "SCAPH": 1.5,
                "RAD": 1.0}


@dataclass(frozen=True)
class PhantomSpec:
    """Everything that decides one 2.x phantom. ``render(spec)`` is a pure function of it."""

    seed: int
    label: str = "Normal"
    subtype: str = "healthy"
    severity: float = 0.0
    side: str = "R"
    age: float = 50.0
    sex: str = "F"
    erosion: dict = field(default_factory=dict)  # SvH erosion area -> 0..5 (and DIPs for PsA)
    narrowing: dict = field(default_factory=dict)  # SvH JSN area (or DIP/CMC1/IP1) -> 0..4
    focal_side: dict = field(default_factory=dict)  # joint -> +1 ulnar / -1 radial (grade 1, OA)
    swelling: dict = field(default_factory=dict)
    periarticular_osteopenia: dict = field(default_factory=dict)
    diffuse_osteopenia: float = 0.0
    osteophytes: dict = field(default_factory=dict)  # OA joints -> 0..1
    central_erosion: dict = field(default_factory=dict)  # erosive OA joints -> 0..1
    pencil_in_cup: dict = field(default_factory=dict)  # PsA joints -> 0..1
    periostitis: dict = field(default_factory=dict)  # PsA: joint distal to the shaft -> 0..1
    gout: dict = field(default_factory=dict)  # joint -> 0..1 (erosion with tophus)
    cmc1_subluxation: float = 0.0
    ulnar_deviation_deg: float = 0.0
    subluxation: float = 0.0
    ulnar_translocation: float = 0.0
    hand_scale: float = 1.0
    soft_tissue: float = 1.0
    spread: float = 1.0
    thumb_abduction_deg: float = 0.0
    rotation_deg: float = 0.0
    zoom: float = 1.0
    offset: tuple = (0.0, 0.0)
    exposure: float = 1.0
    gamma: float = 1.0
    noise: float = 0.02
    blur: float = 0.6
    collimation: tuple | None = None
    marker_corner: int | None = 0
    generator_version: str = GENERATOR_VERSION

    def drawn_as_of(self, version: str) -> bool:
        """Whether generator ``version`` or a later one draws this case (numeric order:
        "2.10" comes after "2.2")."""
        def key(v: str) -> tuple:
            return tuple(int(part) for part in v.split("."))
        return key(self.generator_version) >= key(version)

    def svh(self) -> dict:
        """SvH grades drawn in every area, and the per-hand totals."""
        ero = {a: int(self.erosion.get(a, 0)) for a in EROSION_AREAS}
        jsn = {a: int(self.narrowing.get(a, 0)) for a in JSN_AREAS}
        return {"erosion": ero, "narrowing": jsn, "totals": svh_totals(ero, jsn)}

    def signs(self) -> list[str]:
        out = []
        if any(v > 0 for v in self.erosion.values()) or self.gout:
            out.append("erosion")
        if any(v > 0 for v in self.narrowing.values()):
            out.append("narrowing")
        if any(v >= 4 for v in self.narrowing.values()):
            out.append("ankylosis")
        if any(v > 0 for v in self.periarticular_osteopenia.values()):
            out.append("periarticular_osteopenia")
        if self.diffuse_osteopenia > 0.15:
            out.append("diffuse_osteopenia")
        if any(v > 0 for v in self.swelling.values()):
            out.append("swelling")
        for name in ("osteophytes", "central_erosion", "pencil_in_cup", "periostitis"):
            if getattr(self, name):
                out.append(name)
        if self.gout:
            out.append("tophi")
        for name in ("ulnar_deviation_deg", "subluxation", "ulnar_translocation",
                     "cmc1_subluxation"):
            if getattr(self, name) > 0:
                out.append(name.replace("_deg", ""))
        return out

    def to_dict(self) -> dict:
        return asdict(self)


def sample_spec(seed: int, label: str | None = None, *, ra_fraction: float = 0.5,
                subtype: str | None = None) -> PhantomSpec:
    """Draw a random case from one integer seed (``subtype`` forces one)."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x5242, 2]))
    if subtype is not None:
        if subtype not in SUBTYPES:
            raise ValueError(f"subtype must be one of {', '.join(SUBTYPES)}")
        label = "RA" if subtype.endswith("_ra") else "Normal"
    elif label is None:
        label = "RA" if rng.random() < ra_fraction else "Normal"
    sex = "F" if rng.random() < (0.70 if label == "RA" else 0.5) else "M"
    nuisance = sample_nuisance(rng, sex)
    if label == "RA":
        age = float(np.clip(rng.normal(56, 14), 18, 90))
        s = float(np.clip(rng.beta(1.1, 1.6), 0.02, 1.0))
        if subtype == "early_ra":
            s = float(rng.uniform(0.02, 0.29))
        elif subtype == "established_ra":
            s = float(rng.uniform(0.3, 1.0))
        return _ra_case(rng, seed, s, age, sex, nuisance)
    if subtype is None:
        names = list(NOT_RA_MIX)
        subtype = str(rng.choice(names, p=np.array([NOT_RA_MIX[n] for n in names])))
    maker = {"healthy": _healthy, "oa": _oa, "erosive_oa": _erosive_oa, "psa": _psa,
             "gout": _gout}[subtype]
    return maker(rng, seed, sex, nuisance)


def _side(rng) -> float:
    return 1.0 if rng.random() < 0.5 else -1.0


def _healthy(rng, seed, sex, nuisance) -> PhantomSpec:
    age = float(rng.uniform(18, 90))
    narrowing, focal = {}, {}
    if age > 60 and rng.random() < 0.5:  # age-related: focal, DIPs first
        for j in rng.choice(["DIP2", "DIP3", "DIP4", "DIP5", "PIP2", "PIP3"], size=2, replace=False):
            narrowing[str(j)], focal[str(j)] = 1, _side(rng)
    return PhantomSpec(seed=int(seed), subtype="healthy", age=age, sex=sex, narrowing=narrowing,
                       focal_side=focal, diffuse_osteopenia=_age_osteopenia(age, sex), **nuisance)


def _oa_joints(rng, sev, narrowing, osteo, focal, *, dip_p=0.35, pip_p=0.15):
    for d in DIGITS:
        for name, p in ((f"DIP{d}", dip_p + 0.5 * sev), (f"PIP{d}", pip_p + 0.4 * sev)):
            if rng.random() < p:
                narrowing[name] = int(np.clip(round(1 + 2.2 * sev * rng.random()), 1, 3))
                osteo[name] = float(np.clip(sev * rng.uniform(0.5, 1.2), 0.2, 1))
                focal[name] = _side(rng)


def _oa(rng, seed, sex, nuisance) -> PhantomSpec:
    age, sev = float(rng.uniform(50, 88)), float(rng.uniform(0.3, 1.0))
    narrowing, osteo, focal = {}, {}, {}
    _oa_joints(rng, sev, narrowing, osteo, focal)
    sublux = 0.0
    if rng.random() < 0.6:  # first CMC: narrowing, osteophytes, radial subluxation
        narrowing["CMC1"] = int(np.clip(round(1 + 3 * sev * rng.random()), 1, 4))
        osteo["CMC1"] = float(np.clip(sev * rng.uniform(0.5, 1.2), 0.2, 1))
        sublux = float(rng.uniform(0.2, 0.9) * sev)
    if rng.random() < 0.4 * sev:  # STT (trapezium–scaphoid) OA
        narrowing["TS"] = int(rng.integers(1, 3))
    if not narrowing:
        narrowing["DIP3"], osteo["DIP3"], focal["DIP3"] = 2, 0.6, 1.0
    return PhantomSpec(seed=int(seed), subtype="oa", age=age, sex=sex, narrowing=narrowing,
                       osteophytes=osteo, focal_side=focal, cmc1_subluxation=sublux,
                       diffuse_osteopenia=_age_osteopenia(age, sex), **nuisance)


def _erosive_oa(rng, seed, sex, nuisance) -> PhantomSpec:
    age, sev = float(rng.uniform(50, 85)), float(rng.uniform(0.4, 1.0))
    narrowing, osteo, focal, central = {}, {}, {}, {}
    _oa_joints(rng, sev * 0.6, narrowing, osteo, focal, dip_p=0.2, pip_p=0.1)
    sites = [f"DIP{d}" for d in DIGITS] + [f"PIP{d}" for d in DIGITS]
    for j in rng.choice(sites, size=int(rng.integers(2, 5)), replace=False):
        central[str(j)] = float(np.clip(sev * rng.uniform(0.6, 1.1), 0.3, 1))
        narrowing[str(j)] = int(rng.integers(2, 4))
        focal.pop(str(j), None)
    return PhantomSpec(seed=int(seed), subtype="erosive_oa", age=age, sex=sex,
                       narrowing=narrowing, osteophytes=osteo, focal_side=focal,
                       central_erosion=central, diffuse_osteopenia=_age_osteopenia(age, sex),
                       **nuisance)


def _psa(rng, seed, sex, nuisance) -> PhantomSpec:
    age, sev = float(rng.uniform(25, 75)), float(rng.uniform(0.3, 1.0))
    erosion, narrowing, pencil, perio, swelling = {}, {}, {}, {}, {}
    # asymmetric, DIP-predominant, often a whole ray (dactylitis)
    dips = rng.choice([f"DIP{d}" for d in DIGITS], size=int(rng.integers(1, 4)), replace=False)
    for j in dips:
        j = str(j)
        erosion[j] = int(np.clip(round(1 + 3 * sev * rng.random()), 1, 4))
        narrowing[j] = int(rng.integers(1, 4))
        if sev > 0.55 and rng.random() < 0.6:
            pencil[j] = float(np.clip(sev * rng.uniform(0.6, 1.1), 0.4, 1))
        perio[j] = float(rng.uniform(0.4, 1.0))
        swelling[j] = float(rng.uniform(0.4, 0.9))
    ray = int(rng.choice(DIGITS))
    if rng.random() < 0.5:
        erosion[f"PIP{ray}"] = int(rng.integers(1, 3))
        perio[f"PIP{ray}"] = float(rng.uniform(0.4, 1.0))
        swelling[f"PIP{ray}"] = float(rng.uniform(0.4, 0.9))
    return PhantomSpec(seed=int(seed), subtype="psa", age=age, sex=sex, erosion=erosion,
                       narrowing=narrowing, pencil_in_cup=pencil, periostitis=perio,
                       swelling=swelling, **nuisance)


def _gout(rng, seed, sex, nuisance) -> PhantomSpec:
    age, sev = float(rng.uniform(35, 85)), float(rng.uniform(0.3, 1.0))
    sites = ["MCP1", "MCP2", "MCP3", "MCP4", "MCP5", "PIP2", "PIP3", "PIP4", "PIP5", "DIP3",
             "DIP4", "IP1"]
    gout, erosion, narrowing = {}, {}, {}
    for j in rng.choice(sites, size=int(rng.integers(1, 4)), replace=False):
        j = str(j)
        gout[j] = float(np.clip(sev * rng.uniform(0.6, 1.2), 0.3, 1))
        erosion[j] = 2 if gout[j] < 0.6 else 3  # punched-out, para-articular
        if sev > 0.8 and rng.random() < 0.4:  # joint space preserved until late
            narrowing[j] = 1
    return PhantomSpec(seed=int(seed), subtype="gout", age=age, sex="M" if sex == "M" or
                       rng.random() < 0.7 else "F", erosion=erosion, narrowing=narrowing,
                       gout=gout, diffuse_osteopenia=_age_osteopenia(age, sex), **nuisance)


def _ra_case(rng, seed, s, age, sex, nuisance) -> PhantomSpec:
    erosion, narrowing, swelling, peri, focal = {}, {}, {}, {}, {}
    sites = list(EROSION_AREAS)
    early = s < 0.3
    w = np.array([_EARLY_SITES.get(j, 1.0) if s < 0.45 else 1.0 for j in sites])
    n_ero = (1 if s < 0.15 else int(rng.integers(1, 3))) if early else \
        int(np.clip(round(1 + s * 12 + rng.normal(0, 1)), 2, len(sites)))
    for j in rng.choice(sites, size=n_ero, replace=False, p=w / w.sum()):
        erosion[str(j)] = int(rng.integers(1, 3)) if early else \
            int(np.clip(round(1 + s * 4 + rng.normal(0, 0.7)), 1, 5))
    for j in JSN_AREAS:  # symmetric, generalised narrowing; DIPs spared
        if early:
            if rng.random() < 0.25:
                narrowing[j], focal[j] = 1, _side(rng)
        else:
            g = int(np.clip(round(s * 4.2 + rng.normal(0, 0.6) - 0.5), 0, 4))
            if g:
                narrowing[j] = g
                focal[j] = _side(rng)
    involved = list(dict.fromkeys([*erosion, *narrowing]))
    for j in involved:
        if j in ("ULNA", "RAD", "RC", "CSL", "TS", "SCAPH", "LUN", "TRPZ", "MC1B", "CMC3", "CMC4",
                 "CMC5"):
            continue
        if rng.random() < (0.6 if early else 0.75):
            swelling[j] = float(rng.uniform(0.3, 0.55) if early else
                                np.clip(0.35 + 0.55 * s + rng.normal(0, 0.1), 0.25, 1.0))
        if rng.random() < (0.7 if early else 1.0):
            peri[j] = float(rng.uniform(0.2, 0.4) if early else
                            np.clip(0.3 + 0.7 * s + rng.normal(0, 0.1), 0.2, 1.0))
    if early and not swelling:  # early RA: at least one swollen MCP/PIP
        j = str(rng.choice(["MCP2", "MCP3", "PIP3"]))
        swelling[j] = float(rng.uniform(0.3, 0.55))
    diffuse = max(_age_osteopenia(age, sex), float(np.clip((s - 0.55) * 1.6, 0, 0.8)))
    return PhantomSpec(
        seed=int(seed), label="RA", subtype="early_ra" if early else "established_ra", severity=s,
        age=age, sex=sex, erosion=erosion, narrowing=narrowing, focal_side=focal,
        swelling=swelling, periarticular_osteopenia=peri, diffuse_osteopenia=diffuse,
        ulnar_deviation_deg=float(rng.uniform(8, 22)) if s > 0.72 and rng.random() < 0.6 else 0.0,
        subluxation=float(rng.uniform(0.2, 0.7)) if s > 0.8 and rng.random() < 0.5 else 0.0,
        ulnar_translocation=float(rng.uniform(0.3, 1.0)) if s > 0.85 and rng.random() < 0.4
        else 0.0, **nuisance)


def spec_from_controls(seed: int = 0, *, erosion: int = 0, narrowing: int = 0,
                       osteopenia: float = 0.0, swelling: float = 0.0, oa: float = 0.0,
                       side: str | None = None) -> PhantomSpec:
    """A phantom from teaching-slider values: grades spread from the earliest RA sites outwards
    as they rise; ``oa`` 0–1 adds an osteoarthritis pattern. Pose and film come from ``seed``."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x54, 2]))
    nuisance = sample_nuisance(rng, "F")
    if side in ("L", "R"):
        nuisance["side"] = side
    order = ["MCP2", "MCP3", "PIP3", "ULNA", "MCP5", "SCAPH", "PIP2", "MCP4", "PIP4", "RAD",
             "MCP1", "PIP5", "IP1", "LUN", "MC1B", "TRPZ"]
    ero = {j: int(erosion) for j in order[: (0 if erosion == 0 else 2 + 2 * int(erosion))]}
    jsn_order = ["MCP2", "MCP3", "MCP4", "MCP5", "PIP2", "PIP3", "PIP4", "PIP5", "RC", "CSL",
                 "MCP1", "CMC3", "CMC4", "CMC5", "TS"]
    jsn = {j: int(narrowing) for j in
           jsn_order[: (0 if narrowing == 0 else 2 + 2 * int(narrowing))]}
    fingers = [j for j in dict.fromkeys(list(ero) + list(jsn)) if j[:3] in ("MCP", "PIP")]
    fingers = fingers or ["MCP2", "MCP3", "PIP3"]
    sw = {j: float(swelling) for j in fingers} if swelling > 0 else {}
    peri = {j: float(osteopenia) for j in fingers} if osteopenia > 0 else {}
    osteo, oa_jsn, focal = {}, {}, {j: 1.0 for j in jsn}
    if oa > 0:
        for j in ("DIP2", "DIP3", "DIP5", "PIP4", "CMC1"):
            oa_jsn[j] = int(np.clip(round(1 + 2.5 * oa), 1, 4))
            osteo[j] = float(oa)
            focal[j] = -1.0
    is_ra = bool(ero or jsn or sw or peri)
    sev = float(np.clip((erosion / 5 + narrowing / 4 + osteopenia + swelling) / 4, 0, 1))
    return PhantomSpec(
        seed=int(seed), label="RA" if is_ra else "Normal",
        subtype=("early_ra" if sev < 0.3 else "established_ra") if is_ra else
        ("oa" if oa > 0 else "healthy"), severity=sev if is_ra else 0.0, age=55.0,
        erosion=ero, narrowing={**oa_jsn, **jsn}, focal_side=focal, swelling=sw,
        periarticular_osteopenia=peri, diffuse_osteopenia=float(np.clip(osteopenia - 0.5, 0, 0.5)),
        osteophytes=osteo, **nuisance)


def with_changes(spec: PhantomSpec, **changes) -> PhantomSpec:
    return replace(spec, **changes)
