"""Renderings of a scan report: the JSON document, plain text, SARIF and JUnit."""
