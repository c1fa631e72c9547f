# The demo image: the emulator on ports 80 (HTTP) and 443 (HTTPS, like the device; a self-signed certificate made in
# /data/tls on the first start) as a non-root user, its state in the /data volume.
#
#   docker build -t faxfinder-emulator .
#   docker run -d --name ffemu -p 127.0.0.1:8080:80 -p 127.0.0.1:8443:443 -v ffemu-data:/data faxfinder-emulator
#   curl -u admin:admin http://127.0.0.1:8080/ffws/v1/verify
#
# Settings come as FFEMU_* variables (docker run -e FFEMU_MODEL=FF840 -e FFEMU_MANUAL_CLOCK=true ...).
#
# Port 80 without root: Docker >= 20.10 sets net.ipv4.ip_unprivileged_port_start=0 inside a container's own
# network namespace, so an ordinary user may bind 80 with no capability and no setcap on the interpreter
# (checked on the 20.10.24 engine this image is tested on: the sysctl reads 0 in a container). With an older engine
# or --network host, add --sysctl net.ipv4.ip_unprivileged_port_start=0 to docker run, or serve elsewhere:
# docker run --health-cmd 'faxfinder-emulator health --url http://127.0.0.1:8080' ... faxfinder-emulator
#   faxfinder-emulator serve --host 0.0.0.0 --port 8080

# Build stage: the wheel of the checkout (hatchling comes and goes with it).
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
COPY . .
RUN pip wheel --no-deps --wheel-dir /wheels .

# Run stage: the package and its runtime dependencies only (no test extras, no sources), with the PostgreSQL driver
# (FFEMU_DATABASE_URL=postgresql+psycopg://…, FFEMU_WORKERS: deploy/compose.yaml).
FROM python:3.11-slim
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore \
    PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    FFEMU_DATA_DIR=/data
# The cover-page font (Latin, Greek, Cyrillic, CJK), from Debian: the emulator finds it at its packaged path.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-wqy-zenhei \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /wheels /tmp/wheels
RUN whl=$(ls /tmp/wheels/*.whl) && pip install "$whl[postgres]" \
 && rm -rf /tmp/wheels \
 && useradd --uid 10001 --user-group --home-dir /data --no-create-home --shell /usr/sbin/nologin ffemu \
 && mkdir -p /data \
 && chown ffemu:ffemu /data
USER ffemu
WORKDIR /data
# A named volume starts as a copy of this directory (owned by ffemu); a bind-mounted host directory must be
# writable by uid 10001 (or run with --user matching its owner).
VOLUME /data
EXPOSE 80 443
# The package checks itself: GET /_emulator/health (it sends FFEMU_CONTROL_TOKEN when the container has one).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["faxfinder-emulator", "health", "--url", "http://127.0.0.1:80", "--timeout", "5"]
CMD ["faxfinder-emulator", "serve", "--host", "0.0.0.0", "--port", "80", "--tls-port", "443"]
