"""The run: options and targets -> inputs -> engine -> verdicts, on pandas or Dask; inspect, details."""
