"""Deployment checks: `scripts/check-deploy.sh` and the rendered Kubernetes manifests.

The `deploy` marker is registered in the root pyproject.toml.
"""
