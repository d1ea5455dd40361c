"""Issue 27: reference images fetched from a hostile server, within bounds, never fatal.

The server (tests/emulators/hostile_images.py) listens on 127.0.0.2; the policy trusts
that one address and no other private one, so a redirect to 127.0.0.1 or a name that
resolves to a private address is refused as in production. Names are resolved by a
table (the one fake: DNS), everything else is real: sockets, HTTP, Pillow, the loader.
"""

from __future__ import annotations

import ipaddress
import time

import pytest
from temporalio.testing import ActivityEnvironment

from activities.video.reference_fetch import ReferenceRefused, system_resolver
from activities.video.reference_images import ReferenceImageLoader
from activities.video.reference_policy import ReferencePolicy
from activities.video.video_activities import VideoActivities
from tests.emulators.hostile_images import HostileImages
from tests.test_veo_activity import generation, veo_settings

DNS = {  # the names these tests use, and what they resolve to
    "images.test": ["127.0.0.2"],
    "private.test": ["10.20.30.40"],
    "rebind.test": ["93.184.216.34", "192.168.1.9"],  # one public, one private address
    "v6-loopback.test": ["::ffff:127.0.0.1"],
}


async def table_resolver(host: str, port: int):
    if host in DNS:
        return [ipaddress.ip_address(a) for a in DNS[host]]
    return await system_resolver(host, port)


@pytest.fixture(scope="module")
def hostile():
    server = HostileImages().start("hostile-images")
    yield server
    server.stop()


def loader(**policy) -> ReferenceImageLoader:
    rules = ReferencePolicy(allow_http=True, trusted_networks=["127.0.0.2/32"], **policy)
    return ReferenceImageLoader(rules, timeout_seconds=1.0, resolver=table_resolver)


# (route or URL, what the reason says). {port} is the hostile server's.
HOSTILE = [
    ("/huge.png", "over the 10 MB cap"),
    ("/gzip-bomb.png", "Content-Encoding 'gzip'"),
    ("/slow.png", "not downloaded within 1 s"),
    ("/redirect.png", "redirects to http://127.0.0.1:{port}/ok.png: 127.0.0.1, a non-public"),
    ("/redirect.png?to=http://localhost:{port}/ok.png",
     "localhost:{port}/ok.png: localhost resolves to "),
    ("/image-bomb.png", "an image bomb"),
    ("/gif-bomb.gif", "10000x10000 pixels, over the 16,777,216 pixel cap"),
    ("/page.html", "content type 'text/html' is not an image"),
    ("/lying.png", "not a readable image"),
    ("http://private.test:{port}/ok.png", "private.test resolves to 10.20.30.40"),
    ("http://rebind.test:{port}/ok.png", "rebind.test resolves to 192.168.1.9"),
    ("http://v6-loopback.test:{port}/ok.png", "v6-loopback.test resolves to 127.0.0.1, a non"),
    ("http://127.0.0.1:{port}/ok.png", "ok.png: 127.0.0.1, a non-public address"),
    ("http://169.254.169.254/computeMetadata/v1/", "169.254.169.254, a non-public"),
    ("http://[::1", "is not a valid URL"),
    ("file:///etc/passwd", "scheme 'file' is not fetched"),
    ("http://user:pw@images.test:{port}/ok.png", "credentials in the URL"),
    ("gs://any-bucket/a.png", "gs:// references need RETAKE_REFERENCE_BUCKETS"),
]


@pytest.mark.parametrize(("route", "reason"), HOSTILE, ids=[r for r, _ in HOSTILE])
async def test_a_hostile_reference_is_dropped_with_its_reason(hostile, route, reason):
    url = f"http://images.test:{{port}}{route}" if route.startswith("/") else route
    url = url.format(port=hostile.port)
    started = time.monotonic()
    loaded = await loader().images([url, f"http://images.test:{hostile.port}/ok.png"], 3)
    assert time.monotonic() - started < 2.0  # one 1 s deadline, whatever the server does
    assert [u for u, _ in loaded.found] == [f"http://images.test:{hostile.port}/ok.png"]
    [dropped] = loaded.dropped
    assert reason.format(port=hostile.port) in dropped


async def test_the_host_and_bucket_lists_are_enforced(hostile):
    rules = loader(hosts=["images.test"], buckets=["refs"])
    ok = f"http://images.test:{hostile.port}/ok.png"
    assert (await rules.image(ok)).mime_type == "image/png"
    assert (await rules.image("gs://refs/a.png")).gcs_uri == "gs://refs/a.png"
    for url, reason in [
        ("https://elsewhere.example/a.png", "host 'elsewhere.example' is not in RETAKE_REFERENCE_HOSTS"),
        ("gs://other/a.png", "bucket 'other' is not in RETAKE_REFERENCE_BUCKETS"),
        ("https://storage.googleapis.com/other/a.png", "bucket 'other'"),  # read as gs://
    ]:
        with pytest.raises(ReferenceRefused, match=reason):
            await rules.image(url)


async def test_a_redirect_is_checked_against_the_host_list_too(hostile):
    rules = loader(hosts=["images.test"])
    url = f"http://images.test:{hostile.port}/redirect.png?to=http://other.test/a.png"
    with pytest.raises(ReferenceRefused, match="redirects to .*other.test.* RETAKE_REFERENCE_HOSTS"):
        await rules.image(url)


async def test_http_needs_the_setting(hostile):
    strict = ReferenceImageLoader(ReferencePolicy(trusted_networks=["127.0.0.2/32"]),
                                  resolver=table_resolver)
    with pytest.raises(ReferenceRefused, match="plain http is not fetched"):
        await strict.image(f"http://images.test:{hostile.port}/ok.png")


async def test_the_paid_step_completes_without_hostile_images_and_says_why(
    fresh_veo_emulator, tmp_path, db_pool, sample_job_id, hostile
):
    """Through the submit activity (real Veo emulator and ledger): one attempt, paid once,
    the good image sent, each hostile one named with its reason in the echo."""
    settings = veo_settings(fresh_veo_emulator, tmp_path, RETAKE_REFERENCE_TIMEOUT_SECONDS=1.0)
    video = VideoActivities.from_settings(settings, db_pool)
    base = f"http://127.0.0.2:{hostile.port}"
    urls = [f"{base}/huge.png", f"{base}/gif-bomb.gif", f"{base}/image-bomb.png",
            f"{base}/slow.png", f"{base}/ok.png"]
    submission = await ActivityEnvironment().run(
        video.submit_generation, generation(sample_job_id, reference_image_urls=urls))
    [sent] = fresh_veo_emulator.submissions()
    assert len(sent["instances"][0]["referenceImages"]) == 1
    assert submission.request.reference_image_urls == [f"{base}/ok.png"]
    reasons = submission.request.references_dropped
    assert len(reasons) == 4
    assert "over the 10 MB cap" in reasons[0] and "pixel cap" in reasons[1]
    assert "image bomb" in reasons[2] and "not downloaded within 1 s" in reasons[3]
    assert fresh_veo_emulator.counters()["submit_requests"] == 1
