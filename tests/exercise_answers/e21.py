from minidl import Sequential
from minidl.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D, Reshape


def train(x, y):
    """A small convolutional network: an MLP reaches about 95.5%, too close to the bar to pass every draw."""
    model = Sequential([Input((784,)), Reshape((28, 28, 1)), Conv2D(16, 3, activation="relu"), MaxPooling2D(2),
                        Conv2D(32, 3, activation="relu"), MaxPooling2D(2), Flatten(), Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=64, epochs=6, verbose=0)
    return model
