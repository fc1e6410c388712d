"""Rasa 3.6's own CLI with Python's and NumPy's global random generators seeded first. Runs
under .venv-rasa; imports none of our packages. Usage: `seeded_rasa.py SEED <rasa arguments>`.

Why: `rasa test nlu --cross-validation` splits the data with
`StratifiedKFold(shuffle=True)` and no `random_state` (`rasa.nlu.test.generate_folds`), so
the split comes from NumPy's global generator, which nothing seeds: every run tested each
example against a different model and the macro-F1 moved by about ±0.005 between two runs on
the same data. Seeded here, before Rasa is imported, the same data gives the same folds.
Rasa's files are not touched. (DIET's own `random_seed` in config.yml fixes its weights and
batches; TensorFlow's threads still leave a little run-to-run noise.)
"""

from __future__ import annotations

import random
import sys

import numpy as np


def main() -> int:
    if len(sys.argv) < 3 or not sys.argv[1].isdigit():
        print("usage: seeded_rasa.py SEED <rasa arguments>", file=sys.stderr)
        return 2
    seed = int(sys.argv[1])
    random.seed(seed)
    np.random.seed(seed)
    sys.argv = ["rasa", *sys.argv[2:]]
    from rasa.__main__ import main as rasa_main

    rasa_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
