"""ABC model choice (R ``abc``'s ``postpr`` and ``cv4postpr``, Csillery et al. 2012) on a reference table.

For one observed row (the target):

1. scale each statistic by its median absolute deviation (MAD) over the
   reference table, and take the Euclidean distance d_i of every simulation
   to the target;
2. accept the n = ceil(tolerance * N) simulations closest to the target,
   ties broken by row order as R does (h = the n-th smallest distance);
3. posterior model probabilities:

   - ``rejection``: the share of each scenario among the accepted
     simulations (Pritchard et al. 1999);
   - ``mnlogistic``: a multinomial logistic regression of the scenario on
     the accepted simulations' (scaled) statistics, each weighted by the
     Epanechnikov kernel w_i = 1 - (d_i / h)^2, evaluated at the target
     (Beaumont 2008). Fitted here by Newton's method on the weighted
     log-likelihood with scenario 0 as the baseline and a small ridge
     (``RIDGE`` times the summed weights, on the slopes only; R has none);
   - ``neuralnet``: the same regression through a one-hidden-layer network
     (Blum and Francois 2010; R's ``nnet`` with 5 logistic hidden units and
     weight decay), here a minidl MLP trained full-batch with the kernel
     weights as sample weights; the posteriors of ``networks`` networks
     (weight decays drawn from 1e-4, 1e-3, 1e-2 as ``abc`` does) are averaged.

R's options, and what genomics does by default (``postpr(...,
r_compatible=True)`` takes every option from ``R_OPTIONS`` and is R's
mnlogistic and rejection: within 1e-4 of R 2.2.2 on the committed table where
the fit is not degenerate, tests/genomics/test_abc_r.py; an option passed
explicitly still wins):

- ``fallback``: when some scenario has no accepted simulation, R warns and
  returns the rejection shares ("rejection"); genomics by default regresses
  on the scenarios present and gives the others probability 0 ("regress"),
  which keeps the regression where R drops it. Both warn in one sentence;
- ``weighted``: R 2.2.2 passes the kernel weights to ``multinom`` misspelt
  (``weigths``), so its mnlogistic fit is unweighted; genomics weights it;
- ``correct``: R divides each probability by the scenario's number of
  simulations and renormalises (equal prior probabilities whatever the
  counts: always in ``postpr``'s regression methods, and for rejection in
  ``summary.postpr``'s ``Prob``, which ``cv4postpr`` reports); off by
  default (priors proportional to the counts; the same when the counts are
  equal);
- ``guard``: a degenerate mnlogistic fit (at least as many coefficients as
  accepted rows, or a scenario separated from the others: its rows fitted
  at >= ``SEPARATED``, the others' at <= 1 - ``SEPARATED``) gives
  arbitrary, wildly over-confident probabilities in R and here alike (on
  tests/genomics/data/abc_r/degenerate.csv, 36 accepted rows and 62
  coefficients, R gives scenario 2 a probability of 1 - 3.5e-11 where the
  rejection shares are 0.31, 0.39, 0.31).
  "reduce" (the default) warns with the numbers, reduces the statistics to
  their leading weighted principal components (about 5 accepted rows per
  coefficient; the sentence gives the share of weighted variance kept) and, if
  the fit still separates, returns the rejection shares; "warn" (R's fit, in
  ``R_OPTIONS``) only warns; "off" is silent.

Other departures from R: the MAD here has no 1.4826 factor (distances are
all scaled alike, so the accepted set is R's); a statistic with a MAD of 0 is
scaled by its standard deviation (R leaves it unscaled); the neuralnet
kernel's h is the largest accepted distance (R: ``quantile(dist, tol)``,
type 7, which may differ slightly); neuralnet networks are minidl's (Adam),
not ``nnet``'s (BFGS), and are not expected to match R, whose own results
move by up to 0.35 in probability with ``set.seed`` alone on the test table.
``cross_validate`` is ``cv4postpr``: each pseudo-observed row is left out
of the reference table, of its MAD scale and of the counts per scenario that
``correct`` divides by, as R does; R's cv4postpr corrects (``corr = TRUE``, its
default) and so does ``r_compatible=True``. A tie for the highest posterior
goes to the first scenario (R's ``which.max``); R's ``estim`` lists every tied
scenario and its ``summary.cv4postpr`` then stops with an error.
"""

from __future__ import annotations

import math
import warnings

import numpy

METHODS = ("rejection", "mnlogistic", "neuralnet")
RIDGE = 1e-6
R_OPTIONS = {"fallback": "rejection", "weighted": False, "correct": True, "guard": "warn", "ridge": 0.0}
DEFAULT_OPTIONS = {"fallback": "regress", "weighted": True, "correct": False, "guard": "reduce", "ridge": RIDGE}
SEPARATED = 0.999  # a scenario fitted at >= this on its accepted rows and <= 1 - this elsewhere is separated


def mad_scale(reference: numpy.ndarray) -> numpy.ndarray:
    """Median absolute deviation of each column (its standard deviation where the MAD is 0, else 1)."""
    scale = numpy.median(numpy.abs(reference - numpy.median(reference, axis=0)), axis=0)
    fallback = reference.std(axis=0)
    scale = numpy.where(scale > 0, scale, fallback)
    return numpy.where(scale > 0, scale, 1.0)


def _multinomial_logistic(x: numpy.ndarray, labels: numpy.ndarray, weights: numpy.ndarray, classes: int,
                          iterations: int = 50, penalty: float = RIDGE) -> numpy.ndarray:
    """Coefficients (features + 1, classes) of a weighted multinomial logistic regression, class 0 the baseline.

    Maximises sum_i w_i log p_i[y_i] - ridge |slopes|^2 / 2 with
    p_i = softmax(X_i B), X_i = (1, x_i), by Newton's method: gradient
    X^T W (Y - P) for classes 1..K-1 and the Hessian blocks
    -X^T W diag(p_j (delta_jk - p_k)) X, each step halved until the
    objective does not fall.
    """
    n, features = x.shape
    design = numpy.hstack([numpy.ones((n, 1)), x])
    free = classes - 1
    ridge = penalty * weights.sum() * numpy.r_[0.0, numpy.ones(features)]  # the intercepts are not penalised
    truth = numpy.eye(classes)[labels]
    coefficients = numpy.zeros((features + 1, classes))

    def objective(b: numpy.ndarray) -> float:
        z = design @ b
        z = z - z.max(axis=1, keepdims=True)
        log_p = z - numpy.log(numpy.exp(z).sum(axis=1, keepdims=True))
        return float(numpy.sum(weights * log_p[numpy.arange(n), labels]) - 0.5 * numpy.sum(ridge[:, None] * b**2))

    current = objective(coefficients)
    for _ in range(iterations):
        z = design @ coefficients
        p = numpy.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        gradient = (design.T @ (weights[:, None] * (truth - p)))[:, 1:] - ridge[:, None] * coefficients[:, 1:]
        hessian = numpy.zeros((free * (features + 1), free * (features + 1)))
        for j in range(1, classes):
            for k in range(1, classes):
                w = weights * p[:, j] * ((j == k) - p[:, k])
                block = -(design.T * w) @ design
                if j == k:
                    block -= numpy.diag(ridge)
                rows, cols = slice((j - 1) * (features + 1), j * (features + 1)), \
                    slice((k - 1) * (features + 1), k * (features + 1))
                hessian[rows, cols] = block
        step = numpy.linalg.lstsq(hessian, gradient.T.ravel(), rcond=None)[0].reshape(free, features + 1).T
        scale = 1.0
        while scale > 1e-6:
            candidate = coefficients.copy()
            candidate[:, 1:] -= scale * step
            value = objective(candidate)
            if value >= current - 1e-12:
                break
            scale /= 2
        gain = value - current
        coefficients, current = candidate, value
        if abs(gain) < 1e-10 * max(1.0, abs(current)):
            break
    return coefficients


def _neural_network(x: numpy.ndarray, labels: numpy.ndarray, weights: numpy.ndarray, classes: int,
                    networks: int, seed: int, hidden: int = 5, steps: int = 150) -> numpy.ndarray:
    """Mean softmax output at x = 0 (the target) of ``networks`` one-hidden-layer networks fitted to the data.

    Each network takes about ``steps`` Adam steps (learning rate 0.02) on
    batches of up to 2,048 accepted simulations.
    """
    import minidl  # noqa: PLC0415 - the engine is only needed for this method
    from minidl.training.finite_weights import LastFiniteWeights  # noqa: PLC0415
    from minidl.layers import Dense, Input  # noqa: PLC0415

    generator = numpy.random.default_rng(seed)
    outputs = []
    normalised = weights / weights.mean()
    for _ in range(networks):
        minidl.random.seed(int(generator.integers(2**31)))
        decay = float(generator.choice([1e-4, 1e-3, 1e-2]))
        model = minidl.Sequential([
            Input((x.shape[1],)),
            Dense(hidden, activation="sigmoid", kernel_regularizer=minidl.regularizers.l2(decay)),
            Dense(classes, activation="softmax", kernel_regularizer=minidl.regularizers.l2(decay))])
        model.compile(optimizer=minidl.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy")
        batch, guard = min(2048, len(x)), LastFiniteWeights(model)
        features = x.astype(numpy.float32)
        for step in range(steps):  # train_on_batch: fit's per-epoch bookkeeping would cost more than these steps
            if step % -(-len(x) // batch) == 0:
                order = generator.permutation(len(x))
            rows = order[(step % -(-len(x) // batch)) * batch:][:batch]
            guard.keep()  # a non-finite loss's update is undone (minidl's fit applies it, as Keras's does)
            if not math.isfinite(model.train_on_batch(features[rows], labels[rows], sample_weight=normalised[rows])):
                guard.restore()
        outputs.append(model.predict(numpy.zeros((1, x.shape[1]), numpy.float32))[0])
    return numpy.mean(outputs, axis=0)


def _leading_components(x: numpy.ndarray, weights: numpy.ndarray, keep: int) -> tuple[numpy.ndarray, float]:
    """The accepted rows (target at 0) projected on the ``keep`` leading weighted principal components, and the
    share of the weighted variance those components hold: sum_{k <= keep} sigma_k^2 / sum_k sigma_k^2."""
    centre = numpy.average(x, axis=0, weights=weights)
    _, singular, components = numpy.linalg.svd((x - centre) * numpy.sqrt(weights)[:, None], full_matrices=False)
    variance = singular**2
    return x @ components[:keep].T, float(variance[:keep].sum() / variance.sum()) if variance.sum() > 0 else 1.0


def _guarded_logistic(x, local, weights, present, guard, ridge) -> tuple[numpy.ndarray | None, list[str]]:
    """Probabilities at the target of the multinomial fit, or None (use the rejection shares); with notes."""
    notes = []
    classes, (rows, features) = len(present), x.shape
    coefficients_count = (features + 1) * (classes - 1)
    if guard != "off" and rows <= coefficients_count:
        notes.append(f"{rows} accepted simulations for {coefficients_count} coefficients ({features} statistics, "
                     f"{classes} scenarios): the multinomial fit can separate them perfectly")
        if guard == "reduce":
            keep = max(1, min(features, rows // (5 * (classes - 1)) - 1))
            x, kept = _leading_components(x, weights, keep)
            notes[-1] += (f"; the statistics are reduced to their {keep} leading principal component"
                          f"{'s' if keep > 1 else ''}, holding {100 * kept:.0f}% of their weighted variance over the "
                          f"accepted simulations")
            features = keep
    coefficients = _multinomial_logistic(x, local, weights, classes, penalty=ridge)
    if guard != "off":
        z = numpy.hstack([numpy.ones((rows, 1)), x]) @ coefficients
        fitted = numpy.exp(z - z.max(axis=1, keepdims=True))
        fitted /= fitted.sum(axis=1, keepdims=True)
        own = local[:, None] == numpy.arange(classes)
        separated = [k for k in range(classes) if fitted[own[:, k], k].min() >= SEPARATED
                     and fitted[~own[:, k], k].max() <= 1 - SEPARATED]
        if separated:
            notes.append(f"the multinomial fit on {rows} accepted simulations and {features} statistics separates "
                         f"{len(separated)} of the {classes} scenarios perfectly from the others (their rows fitted "
                         f"at >= {SEPARATED}, the others at <= {1 - SEPARATED:.3g}): its probabilities are "
                         f"over-confident and arbitrary"
                         + ("; the rejection shares are given instead" if guard == "reduce" else ""))
            if guard == "reduce":
                return None, notes
    z = coefficients[0] - coefficients[0].max()  # the target is x = 0: only the intercepts remain
    return numpy.exp(z) / numpy.exp(z).sum(), notes


def postpr(target: numpy.ndarray, reference: numpy.ndarray, labels: numpy.ndarray, classes: int,
           tolerance: float, method: str = "rejection", scale: numpy.ndarray | None = None, networks: int = 3,
           seed: int = 0, exclude: int | None = None, fallback: str | None = None, weighted: bool | None = None,
           correct: bool | None = None, guard: str | None = None, ridge: float | None = None,
           r_compatible: bool = False) -> dict:
    """Posterior scenario probabilities of one target row: {"posterior", "accepted" (shares), "accepted_count",
    "method" (the one used: "rejection" after a fallback), "notes" (each also warned), "incomplete" (a regression
    method found a scenario missing among the accepted), "degenerate" (the guard found the fit degenerate)}.

    ``scale``: the MAD of each column (computed from ``reference``, less
    the ``exclude`` row, when None); ``exclude``: a reference row left out
    (the target itself, in cross-validation). ``fallback``, ``weighted``,
    ``correct``, ``guard``: see the module's docstring; ``ridge``: the
    mnlogistic penalty (R's ``multinom`` has none: 0). Options left at None
    take genomics' defaults (``DEFAULT_OPTIONS``), or R's (``R_OPTIONS``)
    with ``r_compatible=True``.
    """
    given = {"fallback": fallback, "weighted": weighted, "correct": correct, "guard": guard, "ridge": ridge}
    defaults = R_OPTIONS if r_compatible else DEFAULT_OPTIONS
    fallback, weighted, correct, guard, ridge = (defaults[k] if v is None else v for k, v in given.items())
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if not 0 < tolerance <= 1:
        raise ValueError(f"tolerance must be in (0, 1], got {tolerance}")
    if fallback not in ("regress", "rejection"):
        raise ValueError(f"fallback must be 'regress' or 'rejection', got {fallback!r}")
    if guard not in ("reduce", "warn", "off"):
        raise ValueError(f"guard must be 'reduce', 'warn' or 'off', got {guard!r}")
    kept = numpy.ones(len(reference), dtype=bool)
    if exclude is not None:
        kept[exclude] = False
    if scale is None:
        scale = mad_scale(reference[kept])
    scaled = (reference - target) / scale
    distances = numpy.sqrt((scaled**2).sum(axis=1))
    distances[~kept] = numpy.inf
    count = max(1, int(numpy.ceil(tolerance * kept.sum())))
    accepted = numpy.sort(numpy.argsort(distances, kind="stable")[:count])  # R: ties go to the earlier rows
    shares = numpy.bincount(labels[accepted], minlength=classes) / count
    counts = numpy.bincount(labels[kept], minlength=classes)

    def corrected(p: numpy.ndarray) -> numpy.ndarray:
        if not correct:
            return p
        ratio = numpy.where(counts > 0, p / numpy.maximum(counts, 1), 0.0)
        return ratio / ratio.sum()

    present = numpy.flatnonzero(shares > 0)
    incomplete = len(present) < numpy.count_nonzero(counts)
    result = {"accepted": shares, "accepted_count": count, "method": method, "notes": [], "degenerate": False,
              "incomplete": bool(incomplete and method != "rejection")}
    if method != "rejection" and incomplete:
        result["notes"].append(
            f"only {len(present)} of the {numpy.count_nonzero(counts)} scenarios are among the {count} accepted "
            f"simulations: " + (f"{method} falls back to the rejection shares, as R abc does" if fallback == "rejection"
                                else f"{method} gives the only one present probability 1" if len(present) < 2
                                else f"{method} regresses on those present and gives the others probability 0 "
                                     f"(R abc falls back to rejection: fallback='rejection')"))
        warnings.warn(result["notes"][-1], stacklevel=2)
    if method == "rejection" or len(present) < 2 or (incomplete and fallback == "rejection"):
        result["method"] = "rejection" if method == "rejection" or fallback == "rejection" else method
        result["posterior"] = corrected(shares.astype(float)) if result["method"] == "rejection" else \
            (shares > 0).astype(float)
        return result
    bandwidth = distances[accepted].max()
    weights = 1 - (distances[accepted] / bandwidth) ** 2 if bandwidth > 0 else numpy.ones(count)
    weights = numpy.maximum(weights, 1e-6)  # the farthest accepted point keeps a sliver of weight
    local = numpy.searchsorted(present, labels[accepted])  # classes renumbered among those present
    x = scaled[accepted]
    if method == "mnlogistic":
        probabilities, notes = _guarded_logistic(x, local, weights if weighted else numpy.ones(count), present,
                                                 guard, ridge)
        for note in notes:
            warnings.warn(note, stacklevel=2)
        result["notes"] += notes
        result["degenerate"] = bool(notes)
        if probabilities is None:
            result["method"] = "rejection"
            result["posterior"] = corrected(shares.astype(float))
            return result
    else:
        probabilities = _neural_network(x, local, weights, len(present), networks, seed)
    posterior = numpy.zeros(classes)
    posterior[present] = probabilities
    result["posterior"] = corrected(posterior)
    return result


def bayes_factors(posterior: numpy.ndarray) -> numpy.ndarray:
    """B[i, j] = P(i | data) / P(j | data) (equal prior probabilities); inf or NaN where a posterior is 0."""
    posterior = numpy.asarray(posterior, dtype=float)
    with numpy.errstate(divide="ignore", invalid="ignore"):
        return posterior[:, None] / posterior[None, :]


def cross_validate(reference: numpy.ndarray, labels: numpy.ndarray, classes: int, per_scenario: int,
                   tolerances: list[float], method: str = "rejection", seed: int = 0, networks: int = 3,
                   pseudo_observed: numpy.ndarray | None = None, **options) -> dict:
    """``cv4postpr``: ``per_scenario`` pseudo-observed rows of each scenario, each classified against the rest.

    Each pseudo-observed row is left out of the reference table, its MAD
    scale and the counts per scenario included, as R does. ``pseudo_observed``:
    the rows to use (R's ``cvsamples``, say) instead of a draw; ``options``:
    ``postpr``'s (``r_compatible=True`` for R's cv4postpr, which corrects for
    the counts per scenario). Returns, per tolerance, the confusion matrix
    (rows: true scenario, columns: highest posterior; a tie goes to the first
    scenario, as ``which.max``: R lists every tied one and its summary stops),
    the mean posterior probabilities per true scenario, each row's posterior,
    whether its fit was degenerate and its notes (warned as one sentence per
    tolerance that counts them); and the indices of the pseudo-observed rows.
    """
    generator = numpy.random.default_rng(seed)
    chosen = numpy.asarray(pseudo_observed) if pseudo_observed is not None else numpy.concatenate([
        generator.choice(numpy.flatnonzero(labels == k), size=min(per_scenario, int((labels == k).sum())),
                         replace=False) for k in range(classes)])
    kept = numpy.ones(len(reference), dtype=bool)
    scales = {}
    for index in chosen:  # each pseudo-observed row's MAD, computed without it
        kept[index] = False
        scales[int(index)] = mad_scale(reference[kept])
        kept[index] = True
    results = {}
    for tolerance in tolerances:
        confusion = numpy.zeros((classes, classes), dtype=int)
        with warnings.catch_warnings():  # one summary sentence per tolerance instead of one warning per row
            warnings.simplefilter("ignore")
            fits = [postpr(reference[index], reference, labels, classes, tolerance, method, scales[int(index)],
                           networks, seed=int(index), exclude=int(index), **options) for index in chosen]
        incomplete, degenerate = (sum(fit[key] for fit in fits) for key in ("incomplete", "degenerate"))
        if incomplete or degenerate:
            warnings.warn(f"cross-validation of {method} at tolerance {tolerance}: of {len(fits)} pseudo-observed "
                          f"simulations, {incomplete} had a scenario missing among the accepted ones and "
                          f"{degenerate} a degenerate fit (each fit's 'notes' say what was done)", stacklevel=2)
        posteriors = numpy.array([fit["posterior"] for fit in fits])
        sums = numpy.zeros((classes, classes))
        for index, posterior in zip(chosen, posteriors):
            confusion[labels[index], int(numpy.argmax(posterior))] += 1
            sums[labels[index]] += posterior
        totals = confusion.sum(axis=1, keepdims=True)
        results[tolerance] = {"confusion": confusion, "mean_posterior": sums / numpy.maximum(totals, 1),
                              "accuracy": float(numpy.trace(confusion) / confusion.sum()), "posteriors": posteriors,
                              "degenerate": numpy.array([fit["degenerate"] for fit in fits]),
                              "notes": [fit["notes"] for fit in fits]}
    return {"per_tolerance": results, "pseudo_observed": chosen}
