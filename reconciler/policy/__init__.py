"""policy.yaml and its layers: rules, build, CEL, schema, evaluate (pure)."""
