from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from negotiations.forms import SignInForm

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=SignInForm
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("negotiations.urls")),
]

handler500 = "negotiations.views.errors.server_error"
