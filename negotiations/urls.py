from django.urls import path

from negotiations.feeds import ChangesFeed
from negotiations.views import exports, public

app_name = "negotiations"

urlpatterns = [
    path("", public.home, name="home"),
    path("n/<slug:slug>/", public.gap_table, name="gap_table"),
    path("n/<slug:slug>/gaps.csv", exports.gaps_csv, name="gaps_csv"),
    path("n/<slug:slug>/gaps.json", exports.gaps_json, name="gaps_json"),
    path("n/<slug:slug>/positions.csv", exports.positions_csv, name="positions_csv"),
    path("n/<slug:slug>/packages/<slug:package>/", public.package_detail, name="package"),
    path("n/<slug:slug>/issues/<slug:issue>/", public.issue_history, name="issue_history"),
    path("n/<slug:slug>/actors/<slug:actor>/", public.actor_positions, name="actor"),
    path("n/<slug:slug>/sources/", public.sources, name="sources"),
    path("n/<slug:slug>/changes/", public.changes, name="changes"),
    path("n/<slug:slug>/feed/", ChangesFeed(), name="feed"),
]
