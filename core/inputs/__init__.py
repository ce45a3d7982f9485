"""Desired state: Terraform state and code, CloudFormation templates and stacks, ignore rules."""
