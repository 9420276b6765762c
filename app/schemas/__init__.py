"""Request and response models (pydantic v2), one module per domain. Shared pieces in common.py."""
