"""What uses verdicts: the run engine, metrics, reports, refine/export and audit."""
