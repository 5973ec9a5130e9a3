"""The one settings module, read from the environment.

With nothing set it runs on embedded defaults: DEBUG on, SQLite, Celery tasks executed in-process,
e-mail to the console, private files under ./var/private. Every variable is listed in README.md.
"""

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    env.read_env(str(BASE_DIR / ".env"))

DEBUG = env.bool("DJANGO_DEBUG", default=True)

# https://docs.djangoproject.com/en/5.2/ref/settings/#secret-key
# A missing key in production stops the start instead of falling back to a known value.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "django-insecure-local-development-only-" + "x" * 20

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# The address printed on certificates and in e-mails (no request at hand in Celery tasks).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "simple_history",
    "import_export",
    "csp",
    "mayor_award.core",
    "applications",
    "review",
    "committee",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # must stay last
]

# The benchmark serves its reference views from its own URLconf (scripts/bench); nothing else changes it.
ROOT_URLCONF = env("DJANGO_ROOT_URLCONF", default="mayor_award.urls")
WSGI_APPLICATION = "mayor_award.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mayor_award.core.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite by default, PostgreSQL when DATABASE_URL says so.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections: a new connection per request costs more than the page itself.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "mayor_award.core.validators.CharacterClassValidator"},
]
PASSWORD_HASHERS = env.list(
    "DJANGO_PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    ],
)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "after-login"  # each role lands in its own workspace
LOGOUT_REDIRECT_URL = "home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

# django-axes: five wrong passwords for a user from one address lock that pair for an hour.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

# Sessions end after 30 idle minutes (等保 2.0: 登录连接超时自动退出).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["mayor_award.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "var" / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded dossiers are confidential (Art. 23): stored outside any served folder and never given a
# MEDIA_URL route; every download goes through a view that checks who asks.
PRIVATE_FILES_ROOT = env.path("PRIVATE_FILES_ROOT", default=BASE_DIR / "var" / "private")
MEDIA_ROOT = PRIVATE_FILES_ROOT
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_FILES_ROOT, "base_url": "/private-files-are-not-served/"},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}
NOTICE_ATTACHMENT_MAX_BYTES = env.int("NOTICE_ATTACHMENT_MAX_BYTES", default=20 * 1024 * 1024)
DOSSIER_ATTACHMENT_MAX_BYTES = env.int("DOSSIER_ATTACHMENT_MAX_BYTES", default=20 * 1024 * 1024)
DOSSIER_TOTAL_MAX_BYTES = env.int("DOSSIER_TOTAL_MAX_BYTES", default=200 * 1024 * 1024)
# Uploads above this stream to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "mayor_award.core.uploads.LimitedUploadHandler",  # stops a file above the largest limit while it arrives
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# E-mail: printed to the console unless an SMTP server is configured.
EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="漯河市市长质量奖秘书处 <award@luohe.gov.cn>")

# Celery: a real broker when REDIS_URL is set, otherwise tasks run in-process.
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing an enqueue must not hang a request when the broker is down: fail fast, the sweeper retries.
# The publish retry policy is what bounds the retries: kombu copies it into the connection's transport
# options on every publish (Producer.publish), so max_retries/interval_* set as transport options never
# limited an enqueue. Three attempts within 0.2 s: a refused connection fails after about 0.2 s.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
# redis-py's sockets have no timeouts unless given here (broker_connection_timeout does not reach them):
# against a broker host that does not answer, an enqueue hung for the kernel's TCP connect timeout
# (minutes), and a publish on a dead connection would wait for ever. With a 2 s connect timeout it fails
# after about 4 s (broker_connection_timeout, 4 s, caps the attempts). socket_timeout stays well above
# the worker's 1 s BRPOP poll.
# A task whose worker died unacknowledged is handed out again after visibility_timeout (Redis default: one
# hour). Ten minutes, above the 5-minute task time limit, lets a killed certificate batch resume soon; every
# task is idempotent, so a rare second delivery of a long-delayed retry does no harm.
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5, "visibility_timeout": 600}
# The sweeper publishes every notice that is due; its period is the worst-case publication delay.
NOTICE_SWEEP_SECONDS = env.float("NOTICE_SWEEP_SECONDS", default=60.0)
# Receipts and decision e-mails whose task never reached the queue are sent by these sweepers.
MAIL_SWEEP_SECONDS = env.float("MAIL_SWEEP_SECONDS", default=300.0)
CELERY_BEAT_SCHEDULE = {
    "publish-due-notices": {
        "task": "mayor_award.core.tasks.task_publish_due_notices",
        "schedule": NOTICE_SWEEP_SECONDS,
    },
    "send-pending-receipts": {
        "task": "applications.tasks.task_send_pending_receipts",
        "schedule": MAIL_SWEEP_SECONDS,
        "options": {"expires": MAIL_SWEEP_SECONDS},
    },
    "send-pending-seat-invitations": {
        "task": "review.tasks.task_send_pending_invitations",
        "schedule": MAIL_SWEEP_SECONDS,
        "options": {"expires": MAIL_SWEEP_SECONDS},
    },
    "send-pending-decision-mails": {
        "task": "applications.tasks.task_send_pending_decision_mails",
        "schedule": MAIL_SWEEP_SECONDS,
        "options": {"expires": MAIL_SWEEP_SECONDS},
    },
    "send-pending-selection-letters": {
        "task": "review.tasks.task_send_pending_selection_letters",
        "schedule": MAIL_SWEEP_SECONDS,
        "options": {"expires": MAIL_SWEEP_SECONDS},
    },
    "send-pending-objection-mails": {
        "task": "committee.tasks.task_send_pending_objection_mails",
        "schedule": MAIL_SWEEP_SECONDS,
        "options": {"expires": MAIL_SWEEP_SECONDS},
    },
    "send-pending-review-reminders": {
        "task": "review.tasks.task_send_pending_reminders",
        "schedule": MAIL_SWEEP_SECONDS,
        "options": {"expires": MAIL_SWEEP_SECONDS},
    },
    "render-pending-certificates": {
        "task": "committee.tasks.task_render_pending_certificates",
        "schedule": MAIL_SWEEP_SECONDS,
        "options": {"expires": MAIL_SWEEP_SECONDS},
    },
    "render-pending-review-reports": {
        "task": "review.tasks.task_render_pending_reports",
        "schedule": MAIL_SWEEP_SECONDS,
        "options": {"expires": MAIL_SWEEP_SECONDS},
    },
}

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

SIMPLE_HISTORY_REVERT_DISABLED = True  # the audit history is read-only

# Security headers; the production values come from the environment and pass check --deploy.
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content security policy: every script, style, font and image is served from this site (vendored), so
# nothing from elsewhere may load, no inline script runs, and no other site may frame a page.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # Bootstrap draws its form controls with data: SVG images
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# The admin's address is a setting, so a deployment can move it off the guessable /admin/.
ADMIN_URL = env("DJANGO_ADMIN_URL", default="admin/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every rendering step at INFO: only its warnings (missing fonts, bad CSS) matter here.
    "loggers": {"axes": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}
