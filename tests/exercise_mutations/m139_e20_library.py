"""Exercise 20: wraps minidl's EarlyStopping."""

EXERCISE = 20
CHANGES = [
]
APPEND = '\nclass EarlyStopper:  # noqa: F811\n    def __init__(self, patience, min_delta=0.0):\n        from minidl import callbacks\n        self.callback = callbacks.EarlyStopping(patience=patience, min_delta=min_delta)\n\n        class Model:\n            stop_training = False\n\n            def get_weights(self):\n                return []\n\n        self.callback.model = Model()\n        self.callback.on_train_begin()\n        self.epoch = -1\n\n    def update(self, value):\n        self.epoch += 1\n        self.callback.on_epoch_end(self.epoch, {"val_loss": value})\n        self.best, self.best_epoch = self.callback.best, self.callback.best_epoch\n        return self.callback.model.stop_training\n'
EXPECT = 'early stopping itself'
