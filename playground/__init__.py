"""MLP Playground: the library behind the app (importable without streamlit).

    from playground import Config, train
    run = train(Config(dataset="moons", hidden=(16, 16), activation="relu", optimizer="adam", lr=0.01))
    run.history["test_acc"][-1]
"""

from .config import FIELDS, GROUPS, Config, ConfigError
from .datasets import DATASETS, FEATURES, Data, make_data
from .losses import LOSSES
from .model import ACTIVATIONS, INITS
from .optim import OPTIMIZERS, SCHEDULES
from .train import Run, load_data, train

__all__ = [
    "ACTIVATIONS", "DATASETS", "FEATURES", "FIELDS", "GROUPS", "INITS", "LOSSES", "OPTIMIZERS",
    "SCHEDULES", "Config", "ConfigError", "Data", "Run", "load_data", "make_data", "train",
]
