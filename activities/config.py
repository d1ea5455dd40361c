"""Settings from the environment, read once at worker start.

Secrets are `SecretStr`: they print as '**********' and never enter a workflow
input, result or history. With nothing set at all, Retake runs on its embedded
defaults: the pgserver Postgres, the offline planner and the preview video backend.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from activities.postgres.dsn import dsn_passwords
from workflows.conventions import DEFAULT_TASK_QUEUE

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_data_dir() -> Path:
    """The checkout's .data in a source tree; for an installed package (no pyproject.toml
    beside it: site-packages), .data in the directory it is run from."""
    if (PROJECT_ROOT / "pyproject.toml").is_file():
        return PROJECT_ROOT / ".data"
    return Path.cwd() / ".data"


class Settings(BaseSettings):
    # An empty variable counts as unset (docker-compose.yml passes `${VAR:-}` for settings
    # that .env may leave out).
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False,
                                      env_ignore_empty=True)

    # Postgres: a real server, or None for the embedded pgserver in data_dir/postgres.
    # A secret: the URL usually holds the password.
    database_url: SecretStr | None = None
    # The login `starter.py migrate` changes the schema with (docs/operations.md,
    # "Database roles"); unset: DATABASE_URL.
    migration_database_url: SecretStr | None = Field(
        default=None, alias="RETAKE_MIGRATION_DATABASE_URL")
    # Whether a worker applies pending migrations itself at start. Unset: only on the
    # embedded Postgres; with DATABASE_URL it checks the schema and refuses an older one.
    auto_migrate: bool | None = Field(default=None, alias="RETAKE_AUTO_MIGRATE")
    # Whether the embedded Postgres may start when DATABASE_URL is unset. Unset: yes,
    # except for a worker inside a container, whose own database would vanish with it.
    embedded_postgres: bool | None = Field(default=None, alias="RETAKE_EMBEDDED_POSTGRES")
    data_dir: Path = Field(default_factory=default_data_dir, alias="RETAKE_DATA_DIR")

    # Temporal (address/namespace/TLS/API key come from the SDK's envconfig). The API key
    # is read here too, only so that redaction and leak scans know it.
    temporal_api_key: SecretStr | None = Field(default=None, alias="TEMPORAL_API_KEY")
    task_queue: str = Field(default=DEFAULT_TASK_QUEUE, alias="RETAKE_TASK_QUEUE")
    max_concurrent_activities: int = Field(default=100, alias="RETAKE_MAX_CONCURRENT_ACTIVITIES")
    max_concurrent_workflow_tasks: int = Field(
        default=100, alias="RETAKE_MAX_CONCURRENT_WORKFLOW_TASKS"
    )
    metrics_address: str | None = Field(default=None, alias="RETAKE_METRICS_ADDRESS")
    # Worker Deployment Versioning (retake/worker_version.py): both unset = unversioned.
    deployment_name: str | None = Field(default=None, alias="RETAKE_DEPLOYMENT_NAME")
    build_id: str | None = Field(default=None, alias="RETAKE_BUILD_ID")  # default: from the code

    # OpenAI: with no key, the offline planner answers (and says so).
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o"
    openai_timeout_seconds: float = 60.0
    # Spending limits in USD (activities/video/budgets.py); unset: no limit.
    budget_usd_per_day: Decimal | None = Field(default=None, ge=0, alias="RETAKE_BUDGET_USD_PER_DAY")
    budget_usd_per_job: Decimal | None = Field(default=None, ge=0, alias="RETAKE_BUDGET_USD_PER_JOB")
    budget_usd_per_account_per_day: Decimal | None = Field(
        default=None, ge=0, alias="RETAKE_BUDGET_USD_PER_ACCOUNT_PER_DAY")
    # Sound from Veo (generateAudio): off unless a request (options.generate_audio) or this
    # setting asks; the music video's composer replaces a clip's sound with the song.
    veo_generate_audio: bool = Field(default=False, alias="RETAKE_VEO_GENERATE_AUDIO")
    # The resolution Veo renders when a request names none; a model without it gets its
    # highest (workflows/decisions/veo_models.py). A music video is finished at 1080p.
    veo_resolution: Literal["720p", "1080p"] = Field(default="1080p", alias="RETAKE_VEO_RESOLUTION")
    # One planner reply is a prompt and a sentence of reasoning (~300 tokens); the cap
    # bounds what a runaway reply can cost.
    openai_max_output_tokens: int = Field(default=1000, ge=100, le=16000,
                                          alias="RETAKE_OPENAI_MAX_OUTPUT_TOKENS")

    # Veo on Vertex AI: a project + location with Application Default Credentials
    # (GOOGLE_APPLICATION_CREDENTIALS names a key file; unset: gcloud ADC or the attached
    # service account). An API key alone (express mode) does not serve Veo: refused at start.
    video_backend: Literal["auto", "veo", "preview"] = Field(
        default="auto", alias="RETAKE_VIDEO_BACKEND"
    )
    google_api_key: SecretStr | None = None
    google_cloud_project: str | None = None
    google_cloud_location: str = "us-central1"
    google_application_credentials: Path | None = None
    veo_base_url: str | None = None  # an alternative Vertex endpoint (emulators, proxies)
    veo_output_gcs_uri: str | None = None  # storageUri: Veo writes the video to GCS
    veo_timeout_seconds: float = 60.0
    # Issue 27: where reference images may come from (activities/video/reference_policy.py,
    # docs/operations.md). Comma-separated. Hosts unset: any public host; buckets unset:
    # gs:// references are dropped. Private addresses are for tests' local emulators only.
    reference_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list, alias="RETAKE_REFERENCE_HOSTS")
    reference_buckets: Annotated[list[str], NoDecode] = Field(
        default_factory=list, alias="RETAKE_REFERENCE_BUCKETS")
    reference_allow_http: bool = Field(default=False, alias="RETAKE_REFERENCE_ALLOW_HTTP")
    reference_allow_private: bool = Field(default=False, alias="RETAKE_REFERENCE_ALLOW_PRIVATE")
    # One deadline for each reference image's whole download (redirects included).
    reference_timeout_seconds: float = Field(
        default=10.0, gt=0, alias="RETAKE_REFERENCE_TIMEOUT_SECONDS")
    # Pushes to options.notify_url (activities/notify/, docs/operations.md): only to these
    # hosts (comma-separated; none: never), signed with the secret, https unless allowed.
    notify_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list, alias="RETAKE_NOTIFY_HOSTS")
    notify_secret: SecretStr | None = Field(default=None, alias="RETAKE_NOTIFY_SECRET")
    notify_allow_http: bool = Field(default=False, alias="RETAKE_NOTIFY_ALLOW_HTTP")
    # A submit whose answer was lost after the request may have reached Veo (read
    # timeout, connection reset after sending, a worker dying mid-call): "resubmit"
    # pays again and counts a possible duplicate charge; "fail" stops the regeneration
    # with SubmissionOutcomeUnknown so nothing more is paid (docs/operations.md).
    unclear_submit: Literal["resubmit", "fail"] = Field(
        default="resubmit", alias="RETAKE_UNCLEAR_SUBMIT"
    )
    # How long submit keeps retrying the ledger write of an accepted operation before
    # handing it to the next attempt through heartbeat details.
    ledger_retry_seconds: float = Field(default=60.0, alias="RETAKE_LEDGER_RETRY_SECONDS")
    # Issue 12: Veo submissions per minute for the whole fleet, enforced by the Temporal
    # server on the Veo submit queue. Default: Google's "Maximum API requests per minute
    # per project: 50" for veo-3.1-generate-001 / -fast-generate-001 (Veo 3.1 model page,
    # https://docs.cloud.google.com/vertex-ai/generative-ai/docs/models/veo/3-1-generate).
    # Set it to your project's granted quota.
    veo_requests_per_minute: float = Field(
        default=50.0, gt=0, alias="RETAKE_VEO_REQUESTS_PER_MINUTE"
    )

    # Adaptive polling (issue 17): the wait times its status checks from this model's
    # recent generation times (activities/video/poll_schedule.py); off: a check right
    # after submission, then one per options.poll_interval_seconds.
    adaptive_polling: bool = Field(default=True, alias="RETAKE_ADAPTIVE_POLLING")

    # How the worker sandboxes workflow code (retake/wiring.py): "passthrough" shares the
    # workflows package's modules between runs (~13 KiB per cached run instead of ~100;
    # 1,000 in flight fit in 500 MB) but no longer refuses nondeterministic calls made in
    # them; "strict" is Temporal's default sandbox. Every test worker runs strict, so CI
    # checks the code that production passes through.
    workflow_sandbox: Literal["passthrough", "strict"] = Field(
        default="passthrough", alias="RETAKE_WORKFLOW_SANDBOX")

    # Where finished videos go.
    video_store_dir: Path | None = Field(default=None, alias="RETAKE_VIDEO_STORE_DIR")
    video_public_base_url: str | None = Field(default=None, alias="RETAKE_VIDEO_PUBLIC_BASE_URL")

    @field_validator("reference_hosts", "reference_buckets", "notify_hosts", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @property
    def uses_veo(self) -> bool:
        if self.video_backend == "veo":
            return True
        if self.video_backend == "preview":
            return False
        return bool(self.google_api_key or self.google_cloud_project)

    @property
    def uses_llm(self) -> bool:
        return self.openai_api_key is not None and bool(self.openai_api_key.get_secret_value())

    @property
    def videos_dir(self) -> Path:
        return self.video_store_dir or (self.data_dir / "videos")

    @property
    def uses_embedded_postgres(self) -> bool:
        return self.database_url is None or not self.database_url.get_secret_value()

    @property
    def migrates_itself(self) -> bool:
        """RETAKE_AUTO_MIGRATE, else True only for the embedded Postgres."""
        if self.auto_migrate is not None:
            return self.auto_migrate
        return self.uses_embedded_postgres

    def secret_values(self) -> list[str | None]:
        """Every configured secret value, for redaction and for leak-scanning tests: the
        API keys, and the database URLs with the passwords they carry."""
        keys = [self.openai_api_key, self.google_api_key, self.temporal_api_key,
                self.notify_secret]
        values: list[str | None] = [s.get_secret_value() if s else None for s in keys]
        for url in (self.database_url, self.migration_database_url):
            if url is not None:
                values += [url.get_secret_value(), *dsn_passwords(url.get_secret_value())]
        return values + _key_file_secrets(self.google_application_credentials)


def _key_file_secrets(path: Path | None) -> list[str | None]:
    """The private key of a service-account key file (and its id), when one is readable."""
    if path is None:
        return []
    try:
        key = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []  # unreadable: the Veo backend refuses it at start and says why
    if not isinstance(key, dict):
        return []
    return [v for v in (key.get("private_key"), key.get("private_key_id")) if isinstance(v, str)]
