"""What output values become inside an artifact, and back: formats (Parquet, the pickle family), W&B
objects and ``wandb.Artifact`` outputs, and the ``add_files`` / ``add_dirs`` / ``add_references`` entries."""
