// /api/docs: render the OpenAPI document with the locally served Swagger UI. An external file,
// not an inline script, because the Content-Security-Policy allows scripts from 'self' only.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: root.getAttribute("data-url"),
    domNode: root,
    // Off: a deep link puts an <a> inside each operation's summary <button>, a focusable
    // control inside another that screen readers and keyboards cannot reach (axe
    // nested-interactive).
    deepLinking: false,
    // No call to the public validator service: nothing leaves this site.
    validatorUrl: null,
    tryItOutEnabled: false,
  });
})();
