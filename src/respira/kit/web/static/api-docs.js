// Starts Swagger UI on /api/v1/docs (a file of its own: the Content-Security-Policy
// allows no inline script). The document's address comes from the page.
//
// The Swagger UI that Respira ships (4.x) reads OpenAPI 3.0, and the document is
// OpenAPI 3.1; the few 3.1 forms the document uses are shown as their 3.0 equivalents
// (a nullable value, const, examples, exclusive bounds). The document itself, at
// /api/v1/openapi.json, is unchanged.
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");

  function isNull(schema) {
    return schema && schema.type === "null";
  }

  function to30(node, parentKey) {
    if (Array.isArray(node)) {
      return node.map(function (item) {
        return to30(item, null);
      });
    }
    if (node === null || typeof node !== "object") {
      return node;
    }
    var out = {};
    Object.keys(node).forEach(function (key) {
      out[key] = to30(node[key], key);
    });
    if (parentKey === "properties") {
      return out; // a map of field names, not a schema
    }
    var variants = out.anyOf;
    if (Array.isArray(variants) && variants.some(isNull)) {
      var rest = variants.filter(function (v) {
        return !isNull(v);
      });
      delete out.anyOf;
      out.nullable = true;
      if (rest.length === 1 && !rest[0].$ref) {
        Object.assign(out, rest[0]);
      } else if (rest.length === 1) {
        out.allOf = rest;
      } else {
        out.anyOf = rest;
      }
    }
    if (Object.prototype.hasOwnProperty.call(out, "const")) {
      out.enum = [out.const];
      delete out.const;
    }
    if (Array.isArray(out.examples)) {
      if (!("example" in out) && out.examples.length) {
        out.example = out.examples[0];
      }
      delete out.examples;
    }
    ["Minimum", "Maximum"].forEach(function (bound) {
      var key = "exclusive" + bound;
      if (typeof out[key] === "number") {
        out[bound.toLowerCase()] = out[key];
        out[key] = true;
      }
    });
    return out;
  }

  function start(spec) {
    window.ui = SwaggerUIBundle({
      spec: spec,
      domNode: root,
      deepLinking: true,
      // No validator badge: it would send the document to validator.swagger.io.
      validatorUrl: null,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
    });
  }

  fetch(root.dataset.openapiUrl, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("the API description answered " + response.status);
      }
      return response.json();
    })
    .then(function (document31) {
      var spec = to30(document31, null);
      spec.openapi = "3.0.3";
      start(spec);
    })
    .catch(function (error) {
      root.textContent = "The API description could not be loaded: " + error.message;
    });
})();
