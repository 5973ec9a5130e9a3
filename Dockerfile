# One image for web (gunicorn), worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Pango and HarfBuzz for WeasyPrint; Noto CJK so that certificates show Chinese, not boxes; gettext for
# compilemessages.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fontconfig gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir .
COPY . .
RUN DJANGO_SECRET_KEY=build-only python manage.py compilemessages --locale zh_Hans \
    && DJANGO_SECRET_KEY=build-only DJANGO_DEBUG=false python manage.py collectstatic --noinput

RUN useradd --system --home /app award && mkdir -p /app/var/private && chown -R award /app/var
USER award

EXPOSE 8000
CMD ["gunicorn", "mayor_award.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2"]
