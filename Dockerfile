# The Retake worker image (also runs `starter.py migrate`). Base image by exact version;
# to pin its digest as well, append the one your registry reports
# (`docker buildx imagetools inspect python:3.11.14-slim-bookworm`) as @sha256:...
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # No Postgres of its own: a worker without DATABASE_URL refuses to start.
    RETAKE_EMBEDDED_POSTGRES=false \
    RETAKE_DATA_DIR=/data

WORKDIR /app
# Every dependency, and the build backend, from the lock: pip refuses any file whose hash
# differs and installs nothing the lock does not name.
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml README.md worker.py starter.py ./
COPY workflows ./workflows
COPY activities ./activities
COPY retake ./retake
RUN pip install --no-deps --no-build-isolation --no-index . && rm -rf build ./*.egg-info

# Run as an unprivileged user; /data (videos) is the only place it writes.
RUN groupadd --system --gid 10001 retake \
 && useradd --system --uid 10001 --gid retake --no-create-home --shell /usr/sbin/nologin retake \
 && mkdir -p /data && chown retake:retake /data
USER 10001:10001
CMD ["python", "worker.py"]
