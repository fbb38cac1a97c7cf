"""Step definitions, grouped by domain concept; test_features.py binds the feature files."""
