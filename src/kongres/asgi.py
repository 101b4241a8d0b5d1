import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kongres.settings")
application = get_asgi_application()

from kongres.core.warmup import warm_up  # noqa: E402 - after Django's set-up

warm_up()
gc.freeze()  # what start-up loaded stays out of the garbage collector's passes
