# The image docker-compose.yml runs: the platform with its Python dependencies (PyAV and
# Vosk ship their native libraries in their wheels). Speech models for Russian and English
# are installed into the data volume with `telemed models install`.
FROM python:3.11-slim
WORKDIR /app
# jemalloc: speech recognition costs about a third less CPU on it (web/allocator.py).
RUN apt-get update && apt-get install -y --no-install-recommends libjemalloc2 \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY clinic clinic
COPY signaling signaling
COPY media media
COPY transcription transcription
COPY protocol_writer protocol_writer
COPY actions actions
COPY web web
COPY decision_support decision_support
COPY harness harness
RUN pip install --no-cache-dir . && useradd --system --home /var/lib/telemed telemed \
    && mkdir -p /var/lib/telemed && chown telemed /var/lib/telemed
USER telemed
EXPOSE 8080
CMD ["telemed", "serve"]
