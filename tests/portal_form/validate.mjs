// Validates form data against a template's parameters with @rjsf/validator-ajv8, the validator Backstage's
// scaffolder form uses. Reads {"schema": {...}, "cases": [...]} on stdin; writes one list of error messages per case.
import { customizeValidator } from "@rjsf/validator-ajv8";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { schema, cases } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const validator = customizeValidator();
const verdicts = cases.map((formData) => validator.validateFormData(formData, schema).errors.map((e) => e.stack));
process.stdout.write(JSON.stringify(verdicts) + "\n");
