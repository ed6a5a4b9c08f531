"""Exercise 22 (capstone, step 3 of 3): a CNN that tells two demographic histories apart from SNP images.

Population genetics asks which history made a sample of genomes. Here two
are simulated with msprime (the coalescent): a population of constant size
10,000, and one that grew exponentially from 1,000 to 10,000 over the last
2,000 generations. Growth leaves many young, rare variants; a constant size
leaves more variants shared by many haplotypes. Each sample is an image of
20 haplotypes (rows, sorted by how many derived alleles they carry) x the
first 48 SNPs (columns, 0 = ancestral, 1 = derived; shorter samples padded
with 0) with one channel.

The checker simulates the data afresh at each check (its seed), gives you
300 images of each history for training, keeps 200 of each back, and
measures your network on those: at least 90% right.

Write ``train(x, y)``: x (600, 20, 48, 1) float32, y (600,) with 0 =
constant size, 1 = growth; return a model whose ``predict(x)`` gives (n, 2)
class scores. A hint: the information is in how many haplotypes carry each
SNP (the site frequency spectrum), so a convolution over whole columns, or
pooling over haplotypes, learns it quickly.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy

from minidl.exercises.checks import Report, held_out_accuracy

TITLE = "capstone 3: a CNN telling constant size from growth on SNP images"
NAMES = ("train",)
THRESHOLD = 0.9
HAPLOTYPES, SNPS, TRAIN, HELD_OUT = 20, 48, 300, 200


def simulate(history: str, replicates: int, seed: int) -> numpy.ndarray:
    """(replicates, HAPLOTYPES, SNPS, 1) float32 images of one history, simulated with msprime."""
    import msprime  # noqa: PLC0415 - only this exercise simulates

    demography = msprime.Demography()
    if history == "growth":  # N(t) = 10,000 e^{-r t} for t < 2,000, then 1,000
        rate = numpy.log(10.0) / 2_000
        demography.add_population(name="pop", initial_size=10_000, growth_rate=rate)
        demography.add_population_parameters_change(time=2_000, initial_size=1_000, growth_rate=0, population="pop")
    else:
        demography.add_population(name="pop", initial_size=10_000)
    images = numpy.zeros((replicates, HAPLOTYPES, SNPS, 1), dtype=numpy.float32)
    ancestries = msprime.sim_ancestry(samples={"pop": HAPLOTYPES // 2}, demography=demography, sequence_length=50_000,
                                      recombination_rate=1e-8, random_seed=seed, num_replicates=replicates)
    for index, tree_sequence in enumerate(ancestries):
        mutated = msprime.sim_mutations(tree_sequence, rate=1e-8, random_seed=seed + index + 1)
        genotypes = mutated.genotype_matrix().T[:, :SNPS].clip(0, 1)  # haplotypes x sites
        genotypes = genotypes[numpy.argsort(-genotypes.sum(axis=1), kind="stable")]
        images[index, :, : genotypes.shape[1], 0] = genotypes
    return images


def reference() -> SimpleNamespace:
    def train(x: numpy.ndarray, y: numpy.ndarray) -> object:
        from minidl import Sequential  # noqa: PLC0415
        from minidl.layers import Conv2D, Dense, GlobalAveragePooling2D, Input

        model = Sequential([Input((HAPLOTYPES, SNPS, 1)), Conv2D(16, (HAPLOTYPES, 1), activation="relu"),
                            GlobalAveragePooling2D(), Dense(2, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=32, epochs=30, verbose=0)
        return model

    return SimpleNamespace(train=train)


def check(solution: object) -> Report:
    report = Report(f"exercise 22: {TITLE}")
    seed = int(report.rng.integers(1, 2**30))
    x = numpy.concatenate([simulate("constant", TRAIN + HELD_OUT, seed), simulate("growth", TRAIN + HELD_OUT, seed + 7919)])
    y = numpy.repeat([0, 1], TRAIN + HELD_OUT)
    train = numpy.r_[0:TRAIN, TRAIN + HELD_OUT:2 * TRAIN + HELD_OUT]
    held_out = numpy.setdiff1d(numpy.arange(len(y)), train)
    order = report.rng.permutation(train)
    held_out_accuracy(report, solution.train, (x[order], y[order]), (x[held_out], y[held_out]), 2, THRESHOLD,
                      f"{len(train)} SNP images", f"{len(held_out)} held-out images")
    return report
