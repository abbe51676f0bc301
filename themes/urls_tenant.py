"""/settings/theme/ on a tenant's host: the tenant administrator's theme."""

from themes.models import ThemeScope
from themes.routes import theme_urlpatterns

urlpatterns = theme_urlpatterns(ThemeScope.TENANT)
