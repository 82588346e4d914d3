"""Adapters: the only code in the library that imports boto3."""
