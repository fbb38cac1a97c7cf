"""The suite's pytest plugins: fixtures, the run's manifest, secrets, budget, report labels, diagnosis, evidence."""
