"""The train / validation / calibration / test split of a simulation folder, stratified by scenario."""

from __future__ import annotations

from dataclasses import dataclass

import numpy

from genomics.pipeline.config import TrainingConfig


def stratified_split(labels: numpy.ndarray, fractions: tuple[float, ...], seed: int) -> tuple[numpy.ndarray, ...]:
    """Index arrays (train, then one per fraction), every scenario split in the same proportions, seeded.

    ``fractions`` are those of the held-out parts (e.g. validation,
    calibration, test); train gets the rest. A part with a positive fraction
    gets at least one replicate of each scenario.
    """
    if any(f < 0 for f in fractions) or sum(fractions) >= 1:
        raise ValueError(f"the held-out fractions must be >= 0 and sum below 1, got {', '.join(map(str, fractions))}")
    generator = numpy.random.default_rng(seed)
    parts: list[list[int]] = [[] for _ in range(len(fractions) + 1)]
    for label in numpy.unique(labels):
        members = generator.permutation(numpy.flatnonzero(labels == label))
        start = 0
        for index, fraction in enumerate(fractions, start=1):
            size = max(1, round(fraction * len(members))) if fraction > 0 else 0
            parts[index].extend(members[start : start + size])
            start += size
        parts[0].extend(members[start:])
    return tuple(generator.permutation(numpy.array(part, dtype=int)) for part in parts)


@dataclass
class Split:
    """Indices of the replicates in each part, every scenario split in the same proportions."""

    train: numpy.ndarray
    validation: numpy.ndarray
    calibration: numpy.ndarray
    test: numpy.ndarray

    def sizes(self) -> dict:
        return {"train": len(self.train), "validation": len(self.validation), "calibration": len(self.calibration),
                "test": len(self.test)}

    def taking_part(self) -> tuple[numpy.ndarray, "Split"]:
        """(the replicates of every part, in part order; the same split as positions in that array), so that
        only the replicates taking part are encoded."""
        parts = [self.train, self.validation, self.calibration, self.test]
        ends = numpy.cumsum([0] + [len(part) for part in parts])
        return numpy.concatenate(parts), Split(*(numpy.arange(ends[i], ends[i + 1]) for i in range(4)))


def split_replicates(labels: numpy.ndarray, config: TrainingConfig) -> Split:
    """Step 1: train / validation / calibration / test indices, stratified by scenario, seeded by the split seed.

    With ``config.replicates_per_scenario`` = N, only the first N replicates
    of each scenario take part (the same ones for every seed).
    """
    use = numpy.arange(len(labels))
    if config.replicates_per_scenario:
        use = numpy.concatenate([numpy.flatnonzero(labels == label)[: config.replicates_per_scenario]
                                 for label in numpy.unique(labels)])
    if config.on_the_fly:  # no training part: the fractions of the held-out parts, scaled to sum to 1
        total = config.validation_fraction + config.calibration_fraction + config.test_fraction
        test, validation, calibration = stratified_split(
            labels[use], (config.validation_fraction / total, config.calibration_fraction / total),
            config.seeds["split"])
        return Split(use[:0], use[validation], use[calibration], use[test])
    parts = stratified_split(labels[use], (config.validation_fraction, config.calibration_fraction,
                                           config.test_fraction), config.seeds["split"])
    return Split(*(use[part] for part in parts))
