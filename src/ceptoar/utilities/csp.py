"""The site's Content-Security-Policy, as a header value: sent on every response by the site shell's
middleware, and widened for one view by `csp_allow` (the API documentation's inline images)."""

import functools

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
