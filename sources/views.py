from django.views.generic import DetailView, ListView

from .models import Source


class SourceListView(ListView):
    template_name = "sources/source_list.html"
    context_object_name = "sources"
    paginate_by = 50

    def get_queryset(self):
        return (
            Source.objects.with_passage_count()
            .only("slug", "title", "publisher", "published_on", "opening")
            .order_by("title", "slug")
        )


class SourceDetailView(DetailView):
    template_name = "sources/source_detail.html"
    context_object_name = "source"

    def get_queryset(self):
        return Source.objects.all()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["passages"] = self.object.passages.current().order_by("ordinal")
        return context
