"""One error hierarchy for the whole project.

Every refusal the library makes is an :class:`RAError`. The UIs translate these once
(Streamlit: ``st.error``; Flask: an alert on the page or a JSON ``{error: {code, message}}``).
Messages are written for the person who made the input: what was wrong, what is allowed.
"""

from __future__ import annotations


class RAError(Exception):
    """Base class of every error this project raises on purpose."""

    code = "ra_error"


class InvalidInputError(RAError, ValueError):
    """Input that the library refuses: an unreadable file, an out-of-range lab value..."""

    code = "invalid_input"


class InvalidImageError(InvalidInputError):
    """An upload that cannot be used as a radiograph."""

    code = "invalid_image"


class UnsupportedFormatError(InvalidImageError):
    code = "unsupported_format"


class CorruptImageError(InvalidImageError):
    code = "corrupt_image"


class ImageTooLargeError(InvalidImageError):
    code = "image_too_large"


class ImageTooSmallError(InvalidImageError):
    code = "image_too_small"


class ImageShapeError(InvalidImageError):
    """An image far too tall or wide to be a hand radiograph (and costly to pad)."""

    code = "image_shape"


class DicomError(InvalidImageError):
    code = "dicom_error"


class InvalidLabValuesError(InvalidInputError):
    """Lab values that fail validation. ``problems`` maps field name -> message."""

    code = "invalid_lab_values"

    def __init__(self, problems: dict[str, str]):
        self.problems = dict(problems)
        detail = "; ".join(f"{k}: {v}" for k, v in self.problems.items())
        super().__init__(f"Invalid lab values — {detail}")


class InsufficientDataError(InvalidInputError):
    """Valid input that is too little to answer: e.g. age and sex without any lab value."""

    code = "insufficient_data"


class InvalidDataError(InvalidInputError):
    """A data set (CSV, image folder) with problems. ``problems`` lists every bad cell/file."""

    code = "invalid_data"

    def __init__(self, message: str, problems: list[str] | None = None):
        self.problems = list(problems or [])
        text = message
        if self.problems:
            shown = self.problems[:50]
            more = len(self.problems) - len(shown)
            text += "\n" + "\n".join(f"  - {p}" for p in shown)
            if more:
                text += f"\n  … and {more} more"
        super().__init__(text)


class ModelError(RAError):
    code = "model_error"


class ModelNotFoundError(ModelError, FileNotFoundError):
    code = "model_not_found"


class ModelIntegrityError(ModelError):
    """The model file's sha256 does not match its model card."""

    code = "model_integrity"
