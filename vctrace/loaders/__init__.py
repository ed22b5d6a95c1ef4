"""Knowledge loaders (PrimeKG, Tahoe-100M, Harmonizome, ontologies): one module per source,
each streaming its files into Neo4j with provenance. Not built yet: see issue 3. Trace files
are read by :mod:`vctrace.traces.records`, not here.
"""
