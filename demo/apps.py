from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo content and the benchmark corpus: tools for trying and measuring the product, not the product."""

    name = "demo"
    verbose_name = "Demo content"
