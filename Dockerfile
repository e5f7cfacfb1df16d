# One image for the four services (the command picks the service): `caseflow intake|dispatch|scoring|notify`.
FROM python:3.11-slim
WORKDIR /app
COPY requirements.lock requirements.txt pyproject.toml ./
RUN pip install --no-cache-dir -r requirements.lock
COPY libs ./libs
COPY services ./services
RUN pip install --no-cache-dir --no-deps . ./services/intake ./services/dispatch ./services/scoring ./services/notify
ENV CASEFLOW_HOST=0.0.0.0 CASEFLOW_PORT=8000
EXPOSE 8000
USER nobody
ENTRYPOINT ["caseflow"]
