import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kongres.settings")
application = get_wsgi_application()

from kongres.core.warmup import warm_up  # noqa: E402 - after Django's set-up

warm_up()
gc.freeze()  # what start-up loaded stays out of the garbage collector's passes
