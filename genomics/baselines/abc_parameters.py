"""ABC parameter estimation as ``abc()`` of the R package ``abc`` 2.2.2 does it (Csillery et al. 2012).

For one observed row of statistics (the target) and a reference table of
simulations (parameters theta_i, statistics s_i):

1. scale each statistic by R's ``mad`` over the reference table,
   1.4826 * median|s - median(s)| (left unscaled where that is 0), and take
   the Euclidean distance d_i of every simulation to the target;
2. accept the n = ceil(tolerance * N) closest simulations (ties broken by
   row order, as R does), h = the n-th smallest distance; kernel weights
   w_i = 1 - (d_i/h)^2 (Epanechnikov, R's default; also "triangular",
   "biweight", "cosine", "rectangular" and "gaussian");
3. transform the parameters (per parameter "none", "log" or "logit" with
   bounds (a, b): logit((theta - a) / (b - a))), values outside the support
   replaced by the nearest value inside it, as R does;
4. adjust the accepted values (transformed scale, then transformed back):

   - ``rejection``: the accepted values, weight 1 (Pritchard et al. 1999);
   - ``loclinear``: weighted least squares theta = a + b^T s with the kernel
     weights (Beaumont et al. 2002); residuals e_i centred on their mean m,
     theta*_i = a + b^T s_target + m + e_i; with ``hcorr`` (R's default) a
     second weighted fit of log e_i^2 on s gives sigma(s), and
     theta*_i = a + b^T s_target + m + sigma(s_target) e_i / sigma(s_i);
   - ``ridge``: parameters divided by their mad; for each of the penalties
     lambda = 1e-4, 1e-3, 1e-2 a ridge regression of sqrt(w) theta on
     sqrt(w) s (``MASS::lm.ridge``: centred, columns scaled to unit mean
     square, penalty lambda on those coefficients); fitted values and the
     prediction at the target are the medians over the penalties; the same
     heteroscedastic correction; times the mad again (Blum et al. 2013).
     As in R, the intercept column is not multiplied by sqrt(w), so even an
     exact linear relation is not recovered unless its intercept is 0;
   - ``neuralnet``: the same with ``networks`` one-hidden-layer networks
     (5 logistic units, linear output, weight decay drawn from the lambdas)
     fitted by minidl (Blum and Francois 2010).

Too few accepted simulations for the regression (k statistics, k + 1
coefficients): loclinear with fewer than k + 1 is refused, as R's ``lsfit``
refuses it; any regression with no more than k + 1 positive weights warns
with the numbers that the adjusted posterior collapses towards one value (R
returns it silently, the interval one point wide).

``Posterior.summary`` is R's ``summary.abc``: for rejection the plain mean
and R's default quantiles (type 7); for the regression methods the weighted
mean and the weighted quantiles R gets from ``quantreg::rq(x ~ 1, tau,
weights)``: the smallest value x_(k) with sum_{j<=k} w_(j) >= tau sum w.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy

METHODS = ("rejection", "loclinear", "ridge", "neuralnet")
TRANSFORMATIONS = ("none", "log", "logit")
KERNELS = ("epanechnikov", "rectangular", "gaussian", "triangular", "biweight", "cosine")
LAMBDAS = (1e-4, 1e-3, 1e-2)
MAD_CONSTANT = 1.4826


class AbcError(ValueError):
    """Bad input to ABC parameter estimation, said in one sentence."""


def r_mad(values: numpy.ndarray) -> numpy.ndarray:
    """R's ``mad`` of each column: 1.4826 * median |x - median(x)|."""
    values = numpy.asarray(values, dtype=float)
    return MAD_CONSTANT * numpy.median(numpy.abs(values - numpy.median(values, axis=0)), axis=0)


def r_normalise(values: numpy.ndarray, mad: numpy.ndarray) -> numpy.ndarray:
    """R abc's ``normalise``: each column divided by its mad, left as it is where the mad is 0."""
    return values / numpy.where(mad > 0, mad, 1.0)


def transform(values: numpy.ndarray, transformations: list[str], bounds: numpy.ndarray) -> numpy.ndarray:
    """Parameters on the regression scale; values outside a log or logit support replaced by the nearest inside."""
    out = numpy.array(values, dtype=float, copy=True)
    for j, kind in enumerate(transformations):
        column = out[:, j]
        outside = (column <= 0) if kind == "log" else (column <= bounds[j, 0]) | (column >= bounds[j, 1])
        if kind != "none" and outside.any():
            warnings.warn(f"{int(outside.sum())} values of parameter {j} lie outside the {kind} transformation's "
                          f"support: each replaced by the nearest value inside it, as R abc does", stacklevel=3)
        if kind == "log":
            if column.min() <= 0:
                column[column <= 0] = column[column > 0].min() if (column > 0).any() else column.max()
            out[:, j] = numpy.log(column)
        elif kind == "logit":
            low, high = bounds[j]
            if column.min() <= low:
                inside = column[column > low]
                column[column <= low] = inside.min() if inside.size else column.max()
            if column.max() >= high:
                inside = column[column < high]
                column[column >= high] = inside.max() if inside.size else column.min()
            unit = (column - low) / (high - low)
            out[:, j] = numpy.log(unit / (1 - unit))
    return out


def back_transform(values: numpy.ndarray, transformations: list[str], bounds: numpy.ndarray) -> numpy.ndarray:
    """The inverse of ``transform`` (exp, and the logistic function rescaled to the bounds)."""
    out = numpy.array(values, dtype=float, copy=True)
    for j, kind in enumerate(transformations):
        if kind == "log":
            out[:, j] = numpy.exp(out[:, j])
        elif kind == "logit":
            low, high = bounds[j]
            out[:, j] = low + (high - low) / (1 + numpy.exp(-out[:, j]))
    return out


def weighted_quantile(values: numpy.ndarray, weights: numpy.ndarray, tau: float) -> float:
    """The tau-quantile minimising sum_i w_i rho_tau(x_i - q) (``rq(x ~ 1, tau, weights)``): the smallest x_(k)
    whose cumulative weight reaches tau times the total."""
    order = numpy.argsort(values, kind="stable")
    cumulative = numpy.cumsum(weights[order])
    k = int(numpy.searchsorted(cumulative, tau * cumulative[-1] * (1 - 1e-12)))
    return float(values[order][min(k, len(values) - 1)])


def r_bandwidth(values: numpy.ndarray) -> float:
    """R's ``bw.nrd0``: 0.9 min(sd, IQR / 1.34) n^(-1/5) (the sd, |x_1| or 1 where that is 0)."""
    spread = values.std(ddof=1) if len(values) > 1 else 0.0
    low = min(spread, numpy.subtract(*numpy.quantile(values, [0.75, 0.25])) / 1.34) or spread \
        or abs(values[0]) or 1.0
    return 0.9 * low * len(values) ** -0.2


def kernel_mode(values: numpy.ndarray, weights: numpy.ndarray, points: int = 512) -> float:
    """The highest point of a weighted Gaussian kernel density (bandwidth ``r_bandwidth``, unweighted as R's),
    on R ``density``'s grid: ``points`` values from min - 3 bw to max + 3 bw. R bins the values before its FFT;
    this sums the kernels exactly, so the two modes may differ by a grid step or two."""
    bandwidth = r_bandwidth(values)
    grid = numpy.linspace(values.min() - 3 * bandwidth, values.max() + 3 * bandwidth, points)
    density = (weights[None, :] * numpy.exp(-0.5 * ((grid[:, None] - values[None, :]) / bandwidth) ** 2)).sum(axis=1)
    return float(grid[int(numpy.argmax(density))])


@dataclass
class Posterior:
    """Accepted (and adjusted) parameter values of one target, in natural units, with their weights."""

    names: list[str]
    values: numpy.ndarray       # (accepted, parameters): adjusted values (the accepted ones for rejection)
    weights: numpy.ndarray      # (accepted,) kernel weights (1 for rejection)
    unadjusted: numpy.ndarray   # (accepted, parameters): the accepted simulations' parameters
    rows: numpy.ndarray         # indices of the accepted simulations in the reference table
    distances: numpy.ndarray    # (simulations,) scaled distance of every simulation to the target
    method: str

    def summary(self, level: float = 0.95) -> dict:
        """R's ``summary.abc`` per parameter: {"mean", "median", "mode", "lower", "upper", "min", "max"}, the
        (level) credible interval from the (1 - level)/2 and (1 + level)/2 quantiles; the mode as
        ``kernel_mode``."""
        taus = ((1 - level) / 2, 0.5, (1 + level) / 2)
        result = {}
        for j, name in enumerate(self.names):
            column = self.values[:, j]
            if self.method == "rejection":
                lower, median, upper = numpy.quantile(column, taus)  # R's quantile type 7
                mean = column.mean()
            else:
                lower, median, upper = (weighted_quantile(column, self.weights, t) for t in taus)
                mean = numpy.average(column, weights=self.weights)
            mode = kernel_mode(column, self.weights / self.weights.sum())
            result[name] = {"mean": float(mean), "median": float(median), "mode": mode, "lower": float(lower),
                            "upper": float(upper), "min": float(column.min()), "max": float(column.max())}
        return result


def _kernel_weights(distances: numpy.ndarray, bandwidth: float, kernel: str) -> numpy.ndarray:
    u = distances / bandwidth
    if kernel == "epanechnikov":
        return 1 - u**2
    if kernel == "rectangular":
        return numpy.ones_like(u)  # R abc 2.2.2 writes d/h here, weights growing with distance: not copied
    if kernel == "gaussian":
        return numpy.exp(-0.5 * (2 * u) ** 2) / numpy.sqrt(2 * numpy.pi)
    if kernel == "triangular":
        return 1 - numpy.abs(u)
    if kernel == "biweight":
        return (1 - u**2) ** 2
    return numpy.cos(numpy.pi / 2 * u)


def _weighted_least_squares(x: numpy.ndarray, y: numpy.ndarray, weights: numpy.ndarray) -> numpy.ndarray:
    """Coefficients (1 + features, outputs) minimising sum_i w_i |y_i - (1, x_i) B|^2 (R's ``lsfit(x, y, wt)``)."""
    design = numpy.hstack([numpy.ones((len(x), 1)), x])
    root = numpy.sqrt(weights)[:, None]
    return numpy.linalg.lstsq(design * root, y * root, rcond=None)[0]


def _ridge(x: numpy.ndarray, y: numpy.ndarray, penalties: tuple) -> numpy.ndarray:
    """``MASS::lm.ridge(y ~ x, lambda)`` coefficients, (penalties, 1 + features): x and y centred, the columns of
    x scaled to mean square 1, beta = V diag(d / (d^2 + lambda)) U^T y, then back to the original scale."""
    x_mean, y_mean = x.mean(axis=0), y.mean()
    centred = x - x_mean
    scale = numpy.sqrt((centred**2).mean(axis=0))
    u, d, vt = numpy.linalg.svd(centred / scale, full_matrices=False)
    rhs = u.T @ (y - y_mean)
    rows = []
    for penalty in penalties:
        beta = (vt.T @ (d * rhs / (d**2 + penalty))) / scale
        rows.append(numpy.r_[y_mean - x_mean @ beta, beta])
    return numpy.array(rows)


def _network_fits(x: numpy.ndarray, y: numpy.ndarray, weights: numpy.ndarray, target: numpy.ndarray,
                  networks: int, seed: int, hidden: int = 5, epochs: int = 300) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Fitted values (networks, rows, outputs) and predictions at the target (networks, outputs) of ``networks``
    one-hidden-layer regression networks (logistic hidden units, linear outputs, weight decay from LAMBDAS)."""
    import minidl  # noqa: PLC0415 - the engine is only needed for this method
    from minidl.training.finite_weights import LastFiniteWeights  # noqa: PLC0415
    from minidl.layers import Dense, Input  # noqa: PLC0415

    generator = numpy.random.default_rng(seed)
    fitted, predicted = [], []
    features = x.astype(numpy.float32)
    for _ in range(networks):
        minidl.random.seed(int(generator.integers(2**31)))
        decay = float(generator.choice(LAMBDAS))
        model = minidl.Sequential([
            Input((x.shape[1],)),
            Dense(hidden, activation="sigmoid", kernel_regularizer=minidl.regularizers.l2(decay)),
            Dense(y.shape[1], kernel_regularizer=minidl.regularizers.l2(decay))])
        model.compile(optimizer=minidl.optimizers.Adam(0.02), loss="mse")
        guard = LastFiniteWeights(model)
        for _ in range(epochs):
            guard.keep()  # a non-finite loss's update is undone (minidl's fit applies it, as Keras's does)
            if not math.isfinite(model.train_on_batch(features, y.astype(numpy.float32),
                                                      sample_weight=weights / weights.mean())):
                guard.restore()
        fitted.append(model.predict(features, verbose=0))
        predicted.append(model.predict(target[None].astype(numpy.float32), verbose=0)[0])
    return numpy.array(fitted, dtype=float), numpy.array(predicted, dtype=float)


def _check(target, parameters, statistics, tolerance, method, transformations, bounds, kernel):
    if method not in METHODS:
        raise AbcError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if kernel not in KERNELS:
        raise AbcError(f"kernel must be one of {', '.join(KERNELS)}, got {kernel!r}")
    if not 0 < tolerance <= 1:
        raise AbcError(f"tolerance must be in (0, 1], got {tolerance}")
    if statistics.ndim != 2 or parameters.ndim != 2 or len(statistics) != len(parameters):
        raise AbcError(f"statistics {statistics.shape} and parameters {parameters.shape} must be two tables with "
                       f"one row per simulation")
    if target.shape != (statistics.shape[1],):
        raise AbcError(f"the target has {target.size} statistics, the reference table {statistics.shape[1]}")
    if not numpy.isfinite(statistics).all() or not numpy.isfinite(target).all():
        raise AbcError("the statistics hold NaN or infinite values; drop or fill them first (genomics.baselines.abc.prepare)")
    if len(transformations) != parameters.shape[1]:
        raise AbcError(f"{len(transformations)} transformations for {parameters.shape[1]} parameters")
    for j, kind in enumerate(transformations):
        if kind not in TRANSFORMATIONS:
            raise AbcError(f"transformation {j} must be one of {', '.join(TRANSFORMATIONS)}, got {kind!r}")
        if kind == "logit" and not bounds[j, 0] < bounds[j, 1]:
            raise AbcError(f"the logit bounds of parameter {j} must be increasing, got {tuple(bounds[j])}")


def abc(target: numpy.ndarray, parameters: numpy.ndarray, statistics: numpy.ndarray, tolerance: float,
        method: str = "rejection", transformations: str | list[str] = "none", bounds=None, hcorr: bool = True,
        kernel: str = "epanechnikov", names: list[str] | None = None, networks: int = 10,
        seed: int = 0) -> Posterior:
    """R's ``abc(target, param, sumstat, tol, method, hcorr, transf, logit.bounds, kernel, numnet)``.

    ``transformations``: one for all parameters or one per parameter;
    ``bounds``: (parameters, 2) lower and upper bounds for "logit". As in R,
    rejection applies no transformation.
    """
    target = numpy.asarray(target, dtype=float)
    parameters = numpy.asarray(parameters, dtype=float)
    parameters = parameters[:, None] if parameters.ndim == 1 else parameters
    statistics = numpy.asarray(statistics, dtype=float)
    statistics = statistics[:, None] if statistics.ndim == 1 else statistics
    count = parameters.shape[1] if parameters.ndim == 2 else 1
    if isinstance(transformations, str):
        transformations = [transformations] * count
    bounds = numpy.zeros((count, 2)) if bounds is None else numpy.asarray(bounds, dtype=float).reshape(-1, 2)
    _check(target, parameters, statistics, tolerance, method, transformations, bounds, kernel)
    if method == "rejection":
        transformations = ["none"] * count
    names = list(names) if names is not None else [f"P{j + 1}" for j in range(count)]

    mad = r_mad(statistics)
    scaled, scaled_target = r_normalise(statistics, mad), r_normalise(target, mad)
    distances = numpy.sqrt(((scaled - scaled_target) ** 2).sum(axis=1))
    accepted_count = int(numpy.ceil(len(distances) * tolerance))
    coefficients = statistics.shape[1] + 1
    if method == "loclinear" and kernel != "gaussian" and accepted_count < coefficients:  # R's lsfit refuses too
        raise AbcError(f"loclinear needs at least as many accepted simulations as regression coefficients, got "
                       f"{accepted_count} (tolerance {tolerance} of {len(distances)} simulations) for {coefficients} "
                       f"({coefficients - 1} statistics and an intercept); raise the tolerance to at least "
                       f"{_tolerance_for(coefficients + 2, len(distances)):.3g} or use fewer statistics")
    order = numpy.argsort(distances, kind="stable")
    bandwidth = distances[order[accepted_count - 1]]
    rows = numpy.sort(order[:accepted_count]) if kernel != "gaussian" else numpy.arange(len(distances))
    accepted = parameters[rows]
    if method == "rejection":
        return Posterior(names, accepted.copy(), numpy.ones(len(rows)), accepted, rows, distances, method)

    weights = _kernel_weights(distances[rows], bandwidth, kernel)
    weighted = int(numpy.count_nonzero(weights > 0))
    if weighted <= coefficients:
        warnings.warn(f"{weighted} accepted simulations with a positive weight for {coefficients} regression "
                      f"coefficients ({coefficients - 1} statistics and an intercept): the {method} regression can fit "
                      f"them exactly and the adjusted posterior collapses towards one value; raise the tolerance to "
                      f"at least {_tolerance_for(coefficients + 2, len(distances)):.3g} or use fewer statistics",
                      stacklevel=2)
    theta = transform(parameters, transformations, bounds)
    x, y = scaled[rows], theta[rows]
    if method == "loclinear":
        coefficients = _weighted_least_squares(x, y, weights)
        residuals = y - numpy.hstack([numpy.ones((len(x), 1)), x]) @ coefficients
        centre = residuals.mean(axis=0)
        residuals -= centre
        prediction = numpy.r_[1.0, scaled_target] @ coefficients + centre
        if hcorr:
            spread = _weighted_least_squares(x, numpy.log(residuals**2), weights)
            at_target = numpy.sqrt(numpy.exp(numpy.r_[1.0, scaled_target] @ spread))
            at_rows = numpy.sqrt(numpy.exp(numpy.hstack([numpy.ones((len(x), 1)), x]) @ spread))
            residuals = at_target * residuals / at_rows
        adjusted = prediction + residuals
    else:
        parameter_mad = r_mad(theta)
        y = r_normalise(theta, parameter_mad)[rows]
        adjusted = _nonlinear_adjustment(x, y, weights, scaled_target, method, hcorr, networks, seed)
        adjusted = adjusted * parameter_mad
    values = back_transform(adjusted, transformations, bounds)
    return Posterior(names, values, weights, accepted, rows, distances, method)


def _tolerance_for(accepted: int, simulations: int) -> float:
    """The smallest tolerance that accepts ``accepted`` of ``simulations`` rows (n = ceil(tolerance * N))."""
    return min(1.0, accepted / simulations)


def _nonlinear_adjustment(x, y, weights, target, method, hcorr, networks, seed) -> numpy.ndarray:
    """R's ridge and neuralnet adjustments (medians over penalties or networks), on the mad-scaled parameters."""
    design = numpy.hstack([numpy.ones((len(x), 1)), x])

    def fits(response: numpy.ndarray) -> tuple[numpy.ndarray, numpy.ndarray]:
        if method == "neuralnet":
            return _network_fits(x, response, weights, target, networks, seed)
        root = numpy.sqrt(weights)
        coefficients = numpy.stack([_ridge(x * root[:, None], response[:, p] * root, LAMBDAS)
                                    for p in range(response.shape[1])], axis=-1)  # (penalties, 1 + features, p)
        return numpy.einsum("nf,kfp->knp", design, coefficients), numpy.einsum("f,kfp->kp", numpy.r_[1.0, target],
                                                                               coefficients)

    fitted, predicted = fits(y)
    residuals = y - numpy.median(fitted, axis=0)
    prediction = numpy.median(predicted, axis=0)
    if hcorr:
        fitted_spread, predicted_spread = fits(numpy.log(residuals**2))
        residuals = (numpy.sqrt(numpy.exp(numpy.median(predicted_spread, axis=0))) * residuals
                     / numpy.sqrt(numpy.exp(numpy.median(fitted_spread, axis=0))))
    return prediction + residuals


def cross_validate(parameters: numpy.ndarray, statistics: numpy.ndarray, pseudo_observed: numpy.ndarray,
                   tolerances: list[float], method: str = "rejection", statistic: str = "median",
                   **options) -> dict:
    """R's ``cv4abc`` and its summary: each pseudo-observed row estimated (the posterior's weighted median or
    mean) from the reference table without it, per tolerance {"estimates" (rows, parameters),
    "prediction_error": sum_i (estimate_i - true_i)^2 / (n var(true)), var with n - 1 as R's ``var``}.

    ``pseudo_observed``: the rows to leave out (R draws ``nval`` of them);
    ``options``: ``abc``'s (transformations, bounds, hcorr, kernel, names).
    """
    if statistic not in ("median", "mean"):
        raise AbcError(f"statistic must be 'median' or 'mean', got {statistic!r}")
    parameters = numpy.asarray(parameters, dtype=float)
    parameters = parameters[:, None] if parameters.ndim == 1 else parameters
    statistics = numpy.asarray(statistics, dtype=float)
    pseudo_observed = numpy.asarray(pseudo_observed, dtype=int)
    truth = parameters[pseudo_observed]
    names = options.pop("names", None) or [f"P{j + 1}" for j in range(parameters.shape[1])]
    results = {}
    for tolerance in sorted(tolerances):
        estimates = []
        for row in pseudo_observed:
            rest = numpy.arange(len(parameters)) != row
            summary = abc(statistics[row], parameters[rest], statistics[rest], tolerance, method, names=names,
                          **options).summary()
            estimates.append([summary[name][statistic] for name in names])
        estimates = numpy.array(estimates)
        error = ((estimates - truth) ** 2).sum(axis=0) / (truth.var(axis=0, ddof=1) * len(truth))
        results[tolerance] = {"estimates": estimates, "prediction_error": error}
    return results
