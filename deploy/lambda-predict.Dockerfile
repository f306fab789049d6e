# The prediction API as an AWS Lambda function behind API Gateway: the routes of
# `watchkeeper serve` (watchkeeper.integrations.aws_lambda.predict_handler).
#
#   docker build -f deploy/lambda-predict.Dockerfile -t watchkeeper-lambda-predict \
#       --build-arg MODEL_PACKAGES="scikit-learn==1.6.1" .
#
# MODEL_PACKAGES are the packages the model itself needs to load (for a pickled
# scikit-learn model, the scikit-learn version it was trained with); the image holds
# nothing else beyond the predict function's own dependencies.
FROM public.ecr.aws/lambda/python:3.12 AS build
ARG MODEL_PACKAGES=""
WORKDIR /build
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir --disable-pip-version-check --target /opt/task \
        '.[lambda-predict]' ${MODEL_PACKAGES}

FROM public.ecr.aws/lambda/python:3.12
COPY --from=build /opt/task ${LAMBDA_TASK_ROOT}
# /tmp is the only disk a function may write (a local capture folder, the model's copy)
ENV WATCHKEEPER_HOME=/tmp/.watchkeeper
CMD ["watchkeeper.integrations.aws_lambda.predict_handler"]
