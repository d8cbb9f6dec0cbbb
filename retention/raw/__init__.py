"""Loaders: put raw tables (demo Parquet, CDNOW) into a warehouse's raw schema."""
