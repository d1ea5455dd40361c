"""Which build a worker is: unversioned by default, a deployment version when configured."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from temporalio.common import VersioningBehavior

from activities.config import Settings
from retake.worker_version import (
    WORKFLOW_CODE,
    code_build_id,
    deployment_config,
    package_version,
    workflow_code_hash,
)


def settings(**env: str) -> Settings:
    return Settings(**env)


def test_no_deployment_settings_mean_an_unversioned_worker():
    assert deployment_config(settings()) is None


def test_a_deployment_name_joins_that_deployment_with_the_code_build_id():
    config = deployment_config(settings(RETAKE_DEPLOYMENT_NAME="retake"))
    assert config.use_worker_versioning
    assert config.default_versioning_behavior == VersioningBehavior.PINNED
    assert config.version.deployment_name == "retake"
    assert config.version.build_id == code_build_id()
    assert code_build_id().startswith(f"{package_version()}-")


def test_an_explicit_build_id_wins():
    config = deployment_config(settings(RETAKE_DEPLOYMENT_NAME="retake", RETAKE_BUILD_ID="2026-11-25.1"))
    assert config.version.build_id == "2026-11-25.1"


@pytest.mark.parametrize(
    "env, says",
    [
        ({"RETAKE_BUILD_ID": "v2"}, "RETAKE_DEPLOYMENT_NAME is not"),
        ({"RETAKE_DEPLOYMENT_NAME": "retake.prod"}, "contains '.'"),
    ],
)
def test_half_or_bad_configuration_is_refused_with_what_to_do(env, says):
    with pytest.raises(ValueError, match=says):
        deployment_config(settings(**env))


def test_the_build_id_changes_with_any_workflow_code_and_only_with_it(tmp_path: Path):
    copy = tmp_path / "workflows"
    shutil.copytree(WORKFLOW_CODE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert workflow_code_hash(copy) == workflow_code_hash()
    (copy / "README.txt").write_text("not code")
    assert workflow_code_hash(copy) == workflow_code_hash()

    rule = copy / "decisions" / "temperature.py"
    rule.write_text(rule.read_text().replace("Band(\"moderate\", 0.60, 0.70, 0.65)",
                                             "Band(\"moderate\", 0.60, 0.70, 0.62)"))
    assert "0.62" in rule.read_text()
    assert workflow_code_hash(copy) != workflow_code_hash()
