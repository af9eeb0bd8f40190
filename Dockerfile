# Cairn's container image: Debian slim with Python 3.11, the PDF libraries, a non-root user,
# Cairn installed from this repository and its static files collected at build time.
#   docker build -t cairn .
#   docker compose up        (compose.yaml: PostgreSQL, Redis, two app servers, a worker, nginx)
# See docs/admin/installation.md.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    CAIRN_DATA_DIR=/data \
    STATIC_ROOT=/app/static \
    DEBUG=0

# WeasyPrint draws PDFs with Pango and HarfBuzz; DejaVu is the fallback font; pg_dump and
# pg_restore for `cairn backup` / `cairn restore` (PostgreSQL 15, as in compose.yaml).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
      postgresql-client-15 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --uid 10001 --home-dir /home/cairn cairn \
 && mkdir -p /app /data \
 && chown cairn:cairn /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY cairn ./cairn
RUN pip install --no-cache-dir . \
 && SECRET_KEY=build-only-not-secret cairn collectstatic --noinput -v 0 \
 && rm -rf /app/cairn /app/*.egg-info

COPY deploy/docker-entrypoint.sh /usr/local/bin/cairn-entrypoint
USER cairn
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
# SIGTERM lets requests in flight finish (cairn serve's graceful timeout).
STOPSIGNAL SIGTERM
ENTRYPOINT ["cairn-entrypoint"]
CMD ["web"]
