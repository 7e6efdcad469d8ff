# Reading a tipsim run file in R with hdf5r (Debian: r-base-core and
# r-cran-hdf5r, which scripts/setup.sh installs).
#
#   Rscript analysis/examples/read_run.R runs/baseline.h5
#
# Prints the provenance, persons in exploitation over time (median and
# 10-90 % band over replicates, all regions together) and the headline
# per-run figures of each point, all in real people and real USD, as the
# Python package's open_run gives them. The `summary` lines are tab-separated, with
# 15 significant digits, so a test can check them against the Python
# package; they are also a handy long table to read back with read.delim().
#
# R stores arrays column-major, so every dimension comes back reversed:
# series/persons_by_state is [state, region, step, replicate, point] and
# summary/exploited_mean is [replicate, point]. hdf5r drops a trailing
# dimension of length 1 (a plain run has one point); read_array() keeps it.
#
# Units: every variable has a `basis` attribute. Series counted in
# `agents` are multiplied by the real people one agent stands for (the root
# attribute population_scale, or a sweep's own population.scale); summaries
# (`people`) and money (`USD`) are real already, rates (`none`) need nothing.

suppressPackageStartupMessages(library(hdf5r))

read_array <- function(file, name) {
  d <- file[[name]]
  array(d$read(), dim = d$dims)
}

args <- commandArgs(trailingOnly = TRUE)
path <- if (length(args) >= 1) args[[1]] else "runs/baseline.h5"
f <- H5File$new(path, mode = "r")

# Refuse what this script was not written for, as tipsim does.
if (!("format" %in% h5attr_names(f)) || h5attr(f, "format") != "tipsim-run")
  stop(path, ": not a tipsim run file")
# Version 4 differs from 3 only in the routes table, which this script does not read.
if (!(h5attr(f, "format_version") %in% c(3, 4)))
  stop(path, ": run file format version ", h5attr(f, "format_version"), "; this script reads versions 3 and 4")

cat("scenario: ", h5attr(f, "scenario_name"), " | tipsim ", h5attr(f, "program_version"),
    " (", h5attr(f, "source_revision"), ") | seed ", h5attr(f, "seed"), "\n", sep = "")
cat("command: ", h5attr(f, "command_line"), "\n", sep = "")

# Point labels: a comparison's arms, a sweep's varied keys, or the scenario.
summary_names <- names(f[["summary"]])
points <- f[["summary/point"]]$read()
labels <- if ("arm" %in% summary_names) f[["summary/arm"]]$read() else
  if (length(points) == 1) h5attr(f, "scenario_name") else paste("point", points)

# Real people one agent stands for at point p (a sweep may vary population.scale).
point_scale <- function(p) {
  if ("sweep" %in% names(f) && "population.scale" %in% names(f[["sweep"]]))
    return(f[["sweep/population.scale"]]$read()[[p]])
  h5attr(f, "population_scale")
}
# A series in real units at point p: counts of agents times the scale.
in_people <- function(name, values, p) {
  if (h5attr(f[[name]], "basis") == "agents") values * point_scale(p) else values
}

# Persons in exploitation, all regions together, for the first point.
# A labelled dimension is an index; its labels are in <dim>_label (format 3).
states <- f[["series/state_label"]]$read()
days <- f[["series/time_days"]]$read()
persons <- in_people("series/persons_by_state", read_array(f, "series/persons_by_state"), 1)
                                                            # [state, region, step, replicate, point]
exploited <- apply(persons[which(states == "EXPLOITED"), , , , 1, drop = FALSE], c(3, 4), sum)  # [step, replicate]
band <- t(apply(exploited, 1, quantile, probs = c(0.1, 0.5, 0.9)))  # type 7, as tipsim and NumPy
series <- data.frame(years = days / 365, low = band[, 1], median = band[, 2], high = band[, 3])
cat("\npersons in exploitation,", labels[[1]], "(every 26th step)\n")
print(series[seq(1, nrow(series), by = 26), ], row.names = FALSE, digits = 4)

# Headline per-run figures: mean, 10 %, median, 90 % over replicates.
headline <- c("exploited_mean", "recruitments", "identified", "prosecutions", "convictions",
              "traffickers_active_final", "spending_total")
cat("\nsummary\tfigure\tpoint\tmean\tlow\tmedian\thigh\tunits\n")
for (name in headline) {
  values <- read_array(f, paste0("summary/", name))         # [replicate, point]
  # units holds the UDUNITS spelling (CF: "1"), unit_label the words ("persons").
  unit <- h5attr(f[[paste0("summary/", name)]], "unit_label")
  for (p in seq_along(points)) {
    q <- quantile(values[, p], c(0.1, 0.5, 0.9))
    cat("summary", name, labels[[p]], sprintf("%.15g", c(mean(values[, p]), q)),
        unit, sep = "\t")
    cat("\n")
  }
}
f$close_all()
