# watchkeeper as a SageMaker Model Monitor container: a monitoring schedule whose
# MonitoringAppSpecification.ImageUri names this image runs `watchkeeper sagemaker-monitor`
# on each window, configured by the environment SageMaker sets (dataset_format,
# dataset_source, output_path, baseline_statistics, baseline_constraints, start_time,
# end_time, publish_cloudwatch_metrics, record_preprocessor_script, ...).
#
#   docker build -f deploy/sagemaker-monitor.Dockerfile -t watchkeeper-sagemaker-monitor .
#
# Built from the repository's root; push it to ECR for SageMaker to pull.
FROM python:3.12-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# a virtual environment at the path it keeps in the final stage, so its scripts' first
# lines still name the right interpreter once copied
RUN python -m venv /opt/watchkeeper
WORKDIR /build
COPY pyproject.toml README.md ./
COPY src ./src
RUN /opt/watchkeeper/bin/pip install '.[sagemaker-monitor]'

FROM python:3.12-slim-bookworm
COPY --from=build /opt/watchkeeper /opt/watchkeeper
# The job runs as the image's default user: SageMaker creates /opt/ml/processing/* and
# /opt/ml/output for it, owned by root.
ENV PATH=/opt/watchkeeper/bin:$PATH \
    WATCHKEEPER_HOME=/tmp/.watchkeeper \
    PYTHONUNBUFFERED=1
ENTRYPOINT ["watchkeeper"]
CMD ["sagemaker-monitor"]
