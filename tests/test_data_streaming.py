"""fit, evaluate and predict on batches that stream: Keras's PyDataset and generators, prepared ahead in threads."""

import threading
import time

import numpy as np
import pytest

import minidl
from minidl import Input, Sequential
from minidl.training.data import PyDataset
from minidl.layers import Dense


class Slices(PyDataset):
    """Batches cut from arrays, recording which thread made each and how far ahead of the consumer it ran."""

    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size
        self.threads, self.requested, self.epochs_ended, self.epochs_begun = set(), [], 0, 0

    def __len__(self):
        return int(np.ceil(len(self.x) / self.batch_size))

    def __getitem__(self, index):
        self.threads.add(threading.current_thread().name)
        self.requested.append(index)
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.x[part], self.y[part]

    def on_epoch_begin(self):
        self.epochs_begun += 1

    def on_epoch_end(self):
        self.epochs_ended += 1


def model():
    minidl.core.random.seed(3)
    net = Sequential([Input((4,)), Dense(8, activation="tanh"), Dense(3, activation="softmax")])
    net.compile(minidl.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return net


@pytest.fixture
def data(rng):
    x = rng.normal(size=(70, 4)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(int) + (x[:, 1] > 1).astype(int)


def test_a_dataset_trains_exactly_as_the_same_arrays(data):
    x, y = data
    expected = model().fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0, validation_data=(x, y)).history
    dataset = Slices(x, y, 16, workers=2, max_queue_size=3)
    history = model().fit(dataset, epochs=3, shuffle=False, verbose=0, validation_data=Slices(x, y, 16)).history
    assert history == expected
    assert dataset.epochs_ended == dataset.epochs_begun == 3
    assert any(name.startswith("minidl-batches") for name in dataset.threads)  # made beside the training loop


def test_shuffled_batch_order_repeats_with_the_seed(data):
    x, y = data
    orders = []
    for _ in range(2):
        dataset = Slices(x, y, 10, workers=1)
        model().fit(dataset, epochs=2, verbose=0)
        orders.append(dataset.requested)
    assert orders[0] == orders[1] and orders[0][:7] != list(range(7)) and sorted(orders[0][:7]) == list(range(7))


def test_batches_are_prepared_at_most_max_queue_size_ahead(data):
    x, y = data

    class Watched(Slices):
        def __getitem__(self, index):
            self.ahead = max(getattr(self, "ahead", 0), index - consumed[0])
            return super().__getitem__(index)

    consumed = [0]

    class Count(minidl.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            consumed[0] = batch + 1
            time.sleep(0.002)

    dataset = Watched(x, y, 5, workers=2, max_queue_size=3)
    model().fit(dataset, epochs=1, shuffle=False, verbose=0, callbacks=[Count()])
    assert dataset.ahead <= 3
    assert not [t for t in threading.enumerate() if t.name.startswith(("minidl-batches", "minidl-generator"))]


def test_a_generator_gives_steps_per_epoch_batches(data):
    x, y = data

    def forever():
        while True:
            for start in range(0, 64, 16):
                yield x[start:start + 16], y[start:start + 16]

    history = model().fit(forever(), steps_per_epoch=4, epochs=3, verbose=0).history
    assert len(history["loss"]) == 3 and history["loss"][-1] < history["loss"][0]
    with pytest.raises(ValueError, match="a generator needs steps_per_epoch"):
        model().fit(forever(), epochs=1, verbose=0)

    def short():
        yield x[:16], y[:16]

    with pytest.raises(ValueError, match="stopped before giving the 4 batches"):
        model().fit(short(), steps_per_epoch=4, epochs=1, verbose=0)
    assert not [t for t in threading.enumerate() if t.name.startswith("minidl-generator") and t.is_alive()]


def test_evaluate_and_predict_take_datasets(data):
    x, y = data
    net = model()
    net.fit(x, y, epochs=1, verbose=0)
    expected = net.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert net.evaluate(Slices(x, y, 16), verbose=0, return_dict=True) == pytest.approx(expected, rel=1e-6)

    class Inputs(Slices):
        def __getitem__(self, index):
            return super().__getitem__(index)[0]

    np.testing.assert_allclose(net.predict(Inputs(x, y, 16)), net.predict(x), rtol=1e-6)


def test_a_failing_batch_stops_training_with_its_error_and_leaves_no_thread(data):
    x, y = data

    class Broken(Slices):
        def __getitem__(self, index):
            if index == 2:
                raise OSError("shard 2 is unreadable")
            return super().__getitem__(index)

    with pytest.raises(OSError, match="shard 2 is unreadable"):
        model().fit(Broken(x, y, 10, workers=2), epochs=1, shuffle=False, verbose=0)
    assert not [t for t in threading.enumerate() if t.name.startswith("minidl-batches")]
    with pytest.raises(ValueError, match="give no separate y"):
        model().fit(Slices(x, y, 10), y, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="class_weight does not go with a dataset"):
        model().fit(Slices(x, y, 10), class_weight={0: 2.0}, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"each batch must be \(x, y\)"):
        model().fit(iter([x[:5]] * 3), steps_per_epoch=3, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="use_multiprocessing is not supported"):
        Slices(x, y, 10, use_multiprocessing=True)
