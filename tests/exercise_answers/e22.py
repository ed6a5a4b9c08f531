from minidl import Sequential
from minidl.layers import Conv2D, Dense, GlobalAveragePooling2D, Input


def train(x, y):
    """A convolution over whole columns (each SNP's count of derived alleles), averaged over the SNPs."""
    model = Sequential([Input(x.shape[1:]), Conv2D(16, (x.shape[1], 1), activation="relu"), GlobalAveragePooling2D(),
                        Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=32, epochs=30, verbose=0)
    return model
