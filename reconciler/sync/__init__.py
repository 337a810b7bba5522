"""GitOps pull mode (``reconciler sync``): mirror, checkout, agent loop, webhook, status."""
