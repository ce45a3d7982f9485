"""CloudFormation as a desired-state source (public API documented below once complete)."""
