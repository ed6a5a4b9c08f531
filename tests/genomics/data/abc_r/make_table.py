"""Writes table.csv and targets.csv, the reference table that make_reference.R gives to R abc 2.2.2.

Run from the repository root: python tests/genomics/data/abc_r/make_table.py. Three scenarios with unequal
numbers of simulations (120, 100, 80: R corrects its model probabilities for that), two parameters
(theta > 0 for the "log" transformation, f in (0, 1) for "logit") and eight noisy statistics of them.
"""

import os

import numpy

HERE = os.path.dirname(os.path.abspath(__file__))
generator = numpy.random.default_rng(20261207)


def simulate(scenario: int, theta: numpy.ndarray, f: numpy.ndarray) -> numpy.ndarray:
    n = len(theta)
    noise = lambda scale: generator.normal(0, scale, n)  # noqa: E731
    shift = numpy.array([0.0, 0.15, 0.3])[scenario]
    return numpy.column_stack([
        numpy.log(theta) + noise(0.2),
        theta * f + noise(0.5),
        shift + f + noise(0.3),
        shift * theta / 5 + noise(0.4),
        numpy.sqrt(theta) * (1 + shift) + noise(0.3),
        f**2 + shift / 2 + noise(0.2),
        generator.gamma(2.0 + 0.3 * scenario, 1.0, n),
        theta / (1 + f) + noise(1.0)])


rows = []
for scenario, count in enumerate((120, 100, 80)):
    theta = generator.uniform(1, 10, count)
    f = generator.uniform(0.05, 0.95, count)
    for t, ff, s in zip(theta, f, simulate(scenario, theta, f)):
        rows.append([scenario, t, ff, *s])
table = numpy.array(rows)
names = ["model", "theta", "f"] + [f"s{i}" for i in range(1, 9)]
numpy.savetxt(os.path.join(HERE, "table.csv"), table, delimiter=",", header=",".join(names), comments="",
              fmt=["%d"] + ["%.17g"] * (len(names) - 1))
targets = numpy.vstack([simulate(s, numpy.array([t]), numpy.array([ff]))
                        for s, t, ff in ((0, 3.0, 0.3), (1, 6.0, 0.5), (2, 8.0, 0.8), (1, 2.0, 0.9))])
numpy.savetxt(os.path.join(HERE, "targets.csv"), targets, delimiter=",",
              header=",".join(names[3:]), comments="", fmt="%.17g")

# degenerate.csv: 360 simulations (120 per scenario) of 30 statistics, scenario means 0.3 apart on the first five,
# and degenerate_target.csv: at tolerance 0.1 the 36 accepted rows meet 62 multinomial coefficients.
degenerate = numpy.random.default_rng(33)
labels = numpy.repeat([0, 1, 2], 120)
values = degenerate.normal(size=(360, 30))
values[:, :5] += 0.3 * labels[:, None]
numpy.savetxt(os.path.join(HERE, "degenerate.csv"), numpy.column_stack([labels, values]), delimiter=",",
              header=",".join(["model"] + [f"s{i}" for i in range(1, 31)]), comments="",
              fmt=["%d"] + ["%.17g"] * 30)
numpy.savetxt(os.path.join(HERE, "degenerate_target.csv"), degenerate.normal(size=(1, 30)) + 0.3 * (numpy.arange(30) < 5),
              delimiter=",", header=",".join(f"s{i}" for i in range(1, 31)), comments="", fmt="%.17g")

# ties.csv: 21 simulations of scenario 0 and 20 of scenario 1 (two statistics): leaving a scenario-0 row out
# leaves 20 and 20, so cv4postpr's rejection probabilities tie wherever the accepted rows split evenly.
ties = numpy.random.default_rng(34)
labels = numpy.repeat([0, 1], [21, 20])
numpy.savetxt(os.path.join(HERE, "ties.csv"), numpy.column_stack([labels, ties.normal(size=(41, 2))]),
              delimiter=",", header="model,s1,s2", comments="", fmt=["%d", "%.17g", "%.17g"])
