"""MLP Playground: the library behind the app (importable without streamlit).

Where each idea lives:
- the set-up: `config.py` (every knob, validated once), `datasets.py` and `userdata.py` (the data);
- TensorFlow Playground: `tfplayground.py` (its random stream, data and initial weights, exactly),
  `tflink.py` (its links, read into a Config and written back);
- the torch maths, for one model or K stacked: `nn/` (one registry record per name; the passes);
- training: `train.py` (the loop, `Run`), `batches.py`, `device.py`, `stacked.py`, what a run
  records (`snapshots.py`: the replay, `trajectory.py`: the weights' path, via `spread.py`);
  `schedule.py` (live jobs: play until pause, paces, steps; the workers that share the cores);
- the NumPy lesson: `scratch/` (`mlp.py` imports only NumPy; `adapter.py`, `gradcheck.py`);
- looking and comparing: `insight.py`, `landscape.py`, `compare.py`, `sweep.py`, `lessons.py`,
  `export.py`, `cli.py`;
- pictures: `draw/` (colours, images, the panels' Plotly figures, the diagram, the equations); `ui/`: the page.

    from playground import Config, train
    run = train(Config(dataset="moons", hidden=(16, 16), activation="relu", optimizer="adam", lr=0.01))
    run.history["test_acc"][-1]
"""

from .config import FIELDS, GROUPS, Config, ConfigError
from .datasets import DATASETS, FEATURES, Data, make_data
from .nn.losses import LOSSES
from .nn.model import ACTIVATIONS, INITS
from .nn.optim import OPTIMIZERS, SCHEDULES
from .train import Run, load_data, train

__all__ = [
    "ACTIVATIONS", "DATASETS", "FEATURES", "FIELDS", "GROUPS", "INITS", "LOSSES", "OPTIMIZERS",
    "SCHEDULES", "Config", "ConfigError", "Data", "Run", "load_data", "make_data", "train",
]
