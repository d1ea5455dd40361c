"""Issue 27: https references are fetched from the checked address, and still verified
for their name.

The worker connects to the address it checked, not to the name (so DNS cannot change
its answer in between); the Host header and TLS SNI carry the name, so the server's
certificate must still be valid for it. A local https server on 127.0.0.2 with a
certificate for `images.test` only, trusted by the test's SSL context.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from activities.video.reference_fetch import ReferenceRefused
from activities.video.reference_images import ReferenceImageLoader
from activities.video.reference_policy import ReferencePolicy
from tests.emulators.hostile_images import hostile_app
from tests.emulators.threaded_app import ThreadedApp


def certificate(tmp_path, name: str):
    """A self-signed certificate for `name`, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class TlsImages(ThreadedApp):
    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(hostile_app(), host="127.0.0.2")
        self._context = context

    async def _listen(self) -> None:
        from aiohttp import web

        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port, ssl_context=self._context).start()
        self.port = self._runner.addresses[0][1]


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    cert, key = certificate(tmp_path_factory.mktemp("tls"), "images.test")
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(cert, key)
    server = TlsImages(served).start("tls-images")
    trusted = ssl.create_default_context(cafile=str(cert))
    yield server, trusted
    server.stop()


async def resolve_to_server(host: str, port: int):
    return [ipaddress.ip_address("127.0.0.2")]


def loader(trusted: ssl.SSLContext) -> ReferenceImageLoader:
    policy = ReferencePolicy(hosts=["images.test", "other.test"],
                             trusted_networks=["127.0.0.2/32"])
    return ReferenceImageLoader(policy, timeout_seconds=5.0, resolver=resolve_to_server,
                                verify=trusted)


async def test_https_goes_to_the_checked_address_with_the_name_verified(tls):
    server, trusted = tls
    image = await loader(trusted).image(f"https://images.test:{server.port}/ok.png")
    assert image.mime_type == "image/png" and image.image_bytes


async def test_a_certificate_for_another_name_is_refused(tls):
    server, trusted = tls  # other.test resolves to the same address: the cert says images.test
    with pytest.raises(ReferenceRefused, match="other.test.*ConnectError"):
        await loader(trusted).image(f"https://other.test:{server.port}/ok.png")
