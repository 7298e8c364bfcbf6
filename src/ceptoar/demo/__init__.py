"""The deterministic demo population: the seeds' March 2009 CEPTOAR map with synthetic members."""
