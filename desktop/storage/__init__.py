"""All SQL of Yaomu, one module per aggregate; functions take a connection and return records."""
