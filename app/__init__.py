"""HTTP layer of the susceptibility service (FastAPI). Imports core, never the reverse."""
