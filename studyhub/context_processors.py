from django.http import HttpRequest


def csp_nonce(request: HttpRequest) -> dict:
    """The request's CSP nonce under the name django-htmx's {% htmx_script %} reads.

    django-csp 4 puts the nonce on ``request.csp_nonce`` (its own context processor
    calls it ``CSP_NONCE``). It is lazy: the policy carries a nonce only for pages
    that used one.
    """
    return {"csp_nonce": getattr(request, "csp_nonce", None)}
