"""Which worker build this is, for Temporal's Worker Deployment Versioning.

With RETAKE_DEPLOYMENT_NAME set, a worker joins that worker deployment as one version
(build) whose workflows are PINNED: RegenerateClipWorkflow finishes every run on the
build that started it: a new policy reaches new runs only once its build is made current
(docs/operations.md, "Deploying a new version"). RETAKE_BUILD_ID names the build; by
default it is derived from the code that decides what a run does: the package version
and a short hash of workflows/ (the workflow, its models and the policy in
workflows/decisions/), so two builds with the same workflow code share an id and any
change to it makes a new one. With no deployment name the worker is unversioned, as
the embedded default, the demo and the tests run.
"""

from __future__ import annotations

import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.worker import WorkerDeploymentConfig

from activities.config import Settings

WORKFLOW_CODE = Path(__file__).resolve().parent.parent / "workflows"


def package_version() -> str:
    try:
        return version("retake")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "0+checkout"


def workflow_code_hash(root: Path = WORKFLOW_CODE) -> str:
    """12 hex digits over every workflow-side source file, names included."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def code_build_id() -> str:
    """The default build id: e.g. '0.1.0-3f2a9c1d0b7e'."""
    return f"{package_version()}-{workflow_code_hash()}"


def deployment_config(settings: Settings) -> WorkerDeploymentConfig | None:
    """The worker's deployment version, or None for an unversioned worker."""
    if not settings.deployment_name:
        if settings.build_id:
            raise ValueError(
                "RETAKE_BUILD_ID is set but RETAKE_DEPLOYMENT_NAME is not: set both to join a "
                "worker deployment, or neither to run unversioned."
            )
        return None
    if "." in settings.deployment_name:
        raise ValueError(
            f"RETAKE_DEPLOYMENT_NAME {settings.deployment_name!r} contains '.', which Temporal "
            "does not allow in a deployment name. Use letters, digits, '-' or '_'."
        )
    return WorkerDeploymentConfig(
        version=WorkerDeploymentVersion(
            deployment_name=settings.deployment_name,
            build_id=settings.build_id or code_build_id(),
        ),
        use_worker_versioning=True,
        # PINNED here, not on @workflow.defn: the server refuses a versioning behavior
        # from an unversioned worker, and the embedded default and the tests run those.
        default_versioning_behavior=VersioningBehavior.PINNED,
    )


def describe_version(config: WorkerDeploymentConfig | None) -> str:
    """For the worker's start line."""
    if config is None:
        return "unversioned"
    return (
        f"deployment {config.version.deployment_name!r}, build {config.version.build_id!r}"
    )
