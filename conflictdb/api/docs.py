"""The API's offline documentation pages, under the strict Content-Security-Policy.

drf-spectacular's own pages put their page style (and Swagger's init script) inline, which the
policy refuses. Swagger UI uses the split view, which serves its init script as a file; both pages
use our templates (templates/api/), whose style and Redoc's init are static files.

Redoc needs three things more, on its page only:
- styles: its styled-components insert <style> elements as it renders; they carry this response's
  nonce, which its init script hands to Redoc. As the bundle loads, before any script of ours can
  run, it also inserts perfect-scrollbar's CSS (an empty <style>, then filled): those two contents
  are allowed by their hashes. A new drf-spectacular-sidecar that changes them fails
  tests/conflictdb/test_csp_browser.py, and Chromium's console names the new hash.
- workers from blob: URLs: its search index runs in a worker the bundle builds from a Blob. A blob
  URL can only be made by a script the policy already let run.
- no image from elsewhere: the init script keeps Redoc from fetching Redocly's logo from their CDN
  (the docs are served offline; Redoc hides the logo when it does not load).
"""

from csp.constants import NONCE
from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

REDOC_BUNDLE_STYLE_HASHES = [
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",  # the empty <style> before it is filled
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",  # perfect-scrollbar's CSS
]


class SwaggerView(SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"


@method_decorator(csp_update({"style-src": [NONCE, *REDOC_BUNDLE_STYLE_HASHES], "worker-src": ["blob:"]}),
                  name="dispatch")
class RedocView(SpectacularRedocView):
    template_name = "api/redoc.html"
