from django.apps import AppConfig


class CsmConfig(AppConfig):
    name = "csm"
    verbose_name = "Platform"
    default_auto_field = "django.db.models.BigAutoField"
