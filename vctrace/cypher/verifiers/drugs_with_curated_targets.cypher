// Drugs with any curated target record: a PrimeKG drug_protein edge, a Tahoe target, or a
// Harmonizome drug-target attribute named like the drug (key '<dataset>:<name>' for each of
// $datasets and each lower-cased name of the drug), in key order.
MATCH (d:Drug)
WITH d, [n IN [d.key, d.name] + coalesce(d.names, []) WHERE n IS NOT NULL |
         toLower(trim(toString(n)))] AS names
CALL (d, names) {
  UNWIND $datasets AS ds
  UNWIND names AS n
  MATCH (a:HarmonizomeAttribute {key: ds + ':' + n})
  RETURN collect(DISTINCT a.key) AS attributes
}
WITH d, attributes
WHERE size(attributes) > 0 OR EXISTS { (d)-[:DRUG_PROTEIN|TARGETS]-(:Gene) }
RETURN d.key AS drug, coalesce(d.name, d.key) AS name, attributes
ORDER BY drug
