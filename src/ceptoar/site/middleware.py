import functools

from django.conf import settings
from django.utils import translation


class LanguageMiddleware:
    """Japanese unless the person chose otherwise with the language switch.

    Unlike Django's LocaleMiddleware this ignores the browser's Accept-Language: staff on shared
    terminals should get the same Japanese pages whatever browser they sit at.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        response.headers.setdefault("Vary", "Cookie")
        return response


# The Content-Security-Policy of every page: nothing but this site's own files, no inline script or style
# anywhere (htmx is configured in base.html not to inject its indicator style nor to evaluate attributes),
# never framed, forms posted only here. A response that already carries a policy keeps it: attachment
# downloads set a stricter one (utilities.downloads), the API documentation a wider one (api.v1).
CONTENT_SECURITY_POLICY = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'",),
    "font-src": ("'self'",),
    "connect-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'none'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
}


def content_security_policy(**extra: tuple[str, ...]) -> str:
    """The policy as a header value; `extra` adds sources to directives (img_src=("data:",))."""
    directives = {name: list(sources) for name, sources in CONTENT_SECURITY_POLICY.items()}
    for key, sources in extra.items():
        directives.setdefault(key.replace("_", "-"), []).extend(sources)
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    """Sends the site's Content-Security-Policy (Django 5.2 has none of its own) on every response."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = content_security_policy()

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


def csp_allow(**extra: tuple[str, ...]):
    """A view decorator: this view's pages get the site's policy with `extra` sources added, e.g.
    csp_allow(img_src=("data:",)). Only for pages that truly need them; say why where it is used."""
    header = content_security_policy(**extra)

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            response.headers["Content-Security-Policy"] = header
            return response

        return wrapped

    return decorator
