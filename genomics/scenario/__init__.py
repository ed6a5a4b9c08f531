"""A demographic scenario and how it is written down: numbers and prior names in expressions (``expressions``),
seeded prior distributions (``priors``), the sampling design that travels from scenario to bundle (``design``),
the demographic events, one class each, and their registry (``events``), demographies written as demes graphs
(``demes_graph``), the scenario itself (priors + design + demography, its TOML loader and checks: ``scenario``),
ms command lines as scenarios (``ms``) and the built-in scenarios (``catalogue``).
"""
