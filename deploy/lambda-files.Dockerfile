# The file checker as an AWS Lambda function: S3 PUT events in, a report beside each file
# and a message when a rule breaks (watchkeeper.integrations.aws_lambda.handler).
#
#   docker build -f deploy/lambda-files.Dockerfile -t watchkeeper-lambda-files .
#
# Built from the repository's root. The build stage keeps pip, setuptools and the
# sources out of the image: only the installed packages are copied into the function.
FROM public.ecr.aws/lambda/python:3.12 AS build
WORKDIR /build
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir --disable-pip-version-check --target /opt/task '.[lambda-files]'

FROM public.ecr.aws/lambda/python:3.12
COPY --from=build /opt/task ${LAMBDA_TASK_ROOT}
# /tmp is the only disk a function may write: the catalog that remembers checked files
# lives there unless WATCHKEEPER_DATABASE_URL names a shared database.
ENV WATCHKEEPER_HOME=/tmp/.watchkeeper
CMD ["watchkeeper.integrations.aws_lambda.handler"]
