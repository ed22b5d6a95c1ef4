// Significant differential-expression calls of one batch, grouped by experiment (one lookup
// per experiment, not per call); the genes exist already (merge_de_genes runs first).
// Experiment properties are set at the end of the load by merge_de_experiments.
UNWIND $rows AS grp
MERGE (e:DEExperiment {key: grp.experiment})
WITH e, grp
UNWIND grp.calls AS r
MATCH (g:Gene {key: r.gene_key})
MERGE (e)-[d:DE]->(g)
SET d += r.props, d.source = $source, d.release = $release
