"""JSON for dumpdata that keeps times to the microsecond, so a restored backup holds exactly the times it had.

Django's JSON encoder cuts times to milliseconds (what JavaScript can hold);
a backup must not. Registered as the "json" format in ``SERIALIZATION_MODULES``,
so ``dumpdata`` writes it by default; ``loaddata`` reads it, and older JSON
fixtures, unchanged.
"""
import datetime

from django.core.serializers.json import Deserializer, DjangoJSONEncoder
from django.core.serializers.json import Serializer as JSONSerializer

__all__ = ["Deserializer", "Serializer"]


class ExactJSONEncoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


class Serializer(JSONSerializer):
    def _init_options(self):
        self.options.setdefault("cls", ExactJSONEncoder)
        super()._init_options()
