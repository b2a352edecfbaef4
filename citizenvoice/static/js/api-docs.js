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
    deepLinking: true,
    // No call to the public validator service: nothing leaves this site.
    validatorUrl: null,
    tryItOutEnabled: false,
  });
})();
