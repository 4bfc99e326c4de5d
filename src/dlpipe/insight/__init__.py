"""What tells when not to trust a trained model: pure statistics on arrays and tables (no files,
no bundle). ``drift`` compares new rows with a reference sample, one test per column."""
