"""Unmanaged discovery beyond the native collectors: the ARN table (`table`), the listings that
feed it (`listing`) and the child objects of managed resources that Terraform never sees
(`children`)."""
