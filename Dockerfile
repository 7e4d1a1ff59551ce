FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 FLASK_APP=app:create_app
RUN apt-get update && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fonts-noto-cjk-extra texlive-lang-chinese \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /srv/duban
COPY pyproject.toml ./
COPY app ./app
COPY workflows ./workflows
COPY tasks ./tasks
COPY templates ./templates
COPY migrations ./migrations
COPY config.py ./
# Editable: templates/, migrations/ and config.py are read from this folder.
RUN pip install --no-cache-dir -e . && pybabel compile -d app/translations -D messages
RUN useradd --system --home /var/lib/duban duban && mkdir -p /var/lib/duban && chown duban /var/lib/duban
USER duban
EXPOSE 8000
