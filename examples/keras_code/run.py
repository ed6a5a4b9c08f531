"""Keras code from population-genetics papers, run on minidl with only the imports changed.

Two networks, written as their authors wrote them for Keras:

- Perez et al. 2022's ``create_cnn`` (functional API: Input, Conv1D,
  AveragePooling1D, Dropout, Flatten, Dense, Model), as in their notebook
  CNN_Piloso.ipynb, compiled and trained with their callbacks;
- a Flagel et al. 2019-style network of two branches: the genotype matrix
  through 1-D convolutions, the SNP positions through a dense layer,
  joined with ``concatenate``.

The notebook validates on its test set; here a separate validation set
serves the callbacks, and the test set is only scored at the end. Both
networks learn to tell a constant-size population from one that went through a
bottleneck, on genotype matrices simulated here with msprime (the first 64
segregating sites of 20 haplotypes; shorter matrices are padded with zeros
and their positions with 1, the end of the sequence). Each trained network
is then saved as a Keras ``.keras`` file, which Keras 3 loads as it is.

    python examples/keras_code/run.py            # 600 simulations per scenario, 20 epochs (about 15 s on 2 cores)
    python examples/keras_code/run.py --quick    # 40 per scenario, 2 epochs: checks every step

Measured (2026-12-03, 2 cores, default settings): test accuracy 0.667 for
Perez's network and 0.880 for the two-branch one (0.660 and 0.893 with
--epochs 60), and Keras 3.15 loading the saved files predicts within
1.2e-7 of minidl. The gap is the lesson: with a fixed number of SNPs the
genotype matrix alone hides how densely the SNPs lie, which a bottleneck
changes; the positions branch sees it.
"""

from __future__ import annotations

import argparse
import os
import time

import msprime
import numpy as np

# The only lines that differ from the Keras originals: where the names come from.
import minidl as keras
from minidl.callbacks import EarlyStopping, ModelCheckpoint, ReduceLROnPlateau
from minidl.layers import AveragePooling1D, Conv1D, Dense, Dropout, Flatten, Input, concatenate
from minidl.models import Model

SNPS, HAPLOTYPES, LENGTH = 64, 20, 100_000


def simulate(scenario: str, replicates: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(genotypes (replicates, SNPS, HAPLOTYPES), positions (replicates, SNPS) in [0, 1]) for one scenario."""
    demography = msprime.Demography()
    demography.add_population(name="pop", initial_size=10_000)
    if scenario == "bottleneck":  # a tenfold reduction between 2,000 and 4,000 generations ago
        demography.add_population_parameters_change(time=2_000, initial_size=1_000, population="pop")
        demography.add_population_parameters_change(time=4_000, initial_size=10_000, population="pop")
    genotypes = np.zeros((replicates, SNPS, HAPLOTYPES), dtype=np.float32)
    positions = np.ones((replicates, SNPS), dtype=np.float32)
    ancestries = msprime.sim_ancestry(samples={"pop": HAPLOTYPES // 2}, demography=demography,
                                      sequence_length=LENGTH, recombination_rate=1e-8, random_seed=seed,
                                      num_replicates=replicates)
    for index, ts in enumerate(ancestries):
        ts = msprime.sim_mutations(ts, rate=1e-8, random_seed=seed + index + 1)
        matrix = ts.genotype_matrix()[:SNPS]
        genotypes[index, : len(matrix)] = matrix
        positions[index, : len(matrix)] = ts.tables.sites.position[:SNPS] / LENGTH
    return genotypes, positions


def create_cnn(xtest, num_classes):
    """Perez et al. 2022's network (CNN_Piloso.ipynb), unchanged but for the number of classes."""
    inputShape = (xtest.shape[1], xtest.shape[2])  # noqa: N806 - the authors' names
    inputs = Input(shape=inputShape)
    x = inputs
    x = Conv1D(250, kernel_size=2, activation="relu", input_shape=(xtest.shape[1], xtest.shape[2]))(x)
    x = Conv1D(125, kernel_size=2, activation="relu")(x)
    x = AveragePooling1D(pool_size=2)(x)
    x = Dropout(0.75)(x)
    x = Conv1D(125, kernel_size=2, activation="relu")(x)
    x = AveragePooling1D(pool_size=2)(x)
    x = Dropout(0.75)(x)
    x = Flatten()(x)
    x = Dense(125, activation="relu")(x)
    x = Dropout(0.5)(x)
    x = Dense(125, activation="relu")(x)
    x = Dropout(0.5)(x)
    x = Dense(num_classes, activation="softmax")(x)
    return Model(inputs, x)


def create_two_branch(snps, haplotypes, num_classes):
    """Genotypes through convolutions, positions through a dense layer, joined (Flagel et al. 2019's design)."""
    genotypes = Input(shape=(snps, haplotypes), name="genotypes")
    x = Conv1D(64, kernel_size=2, activation="relu")(genotypes)
    x = Conv1D(64, kernel_size=2, activation="relu")(x)
    x = AveragePooling1D(pool_size=2)(x)
    x = Dropout(0.25)(x)
    x = Flatten()(x)
    positions = Input(shape=(snps,), name="positions")
    p = Dense(32, activation="relu")(positions)
    p = Dropout(0.1)(p)
    merged = concatenate([x, p])
    merged = Dense(64, activation="relu")(merged)
    merged = Dropout(0.25)(merged)
    output = Dense(num_classes, activation="softmax")(merged)
    return Model(inputs=[genotypes, positions], outputs=output)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="40 simulations per scenario, 2 epochs")
    parser.add_argument("--replicates", type=int, default=600, help="simulations per scenario")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--out", default="keras_code_out", help="folder for the saved .keras models")
    arguments = parser.parse_args(argv)
    replicates, epochs = (40, 2) if arguments.quick else (arguments.replicates, arguments.epochs)
    os.makedirs(arguments.out, exist_ok=True)
    keras.random.seed(1)

    start = time.time()
    parts = [simulate(scenario, replicates, seed=1 + 100_000 * k) for k, scenario in
             enumerate(["constant", "bottleneck"])]
    genotypes = np.concatenate([g for g, _ in parts])
    positions = np.concatenate([p for _, p in parts])
    labels = np.repeat(np.arange(2), replicates)
    order = np.random.default_rng(2).permutation(len(labels))
    genotypes, positions, labels = genotypes[order], positions[order], labels[order]
    test = len(labels) // 4  # the first quarter: never seen in training, nor used to choose a checkpoint
    valid = slice(test, test + len(labels) // 8)  # the next eighth: validation, for the callbacks
    train = slice(valid.stop, None)
    y = keras.utils.to_categorical(labels, 2)
    print(f"simulated {len(labels)} genotype matrices of {SNPS} SNPs x {HAPLOTYPES} haplotypes "
          f"in {time.time() - start:.0f} s; {test} held out for testing, {valid.stop - valid.start} for validation")

    results = {}
    cnn = create_cnn(genotypes[:test], 2)
    cnn.compile(loss=keras.losses.categorical_crossentropy, optimizer=keras.optimizers.Adam(), metrics=["accuracy"])
    cnn.summary()
    checkpoint = os.path.join(arguments.out, "perez_best.npz")
    mcp_save = ModelCheckpoint(checkpoint, save_best_only=True, monitor="val_accuracy", mode="max")
    reduce_lr_loss = ReduceLROnPlateau(monitor="val_accuracy", factor=0.2, patience=20, verbose=1, mode="max")
    cnn.fit(genotypes[train], y[train], batch_size=64, epochs=epochs, verbose=2,
            validation_data=(genotypes[valid], y[valid]), callbacks=[mcp_save, reduce_lr_loss])
    best = keras.load_model(checkpoint)
    results["perez_create_cnn"] = best.evaluate(genotypes[:test], y[:test], verbose=0, return_dict=True)["accuracy"]
    best.save(os.path.join(arguments.out, "perez_create_cnn.keras"))

    two_branch = create_two_branch(SNPS, HAPLOTYPES, 2)
    two_branch.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(0.001), metrics=["accuracy"])
    two_branch.summary()
    two_branch.fit([genotypes[train], positions[train]], y[train], batch_size=64, epochs=epochs, verbose=2,
                   validation_data=([genotypes[valid], positions[valid]], y[valid]),
                   callbacks=[EarlyStopping(patience=5, restore_best_weights=True)])
    results["flagel_two_branch"] = two_branch.evaluate([genotypes[:test], positions[:test]], y[:test], verbose=0,
                                                       return_dict=True)["accuracy"]
    two_branch.save(os.path.join(arguments.out, "flagel_two_branch.keras"))

    for name, accuracy in results.items():
        print(f"{name}: test accuracy {accuracy:.3f} on {test} simulations (constant size vs bottleneck)")
    print(f"saved as Keras files in {arguments.out}/ (keras.saving.load_model reads them)")
    return {"test_samples": test, "accuracy": results}


if __name__ == "__main__":
    main()
