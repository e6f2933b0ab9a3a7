# Volatile fields of regression transcripts, applied by tests/run-regress with sed -E.
# Keep each rule narrow: what it replaces can no longer be checked by any case.

# UUIDs (a case that must see one greps for it itself)
s/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/<uuid>/g
# wall-clock dates and times
s/[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([+-][0-9]{2}:?[0-9]{2}|Z)?/<time>/g
# durations and rates
s/[0-9]+(\.[0-9]+)? ?(s|ms|us|ns|sec|seconds)\b/<duration>/g
s/[0-9]+(\.[0-9]+)? ?[KMGT]i?B\/s\b/<rate>/g
# temporary directories of the runner
s/[^ ]*\/cowfs-regress\.[A-Za-z0-9]+/<tmp>/g
