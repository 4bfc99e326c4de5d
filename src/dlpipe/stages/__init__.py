"""The nodes of the stage table: pure functions, one module per stage (the MNIST tasks one each)."""
