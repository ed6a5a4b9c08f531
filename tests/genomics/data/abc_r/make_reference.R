# R abc 2.2.2's outputs on table.csv and targets.csv (written by make_table.py), read by tests/genomics/test_abc_r.py.
# Run from this folder: Rscript make_reference.R (R 4.2.2, abc 2.2.2, nnet 7.3-18, MASS 7.3-58.2, quantreg 5.94).
suppressPackageStartupMessages(library(abc))
options(warn = 1)
table <- read.csv("table.csv")
targets <- as.matrix(read.csv("targets.csv"))
index <- as.character(table$model)
param <- as.matrix(table[, c("theta", "f")])
sumstat <- as.matrix(table[, paste0("s", 1:8)])
tols <- c(0.02, 0.1, 0.2, 0.5)
w <- function(x, file) write.csv(x, file, row.names = FALSE)

# postpr: rejection (accepted shares, and summary's corrected shares), mnlogistic, neuralnet
rows <- list()
for (t in seq_len(nrow(targets))) for (tol in tols) for (method in c("rejection", "mnlogistic", "neuralnet")) {
  set.seed(1)
  out <- suppressWarnings(postpr(targets[t, ], index, sumstat, tol = tol, method = method, trace = FALSE))
  s <- summary(out, print = FALSE)
  shares <- c(table(out$values) / length(out$values))
  prob <- if (out$method == "rejection") s$Prob else out$pred
  rows[[length(rows) + 1]] <- data.frame(target = t - 1, tol = tol, method = method, used = out$method,
    accepted = length(out$values), share0 = shares[["0"]], share1 = shares[["1"]], share2 = shares[["2"]],
    p0 = prob[["0"]], p1 = prob[["1"]], p2 = prob[["2"]])
}
w(do.call(rbind, rows), "postpr.csv")

# abc: rejection, loclinear (with and without the heteroscedastic correction), ridge; transformations
bounds <- rbind(c(0, 0), c(0, 1))
rows <- list(); samples <- list()
for (t in seq_len(nrow(targets))) for (tol in c(0.1, 0.2)) for (method in c("rejection", "loclinear", "ridge"))
  for (transf in c("none", "loglogit")) for (hcorr in c(TRUE, FALSE)) {
    if (method == "rejection" && (transf != "none" || !hcorr)) next
    tr <- if (transf == "none") c("none", "none") else c("log", "logit")
    out <- suppressWarnings(abc(targets[t, ], param, sumstat, tol = tol, method = method, hcorr = hcorr,
                                transf = tr, logit.bounds = bounds))
    values <- if (method == "rejection") out$unadj.values else out$adj.values
    weights <- if (method == "rejection") rep(1, nrow(values)) else out$weights
    s <- summary(out, print = FALSE)
    key <- data.frame(target = t - 1, tol = tol, method = method, transf = transf, hcorr = hcorr)
    if (tol == 0.1 && t %in% c(1, 4))  # the accepted samples of two targets; the summaries of all
      samples[[length(samples) + 1]] <- cbind(key, row = which(out$region) - 1, weight = weights,
                                              theta = values[, 1], f = values[, 2])
    for (p in 1:2) rows[[length(rows) + 1]] <- cbind(key, parameter = colnames(param)[p],
      q025 = s[2, p], median = s[3, p], mean = s[4, p], mode = s[5, p], q975 = s[6, p])
  }
w(do.call(rbind, rows), "abc_summary.csv")
w(do.call(rbind, samples), "abc_samples.csv")

# cv4postpr: R draws the pseudo-observed rows; they are written out for the test to reuse
rows <- list()
for (method in c("rejection", "mnlogistic")) {
  set.seed(2)
  cv <- suppressWarnings(cv4postpr(index, sumstat, nval = 5, tols = c(0.1, 0.3), method = method))
  for (tol in names(cv$model.probs)) {
    probs <- cv$model.probs[[tol]]
    rows[[length(rows) + 1]] <- data.frame(method = method, tol = as.numeric(sub("tol", "", tol)),
      row = cv$cvsamples - 1, true = cv$true, p0 = probs[, "0"], p1 = probs[, "1"], p2 = probs[, "2"])
  }
}
w(do.call(rbind, rows), "cv4postpr.csv")

# cv4abc: leave-one-out estimates (weighted medians) of R's pseudo-observed rows, and summary's prediction error
rows <- list()
for (method in c("rejection", "loclinear")) {
  set.seed(3)
  tr <- if (method == "rejection") "none" else c("log", "logit")
  cv <- suppressWarnings(cv4abc(param, sumstat, nval = 10, tols = c(0.1, 0.2), method = method, transf = tr,
                                logit.bounds = bounds))
  error <- summary(cv, print = FALSE)
  for (tol in names(cv$estim)) rows[[length(rows) + 1]] <- data.frame(method = method,
    tol = as.numeric(sub("tol", "", tol)), row = cv$cvsamples - 1, theta = cv$estim[[tol]][, 1],
    f = cv$estim[[tol]][, 2], error_theta = error[tol == paste0("tol", cv$tols), 1],
    error_f = error[tol == paste0("tol", cv$tols), 2])
}
w(do.call(rbind, rows), "cv4abc.csv")

# abc's other kernels (loclinear, log/logit, targets[2, ], which is index 1 in Python, tol 0.2): summaries;
# "rectangular" is left out (R 2.2.2 weighs by d/h, growing with the distance)
rows <- list()
for (kernel in c("epanechnikov", "triangular", "biweight", "cosine", "gaussian")) {
  out <- suppressWarnings(abc(targets[2, ], param, sumstat, tol = 0.2, method = "loclinear", transf = c("log", "logit"),
                              logit.bounds = bounds, kernel = kernel))
  s <- summary(out, print = FALSE)
  for (p in 1:2) rows[[length(rows) + 1]] <- data.frame(kernel = kernel, parameter = colnames(param)[p],
    accepted = nrow(out$adj.values), q025 = s[2, p], median = s[3, p], mean = s[4, p], q975 = s[6, p])
}
w(do.call(rbind, rows), "abc_kernels.csv")

# The degenerate fit: degenerate.csv (360 rows, 30 statistics), tolerance 0.1 (36 accepted rows, 62 coefficients).
# R's mnlogistic separates the accepted rows and prints near-certain probabilities without a warning.
deg <- read.csv("degenerate.csv")
deg_target <- unlist(read.csv("degenerate_target.csv"))
deg_stats <- as.matrix(deg[, paste0("s", 1:30)])
rows <- list()
for (method in c("rejection", "mnlogistic")) {
  out <- postpr(deg_target, as.character(deg$model), deg_stats, tol = 0.1, method = method)
  prob <- if (out$method == "rejection") summary(out, print = FALSE)$Prob else out$pred
  rows[[length(rows) + 1]] <- data.frame(method = method, used = out$method, accepted = length(out$values),
    p0 = prob[["0"]], p1 = prob[["1"]], p2 = prob[["2"]])
}
w(do.call(rbind, rows), "degenerate_postpr.csv")

# Ties in cv4postpr: ties.csv (21 and 20 rows). R's estim lists every tied scenario (summary.cv4postpr then stops:
# "unimplemented type 'list'"); written here as "0;1".
ties <- read.csv("ties.csv")
set.seed(4)
cv <- cv4postpr(as.character(ties$model), as.matrix(ties[, c("s1", "s2")]), nval = 10, tols = 0.1,
                method = "rejection")
probs <- cv$model.probs[["tol0.1"]]
w(data.frame(row = cv$cvsamples - 1, true = cv$true, p0 = probs[, "0"], p1 = probs[, "1"],
             estim = sapply(cv$estim[["tol0.1"]], paste, collapse = ";")), "ties_cv4postpr.csv")

# Falling back: postpr's mnlogistic on every tenth row of table.csv as the target (rows 0, 10, ..., 290 in Python),
# at tolerances 0.02 and 0.05, where often a scenario has no accepted simulation and R warns and returns rejection.
rows <- list()
for (r in seq(1, nrow(table), by = 10)) for (tol in c(0.02, 0.05)) {
  out <- suppressWarnings(postpr(sumstat[r, ], index, sumstat, tol = tol, method = "mnlogistic"))
  prob <- if (out$method == "rejection") summary(out, print = FALSE)$Prob else out$pred
  shares <- c(table(out$values) / length(out$values))
  rows[[length(rows) + 1]] <- data.frame(row = r - 1, tol = tol, used = out$method, accepted = length(out$values),
    share0 = shares[["0"]], share1 = shares[["1"]], share2 = shares[["2"]],
    p0 = prob[["0"]], p1 = prob[["1"]], p2 = prob[["2"]])
}
w(do.call(rbind, rows), "fallback_postpr.csv")

# abc() with too few accepted rows for the regression (8 statistics and an intercept: 9 coefficients), targets[1, ]:
# at tolerance 0.02 (6 rows) R's lsfit refuses loclinear; otherwise the adjusted posterior collapses (q025 = q975).
rows <- list()
for (tol in c(0.02, 0.03)) for (method in c("loclinear", "ridge")) {
  out <- tryCatch(suppressWarnings(abc(targets[1, ], param, sumstat, tol = tol, method = method,
                                       transf = c("log", "logit"), logit.bounds = bounds)),
                  error = function(e) conditionMessage(e))
  if (is.character(out)) {
    rows[[length(rows) + 1]] <- data.frame(tol = tol, method = method, error = out, parameter = NA, q025 = NA,
                                           q975 = NA)
  } else {
    s <- summary(out, print = FALSE)
    for (p in 1:2) rows[[length(rows) + 1]] <- data.frame(tol = tol, method = method, error = "",
      parameter = colnames(param)[p], q025 = s[2, p], q975 = s[6, p])
  }
}
w(do.call(rbind, rows), "degenerate_abc.csv")
