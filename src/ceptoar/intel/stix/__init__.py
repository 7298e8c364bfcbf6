"""STIX 2.1 out and in: TLP 2.0 markings (`markings`), bundles of alerts, cases and indicator sets and of
imports given back verbatim (`export`), and bundles checked whole (`checks`) and stored object for object
(`importer`)."""
