from themes.selectors import theme_for_request


def theme(request) -> dict:
    return {"theme": theme_for_request(request)}
