// Swagger UI served from this host only: no validator badge (it would call the public Swagger validator),
// and "Try it out" is on, with each operation's examples taken from the presets (app/openapi.py):
// pick one in the "Examples" list above the body and press Execute.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  validatorUrl: null,
  deepLinking: true,
  tryItOutEnabled: true,
  displayRequestDuration: true,
  defaultModelsExpandDepth: 0,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
