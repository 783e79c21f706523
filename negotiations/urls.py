from django.urls import path
from django.views.decorators.http import require_safe

from negotiations.feeds import ChangesFeed
from negotiations.views import exports, public, workspace

app_name = "negotiations"

urlpatterns = [
    # Readers
    path("", public.home, name="home"),
    path("n/<slug:slug>/", public.gap_table, name="gap_table"),
    path("n/<slug:slug>/gaps.csv", exports.gaps_csv, name="gaps_csv"),
    path("n/<slug:slug>/gaps.json", exports.gaps_json, name="gaps_json"),
    path("n/<slug:slug>/positions.csv", exports.positions_csv, name="positions_csv"),
    path("n/<slug:slug>/packages/<slug:package>/", public.package_detail, name="package"),
    path("n/<slug:slug>/issues/<slug:issue>/", public.issue_history, name="issue_history"),
    path("n/<slug:slug>/actors/<slug:actor>/", public.actor_positions, name="actor"),
    path("n/<slug:slug>/positions/<uuid:uid>/", public.position_in_context, name="position"),
    path("n/<slug:slug>/sources/", public.sources, name="sources"),
    path("n/<slug:slug>/changes/", public.changes, name="changes"),
    path("n/<slug:slug>/feed/", require_safe(ChangesFeed()), name="feed"),
    # Analysts
    path("workspace/", workspace.workspace_home, name="workspace"),
    path(
        "n/<slug:slug>/record/<slug:issue>/<slug:actor>/",
        workspace.record_position,
        name="record",
    ),
    path("n/<slug:slug>/reports/new/", workspace.new_report, name="new_report"),
    path("n/<slug:slug>/import/", workspace.import_positions, name="import"),
    path("n/<slug:slug>/deleted/", workspace.deleted_positions, name="deleted"),
    path("n/<slug:slug>/rounds/new/", workspace.new_round, name="new_round"),
    path("n/<slug:slug>/rounds/<int:pk>/edit/", workspace.edit_round, name="edit_round"),
    path("positions/<uuid:uid>/edit/", workspace.edit_position, name="edit_position"),
    path("positions/<uuid:uid>/status/", workspace.change_status, name="change_status"),
    path("positions/<uuid:uid>/delete/", workspace.delete_position, name="delete_position"),
    path("sources/<slug:slug>/edit/", workspace.edit_source, name="edit_source"),
    path("history/<str:kind>/<int:pk>/", workspace.record_history, name="history"),
]
