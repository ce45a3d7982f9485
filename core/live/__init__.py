"""Live state: the AWS context, native collectors, the provider plugin reader, unmanaged discovery."""
