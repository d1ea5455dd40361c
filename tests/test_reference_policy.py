"""Issue 27: which references are allowed, and how a signed one travels by name.

Pure checks of the policy and the names, then the two places they meet real data:
loading a clip's context (refused references dropped, with the reason in the plan)
and the submit reading a signed URL back from the job by its name.
"""

from __future__ import annotations

import ipaddress
import logging
from uuid import UUID

import pytest
from temporalio.testing import ActivityEnvironment

from activities.config import Settings
from activities.job_store.job_store_activities import JobStoreActivities
from activities.job_store.reference_urls import full_reference_urls
from activities.job_store.sample_data import read_sample
from activities.video.reference_names import is_signed_name, reference_name
from activities.video.reference_policy import ReferencePolicy
from activities.video.video_activities import VideoActivities
from retake.wiring import RetakeActivities
from tests.support.job_rows import drop_stage, set_stage
from tests.test_decisions_finalize import context, finalize
from tests.test_veo_activity import generation, veo_settings
from workflows.step_models import ClipRef

SIGNED = "https://storage.googleapis.com/b/o.png?X-Goog-Signature=abc&X-Goog-Expires=600"


@pytest.mark.parametrize("url", [
    SIGNED, "https://user:pw@example.com/a.png", "https://example.com/a.png?token=t#frag",
    "http://[::1", "gs://b/o.png", "https://example.com/a.png",
])
def test_a_name_never_holds_a_query_or_userinfo_and_is_stable(url):
    name = reference_name(url)
    assert "abc" not in name and "pw" not in name and "token" not in name
    assert reference_name(name) == name


def test_signed_urls_of_one_path_get_different_names():
    other = SIGNED.replace("abc", "xyz")
    assert is_signed_name(reference_name(SIGNED))
    assert reference_name(SIGNED) != reference_name(other)
    assert reference_name(SIGNED).startswith("https://storage.googleapis.com/b/o.png#signed=")
    assert not is_signed_name(reference_name("https://example.com/a.png"))


@pytest.mark.parametrize(("address", "public"), [
    ("93.184.216.34", True), ("2606:4700::1111", True),
    ("127.0.0.1", False), ("::1", False), ("10.1.2.3", False), ("172.16.0.1", False),
    ("192.168.0.1", False), ("169.254.169.254", False), ("fe80::1", False),
    ("100.64.0.1", False), ("0.0.0.0", False), ("224.0.0.1", False), ("fd00::1", False),
    ("::ffff:10.0.0.1", False),
])
def test_only_public_addresses_are_connected_to(address, public):
    refusal = ReferencePolicy().address_refusal("h.test", ipaddress.ip_address(address))
    assert (refusal is None) == public


def test_allow_private_opens_private_addresses_but_never_multicast():
    policy = ReferencePolicy(allow_private=True)
    assert policy.address_refusal("h", ipaddress.ip_address("10.0.0.1")) is None
    assert policy.address_refusal("h", ipaddress.ip_address("224.0.0.1")) is not None


@pytest.mark.parametrize(("url", "allowed"), [
    ("https://images.example.com/a.png", True),
    ("https://cdn.assets.example.com/a.png", True),  # `.assets.example.com`: subdomains
    ("https://assets.example.com.evil.test/a.png", False),
    ("https://example.com/a.png", False),
    ("http://images.example.com/a.png", False),  # https only unless http is allowed
    ("ftp://images.example.com/a.png", False),
    ("gs://refs/a.png", True), ("gs://refs-other/a.png", False),
    ("https://refs.storage.googleapis.com/a.png", True),  # read by Vertex as gs://refs/a.png
])
def test_the_host_and_bucket_lists(url, allowed):
    policy = ReferencePolicy(hosts=["images.example.com", "*.assets.example.com"],
                             buckets=["refs"])
    assert (policy.refusal(url) is None) == allowed, policy.refusal(url)


def test_settings_are_comma_separated_and_the_worker_says_what_it_drops(
    monkeypatch, caplog, tmp_path
):
    monkeypatch.setenv("RETAKE_REFERENCE_HOSTS", "images.example.com, .cdn.example.com")
    settings = Settings(RETAKE_VIDEO_BACKEND="preview", RETAKE_DATA_DIR=tmp_path)
    policy = ReferencePolicy.from_settings(settings)
    assert policy.hosts == ["images.example.com", ".cdn.example.com"] and policy.buckets == []
    assert not policy.allow_http and not policy.allow_private  # production defaults
    with caplog.at_level(logging.WARNING, logger="retake.wiring"):
        RetakeActivities.from_settings(settings, pool=None)
    assert "RETAKE_REFERENCE_BUCKETS is unset: gs:// reference images are dropped" in caplog.text


async def load(pool, job: UUID, index: int, policy: ReferencePolicy):
    store = JobStoreActivities(pool, policy)
    return await ActivityEnvironment().run(store.load_clip_context,
                                           ClipRef(job_id=job, clip_index=index))


async def test_loading_drops_refused_references_and_names_signed_ones(db_pool, sample_job_id):
    _, stages = read_sample(job_id=sample_job_id)
    prompts = stages["prompt_generator"]
    prompts["clip_prompts"][3].update(
        scene_reference_url=SIGNED,
        character_reference_urls=["gs://elsewhere/c.png", "http://[::1", "file:///etc/passwd"])
    await set_stage(db_pool, sample_job_id, "prompt_generator", prompts)
    await drop_stage(db_pool, sample_job_id, "reference_generator")

    ctx = await load(db_pool, sample_job_id, 3, ReferencePolicy(buckets=["b"]))
    assert ctx.scene_reference_urls == [reference_name(SIGNED)]
    assert ctx.character_reference_urls == []
    assert ctx.references_dropped == [
        "gs://elsewhere/c.png: bucket 'elsewhere' is not in RETAKE_REFERENCE_BUCKETS",
        "http://[::1 is not a valid URL",
        "file:///etc/passwd: scheme 'file' is not fetched",
    ]
    plan = finalize(ctx=ctx)
    assert "Reference images dropped: gs://elsewhere/c.png: bucket 'elsewhere'" in plan.reasoning
    assert plan.reference_image_urls == [reference_name(SIGNED)]

    urls, missing = await full_reference_urls(
        db_pool, ClipRef(job_id=sample_job_id, clip_index=3),
        [reference_name(SIGNED), reference_name(SIGNED.replace("abc", "old")), "gs://b/x.png"])
    assert urls == [SIGNED, "gs://b/x.png"]
    assert "no longer in the job's metadata" in missing[0] and "old" not in missing[0]


def test_a_plan_without_dropped_references_reads_as_before():
    assert "dropped" not in finalize(ctx=context()).reasoning.lower()


async def test_the_ledger_keeps_names_even_for_a_run_that_passes_a_signed_url(
    fresh_veo_emulator, tmp_path, db_pool, sample_job_id
):
    """A run recorded before names were used still sends the full URL in its request:
    the image is fetched with it, and the ledger and the echo hold only its name."""
    video = VideoActivities.from_settings(veo_settings(fresh_veo_emulator, tmp_path), db_pool)
    signed = fresh_veo_emulator.asset_url("scene.png") + "?X-Goog-Signature=s3cr3t"
    req = generation(sample_job_id, reference_image_urls=[signed])
    submission = await ActivityEnvironment().run(video.submit_generation, req)
    assert submission.request.reference_image_urls == [reference_name(signed)]
    rows = await db_pool.fetch(
        "SELECT request::text FROM veo_submissions WHERE regeneration_id = $1 UNION ALL "
        "SELECT request::text FROM veo_operations WHERE regeneration_id = $1",
        req.regeneration_id)
    assert len(rows) == 2 and not [r for r in rows if "s3cr3t" in r["request"]]
