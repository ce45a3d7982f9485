"""Talking to Terraform provider plugins directly: addresses, locating executables, the plugin protocol."""
