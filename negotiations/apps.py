from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class NegotiationsConfig(AppConfig):
    name = "negotiations"
    verbose_name = "Negotiations"

    def ready(self) -> None:
        from negotiations import db_rules, signals  # noqa: F401 (connects the receivers)

        pre_migrate.connect(
            db_rules.uninstall_for_migrating, sender=self, dispatch_uid="gapwatch-db-rules-off"
        )
        post_migrate.connect(db_rules.install, sender=self, dispatch_uid="gapwatch-db-rules")
