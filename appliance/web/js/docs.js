// /docs: Swagger UI (shipped by the pip package swagger-ui-bundle-v2) over the hub's OpenAPI
// document. Loaded as a file, never inline, so the page keeps the strict CSP.
/* global SwaggerUIBundle */
SwaggerUIBundle({url: "/api/v1/openapi.json", dom_id: "#swagger", deepLinking: true});
