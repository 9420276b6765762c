# The service image: slim base, pinned dependencies in their own layer, non-root user.
FROM python:3.11-slim AS runtime

# NUMBA_CACHE_DIR: the compiled kernels written at build time (below) ship in the image.
# WEB_CONCURRENCY: uvicorn's worker count (bench/README.md, "Hit path"); compose may override it.
# PROMETHEUS_MULTIPROC_DIR: the workers' shared metrics files, emptied at every container start.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    NUMBA_CACHE_DIR=/srv/numba-cache \
    OPENBLAS_NUM_THREADS=1 \
    WEB_CONCURRENCY=2 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/susc-metrics

WORKDIR /srv

# Dependencies first: this layer is rebuilt only when the pins change.
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY pyproject.toml README.md ./
COPY core ./core
COPY app ./app
RUN pip install --no-deps . && useradd --create-home --uid 10001 susc \
    && mkdir -p "$NUMBA_CACHE_DIR" && chown susc "$NUMBA_CACHE_DIR"

USER susc
# Compile every numba kernel once, now: a container's compute workers then load them from the
# cache in about a second instead of compiling for tens of seconds (/readyz is 503 until then).
RUN python -c "from app.warmup import warm_up; print(warm_up())"

EXPOSE 8000

# Slim images have no curl: the health check is Python (the API's; a worker serves no API).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"

# SIGTERM (docker stop) starts uvicorn's graceful shutdown: no new connections, requests in
# flight get up to --timeout-graceful-shutdown (30 s) to finish, then the compute pool stops.
# compose's stop_grace_period (40 s) leaves room for that before the SIGKILL.
STOPSIGNAL SIGTERM
# exec: uvicorn is PID 1 and receives the signal itself.
# The same image runs the job workers with another command, `python -m app.jobs.worker`
# (compose's `worker` service, which also replaces the HEALTHCHECK above with one of its own).
CMD ["sh", "-c", "rm -rf \"$PROMETHEUS_MULTIPROC_DIR\" && mkdir -p \"$PROMETHEUS_MULTIPROC_DIR\" && exec uvicorn app.main:app --host 0.0.0.0 --port 8000 --loop uvloop --http httptools --no-access-log --timeout-graceful-shutdown 30"]
