# The long-running services in one image: `watchkeeper ui` (the default command),
# `watchkeeper scheduler` and `watchkeeper serve MODEL`; deploy/compose.yaml runs them
# with PostgreSQL as the catalog.
#
#   docker build -f deploy/server.Dockerfile -t watchkeeper-server .
#   docker run -p 8082:8082 -e WATCHKEEPER_TOKEN=... watchkeeper-server
#
# Built from the repository's root. MODEL_PACKAGES adds what a served model needs
# beyond scikit-learn (e.g. "xgboost-cpu onnxruntime").
FROM python:3.12-slim-bookworm AS build
ARG MODEL_PACKAGES=""
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# a virtual environment at the path it keeps in the final stage, so its scripts' first
# lines still name the right interpreter once copied
RUN python -m venv /opt/watchkeeper
WORKDIR /build
COPY pyproject.toml README.md ./
COPY src ./src
RUN /opt/watchkeeper/bin/pip install '.[all,postgres]' ${MODEL_PACKAGES}

FROM python:3.12-slim-bookworm
RUN useradd --system --no-log-init --uid 10001 --user-group \
        --home-dir /data --create-home watchkeeper
COPY --from=build /opt/watchkeeper /opt/watchkeeper
ENV PATH=/opt/watchkeeper/bin:$PATH \
    WATCHKEEPER_HOME=/data \
    PYTHONUNBUFFERED=1
USER watchkeeper
WORKDIR /data
# serve, scheduler, ui
EXPOSE 8080 8081 8082
ENTRYPOINT ["watchkeeper"]
CMD ["ui", "--host", "0.0.0.0"]
