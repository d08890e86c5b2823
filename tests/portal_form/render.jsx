// Renders one template's form with react-jsonschema-form (the form library of Backstage's scaffolder), filled with
// the data in <script id="form-input" type="application/json">{"schema": ..., "formData": ...}</script>, and
// validated at once so that wrong values show their errors.
import React, { createRef } from "react";
import { flushSync } from "react-dom";
import { createRoot } from "react-dom/client";
import Form from "@rjsf/core";
import validator from "@rjsf/validator-ajv8";

// As Backstage's scaffolder does, `ui:*` keys written in the schema become the form's uiSchema.
function splitUi(schema) {
  const ui = {};
  const clean = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith("ui:")) ui[key] = value;
    else if (key === "properties") {
      clean.properties = {};
      for (const [name, prop] of Object.entries(value)) {
        const [child, childUi] = splitUi(prop);
        clean.properties[name] = child;
        if (Object.keys(childUi).length) ui[name] = childUi;
      }
    } else clean[key] = value;
  }
  return [clean, ui];
}

const { schema, formData, title } = JSON.parse(document.getElementById("form-input").textContent);
const [formSchema, uiSchema] = splitUi(schema);
uiSchema["ui:submitButtonOptions"] = { submitText: "Review" };

const form = createRef();

function App() {
  return (
    <main>
      <h1>{title}</h1>
      <Form ref={form} schema={formSchema} uiSchema={uiSchema} formData={formData} validator={validator}
            liveValidate showErrorList="top" />
    </main>
  );
}

// Rendered and validated synchronously, so the page is complete when the browser's load event fires.
const root = createRoot(document.getElementById("root"));
flushSync(() => root.render(<App />));
flushSync(() => form.current.validateForm());
