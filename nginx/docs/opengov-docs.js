// Renders the live /openapi.yaml with Redoc (docs/index.html). Kept out of
// the page so that its Content-Security-Policy needs no inline script.
(function () {
  'use strict';
  var spec = '../openapi.yaml';

  function fail(message) {
    var box = document.getElementById('docs-error');
    box.style.display = 'block';
    box.textContent = message + ' The OpenAPI description: ';
    var a = document.createElement('a');
    a.href = spec;
    a.textContent = '/openapi.yaml';
    box.appendChild(a);
  }

  if (typeof Redoc === 'undefined') {
    fail('redoc.standalone.js did not load (scripts/install-docs.sh copies it from tests/contract/node_modules).');
    return;
  }

  // System fonts: Redoc's defaults (Roboto, Montserrat) are not here and the
  // page loads nothing from other origins.
  var sans = 'system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", "DejaVu Sans", sans-serif';
  var mono = 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace';

  Redoc.init(spec, {
    expandResponses: '200,201',
    requiredPropsFirst: true,
    pathInMiddlePanel: true,
    jsonSampleExpandLevel: 3,
    showExtensions: true,
    theme: {
      typography: {
        fontFamily: sans,
        headings: {fontFamily: sans},
        code: {fontFamily: mono}
      }
    }
  }, document.getElementById('redoc-container'), function (err) {
    if (err) fail('Redoc could not render the OpenAPI description: ' + (err.message || err) + '.');
  });
})();
