// Swagger UI over /openapi.json, from the files shipped in the package (no CDN). The
// validator badge is off: it would load an image from a remote service.
window.addEventListener("DOMContentLoaded", () => {
  window.ui = window.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: true,
    tryItOutEnabled: false,
    withCredentials: true,
  });
});
