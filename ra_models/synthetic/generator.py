"""The phantom generators by version: 1.1.0 (``phantom``), 2.0.0, 2.1.0 and 2.2.0 (``cases`` +
``film``; 2.1 draws the same cases with a packed carpus and a flattened distal radius, see
``carpus``; 2.2 draws swelling at MCP3 and MCP4, inside the palm's outline, which 2.0 and 2.1
recorded but left undrawn).

Every data set records the version that drew it, and an old version stays reproducible:
``python -m ra_models phantoms --generator 1.1.0`` draws the films earlier models were
trained on, pixel for pixel. New code asks this module, not a version's own module.
"""

from __future__ import annotations

from types import SimpleNamespace

LATEST = "2.2.0"
VERSIONS = ("1.1.0", "2.0.0", "2.1.0", "2.2.0")


def get(version: str = LATEST) -> SimpleNamespace:
    """The generator of ``version``: sample_spec, render, spec_from_controls, with_changes,
    MASK_LABELS, RA_SIGNS, SUBTYPES, SUBTYPE_NAMES and the manifest's joint columns."""
    if version == "1.1.0":
        from . import phantom as v1

        return SimpleNamespace(
            version=version, sample_spec=v1.sample_spec, render=v1.render,
            spec_from_controls=v1.spec_from_controls, with_changes=v1.with_changes,
            MASK_LABELS=v1.MASK_LABELS, RA_SIGNS=tuple(v1.MASK_LABELS),
            SUBTYPES=("healthy", "oa", "early_ra", "established_ra"),
            SUBTYPE_NAMES={"healthy": "healthy", "oa": "osteoarthritis", "early_ra": "early RA",
                           "established_ra": "established RA"},
            erosion_joints=v1.EROSION_JOINTS, narrowing_joints=v1.NARROWING_JOINTS)
    if version in ("2.0.0", "2.1.0", "2.2.0"):
        from . import cases, film, lesions, svh

        def stamped(make):  # the same case draws; the version decides how it is rendered
            return lambda *a, **kw: cases.with_changes(make(*a, **kw), generator_version=version)

        return SimpleNamespace(
            version=version, sample_spec=stamped(cases.sample_spec), render=film.render,
            spec_from_controls=stamped(cases.spec_from_controls), with_changes=cases.with_changes,
            MASK_LABELS=lesions.MASK_LABELS, RA_SIGNS=lesions.RA_SIGNS, SUBTYPES=cases.SUBTYPES,
            SUBTYPE_NAMES=cases.SUBTYPE_NAMES,
            erosion_joints=svh.EROSION_AREAS + ("DIP2", "DIP3", "DIP4", "DIP5"),
            narrowing_joints=svh.JSN_AREAS + ("DIP2", "DIP3", "DIP4", "DIP5", "CMC1", "IP1"))
    raise ValueError(f"unknown generator version {version!r}; known: {', '.join(VERSIONS)}")


def for_spec(spec) -> SimpleNamespace:
    return get(getattr(spec, "generator_version", "1.1.0"))


def render(spec, size: int = 256, **kw):
    """Render a spec of any version with its own generator."""
    return for_spec(spec).render(spec, size, **kw)


def sample_spec(seed: int, label: str | None = None, *, version: str = LATEST, **kw):
    return get(version).sample_spec(seed, label, **kw)


def make_phantom(seed: int, label: str | None = None, size: int = 256, *,
                 version: str = LATEST):
    """Sample a spec from ``seed`` and render it. Returns ``(image, mask, spec)``."""
    spec = sample_spec(seed, label, version=version)
    img, mask = render(spec, size)
    return img, mask, spec
