"""The Content-Security-Policy header (django-csp) and its per-view exceptions.

The site-wide policy (``CONTENT_SECURITY_POLICY`` in the settings) allows scripts and styles only
from our own static files. Two kinds of page need inline styles, never inline scripts:

* The Django admin and django-import-export write some ``<style>`` blocks and ``style=""``
  attributes into their templates (the change list without actions, the export form).
* Redoc builds its page with styled-components, which inserts ``<style>`` elements, and runs its
  search in a web worker made from a ``blob:`` URL.

Each exception widens only ``style-src`` (and Redoc's ``worker-src``) for those responses; a
view that sets its own policy with django-csp's decorators keeps it.
"""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.middleware import PolicyParts

ADMIN_POLICY_UPDATE = {"style-src": [UNSAFE_INLINE]}
REDOC_POLICY_UPDATE = {"style-src": [UNSAFE_INLINE], "worker-src": [SELF, "blob:"]}

# For a view function: ``redoc_csp(SpectacularRedocView.as_view(...))``.
redoc_csp = csp_update(REDOC_POLICY_UPDATE)


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp's middleware, with the admin's exception applied by URL namespace.

    The admin's views are built by ``AdminSite.get_urls`` for every registered model, so a
    decorator per view is not practical; the namespace "admin" marks all of them.
    """

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        match = getattr(request, "resolver_match", None)
        if not report_only and parts.update is None and match is not None and "admin" in match.namespaces:
            parts.update = ADMIN_POLICY_UPDATE
        return parts
