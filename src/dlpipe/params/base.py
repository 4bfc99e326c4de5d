"""Building blocks of the params schema, shared by the project sections and the MNIST tasks."""

from __future__ import annotations

import importlib.util
from typing import Annotated, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, model_validator

Seed = Annotated[int, Field(ge=0, le=2**32 - 1, strict=True)]
PosInt = Annotated[int, Field(gt=0, strict=True)]
Fraction = Annotated[float, Field(gt=0.0, lt=1.0)]


def _distinct(names: dict | None) -> dict | None:
    if names is not None and len(set(names.values())) < len(names):
        raise ValueError(f"expected a distinct name for each label value, got {names}")
    return names


# a name for each value of a label (the value as the data has it: a whole number or a text)
ClassNames = Annotated[Union[dict[Union[StrictInt, str], str], None], AfterValidator(_distinct)]


class Strict(BaseModel):
    """Every field required unless it says otherwise; unknown keys refused; immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- models ---------------------------------------------------------------------------------------
# model.backend: the package each Keras backend imports, and the pip extra that installs it
BACKEND_PACKAGES = {"tensorflow": ("tensorflow", "dlpipe"), "jax": ("jax", "dlpipe[jax]"),
                    "torch": ("torch", "dlpipe[torch]")}


_INSTALLED: set[str] = set()  # backends found once in this process: params load often


def missing_backend(name: str) -> str | None:
    """What a missing Keras backend ``name`` needs (the expectation a refusal states); None
    when it is installed."""
    module, extra = BACKEND_PACKAGES[name]
    if name in _INSTALLED:
        return None
    if importlib.util.find_spec(module) is None:
        return (f"an installed backend (pip install '{extra}' installs {module}; dlpipe's image "
                f"carries those in container.backends)")
    _INSTALLED.add(name)
    return None


def _installed(name: str) -> str:
    problem = missing_backend(name)
    if problem:
        raise ValueError(problem)
    return name


class KerasModel(Strict):
    """A Keras Sequential network; ``kind`` picks the MLP, the small CNN for images or the
    Transformer encoder for a text's word ids (its pooled output goes through the MLP's
    layers)."""

    kind: Literal["mlp", "cnn", "transformer"]
    # Keras' backend for training, refused at load when not installed
    backend: Annotated[Literal["tensorflow", "jax", "torch"], AfterValidator(_installed)]
    n_layers: Annotated[int, Field(ge=0, le=10, strict=True)]  # 0: softmax regression
    units: PosInt
    activation: Literal["relu", "tanh", "sigmoid"]
    batch_norm: bool
    dropout: Annotated[float, Field(ge=0.0, lt=1.0)]
    l2: Annotated[float, Field(ge=0.0)]
    conv_filters: PosInt
    conv_blocks: Annotated[int, Field(ge=0, le=4, strict=True)]
    image_shape: Union[tuple[PosInt, PosInt, PosInt], None]
    random_shift: Annotated[float, Field(ge=0.0, lt=0.5)]
    random_flip: Literal["none", "horizontal", "vertical", "horizontal_and_vertical"]
    random_rotation: Annotated[float, Field(ge=0.0, le=0.5)]  # a fraction of a full turn
    random_contrast: Annotated[float, Field(ge=0.0, lt=1.0)]
    embedding_dim: PosInt  # transformer: width of the word and position embeddings
    attention_heads: PosInt  # transformer: heads of each block's self-attention
    attention_blocks: Annotated[int, Field(ge=1, le=12, strict=True)]  # transformer blocks
    # auto: cross-entropy for classes, mean squared error for a value; huber: a value only
    loss: Literal["auto", "mse", "huber"]
    optimizer: Literal["adam", "sgd"]
    learning_rate: Annotated[float, Field(gt=0.0, le=10.0)]
    lr_decay: Annotated[float, Field(gt=0.0, le=1.0)]  # the rate is multiplied by this per epoch
    batch_size: PosInt
    epochs: PosInt
    patience: PosInt
    validation_fraction: Fraction
    verbose: Literal[0, 1, 2]

    @model_validator(mode="after")
    def _cnn_needs_shape(self) -> "KerasModel":
        if self.kind == "cnn" and self.image_shape is None:
            raise ValueError("kind 'cnn' needs image_shape [height, width, channels]")
        if self.kind == "transformer" and self.embedding_dim % self.attention_heads:
            raise ValueError(f"kind 'transformer': embedding_dim {self.embedding_dim} must be a "
                             f"multiple of attention_heads {self.attention_heads}")
        if self.augments and self.image_shape is None:
            raise ValueError("random_shift, random_flip, random_rotation and random_contrast "
                             "need image_shape [height, width, channels]")
        return self

    @property
    def augments(self) -> bool:
        """Whether training images are augmented (moved, flipped, rotated or contrasted)."""
        return (self.random_shift > 0 or self.random_flip != "none" or self.random_rotation > 0
                or self.random_contrast > 0)
