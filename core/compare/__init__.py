"""Comparison: what should be (state, code, a template) against what is, as `Difference`s.

`engine` holds the rules every comparison shares (emptiness, scalars as text, JSON policy
documents, order-free matching, path prefixes) and the untyped walk; `policy` normalises IAM
documents. The uses are thin adapters over it: `state_vs_live` (collectors and provider reads),
`code_rules` (Terraform code vs state; `core.scan.pending` applies it instance by instance),
`cloudformation` (stack template vs live and workspace template vs deployed, in CloudFormation
property paths).
"""
