"""Load tests: ``python -m loadtests.run`` (see README.md); never imported by the test suite."""
