from themes.services import theme_for_tenant


def theme(request) -> dict:
    return {"theme": theme_for_tenant(getattr(request, "tenant", None))}
