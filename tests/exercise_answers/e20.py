class EarlyStopper:
    def __init__(self, patience, min_delta=0.0):
        self.patience, self.min_delta = patience, min_delta
        self.best, self.best_epoch = float("inf"), None
        self.epoch, self.wait = -1, 0

    def update(self, value):
        self.epoch += 1
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self.wait = value, self.epoch, 0
        else:
            self.wait += 1
        return self.wait >= self.patience
