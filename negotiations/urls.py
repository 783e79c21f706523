from django.urls import path

from negotiations.views import public

app_name = "negotiations"

urlpatterns = [
    path("", public.home, name="home"),
    path("n/<slug:slug>/", public.gap_table, name="gap_table"),
    path("n/<slug:slug>/issues/<slug:issue>/", public.issue_history, name="issue_history"),
]
