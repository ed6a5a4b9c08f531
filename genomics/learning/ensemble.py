"""Ensembles of independently initialised networks whose calibrated probabilities are averaged.

K networks of one architecture, trained on the same split from initial
weights drawn with seeds s, s + 1, ..., s + K - 1 (Lakshminarayanan et al.
2017, "deep ensembles"). Member k has logits z_k and its own temperature T_k
(fitted on the calibration split; 1 when there is none), so its calibrated
probabilities are p_k = softmax(z_k / T_k). The ensemble's probability is their
mean, and its logits are the log of that mean:

    p = (1/K) sum_k p_k,        z = log p        (softmax(z) = p, since sum p = 1)

so that the ensemble is calibrated once more, as one network is, by a
temperature on z (``genomics.learning.calibration``): averaging calibrated members
tends to soften the probabilities, and that temperature sharpens them back
where the calibration split says so. The spread of the members, the
standard deviation of p_k over k, says how much the networks disagree.

One bundle file holds the ensemble: member 0 as the file's model, members 1
to K - 1 as the file's extra weight lists (same architecture, see
``minidl.saving``), the member temperatures in the bundle's metadata.
"""

from __future__ import annotations

import numpy

import minidl
from genomics.learning import calibration, networks as models
from minidl.saving import read_extra_weights


def mean_logits(member_probabilities: numpy.ndarray) -> numpy.ndarray:
    """z = log of the mean over members (axis 0) of their probabilities; a mean below the smallest float is floored."""
    return numpy.log(numpy.maximum(member_probabilities.mean(axis=0), numpy.finfo(float).tiny))


class Ensemble:
    """K networks of one architecture and their temperatures; ``logits`` are log of the mean calibrated probability."""

    def __init__(self, members: list, temperatures: list) -> None:
        if len(members) < 2 or len(temperatures) != len(members):
            raise ValueError(f"an ensemble has 2 or more members, each with a temperature or None; got "
                             f"{len(members)} members and {len(temperatures)} temperatures")
        self.members, self.temperatures = list(members), list(temperatures)

    def member_probabilities(self, inputs: numpy.ndarray, batch_size: int = 256) -> numpy.ndarray:
        """p_k = softmax(z_k / T_k) of every member: (K, N, scenarios)."""
        return numpy.stack([calibration.softmax(models.logits(member, inputs, batch_size), temperature or 1.0)
                            for member, temperature in zip(self.members, self.temperatures)])

    def logits(self, inputs: numpy.ndarray, batch_size: int = 256) -> numpy.ndarray:
        """z = log((1/K) sum_k p_k), (N, scenarios)."""
        return mean_logits(self.member_probabilities(inputs, batch_size))

    def embedding(self, inputs: numpy.ndarray, batch_size: int = 256) -> numpy.ndarray:
        """The members' penultimate representations side by side: (N, K x features)."""
        return numpy.concatenate([models.embedding(member, inputs, batch_size) for member in self.members], axis=1)

    def save(self, path: str, metadata: dict, include_optimizer: bool = False) -> None:
        """One file: member 0 as the model, the others as extra weight lists, the temperatures in ``metadata``.

        ``include_optimizer`` keeps member 0's optimizer state (the others' never travel): off by default,
        since a bundle predicts and is not resumed.
        """
        entry = {**metadata.get("ensemble", {}), "members": len(self.members),
                 "member_temperatures": self.temperatures}
        self.members[0].save(path, metadata={**metadata, "ensemble": entry},
                             extra_weights={f"member_{k}": member.get_weights()
                                            for k, member in enumerate(self.members[1:], start=1)},
                             include_optimizer=include_optimizer)

    @classmethod
    def load(cls, path: str, first: minidl.Sequential, metadata: dict) -> "Ensemble":
        """The ensemble of a bundle whose model (member 0) is ``first``."""
        extra = read_extra_weights(path)
        entry = metadata["ensemble"]
        count = entry.get("members") if isinstance(entry, dict) else None
        if isinstance(count, bool) or not isinstance(count, int) or not 2 <= count <= len(extra) + 1:
            raise ValueError(f"{path!r}: the bundle says its ensemble has {count!r} members, but it holds the weights "
                             f"of {len(extra) + 1} networks")
        temperatures = entry.get("member_temperatures")
        if not isinstance(temperatures, list) or len(temperatures) != count:
            raise ValueError(f"{path!r}: the bundle's ensemble of {count} members lists the temperatures "
                             f"{temperatures!r}, not one per member")
        members = [first]
        for k in range(1, count):
            if f"member_{k}" not in extra:
                raise ValueError(f"{path!r} is an ensemble of {count} networks but lacks member {k}'s weights")
            member = minidl.Sequential.from_config(first.get_config())
            try:
                member.set_weights(extra[f"member_{k}"])
            except ValueError as error:
                raise ValueError(f"{path!r}: member {k}'s weights do not fit the bundle's network: {error}") from None
            members.append(member)
        return cls(members, temperatures)


def check_temperatures(metadata: dict, path: str) -> None:
    """Refuse a bundle whose temperature (or an ensemble member's) is not a finite number > 0.

    p = softmax(z / T): T <= 0 reverses or erases the ranking of the scenarios and a non-finite T gives no
    probabilities, so such a bundle is an error naming the file and the value when it is read. None (a
    bundle without calibration, a member without a calibration split) is T = 1.
    """
    calibration_entry = metadata.get("calibration") or {}
    members = (metadata.get("ensemble") or {}).get("member_temperatures") or []
    if not isinstance(calibration_entry, dict) or not isinstance(members, list):
        raise ValueError(f"{path!r}: the bundle's calibration or ensemble entry is not a table")
    named = [("temperature", calibration_entry.get("temperature"))]
    named += [(f"ensemble member {k}'s temperature", value) for k, value in enumerate(members)]
    for what, value in named:
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not numpy.isfinite(value) or value <= 0:
            raise ValueError(f"{path!r}: the bundle's {what} is {value!r}; a temperature must be a finite number > 0 "
                             "(T <= 0 would reverse or erase the scenarios' ranking)")


def logits(model: minidl.Sequential | Ensemble, inputs: numpy.ndarray) -> numpy.ndarray:
    """The scenario logits of one network or of an ensemble."""
    return model.logits(inputs) if isinstance(model, Ensemble) else models.logits(model, inputs)


def embedding(model: minidl.Sequential | Ensemble, inputs: numpy.ndarray) -> numpy.ndarray:
    """The penultimate representation of one network or of an ensemble."""
    return model.embedding(inputs) if isinstance(model, Ensemble) else models.embedding(model, inputs)


def logits_and_spread(model: minidl.Sequential | Ensemble,
                      inputs: numpy.ndarray) -> tuple[numpy.ndarray, numpy.ndarray | None]:
    """(logits, the standard deviation of the members' calibrated probabilities (N, scenarios)), with one pass
    of every member; the spread is None for one network."""
    if not isinstance(model, Ensemble):
        return models.logits(model, inputs), None
    probabilities = model.member_probabilities(inputs)
    return mean_logits(probabilities), probabilities.std(axis=0)
