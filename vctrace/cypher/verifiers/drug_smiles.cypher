// SMILES of drugs (from the Tahoe-100M drug table).
UNWIND $keys AS k
MATCH (d:Drug {key: k})
RETURN d.key AS key, d.name AS name, d.smiles AS smiles
