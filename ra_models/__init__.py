"""RA decision support: data, models, training, evaluation and prediction (no UI code).

Importing this package is cheap: TensorFlow is imported only when a model is built or loaded.
"""

from .config import DISCLAIMER, Settings
from .errors import (
    InvalidDataError,
    InvalidImageError,
    InvalidInputError,
    InvalidLabValuesError,
    ModelError,
    ModelIntegrityError,
    ModelNotFoundError,
    RAError,
)
from .imaging import ALLOWED_EXTENSIONS, ALLOWED_FORMATS, ImageMeta, IntakeLimits, read_image, sniff_format
from .preprocess import XRAY_INPUT_SIZE, prepare_xray

__version__ = "0.1.0"
__all__ = [
    "read_image", "sniff_format", "prepare_xray", "ImageMeta", "IntakeLimits", "ALLOWED_FORMATS",
    "ALLOWED_EXTENSIONS", "XRAY_INPUT_SIZE", "Settings", "DISCLAIMER", "RAError",
    "InvalidInputError", "InvalidImageError", "InvalidLabValuesError", "InvalidDataError",
    "ModelError", "ModelNotFoundError", "ModelIntegrityError",
]
