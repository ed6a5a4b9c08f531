"""Exercise 20: early stopping. Then run:

    python -m minidl.exercises check 20 this_file.py

improved <=> value < best - min_delta;  improved: best, best_epoch, wait = value, epoch, 0;  else wait += 1;
stop <=> wait >= patience.  Epochs count from 0.
"""


class EarlyStopper:
    def __init__(self, patience, min_delta=0.0):
        self.patience, self.min_delta = patience, min_delta
        self.best, self.best_epoch = float("inf"), None

    def update(self, value):
        """Take one epoch's held-out loss; return True when training should stop."""
        raise NotImplementedError
