"""Pages of the supervision app (监督查评), mounted at /supervision/ on tenant hosts."""
