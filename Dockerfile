# One image recipe for every service: docker build --build-arg SERVICE=repairs -t propdesk-repairs .
# SERVICE=all builds an image with every service and the CLI (for `propdesk migrate` jobs and tools).
FROM python:3.11-slim
ARG SERVICE=intake
ENV PROPDESK_SERVICE=${SERVICE} \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PATH=/app/.venv/bin:$PATH
WORKDIR /app
RUN pip install --no-cache-dir uv
COPY pyproject.toml uv.lock README.md ./
COPY libs ./libs
COPY services ./services
RUN if [ "$SERVICE" = "all" ]; then uv sync --frozen --no-dev; \
    else uv sync --frozen --no-dev --package "propdesk-$SERVICE"; fi
RUN useradd --system --uid 10001 propdesk
USER propdesk
# Each service listens on its own port (intake 8101, repairs 8102, billing 8103, incidents 8104, notify 8105,
# identity 8106; the console 8107), migrates its own schema (under an advisory lock, so replicas take turns; the
# console owns no data and has none), then serves.
CMD ["sh", "-c", "{ [ \"$PROPDESK_SERVICE\" = console ] || propdesk migrate --service \"$PROPDESK_SERVICE\"; } && exec uvicorn --factory \"propdesk.$PROPDESK_SERVICE.main:create_app\" --host 0.0.0.0 --port \"$PORT\" --proxy-headers --no-access-log"]
