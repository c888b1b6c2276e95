"""Pricing Celery tasks, one module per concern (Celery autodiscovers this package)."""

from pricing.tasks.alerts import *  # noqa: F403
from pricing.tasks.history import *  # noqa: F403
from pricing.tasks.market import *  # noqa: F403
from pricing.tasks.predictions import *  # noqa: F403
from pricing.tasks.scrape import *  # noqa: F403
