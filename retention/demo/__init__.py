"""The demo-data generator: a deterministic shop whose raw tables behave like a real one."""
