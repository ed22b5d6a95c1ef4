# The vctrace service (`vctrace serve`) for docker-compose.yml; Neo4j runs in its own container.
#   docker compose up -d --build
#   docker compose exec vctrace vctrace token create --role write
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    VCTRACE_HOME=/var/lib/vctrace VCTRACE_HTTP_HOST=0.0.0.0 VCTRACE_HTTP_PORT=8000

WORKDIR /opt/vctrace
COPY pyproject.toml README.md ./
COPY vctrace ./vctrace
RUN pip install --no-cache-dir . \
 && useradd --system --home-dir /var/lib/vctrace --create-home vctrace \
 && chmod 700 /var/lib/vctrace

USER vctrace
EXPOSE 8000
# inside the container it listens on every interface; compose publishes it on the host's
# loopback only
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=6 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status != 200)"
CMD ["vctrace", "serve"]
